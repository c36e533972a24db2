/**
 * What the wizard's login found on the remote (templates/remote-probe.sh.ejs
 * prints it, one fact a line): which Jupyter apps run there and their
 * versions, schedulers, container engines, conda environments, modules, and
 * the home that a socket target's `NAME-tunnel` alias needs.
 */
import type { App, ContainerKind, Launcher } from './profile-types.js';
import type { SocketEnv } from './remote-facts.js';

export interface RemoteProbe extends SocketEnv {
  hostname?: string;
  /** The `jupyter` command on PATH, when there is one. */
  jupyter?: string;
  /** The apps whose `--version` ran, in the order lab, notebook, server. */
  apps: { app: App; version: string }[];
  /** Batch schedulers whose submit command is on PATH. */
  schedulers: Exclude<Launcher, 'plain'>[];
  containers: Exclude<ContainerKind, 'none'>[];
  /** conda environments (names, or prefixes of unnamed ones). */
  conda: string[];
  /** Modules named like jupyter, python or conda (`module -t avail`). */
  modules: string[];
  /** Python venvs with a `jupyter` in the usual places (~/.venv, ~/venvs/*, ...), as ~/PATH. */
  venvs: string[];
}

const APP_ORDER: App[] = ['lab', 'notebook', 'server'];

/**
 * Reads the probe's answer; undefined when it is not there or cut short (no
 * first line, no home, no last line): the wizard then goes on without it.
 * Lines before the first (a login banner) and unknown lines are skipped.
 */
export function parseProbeAnswer(stdout: string): RemoteProbe | undefined {
  const lines = stdout.split('\n').map((l) => l.replace(/\r$/, ''));
  const start = lines.indexOf('jss-probe 1');
  if (start < 0 || !lines.slice(start).includes('jss-probe end')) return undefined;
  const commands = new Set<string>();
  let sgeRoot = false;
  const probe: RemoteProbe = { home: '', apps: [], schedulers: [], containers: [], conda: [], modules: [], venvs: [] };
  const venvs: string[] = [];
  for (const line of lines.slice(start + 1)) {
    const space = line.indexOf(' ');
    const [key, value] = space < 0 ? [line, ''] : [line.slice(0, space), line.slice(space + 1)];
    if (key === 'home') probe.home = value;
    else if (key === 'xdg' && value.startsWith('/')) probe.xdgRuntimeDir = value;
    else if (key === 'uid' && /^\d+$/.test(value)) probe.uid = Number(value);
    else if (key === 'hostname' && value) probe.hostname = value;
    else if (key === 'jupyter' && value) probe.jupyter = value;
    else if (key === 'command') commands.add(value);
    else if (key === 'sge-root') sgeRoot = true;
    else if (key === 'conda' && value && !probe.conda.includes(value)) probe.conda.push(value);
    else if (key === 'venv' && value.startsWith('/')) venvs.push(value);
    else if (key === 'module' && value.trim() && !probe.modules.includes(value.trim())) probe.modules.push(value.trim());
    else if (key === 'app') {
      const m = /^(lab|notebook|server) 0 (\S+)$/.exec(value);
      if (m) probe.apps.push({ app: m[1] as App, version: m[2]! });
    }
  }
  if (!probe.home.startsWith('/')) return undefined;
  // Shown and stored as ~/...: the path --env venv: takes, the same on every machine.
  probe.venvs = venvs.map((v) => (v.startsWith(`${probe.home}/`) ? `~/${v.slice(probe.home.length + 1)}` : v));
  probe.apps.sort((a, b) => APP_ORDER.indexOf(a.app) - APP_ORDER.indexOf(b.app));
  if (commands.has('sbatch')) probe.schedulers.push('slurm');
  // qsub is PBS/Torque's or Grid Engine's (or Slurm's Torque wrapper, next to sbatch).
  if (commands.has('qsub') && (commands.has('qconf') || sgeRoot)) probe.schedulers.push('sge');
  else if (commands.has('qsub') && !commands.has('sbatch')) probe.schedulers.push('pbs');
  if (commands.has('bsub')) probe.schedulers.push('lsf');
  if (commands.has('docker')) probe.containers.push('docker');
  if (commands.has('podman')) probe.containers.push('podman');
  if (commands.has('apptainer') || commands.has('singularity')) probe.containers.push('apptainer');
  return probe;
}

/**
 * Whether that version of the app can listen on a Unix socket (`--sock`):
 * Jupyter Server 1.x and later (JupyterLab 3+ runs on it), Notebook 6.4 and later.
 */
export function canListenOnSocket(app: App, version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map((n) => Number.parseInt(n, 10) || 0);
  if (app === 'server') return major >= 1;
  if (app === 'notebook') return major > 6 || (major === 6 && minor >= 4);
  return major >= 3;
}

/** One line saying what the probe found, for the wizard. */
export function describeProbe(name: string, p: RemoteProbe): string {
  const apps = p.apps.length
    ? `jupyter ${p.apps.map((a) => `${a.app} ${a.version}`).join(', ')}${p.apps.some((a) => a.app === 'lab') ? '' : ' (no JupyterLab)'}`
    : `no jupyter that runs${p.jupyter ? ` (${p.jupyter} is there)` : ''}`;
  const parts = [
    apps,
    p.schedulers.length ? `scheduler ${p.schedulers.map((s) => s.toUpperCase()).join(', ')}` : 'no batch scheduler',
    p.containers.length ? `containers ${p.containers.join(', ')}` : 'no container engine',
    p.conda.length ? `conda environments ${p.conda.join(', ')}` : '',
    p.venvs.length ? `venvs with jupyter ${p.venvs.join(', ')}` : '',
    p.modules.length ? `modules ${p.modules.slice(0, 6).join(', ')}${p.modules.length > 6 ? ', ...' : ''}` : '',
    `home ${p.home}`,
  ].filter(Boolean);
  return `${name}${p.hostname ? ` (${p.hostname})` : ''} has: ${parts.join('; ')}.`;
}
