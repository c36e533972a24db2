/**
 * The interactive wizard (create-astro style): a list of steps sharing one
 * state. A flag given on the command line wins and skips its question; every
 * question has a default (the stored profile on a re-run, what `ssh -G` says
 * about a picked alias, or the same default --yes takes). Answers are
 * validated as they are typed, by the same functions and with the same
 * messages as the flags. The wizard writes nothing: commands/setup.ts applies
 * the profile it returns, after its confirmation.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import type { Context, Prompter } from './context.js';
import type { Paths } from './core/plan.js';
import {
  validateProfile,
  validateName,
  validateHost,
  validateUser,
  validatePort,
  parseHop,
  parseEnvSpec,
  profileToInput,
  formatHop,
  DEFAULT_PORT,
  type EnvKind,
  type Hop,
  type Profile,
  type ProfileInput,
} from './core/profile.js';
import type { SetupOptions } from './types.js';
import { CancelledError, ValidationError } from './errors.js';
import { readKnownAliases, type KnownAlias } from './io/read-ssh-config.js';
import { readProfiles, resolvePaths, defaultShell, localUser } from './io/store.js';
import { isPromptCancel, createPrompter } from './io/prompts.js';
import { resolveWithSsh, runProcess, type RunResult } from './io/ssh.js';
import { colors, tildify } from './io/output.js';
import { explainSshFailure } from './core/explain-ssh.js';

/** What every step shares. */
export interface WizardState {
  ctx: Context;
  options: SetupOptions;
  prompter: Prompter;
  paths: Paths;
  /** Given as flags: never asked. */
  flags: ProfileInput;
  /** Offered as defaults: the stored profile of that name, then what a picked alias says. */
  defaults: ProfileInput;
  answers: ProfileInput;
  /** Host aliases of the user's own SSH config (ours left out). */
  aliases: KnownAlias[];
  profiles: Map<string, Profile>;
  note: (text: string) => void;
}

type Step = (w: WizardState) => Promise<void>;

/** The questions, in the order they are asked. */
export const steps: Step[] = [
  askName,
  askHost,
  askUser,
  askPort,
  askIdentity,
  askJump,
  askLauncher,
  askScheduler,
  askContainer,
  askEnv,
  askApp,
  askNotebookDir,
  askRemotePort,
  askLocalPort,
  askShell,
];

/** What the wizard hands to setup: the profile, and its questions around the writes. */
export interface WizardResult {
  profile: Profile;
  /** "Write these changes?", asked once the plan is shown. */
  confirm: () => Promise<boolean>;
  /** After the files are written: offers the connection test and says what to type next. */
  afterWrite: () => Promise<void>;
}

/** Asks every question not answered by a flag; writes nothing (commands/setup.ts does). */
export async function runWizard(input: ProfileInput, options: SetupOptions, ctx: Context): Promise<WizardResult> {
  const prompter = guardCancel(ctx.prompter ?? (await createPrompter(ctx)));
  const paths = resolvePaths(ctx, { sshConfig: options.sshConfig, rc: options.rc });
  const c = colors(ctx);
  const w: WizardState = {
    ctx,
    options,
    prompter,
    paths,
    flags: stripEmpty(input),
    defaults: {},
    answers: {},
    aliases: (await readKnownAliases(paths.sshConfig, paths.home, [paths.sshInclude])),
    profiles: await readProfiles(paths),
    note: (text) => ctx.stdout.write(text.replace(/^/gm, '  ').replace(/^ +$/gm, '') + '\n'),
  };
  checkGivenFlags(w);
  ctx.stdout.write(
    `${c.bold('jupyter-ssh-setup')}: Jupyter on a machine you reach over SSH.\n` +
      c.dim('Enter takes the default shown in (parentheses). Nothing is written until you confirm; Ctrl+C cancels.\n\n'),
  );
  for (const step of steps) await step(w);
  const profile = validateProfile(finalInput(w));

  ctx.stdout.write('\n' + summarize(profile, w) + '\n\n');
  return {
    profile,
    confirm: () => prompter.confirm({ message: 'Write these changes?', default: true }),
    afterWrite: () => offerConnectionTest(profile, w),
  };
}

