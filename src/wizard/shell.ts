/** Which shell's rc file gets the functions (offered: bash, zsh; fish with --shell fish). */
import { resolvePaths, defaultShell } from '../io/store.js';
import { tildify } from '../io/output.js';
import type { Asking, WizardState } from './state.js';

export async function askShell(w: Asking & Pick<WizardState, 'ctx' | 'options' | 'paths'>): Promise<void> {
  if (w.flags.shell !== undefined) {
    w.answers.shell = w.flags.shell;
    return;
  }
  const rcOf = (shell: string) => tildify(resolvePaths(w.ctx, { sshConfig: w.options.sshConfig, rc: w.options.rc, shell }).rc, w.paths.home);
  w.answers.shell = await w.prompter.select({
    message: 'Which shell gets the remote_notebook_* functions?',
    choices: [
      { name: `bash (${rcOf('bash')})`, value: 'bash' },
      { name: `zsh (${rcOf('zsh')})`, value: 'zsh' },
    ],
    default: w.defaults.shell ?? defaultShell(w.ctx),
  });
}
