import { ValidationError } from '../errors.js';

export const LAUNCHERS = ['plain', 'slurm', 'pbs'] as const;
export const CONTAINERS = ['none', 'docker', 'podman', 'apptainer'] as const;
export const APPS = ['lab', 'notebook', 'server'] as const;
export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export const ENV_KINDS = ['venv', 'conda', 'module', 'cmd'] as const;

export type Launcher = (typeof LAUNCHERS)[number];
export type ContainerKind = (typeof CONTAINERS)[number];
export type App = (typeof APPS)[number];
export type Shell = (typeof SHELLS)[number];
export type EnvKind = (typeof ENV_KINDS)[number];

/** One jump host: an alias, or `[user@]host[:port]`. */
export interface Hop {
  host: string;
  user?: string;
  port?: number;
}

export interface EnvStep {
  kind: EnvKind;
  value: string;
}

/** Batch scheduler settings (slurm/pbs). Unset fields are left to the site's defaults. */
export interface SchedulerSettings {
  partition?: string;
  time?: string;
  account?: string;
  mem?: string;
  cpus?: number;
  gpus?: string;
  qos?: string;
  directives: string[];
}

export interface ContainerSettings {
  kind: ContainerKind;
  image?: string;
  mounts: string[];
  gpus: boolean;
}

/** One validated description of a remote Jupyter target. */
export interface Profile {
  version: 1;
  name: string;
  host: string;
  user?: string;
  port?: number;
  identity?: string;
  jump: Hop[];
  launcher: Launcher;
  container: ContainerSettings;
  env: EnvStep[];
  app: App;
  remotePort: number | 'auto';
  localPort: number;
  notebookDir?: string;
  shell: Shell;
  scheduler: SchedulerSettings;
  /** Keep the tunnel up through drops (autossh). */
  reconnect?: boolean;
  /** The files setup wrote for this profile, so remove finds them again. */
  files?: { sshConfig: string; rc: string };
}

/** The raw answers, as flags or prompts give them: strings, possibly missing. */
export interface ProfileInput {
  name?: string;
  host?: string;
  user?: string;
  port?: string | number;
  identity?: string;
  jump?: string | string[];
  launcher?: string;
  container?: string;
  image?: string;
  mount?: string | string[];
  containerGpus?: boolean;
  env?: string | string[];
  app?: string;
  remotePort?: string | number;
  localPort?: string | number;
  notebookDir?: string;
  shell?: string;
  partition?: string;
  time?: string;
  account?: string;
  mem?: string;
  cpus?: string | number;
  gpus?: string;
  qos?: string;
  directive?: string | string[];
  reconnect?: boolean;
}

export const DEFAULT_PORT = 8888;

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const HOST_RE = /^[A-Za-z0-9_]([A-Za-z0-9._-]{0,252}[A-Za-z0-9_])?$/;
const IPV6_RE = /^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*$/;
const USER_RE = /^[A-Za-z0-9_][A-Za-z0-9._@-]{0,63}$/;

/** Refuses characters that no generated file can carry: newlines, NUL, other controls. */
function checkPrintable(field: string, value: string): void {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what this refuses
  if (/[\0-\x1f\x7f]/.test(value)) {
    throw new ValidationError(field, value, 'newlines, NUL and other control characters are not allowed');
  }
}

function checkLength(field: string, value: string, max: number): void {
  if (value.length > max) throw new ValidationError(field, value, `at most ${max} characters (this one has ${value.length})`);
}

function list(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  const items = Array.isArray(value) ? value : [value];
  return items;
}