/** After the writes: "Test the connection now?", then what to type next. */
async function offerConnectionTest(profile: Profile, w: WizardState): Promise<void> {
  const { ctx, options, prompter } = w;
  const finalPaths = resolvePaths(ctx, { sshConfig: options.sshConfig, rc: options.rc, shell: profile.shell });
  // The files are written now: a Ctrl+C here must not claim "nothing written".
  const test = await prompter.confirm({ message: `Test the connection now (ssh ${profile.name} true)?`, default: true }).catch((error: unknown) => {
    if (error instanceof CancelledError) return false;
    throw error;
  });
  if (test) {
    const ok = await testConnection(profile, finalPaths, w);
    const rc = tildify(finalPaths.rc, finalPaths.home);
    ctx.stdout.write(
      ok
        ? `\nReady. Type:\n  source ${rc}\n  remote_notebook_start ${profile.name}\n`
        : `\nWhen ssh ${profile.name} true works, type:\n  source ${rc}\n  remote_notebook_start ${profile.name}\n` +
            `To check hop by hop: npx jupyter-ssh-setup doctor ${profile.name}\n`,
    );
  }
}

// ---------------------------------------------------------------- the steps

async function askName(w: WizardState): Promise<void> {
  const check = (value: string) => checkName(value, w);
  if (w.flags.name !== undefined) w.answers.name = w.flags.name;
  else {
    const known = [...w.profiles.keys()];
    w.answers.name = await w.prompter.input({
      message: known.length ? `Name for this target, its SSH alias (set up already: ${known.join(', ')})` : 'Name for this target, its SSH alias',
      default: suggestName(w),
      validate: messageOf(check),
    });
  }
  const stored = w.profiles.get(w.answers.name);
  if (stored) {
    w.defaults = profileToInput(stored);
    w.note(`"${stored.name}" is set up already: its current answers are the defaults, and the plan will show only what changes.`);
  }
}

async function askHost(w: WizardState): Promise<void> {
  if (w.flags.host !== undefined) {
    w.answers.host = w.flags.host;
    return;
  }
  const aliases = w.aliases.filter((a) => a.alias !== w.answers.name);
  let picked: KnownAlias | undefined;
  if (aliases.length) {
    const choices: { name: string; value: string; description?: string }[] = [];
    if (w.defaults.host) choices.push({ name: `${w.defaults.host} (as now)`, value: 'keep' });
    choices.push({ name: 'Type a hostname or IP address', value: 'new' });
    for (const a of aliases) {
      choices.push({ name: a.alias, value: `alias:${a.alias}`, description: `${describeAlias(a)}, from ${tildify(a.file, w.paths.home)}` });
    }
    const answer = await w.prompter.select({ message: 'Which machine does Jupyter run on?', choices, default: choices[0]!.value });
    if (answer === 'keep') {
      w.answers.host = w.defaults.host;
      return;
    }
    picked = answer.startsWith('alias:') ? aliases.find((a) => `alias:${a.alias}` === answer) : undefined;
  }
  if (!picked) {
    const typed = await w.prompter.input({
      message: 'Hostname or IP address of the machine Jupyter runs on',
      default: w.defaults.host,
      validate: messageOf((v) => validateHost(v.trim())),
    });
    // A name from the user's config means that alias, not a DNS name.
    picked = aliases.find((a) => a.alias === typed.trim());
    if (!picked) {
      w.answers.host = typed.trim();
      return;
    }
  }
  const fromAlias = await readAliasDefaults(picked, w);
  w.defaults = { ...w.defaults, ...fromAlias };
  w.answers.host = fromAlias.host;
}

async function askUser(w: WizardState): Promise<void> {
  if (w.flags.user !== undefined) {
    w.answers.user = w.flags.user;
    return;
  }
  const user = await w.prompter.input({
    message: `Login name on ${w.answers.host}`,
    default: w.defaults.user ?? localUser(w.ctx),
    validate: messageOf((v) => validateUser(v.trim())),
  });
  w.answers.user = user.trim() || localUser(w.ctx);
}

