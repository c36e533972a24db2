import type { Context } from './context.js';
import type { ProfileInput } from './core/profile.js';
import type { SetupOptions } from './commands/setup.js';
import { UsageError } from './errors.js';

/** The interactive wizard (issue #3). Until it lands, say which flags to pass. */
export async function runWizard(input: ProfileInput, _options: SetupOptions, _ctx: Context): Promise<number> {
  void input;
  throw new UsageError('the interactive wizard is not available yet', 'Pass the answers as flags: jupyter-ssh-setup setup --name NAME --host HOST --yes (see --help).');
}
