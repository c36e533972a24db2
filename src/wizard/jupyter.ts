/** Which Jupyter, where it opens, and its ports on the remote and here. */
import { validateProfile, validatePort, bindOf, DEFAULT_PORT, type App } from '../core/profile.js';
import { canListenOnSocket } from '../core/remote-probe.js';
import { listOf, messageOf, probe, selectFound } from './answers.js';
import type { Asking, AskingRemote, WizardState } from './state.js';

const APP_CHOICES = [
  { name: 'JupyterLab', value: 'lab', description: 'jupyter lab' },
  { name: 'Jupyter Notebook', value: 'notebook', description: 'jupyter notebook (the classic interface, version 7)' },
  { name: 'Jupyter Server only', value: 'server', description: 'jupyter server, e.g. for VS Code or another client' },
];

export async function askApp(w: AskingRemote & Pick<WizardState, 'note'>): Promise<void> {
  if (w.flags.app !== undefined) {
    w.answers.app = w.flags.app;
    const runs = w.remote?.apps;
    if (runs && !runs.some((f) => f.app === w.flags.app) && listOf(w.answers.env).length === 0 && w.answers.container === 'none') {
      w.note(`Note: jupyter ${w.flags.app} did not run on ${w.answers.name} just now${runs.length ? ` (${runs.map((f) => f.app).join(' and ')} did)` : ''}: start fails until it is installed there.`);
    }
    return;
  }
  // What runs there is what the login saw, unless Jupyter comes from an environment or an image.
  const found = w.remote && listOf(w.answers.env).length === 0 && w.answers.container === 'none' ? w.remote.apps : undefined;
  const choices = APP_CHOICES.map((c) => {
    const seen = found?.find((f) => f.app === c.value);
    return seen ? { ...c, name: `${c.name} ${seen.version}`, description: `${c.description} (found on ${w.answers.name})` } : c;
  });
  const stored = w.defaults.app !== undefined && found?.some((f) => f.app === w.defaults.app) ? w.defaults.app : undefined;
  w.answers.app = await selectFound(w, {
    message: 'Which Jupyter?',
    choices,
    // Nothing found that runs: offer every app (it may come with what is activated at start).
    found: found?.length ? found.map((f) => f.app) : undefined,
    default: stored ?? found?.[0]?.app ?? w.defaults.app ?? 'lab',
    where: w.answers.name!,
  });
}

export async function askNotebookDir(w: Asking): Promise<void> {
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

/**
 * A target on a Unix socket has no port there: not asked (the stored or
 * default port is kept for a Jupyter that turns out to have no sockets),
 * unless the login saw that the chosen app is too old for one.
 */
function listensOnSocket(w: AskingRemote): boolean {
  const a = w.answers;
  const bind = w.flags.bind ?? w.defaults.bind;
  if (bindOf({ bind: bind === 'tcp' ? 'tcp' : undefined, launcher: (a.launcher ?? 'plain') as 'plain', container: { kind: (a.container ?? 'none') as 'none', mounts: [], gpus: false } }) !== 'socket') return false;
  const seen = w.remote?.apps.find((f) => f.app === a.app);
  return !(seen && a.container === 'none' && !canListenOnSocket(seen.app as App, seen.version));
}

export async function askRemotePort(w: AskingRemote): Promise<void> {
  if (w.flags.remotePort !== undefined) {
    w.answers.remotePort = w.flags.remotePort;
    return;
  }
  if (listensOnSocket(w)) {
    w.answers.remotePort = w.defaults.remotePort;
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

export async function askLocalPort(w: Asking): Promise<void> {
  if (w.flags.localPort !== undefined) {
    w.answers.localPort = w.flags.localPort;
    return;
  }
  const remote = w.answers.remotePort === undefined ? 'auto' : String(w.answers.remotePort);
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