async function askPort(w: WizardState): Promise<void> {
  if (w.flags.port !== undefined) {
    w.answers.port = w.flags.port;
    return;
  }
  const port = await w.prompter.input({
    message: `SSH port of ${w.answers.host}`,
    default: String(w.defaults.port ?? 22),
    validate: messageOf((v) => validatePort(v, '--port')),
  });
  w.answers.port = port.trim() || 22;
}

async function askIdentity(w: WizardState): Promise<void> {
  if (w.flags.identity !== undefined) {
    w.answers.identity = w.flags.identity;
    return;
  }
  const keys = findKeys(w.paths.home);
  const current = w.defaults.identity;
  if (current && !keys.includes(current)) keys.unshift(current);
  if (keys.length === 0) {
    w.note(`No SSH key found in ~/.ssh. To log in without a password, create one: ssh-keygen -t ed25519`);
  }
  const choices = [
    { name: "ssh's defaults", value: 'none', description: 'whichever of ~/.ssh/id_ed25519, id_ecdsa, id_rsa exist, and your ssh-agent' },
    ...keys.map((k) => ({ name: k, value: `key:${k}` })),
    { name: 'Another key file', value: 'other', description: 'type the path of a private key' },
    { name: 'I log in with a password', value: 'password', description: 'how to set up a key instead (this tool never stores passwords)' },
  ];
  const answer = await w.prompter.select({ message: 'Which SSH key?', choices, default: current ? `key:${current}` : 'none' });
  if (answer.startsWith('key:')) w.answers.identity = answer.slice(4);
  else if (answer === 'other') {
    w.answers.identity = await w.prompter.input({
      message: 'Path of the private key (e.g. ~/.ssh/id_lab)',
      validate: messageOf((v) => checkIdentity(v, w.paths.home)),
    });
  } else {
    w.answers.identity = undefined;
    if (answer === 'password') w.note(passwordNote(w));
  }
}

async function askJump(w: WizardState): Promise<void> {
  if (w.flags.jump !== undefined) {
    w.answers.jump = w.flags.jump;
    return;
  }
  const current = commaList(w.defaults.jump);
  const aliases = w.aliases.filter((a) => a.alias !== w.answers.name);
  const ways = (last?: string) => [
    {
      name: last ? `No, ${last} is the last hop` : 'No, connect directly',
      value: 'none',
      description: last ? undefined : 'this machine reaches the host itself',
    },
    ...(aliases.length ? [{ name: 'Yes, a host from your SSH config', value: 'alias' }] : []),
    { name: 'Yes, type it: [user@]host[:port]', value: 'type' },
  ];
  const first = [...(current.length ? [{ name: `Keep: ${current.join(' -> ')}`, value: 'keep' }] : []), ...ways()];
  let way = await w.prompter.select({
    message: `Does ssh go through a jump host (bastion, login node) to reach ${w.answers.host}?`,
    choices: first,
    default: first[0]!.value,
  });
  if (way === 'keep') {
    w.answers.jump = current;
    return;
  }
  const hops: string[] = [];
  while (way !== 'none') {
    const which = hops.length === 0 ? 'First jump host (the one this machine connects to)' : `Jump host ${hops.length + 1} (reached from ${hops[hops.length - 1]})`;
    if (way === 'alias') {
      hops.push(
        await w.prompter.select({
          message: which,
          choices: aliases.map((a) => ({ name: a.alias, value: a.alias, description: describeAlias(a) })),
        }),
      );
    } else {
      const typed = await w.prompter.input({ message: `${which}: [user@]host[:port]`, validate: messageOf((v) => parseHop(v.trim())) });
      hops.push(typed.trim());
    }
    way = await w.prompter.select({ message: `Add another jump host after ${hops[hops.length - 1]}?`, choices: ways(hops[hops.length - 1]), default: 'none' });
  }
  w.answers.jump = hops;
}

