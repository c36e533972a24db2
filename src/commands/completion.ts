import type { ParsedArgs } from '../types.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { renderBashCompletion, renderZshCompletion, type CompletionSpec } from '../core/completion.js';
import { LAUNCHERS, CONTAINERS, APPS, SHELLS } from '../core/profile.js';
import { COMMAND_SPECS } from '../command-specs.js';

export async function run(args: ParsedArgs, ctx: Context): Promise<number> {
  const shell = args.positionals[0];
  if (shell !== 'bash' && shell !== 'zsh') {
    throw new UsageError(`completion needs a shell: bash or zsh${shell ? `, not "${shell}"` : ''}`, 'e.g. jupyter-ssh-setup completion bash >> ~/.bashrc');
  }
  const spec: CompletionSpec = {
    commands: COMMAND_SPECS.map((c) => ({ name: c.name, flags: Object.keys(c.options).map((f) => `--${f}`) })),
    values: { '--launcher': [...LAUNCHERS], '--container': [...CONTAINERS], '--app': [...APPS], '--shell': [...SHELLS] },
    profilesDir: '',
  };
  ctx.stdout.write(shell === 'bash' ? renderBashCompletion(spec) : renderZshCompletion(spec));
  return 0;
}