function commaList(value: string | string[] | undefined): string[] {
  return list(value)
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

export function validateName(value: string | undefined, field = '--name'): string {
  if (value === undefined || value === '') throw new ValidationError(field, value, 'a name is required, e.g. --name gpu');
  checkPrintable(field, value);
  if (!NAME_RE.test(value)) {
    throw new ValidationError(field, value, 'use one word of letters, digits, ".", "_" or "-", starting with a letter or digit (at most 63)');
  }
  if (value.endsWith('-tunnel')) {
    throw new ValidationError(field, value, 'names ending in "-tunnel" are reserved for the tunnel alias that setup writes');
  }
  return value;
}

export function validateHost(value: string | undefined, field = '--host'): string {
  if (value === undefined || value === '') throw new ValidationError(field, value, 'a hostname or IP address is required, e.g. --host gpu.example.org');
  checkPrintable(field, value);
  if (value.startsWith('-')) throw new ValidationError(field, value, 'a host cannot start with "-" (it would be read as an ssh option)');
  if (HOST_RE.test(value) || IPV6_RE.test(value)) return value;
  throw new ValidationError(field, value, 'a hostname (letters, digits, ".", "-", "_") or an IP address');
}

export function validateUser(value: string | undefined, field = '--user'): string | undefined {
  if (value === undefined || value === '') return undefined;
  checkPrintable(field, value);
  if (!USER_RE.test(value)) throw new ValidationError(field, value, 'a login name of letters, digits, ".", "_", "-" or "@", not starting with "-"');
  return value;
}

export function validatePort(value: string | number | undefined, field: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const text = String(value).trim();
  if (!/^[0-9]{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535) {
    throw new ValidationError(field, value, 'a port number from 1 to 65535');
  }
  return Number(text);
}

/** Paths: shell-quoted wherever they go; one that goes into ssh_config (IdentityFile) cannot hold a double quote. */
function validatePath(value: string | undefined, field: string, inSshConfig = false): string | undefined {
  if (value === undefined || value === '') return undefined;
  checkPrintable(field, value);
  checkLength(field, value, 1024);
  if (inSshConfig && value.includes('"')) throw new ValidationError(field, value, 'a path without double quotes (OpenSSH cannot read one)');
  if (value.startsWith('-')) throw new ValidationError(field, value, 'a path cannot start with "-"; write ./' + value);
  return value;
}

/** Parses one jump hop: an alias or `[user@]host[:port]` (IPv6 as `[addr]:port`). */
export function parseHop(text: string, field = '--jump'): Hop {
  checkPrintable(field, text);
  const at = text.lastIndexOf('@');
  const user = at >= 0 ? text.slice(0, at) : undefined;
  let rest = at >= 0 ? text.slice(at + 1) : text;
  let port: number | undefined;
  const bracket = /^\[([^\]]+)\](?::(.*))?$/.exec(rest);
  if (bracket) {
    rest = bracket[1]!;
    if (bracket[2] !== undefined) port = parsePortOfHop(bracket[2], text, field);
  } else {
    const colon = rest.split(':');
    if (colon.length === 2) {
      rest = colon[0]!;
      port = parsePortOfHop(colon[1]!, text, field);
    } else if (colon.length > 2) {
      throw new ValidationError(field, text, 'a hop is an alias or [user@]host[:port]; write an IPv6 host as [addr]:port');
    }
  }
  if (user !== undefined && !USER_RE.test(user)) {
    throw new ValidationError(field, text, 'a hop is an alias or [user@]host[:port]; the user part is not a valid login name');
  }
  if (rest.startsWith('-') || !(HOST_RE.test(rest) || (bracket && IPV6_RE.test(rest)))) {
    throw new ValidationError(field, text, 'a hop is an alias or [user@]host[:port] (letters, digits, ".", "-", "_")');
  }
  return { host: rest, ...(user ? { user } : {}), ...(port ? { port } : {}) };
}

function parsePortOfHop(text: string, hop: string, field: string): number {
  if (!/^[0-9]{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535) {
    throw new ValidationError(field, hop, 'the port of a hop must be a number from 1 to 65535');
  }
  return Number(text);
}

/** Formats a hop back into the form ProxyJump takes. */
export function formatHop(hop: Hop): string {
  const host = hop.host.includes(':') ? `[${hop.host}]` : hop.host;
  return `${hop.user ? hop.user + '@' : ''}${host}${hop.port ? ':' + hop.port : ''}`;
}

export function parseEnvSpec(text: string, field = '--env'): EnvStep {
  checkPrintable(field, text);
  checkLength(field, text, 4096);
  const colon = text.indexOf(':');
  const kind = colon > 0 ? text.slice(0, colon) : '';
  const value = colon > 0 ? text.slice(colon + 1) : '';
  if (!(ENV_KINDS as readonly string[]).includes(kind) || value === '') {
    throw new ValidationError(field, text, 'one of venv:PATH, conda:NAME, module:NAME or cmd:COMMAND');
  }
  if (kind === 'conda' && !/^[A-Za-z0-9_~./][A-Za-z0-9_.+/~-]*$/.test(value)) {
    throw new ValidationError(field, text, 'a conda environment name or prefix path (letters, digits, ".", "_", "-", "/")');
  }
  if (kind === 'module' && !/^[A-Za-z0-9_][A-Za-z0-9_.+/ -]*$/.test(value)) {
    throw new ValidationError(field, text, 'module names (letters, digits, ".", "_", "-", "+", "/"), several separated by spaces');
  }
  if (kind === 'venv') validatePath(value, field);
  return { kind: kind as EnvKind, value };
}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], field: string, fallback: T): T {
  if (value === undefined || value === '') return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ValidationError(field, value, `one of ${allowed.join(', ')}`);
  }
  return value as T;
}

function schedulerWord(value: string | undefined, field: string, allowed: RegExp, what: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  checkPrintable(field, value);
  checkLength(field, value, 256);
  if (!allowed.test(value)) throw new ValidationError(field, value, what);
  return value;
}

/**
 * Turns raw answers into a Profile, or throws a ValidationError naming the
 * first bad field. Pure: no file or network access (existence checks are the
 * caller's, see validateAgainstSystem in commands/setup).
 */
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
  return profile;
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
  };
}