const LAUNCHER_CHOICES = [
  { name: 'Plain', value: 'plain', description: 'Jupyter runs on the host itself (a workstation, a GPU server)' },
  { name: 'SLURM job', value: 'slurm', description: 'submitted with sbatch; Jupyter runs on the compute node SLURM gives you' },
  { name: 'PBS job', value: 'pbs', description: 'submitted with qsub; Jupyter runs on the compute node PBS gives you' },
];

async function askLauncher(w: WizardState): Promise<void> {
  if (w.flags.launcher !== undefined) {
    w.answers.launcher = w.flags.launcher;
    return;
  }
  w.answers.launcher = await w.prompter.select({ message: 'How is Jupyter started?', choices: LAUNCHER_CHOICES, default: w.defaults.launcher ?? 'plain' });
}

type SchedulerField = 'partition' | 'time' | 'account' | 'cpus' | 'mem' | 'gpus';

async function askScheduler(w: WizardState): Promise<void> {
  const launcher = w.answers.launcher;
  const fields: SchedulerField[] = ['partition', 'time', 'account', 'cpus', 'mem', 'gpus'];
  const answers = w.answers as Record<SchedulerField, string | number | undefined>;
  if (launcher === 'plain') {
    for (const f of fields) answers[f] = w.flags[f];
    return;
  }
  const messages: Record<SchedulerField, string> = {
    partition: launcher === 'pbs' ? "PBS queue (-q), Enter for the site's default" : "SLURM partition (-p), Enter for the site's default",
    time: "Time limit, e.g. 2:00:00, Enter for the site's default",
    account: 'Account to charge, Enter for your default',
    cpus: "CPUs, Enter for the site's default",
    mem: "Memory, e.g. 16G, Enter for the site's default",
    gpus: 'GPUs, e.g. 1 or a100:2, Enter for none',
  };
  for (const f of fields) {
    if (w.flags[f] !== undefined) {
      answers[f] = w.flags[f];
      continue;
    }
    const value = await w.prompter.input({
      message: messages[f],
      default: w.defaults[f] === undefined ? undefined : String(w.defaults[f]),
      validate: messageOf((v) => validateProfile(probe({ launcher, [f]: v.trim() }))),
    });
    answers[f] = value.trim() || undefined;
  }
}

const CONTAINER_CHOICES = [
  { name: 'No container', value: 'none', description: 'Jupyter from the host (or the environment below)' },
  { name: 'Docker', value: 'docker', description: 'docker run an image with Jupyter in it' },
  { name: 'Podman', value: 'podman', description: 'podman run, rootless' },
  { name: 'Apptainer / Singularity', value: 'apptainer', description: 'apptainer exec a .sif image, common on HPC clusters' },
];

async function askContainer(w: WizardState): Promise<void> {
  const kind =
    w.flags.container ??
    (w.flags.image !== undefined
      ? 'docker'
      : await w.prompter.select({ message: 'Run Jupyter inside a container?', choices: CONTAINER_CHOICES, default: w.defaults.container ?? 'none' }));
  w.answers.container = kind;
  if (kind === 'none') return;
  if (w.flags.image !== undefined) w.answers.image = w.flags.image;
  else {
    const image = await w.prompter.input({
      message: kind === 'apptainer' ? 'Path of the .sif image on the remote' : 'Image (with Jupyter in it)',
      default: w.defaults.image ?? (kind === 'apptainer' ? undefined : 'quay.io/jupyter/base-notebook'),
      validate: messageOf((v) => validateProfile(probe({ container: kind, image: v.trim() }))),
    });
    w.answers.image = image.trim();
  }
  w.answers.mount = w.flags.mount ?? w.defaults.mount;
  if (w.flags.containerGpus !== undefined) w.answers.containerGpus = w.flags.containerGpus;
  else {
    w.answers.containerGpus = await w.prompter.confirm({
      message: `Give the container the host's GPUs (${kind === 'apptainer' ? '--nv' : '--gpus all'})?`,
      default: w.defaults.containerGpus ?? Boolean(w.answers.gpus),
    });
  }
}

