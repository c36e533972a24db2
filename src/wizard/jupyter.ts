/** Which Jupyter, where it opens, and its ports on the remote and here. */
import { validateProfile, validatePort, DEFAULT_PORT } from '../core/profile.js';
import { messageOf, probe } from './answers.js';
import type { Asking } from './state.js';

const APP_CHOICES = [
  { name: 'JupyterLab', value: 'lab', description: 'jupyter lab' },
  { name: 'Jupyter Notebook', value: 'notebook', description: 'jupyter notebook (the classic interface, version 7)' },
  { name: 'Jupyter Server only', value: 'server', description: 'jupyter server, e.g. for VS Code or another client' },
];

export async function askApp(w: Asking): Promise<void> {
  w.answers.app = w.flags.app ?? (await w.prompter.select({ message: 'Which Jupyter?', choices: APP_CHOICES, default: w.defaults.app ?? 'lab' }));
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

export async function askRemotePort(w: Asking): Promise<void> {
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

export async function askLocalPort(w: Asking): Promise<void> {
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
