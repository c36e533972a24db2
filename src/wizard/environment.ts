/** What to activate before Jupyter starts (venv, conda, modules, a command), in order. */
import { parseEnvSpec, type EnvKind } from '../core/profile.js';
import { listOf, messageOf } from './answers.js';
import type { Asking } from './state.js';

const ENV_CHOICES: { name: string; value: EnvKind; description: string; message: string }[] = [
  { name: 'A Python venv', value: 'venv', description: 'source PATH/bin/activate', message: 'Path of the venv on the remote, e.g. ~/venvs/jupyter' },
  { name: 'A conda environment', value: 'conda', description: 'conda activate NAME', message: 'Conda environment (a name, or a prefix path)' },
  { name: 'Environment modules', value: 'module', description: 'module load NAME...', message: 'Modules to load, separated by spaces, e.g. python/3.11 cuda/12' },
  { name: 'A custom command', value: 'cmd', description: 'any shell command, run first', message: 'Command to run before Jupyter, e.g. source ~/jupyter-env.sh' },
];

export async function askEnv(w: Asking): Promise<void> {
  if (w.flags.env !== undefined) {
    w.answers.env = w.flags.env;
    return;
  }
  const current = listOf(w.defaults.env);
  const kinds = (first: boolean) => [
    first
      ? { name: 'Nothing: jupyter is on the PATH already', value: 'none' }
      : { name: 'No, that is all', value: 'none' },
    ...ENV_CHOICES.map(({ name, value, description }) => ({ name, value, description })),
  ];
  const first = [...(current.length ? [{ name: `Keep: ${current.join(', ')}`, value: 'keep' }] : []), ...kinds(true)];
  let kind = await w.prompter.select({ message: 'What must be activated before Jupyter starts?', choices: first, default: first[0]!.value });
  if (kind === 'keep') {
    w.answers.env = current;
    return;
  }
  const specs: string[] = [];
  while (kind !== 'none') {
    const k = kind;
    const value = await w.prompter.input({
      message: ENV_CHOICES.find((e) => e.value === k)!.message,
      validate: messageOf((v) => parseEnvSpec(`${k}:${v.trim()}`)),
    });
    specs.push(`${k}:${value.trim()}`);
    kind = await w.prompter.select({ message: 'Activate something else after that?', choices: kinds(false), default: 'none' });
  }
  w.answers.env = specs;
}