const ENV_CHOICES: { name: string; value: EnvKind; description: string; message: string }[] = [
  { name: 'A Python venv', value: 'venv', description: 'source PATH/bin/activate', message: 'Path of the venv on the remote, e.g. ~/venvs/jupyter' },
  { name: 'A conda environment', value: 'conda', description: 'conda activate NAME', message: 'Conda environment (a name, or a prefix path)' },
  { name: 'Environment modules', value: 'module', description: 'module load NAME...', message: 'Modules to load, separated by spaces, e.g. python/3.11 cuda/12' },
  { name: 'A custom command', value: 'cmd', description: 'any shell command, run first', message: 'Command to run before Jupyter, e.g. source ~/jupyter-env.sh' },
];

async function askEnv(w: WizardState): Promise<void> {
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

const APP_CHOICES = [
  { name: 'JupyterLab', value: 'lab', description: 'jupyter lab' },
  { name: 'Jupyter Notebook', value: 'notebook', description: 'jupyter notebook (the classic interface, version 7)' },
  { name: 'Jupyter Server only', value: 'server', description: 'jupyter server, e.g. for VS Code or another client' },
];

async function askApp(w: WizardState): Promise<void> {
  w.answers.app = w.flags.app ?? (await w.prompter.select({ message: 'Which Jupyter?', choices: APP_CHOICES, default: w.defaults.app ?? 'lab' }));
}

async function askNotebookDir(w: WizardState): Promise<void> {
  if (w.flags.notebookDir !== undefined) {
    w.answers.notebookDir = w.flags.notebookDir;
    return;
  }
  const dir = await w.prompter.input({
    message: 'Directory Jupyter opens in, on the remote (Enter for your home there)',
    default: w.defaults.notebookDir,
    validate: messageOf((v) => validateProfile(probe({ notebookDir: v.trim() }))),
  });
  w.answers.notebookDir = dir.trim() || undefined;
}

async function askRemotePort(w: WizardState): Promise<void> {
  if (w.flags.remotePort !== undefined) {
    w.answers.remotePort = w.flags.remotePort;
    return;
  }
  const fallback = w.answers.launcher === 'plain' ? String(DEFAULT_PORT) : 'auto';
  const port = await w.prompter.input({
    message: "Jupyter's port on the remote (a number, or auto to pick a free one at each start)",
    default: w.defaults.remotePort === undefined ? fallback : String(w.defaults.remotePort),
    validate: messageOf((v) => validateProfile(probe({ launcher: w.answers.launcher, remotePort: v.trim() }))),
  });
  w.answers.remotePort = port.trim();
}

async function askLocalPort(w: WizardState): Promise<void> {
  if (w.flags.localPort !== undefined) {
    w.answers.localPort = w.flags.localPort;
    return;
  }
  const remote = String(w.answers.remotePort);
  const follows = remote === 'auto' ? String(DEFAULT_PORT) : remote;
  // A stored local port that was simply "the same as the remote" follows a changed remote port.
  const stored = w.defaults.localPort !== undefined && String(w.defaults.localPort) !== String(w.defaults.remotePort) ? String(w.defaults.localPort) : undefined;
  const port = await w.prompter.input({
    message: 'Port on this machine for the browser',
    default: stored ?? follows,
    validate: messageOf((v) => validatePort(v, '--local-port')),
  });
  w.answers.localPort = port.trim();
}

async function askShell(w: WizardState): Promise<void> {
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

// ---------------------------------------------------------------- helpers

/** Turns a validator that throws ValidationError into an inquirer `validate`: true, or the flag's message. */
export function messageOf(check: (value: string) => unknown): (value: string) => true | string {
  return (value) => {
    try {
      check(value);
      return true;
    } catch (error) {
      if (error instanceof ValidationError) return error.message;
      throw error;
    }
  };
}

/** A valid profile but for the fields under test, so validateProfile judges just those. */
function probe(patch: ProfileInput): ProfileInput {
  return { name: 'x', host: 'x', ...patch };
}

/** The name rules of --name, and (unless --force) not a Host the user already has. */
function checkName(value: string, w: Pick<WizardState, 'aliases' | 'profiles' | 'options' | 'paths'>): void {
  validateName(value);
  if (w.options.force || w.profiles.has(value)) return;
  const clash = w.aliases.find((a) => a.alias === value || a.alias === `${value}-tunnel`);
  if (clash) {
    // The message checkAgainstSystem gives for the flag.
    throw new ValidationError('--name', value, `already a Host in ${tildify(clash.file, w.paths.home)}; choose another name, or pass --force to let ours take precedence`);
  }
}

/** The path rules of --identity and, as for the flag, an existing file. */
function checkIdentity(value: string, home: string): void {
  validateProfile(probe({ identity: value }));
  const path = value.startsWith('~/') ? join(home, value.slice(2)) : value;
  let exists = false;
  try {
    exists = statSync(path).isFile();
  } catch {
    exists = false;
  }
  if (!exists) {
    throw new ValidationError('--identity', value, 'no such file; give the path of an existing private key (e.g. ~/.ssh/id_ed25519), or create one with ssh-keygen -t ed25519');
  }
}

/**
 * Fails on a bad flag before the first question, with the message the flag
 * gets without the wizard, rather than after every question is answered.
 */
function checkGivenFlags(w: WizardState): void {
  const f = w.flags;
  if (f.name !== undefined) checkName(f.name, w);
  const container = f.container ?? (f.image !== undefined ? 'docker' : undefined);
  const needsImage = container !== undefined && container !== 'none' && f.image === undefined;
  validateProfile({ ...f, name: f.name ?? 'x', host: f.host ?? 'x', container, image: needsImage ? 'x' : f.image });
  if (f.identity !== undefined) checkIdentity(f.identity, w.paths.home);
}

/** Names the wizard suggests: from the host, else "gpu", never one that clashes. */
function suggestName(w: WizardState): string {
  const host = w.flags.host;
  const fromHost = host && !/^[0-9.:[\]]+$/.test(host) ? host.split('.')[0]! : undefined;
  const candidates = [fromHost, 'gpu', 'jupyter', 'gpu-jupyter'].filter((n): n is string => n !== undefined);
  for (const name of candidates) {
    if (messageOf((v) => checkName(v, w))(name) === true) return name;
  }
  return 'gpu';
}

function describeAlias(a: KnownAlias): string {
  const host = a.hostName ?? a.alias;
  return `${a.user ? a.user + '@' : ''}${host}${a.port ? ':' + a.port : ''}`;
}

/**
 * What OpenSSH itself makes of a picked alias (`ssh -G`): its HostName, User,
 * Port, and the IdentityFile and ProxyJump it sets beyond ssh's defaults (told
 * apart by resolving a name no Host block matches).
 */
async function readAliasDefaults(alias: KnownAlias, w: WizardState): Promise<ProfileInput> {
  const [resolved, plain] = await Promise.all([
    resolveWithSsh(w.paths.sshConfig, alias.alias),
    resolveWithSsh(w.paths.sshConfig, 'jupyter-ssh-setup-probe.invalid'),
  ]);
  const get = (key: string) => resolved.options.get(key)?.[0];
  const result: ProfileInput = {};
  const hostName = (resolved.ok ? get('hostname') : undefined) ?? alias.hostName ?? alias.alias;
  result.host = messageOf((v) => validateHost(v))(hostName) === true ? hostName : alias.alias;
  const user = (resolved.ok ? get('user') : undefined) ?? alias.user;
  if (user && messageOf((v) => validateUser(v))(user) === true) result.user = user;
  const port = (resolved.ok ? get('port') : undefined) ?? alias.port;
  if (port && validPort(port)) result.port = port;
  if (resolved.ok) {
    const ids = resolved.options.get('identityfile') ?? [];
    const defaultIds = plain.options.get('identityfile') ?? [];
    if (ids.length === 1 && ids.join('\n') !== defaultIds.join('\n')) result.identity = ids[0];
    const jump = get('proxyjump');
    if (jump && jump !== 'none') {
      const hops = jump.split(',');
      if (hops.every((h) => messageOf((v) => parseHop(v))(h) === true)) result.jump = hops;
    }
    const command = get('proxycommand');
    if (command && command !== 'none' && command !== plain.options.get('proxycommand')?.[0]) {
      w.note(`${alias.alias} uses a ProxyCommand, which is not copied: give its jump hosts below instead.`);
    }
  }
  const via = result.jump ? ` via ${commaList(result.jump).join(' -> ')}` : '';
  w.note(`${alias.alias} is ${result.user ? result.user + '@' : ''}${result.host}:${result.port ?? 22}${via} (ssh -G ${alias.alias}); those are the defaults below.`);
  return result;
}

function validPort(value: string): boolean {
  return messageOf((v) => validatePort(v, '--port'))(value) === true;
}

/** Private keys in ~/.ssh: files with a matching .pub, as ~/.ssh/NAME. */
export function findKeys(home: string): string[] {
  const dir = join(home, '.ssh');
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => names.includes(`${n}.pub`))
    .filter((n) => {
      try {
        return statSync(join(dir, n)).isFile();
      } catch {
        return false;
      }
    })
    .sort()
    .map((n) => `~/.ssh/${n}`);
}

function passwordNote(w: WizardState): string {
  const name = w.answers.name!;
  return [
    'This tool never asks for or stores a password. Jupyter over SSH opens several',
    'connections, so log in with a key instead; once, on this machine:',
    '  ssh-keygen -t ed25519      # Enter for the defaults; a passphrase is fine (ssh-agent)',
    `  ssh-copy-id ${name}${' '.repeat(Math.max(1, 14 - name.length))}# after this wizard: installs the key, through the jump hosts too`,
    "Continuing with ssh's default keys.",
  ].join('\n');
}

function commaList(value: string | string[] | undefined): string[] {
  return listOf(value)
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
}

function listOf(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

function stripEmpty(input: ProfileInput): ProfileInput {
  return Object.fromEntries(
    Object.entries(input).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0)),
  ) as ProfileInput;
}

