import type { Profile } from './profile-types.js';
import { bindOf } from './profile.js';
import { BATCH_BIND, type StatusRow } from './notebook.js';

/** What the launch script's `check` reply says about sockets there (see partials/unix-socket.sh.ejs). */
export interface BindFacts {
  bind?: unknown;
  scheduler?: unknown;
  sockSupported?: unknown;
  sockLs?: unknown;
  sockPrivate?: unknown;
}

/**
 * The bind mode, from the launch script's `check` reply: a socket that Jupyter
 * there cannot make (start falls back to tcp), and the running socket's mode
 * and owner, which must be 0600 and ours.
 */
export function judgeBind(profile: Pick<Profile, 'name' | 'host' | 'app' | 'bind' | 'remotePort' | 'launcher' | 'container'>, reply: BindFacts): { ok: boolean; detail: string; hint?: string } {
  if (reply.scheduler) return { ok: true, detail: `${BATCH_BIND}: a batch job listens on its node's address, which the login node forwards to` };
  if (bindOf(profile) === 'tcp') return { ok: true, detail: `tcp (127.0.0.1:${profile.remotePort}): every user of ${profile.host} can connect; the token guards it (setup --bind socket makes it yours only)` };
  if (reply.sockSupported === false) return { ok: true, detail: `socket asked, but jupyter ${profile.app} there cannot listen on a Unix socket: start falls back to tcp` };
  if (reply.sockLs === undefined) return { ok: true, detail: 'socket (0600 in ~/.jupyter-ssh-setup, made when Jupyter starts)' };
  if (reply.sockPrivate === true) return { ok: true, detail: `socket, ${String(reply.sockLs)} (mode 0600, owned by you)` };
  return {
    ok: false,
    detail: `the socket of the running Jupyter is "${String(reply.sockLs) || 'missing'}", not a socket of mode 0600 owned by you`,
    hint: `Restart it: jupyter-ssh-setup stop ${profile.name} && jupyter-ssh-setup start ${profile.name}.`,
  };
}

/** How a running Jupyter listens, for the line under the table. */
export function describeBind(r: Pick<StatusRow, 'bind' | 'socket' | 'remotePort'>): string {
  if (r.bind === 'socket') return `listens on the Unix socket ${r.socket} (0600: only you can connect)`;
  if (r.bind === 'tcp') return `listens on TCP 127.0.0.1:${r.remotePort} (every local user can connect; the token guards it)`;
  return `listens on ${r.bind}`;
}
