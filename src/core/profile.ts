import { ValidationError } from '../errors.js';
import { APPS, BINDS, CONTAINERS, DEFAULT_PERSIST, DEFAULT_PORT, LAUNCHERS, SHELLS, type Bind, type Profile, type ProfileInput, type SchedulerSettings } from './profile-types.js';
import { checkLength, checkPrintable, commaList, formatHop, list, oneOf, parseEnvSpec, parseHop, schedulerWord, validateHost, validateName, validatePath, validatePort, validateUser } from './fields.js';

// The profile's types and its field validators live in modules of their own; most callers want them from here.
export * from './profile-types.js';
export { validateName, validateHost, validateUser, validatePort, parseHop, formatHop, parseEnvSpec } from './fields.js';

/**
 * Turns raw answers into a Profile, or throws a ValidationError naming the
 * first bad field. Pure: no file or network access (existence checks are the
 * caller's, see checkAgainstSystem in commands/setup.ts).
 */
/**
 * --persist: `no`, or an ssh time like `10m`, `4h`, `1h30m`, `90` (seconds).
 * `yes`/`0` (forever) is refused: a login that never ends outlives a laptop's
 * network and a site's session policy.
 */
export function validatePersist(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  checkPrintable('--persist', value);
  const v = value.trim().toLowerCase();
  if (v === 'no') return 'no';
  if (/^([0-9]+[smhdw]?)+$/.test(v) && /[1-9]/.test(v) && v.length <= 16) return v;
  throw new ValidationError('--persist', value, 'how long the login stays up after its last use: a time like 10m, 4h or 1h30m, or no');
}

/** The profile's persistence, for ControlPersist: DEFAULT_PERSIST when unset. */
export function persistOf(profile: Pick<Profile, 'persist'>): string {
  return profile.persist ?? DEFAULT_PERSIST;
}

/** The launchers without a QOS, as the message names them. */
const NO_QOS: Partial<Record<Profile['launcher'], [name: string, example: string]>> = { sge: ['Grid Engine (--launcher sge)', ''], lsf: ['LSF (--launcher lsf)', ' (a service class: --directive="-sla NAME")'] };