/** The answers, plus what only flags set (mounts, QOS, directives) carried over from a stored profile. */
function finalInput(w: WizardState): ProfileInput {
  const a: ProfileInput = { ...w.answers };
  if (a.launcher !== 'plain') {
    a.qos = w.flags.qos ?? w.defaults.qos;
    a.directive = w.flags.directive ?? w.defaults.directive;
  } else {
    a.qos = w.flags.qos;
    a.directive = w.flags.directive;
  }
  return stripEmpty(a);
}

/** Wraps a prompter so that whatever it throws on Ctrl+C becomes CancelledError (exit 130). */
function guardCancel(p: Prompter): Prompter {
  const cancel = (error: unknown): never => {
    throw isPromptCancel(error) ? new CancelledError() : error;
  };
  return {
    input: (q) => p.input(q).catch(cancel),
    confirm: (q) => p.confirm(q).catch(cancel),
    select: (q) => p.select(q).catch(cancel),
  };
}

export function summarize(p: Profile, w: Pick<WizardState, 'ctx' | 'options' | 'paths'>): string {
  const c = colors(w.ctx);
  const rc = resolvePaths(w.ctx, { sshConfig: w.options.sshConfig, rc: w.options.rc, shell: p.shell }).rc;
  const s = p.scheduler;
  const job = [s.partition && `partition ${s.partition}`, s.time && `time ${s.time}`, s.account && `account ${s.account}`, s.cpus && `${s.cpus} CPUs`, s.mem && `mem ${s.mem}`, s.gpus && `GPUs ${s.gpus}`]
    .filter(Boolean)
    .join(', ');
  const rows: [string, string][] = [
    ['target', `ssh ${p.name} = ${p.user ? p.user + '@' : ''}${p.host}:${p.port ?? 22}${p.jump.length ? ' via ' + p.jump.map(formatHop).join(' -> ') : ''}`],
    ['key', p.identity ?? "ssh's defaults"],
    ['launcher', p.launcher === 'plain' ? 'plain, on the host' : `${p.launcher.toUpperCase()} job${job ? ` (${job})` : " (the site's defaults)"}`],
    ['container', p.container.kind === 'none' ? 'none' : `${p.container.kind} ${p.container.image}${p.container.gpus ? ', with GPUs' : ''}`],
    ['environment', p.env.length ? p.env.map((e) => `${e.kind}:${e.value}`).join(', ') : 'none'],
    ['jupyter', `${p.app}, remote port ${p.remotePort} -> local port ${p.localPort}${p.notebookDir ? `, in ${p.notebookDir}` : ''}`],
    ['functions', `${tildify(rc, w.paths.home)} (${p.shell})`],
  ];
  return [c.bold('Summary'), ...rows.map(([k, v]) => `  ${k.padEnd(11)} ${v}`)].join('\n');
}

