/** What a profile is: its fields, their allowed values, and the raw input it is made from. */

export const LAUNCHERS = ['plain', 'slurm', 'pbs', 'sge', 'lsf'] as const;
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

/** Batch scheduler settings (slurm/pbs/sge/lsf). Unset fields are left to the site's defaults. */
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
  /**
   * How Jupyter listens on the remote: `socket` (a 0600 Unix socket in the 0700
   * state directory, where that Jupyter supports it, else TCP) or `tcp`
   * (127.0.0.1:remotePort). Absent means socket.
   */
  bind?: Bind;
  /**
   * How long the shared login stays up after its last use (ssh's ControlPersist:
   * `4h`, `10m`, `no`). Absent means DEFAULT_PERSIST.
   */
  persist?: string;
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
  persist?: string;
  bind?: string;
}

export const BINDS = ['socket', 'tcp'] as const;
export type Bind = (typeof BINDS)[number];

export const DEFAULT_PORT = 8888;
/** One login per hop per working day: the shared connection outlives 4 idle hours. */
export const DEFAULT_PERSIST = '4h';
