/** What to activate before Jupyter starts (venv, conda, modules, a command), in order. */
import { parseEnvSpec, type EnvKind } from '../core/profile.js';
import { listOf, messageOf } from './answers.js';
import type { AskingRemote } from './state.js';

const ENV_CHOICES: { name: string; value: EnvKind; description: string; message: string }[] = [
  { name: 'A Python venv', value: 'venv', description: 'source PATH/bin/activate', message: 'Path of the venv on the remote, e.g. ~/venvs/jupyter' },
  { name: 'A conda environment', value: 'conda', description: 'conda activate NAME', message: 'Conda environment (a name, or a prefix path)' },
  { name: 'Environment modules', value: 'module', description: 'module load NAME...', message: 'Modules to load, separated by spaces, e.g. python/3.11 cuda/12' },
  { name: 'A custom command', value: 'cmd', description: 'any shell command, run first', message: 'Command to run before Jupyter, e.g. source ~/jupyter-env.sh' },
];

export async function askEnv(w: AskingRemote): Promise<void> {
  if (w.flags.env !== undefined) {
    w.answers.env = w.flags.env;
    return;
  }
  const current = listOf(w.defaults.env);
  const kinds = (first: boolean) => [
    first
      ? { name: 'Nothing: jupyter is on the PATH already', value: 'none' }
      : { name: 'No, that is all', value: 'none' },
    ...ENV_CHOICES.map(({ name, value, description }) => ({ name, value, description: foundOf(w, value) ?? description })),
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
    const value = await askEnvValue(w, k as EnvKind);
    specs.push(`${k}:${value.trim()}`);
    kind = await w.prompter.select({ message: 'Activate something else after that?', choices: kinds(false), default: 'none' });
  }
  w.answers.env = specs;
}

/** "found on gpu: base, ml" for a kind the login found some of. */
function foundOf(w: AskingRemote, kind: EnvKind): string | undefined {
  const r = w.remote;
  const found = kind === 'venv' ? r?.venvs : kind === 'conda' ? r?.conda : kind === 'module' ? r?.modules : undefined;
  return found?.length ? `found on ${w.answers.name}: ${found.slice(0, 4).join(', ')}${found.length > 4 ? ', ...' : ''}` : undefined;
}

/** The venv path, conda environment, modules or command; what the login found is offered first. */
async function askEnvValue(w: AskingRemote, kind: EnvKind): Promise<string> {
  const message = ENV_CHOICES.find((e) => e.value === kind)!.message;
  const validate = messageOf((v) => parseEnvSpec(`${kind}:${v.trim()}`));
  const found = kind === 'conda' ? (w.remote?.conda ?? []) : kind === 'venv' ? (w.remote?.venvs ?? []) : [];
  if (found.length) {
    const picked = await w.prompter.select({
      message: `${kind === 'conda' ? 'Conda environment' : 'Python venv with Jupyter'} (found on ${w.answers.name})`,
      choices: [...found.map((e) => ({ name: e, value: `env:${e}` })), { name: `Another: type ${kind === 'conda' ? 'a name or a prefix path' : 'its path'}`, value: 'type' }],
    });
    if (picked.startsWith('env:')) return picked.slice(4);
  }
  const modules = kind === 'module' ? (w.remote?.modules ?? []) : [];
  const suggested = modules.find((m) => /jupyter/i.test(m)) ?? modules.find((m) => /python/i.test(m));
  return w.prompter.input({ message: modules.length ? `${message} (found: ${modules.slice(0, 5).join(' ')})` : message, default: suggested, validate });
}