// ---------------------------------------------------------------- connection test

/** The arguments of the connection test; -F only when the config is not the one ssh reads anyway. */
export function buildTestArgs(name: string, sshConfig: string): string[] {
  return [...configArgs(sshConfig), '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10', '--', name, 'true'];
}

/** The same test for jump host `index` alone, through the hops before it. */
export function buildHopTestArgs(jump: Hop[], index: number, sshConfig: string): string[] {
  const hop = jump[index]!;
  const before = jump.slice(0, index);
  return [
    ...configArgs(sshConfig),
    '-o',
    'BatchMode=yes',
    '-o',
    'ConnectTimeout=10',
    ...(before.length ? ['-J', before.map(formatHop).join(',')] : []),
    ...(hop.user ? ['-l', hop.user] : []),
    ...(hop.port ? ['-p', String(hop.port)] : []),
    '--',
    hop.host,
    'true',
  ];
}

function configArgs(sshConfig: string): string[] {
  return sshConfig === join(userInfo().homedir, '.ssh', 'config') ? [] : ['-F', sshConfig];
}

/** A ProxyJump that failed somewhere on the way: ssh says only that the proxy closed. */
function failedInsideJump(result: RunResult): boolean {
  return /Connection closed by UNKNOWN port 65535|kex_exchange_identification|stdio forwarding failed/.test(result.stderr);
}