export function validateProfile(input: ProfileInput): Profile {
  const name = validateName(input.name);
  const host = validateHost(input.host);
  const user = validateUser(input.user);
  const port = validatePort(input.port, '--port');
  const identity = validatePath(input.identity, '--identity', true);
  const jump = commaList(input.jump).map((hop) => parseHop(hop));
  const launcher = oneOf(input.launcher, LAUNCHERS, '--launcher', 'plain');
  const kind = oneOf(input.container, CONTAINERS, '--container', 'none');
  let image: string | undefined;
  if (kind !== 'none') {
    if (input.image === undefined || input.image === '') {
      throw new ValidationError('--image', input.image, `an image is required with --container ${kind}, e.g. --image ${kind === 'apptainer' ? '~/images/jupyter.sif' : 'quay.io/jupyter/base-notebook'}`);
    }
    image = schedulerWord(input.image, '--image', /^(~\/)?[A-Za-z0-9_./][A-Za-z0-9_.:@/+-]*$/, 'an image reference like registry/name:tag or a path to a .sif file');
  } else if (input.image) {
    throw new ValidationError('--image', input.image, '--image needs --container docker, podman or apptainer');
  }
  const mounts = list(input.mount).map((m) => {
    checkPrintable('--mount', m);
    checkLength('--mount', m, 1024);
    if (m.startsWith('-') || m === '') throw new ValidationError('--mount', m, 'SRC:DST[:ro] or a docker --mount spec');
    return m;
  });
  const env = list(input.env).map((spec) => parseEnvSpec(spec));
  const app = oneOf(input.app, APPS, '--app', 'lab');
  let remotePort: number | 'auto';
  if (input.remotePort === 'auto') remotePort = 'auto';
  else {
    const given = validatePort(input.remotePort, '--remote-port');
    remotePort = given ?? (launcher === 'plain' ? DEFAULT_PORT : 'auto');
    if (input.remotePort !== undefined && given === undefined) throw new ValidationError('--remote-port', input.remotePort, 'a port number from 1 to 65535, or auto');
  }
  const localPort = validatePort(input.localPort, '--local-port') ?? (remotePort === 'auto' ? DEFAULT_PORT : remotePort);
  const notebookDir = validatePath(input.notebookDir, '--notebook-dir');
  const shell = oneOf(input.shell, SHELLS, '--shell', 'bash');
  const cpusText = input.cpus === undefined || input.cpus === '' ? undefined : String(input.cpus);
  if (cpusText !== undefined && !/^[1-9][0-9]{0,4}$/.test(cpusText)) throw new ValidationError('--cpus', input.cpus, 'a whole number of CPUs, 1 or more');
  const scheduler: SchedulerSettings = {
    partition: schedulerWord(input.partition, '--partition', /^[A-Za-z0-9_][A-Za-z0-9_.,-]*$/, 'partition names (letters, digits, "_", "-", "."), comma-separated'),
    time: schedulerWord(input.time, '--time', /^[0-9][0-9:-]*$/, 'a time limit like 2:00:00, 90 or 1-00:00:00'),
    account: schedulerWord(input.account, '--account', /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/, 'an account name (letters, digits, "_", "-", ".")'),
    mem: schedulerWord(input.mem, '--mem', /^[0-9]+[KMGT]?B?$/i, 'a memory size like 16G or 4000M'),
    cpus: cpusText === undefined ? undefined : Number(cpusText),
    gpus: schedulerWord(input.gpus, '--gpus', /^([A-Za-z0-9_-]+:)?[0-9]+$|^gpu(:[A-Za-z0-9_-]+)?:[0-9]+$/, 'a GPU count like 1, or TYPE:COUNT like a100:2'),
    qos: schedulerWord(input.qos, '--qos', /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/, 'a QOS name'),
    directives: list(input.directive).map((d) => {
      checkPrintable('--directive', d);
      checkLength('--directive', d, 1024);
      return d.trim();
    }),
  };
  // Grid Engine and LSF have no QOS: refuse it rather than leave it out silently.
  const noQos = NO_QOS[launcher];
  if (noQos && scheduler.qos !== undefined) throw new ValidationError('--qos', scheduler.qos, `${noQos[0]} has no QOS; leave --qos out, or give the site's option with --directive${noQos[1]}`);
  for (const key of Object.keys(scheduler) as (keyof SchedulerSettings)[]) {
    if (scheduler[key] === undefined) delete scheduler[key];
  }
  const profile: Profile = {
    version: 1,
    name,
    host,
    ...(user ? { user } : {}),
    ...(port ? { port } : {}),
    ...(identity ? { identity } : {}),
    jump,
    launcher,
    container: { kind, ...(image ? { image } : {}), mounts, gpus: Boolean(input.containerGpus) },
    env,
    app,
    remotePort,
    localPort,
    ...(notebookDir ? { notebookDir } : {}),
    shell,
    scheduler,
    ...(input.reconnect ? { reconnect: true } : {}),
  };
  // Stored only when it is not the default, so older profiles read the same.
  if (oneOf(input.bind, BINDS, '--bind', 'socket') === 'tcp') profile.bind = 'tcp';
  const persist = validatePersist(input.persist === undefined ? undefined : String(input.persist));
  if (persist !== undefined && persist !== DEFAULT_PERSIST) profile.persist = persist;
  return profile;
}

/**
 * How Jupyter listens on the remote, as configured (the remote may still fall
 * back to tcp). A docker/podman container's socket is in a bind-mounted
 * directory of ours. Apptainer and batch jobs listen on TCP for now: a job's
 * node is reached through the login node by address.
 */
export function bindOf(profile: Pick<Profile, 'bind' | 'launcher' | 'container'>): Bind {
  if (profile.launcher !== 'plain' || profile.container.kind === 'apptainer') return 'tcp';
  return profile.bind ?? 'socket';
}

/** Turns a stored profile back into answers, for re-running setup with changes. */
export function profileToInput(profile: Profile): ProfileInput {
  const s = profile.scheduler;
  return {
    name: profile.name,
    host: profile.host,
    user: profile.user,
    port: profile.port,
    identity: profile.identity,
    jump: profile.jump.map(formatHop),
    launcher: profile.launcher,
    container: profile.container.kind,
    image: profile.container.image,
    mount: profile.container.mounts,
    containerGpus: profile.container.gpus,
    env: profile.env.map((e) => `${e.kind}:${e.value}`),
    app: profile.app,
    remotePort: profile.remotePort,
    localPort: profile.localPort,
    notebookDir: profile.notebookDir,
    shell: profile.shell,
    partition: s.partition,
    time: s.time,
    account: s.account,
    mem: s.mem,
    cpus: s.cpus,
    gpus: s.gpus,
    qos: s.qos,
    directive: s.directives,
    reconnect: profile.reconnect,
    persist: profile.persist,
    bind: profile.bind,
  };
}