async function testConnection(profile: Profile, paths: Paths, w: WizardState): Promise<boolean> {
  const c = colors(w.ctx);
  const args = buildTestArgs(profile.name, paths.sshConfig);
  w.ctx.stdout.write(`Running: ssh ${args.join(' ')}\n`);
  const result = await runProcess('ssh', args, { timeoutMs: 15000 + 10000 * profile.jump.length });
  if (result.exitCode === 0) {
    w.ctx.stdout.write(c.green(`ssh ${profile.name} works.`) + '\n');
    return true;
  }
  w.ctx.stdout.write(c.red(`ssh ${profile.name} failed.`) + '\n');
  const hostNames = new Map(w.aliases.map((a) => [a.alias, a.hostName ?? a.alias]));
  const explain = (r: RunResult) => explainSshFailure(r, profile, hostNames).join('\n') + '\n';
  if (!profile.jump.length || !failedInsideJump(result)) {
    w.ctx.stdout.write(explain(result));
    return false;
  }
  // The error of a jump host stays inside the ProxyJump; find the first hop that fails by itself.
  for (let i = 0; i < profile.jump.length; i++) {
    const hop = profile.jump[i]!;
    const hopArgs = buildHopTestArgs(profile.jump, i, paths.sshConfig);
    w.ctx.stdout.write(`Checking the jump host ${formatHop(hop)}: ssh ${hopArgs.join(' ')}\n`);
    const r = await runProcess('ssh', hopArgs, { timeoutMs: 15000 + 10000 * i });
    if (r.exitCode === 0) continue;
    if (i > 0 && failedInsideJump(r)) {
      const prev = formatHop(profile.jump[i - 1]!);
      w.ctx.stdout.write(`The jump host ${prev} answers, but could not connect on to ${formatHop(hop)}: check that name and port as seen from ${prev}.\n`);
    } else w.ctx.stdout.write(explain(r));
    return false;
  }
  const last = formatHop(profile.jump[profile.jump.length - 1]!);
  w.ctx.stdout.write(`Every jump host answers, but ${last} could not connect on to ${profile.host} port ${profile.port ?? 22}: check that address and port as seen from ${last}.\n`);
  return false;
}

