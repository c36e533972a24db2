/**
 * What we learned about a target's remote by logging in: its home, and the
 * absolute path of the Unix socket its Jupyter listens on. Our `NAME-tunnel`
 * Host block needs that path (ssh forwards to a socket by absolute path only),
 * which the remote knows and this machine does not until it asks.
 */
import type { Profile } from './profile-types.js';
import { bindOf } from './profile.js';

export interface RemoteFacts {
  /** $HOME on the remote. */
  home?: string;
  /** The socket the remote's launch script uses (start's reply), or the one it will use (from home). */
  socket?: string;
}

/** The longest Unix socket path Linux takes (108 bytes with the NUL), as jss_sock_path in the launch script. */
const SOCKET_MAX = 107;

/** A path an ssh config line and a forward spec carry as it is: absolute, short enough, no space or ":". */
export function isForwardableSocket(path: string | undefined): path is string {
  return path !== undefined && path.length <= SOCKET_MAX && /^\/[A-Za-z0-9._/-]+$/.test(path) && !path.split('/').includes('..');
}

/**
 * Whether a socket path learned earlier is one this profile's launch script
 * makes (a profile changed since from plain to a container, or renamed, has
 * another): a stale path is not written into `NAME-tunnel`.
 */
export function socketFitsProfile(profile: Pick<Profile, 'name' | 'container'>, socket: string): boolean {
  if (profile.container.kind !== 'none') return socket.endsWith(`/.jupyter-ssh-setup/${profile.name}/container/jupyter.sock`);
  return socket.endsWith(`/.jupyter-ssh-setup/${profile.name}/jupyter.sock`) || socket.endsWith(`/${profile.name}-jupyter.sock`);
}

/** What the remote's environment gives the launch script to choose its socket path from. */
export interface SocketEnv {
  home: string;
  xdgRuntimeDir?: string;
  uid?: number;
}

/**
 * The socket the launch script will choose (jss_sock_path in
 * templates/partials/unix-socket.sh.ejs, jss_ctr_choose_bind for a
 * docker/podman container): `~/.jupyter-ssh-setup/NAME/jupyter.sock`, or when
 * that path is too long or has characters a forward spec cannot carry,
 * `$XDG_RUNTIME_DIR/jupyter-ssh-setup/NAME-jupyter.sock`, then
 * `/tmp/jss-UID/NAME-jupyter.sock`. Undefined for a target that does not
 * listen on a socket of ours, or when no candidate fits. The first start's
 * reply names the path really used; it replaces this guess.
 */
export function predictSocketPath(profile: Pick<Profile, 'name' | 'bind' | 'launcher' | 'container'>, env: SocketEnv): string | undefined {
  if (bindOf(profile) !== 'socket') return undefined;
  const dir = `${env.home.replace(/\/+$/, '')}/.jupyter-ssh-setup/${profile.name}`;
  if (profile.container.kind !== 'none') {
    // The container's socket has no fallback: start uses TCP when this one does not fit.
    const path = `${dir}/container/jupyter.sock`;
    return path.length - 'jupyter.sock'.length - 1 <= 94 && isForwardableSocket(path) ? path : undefined;
  }
  const candidates = [`${dir}/jupyter.sock`];
  if (env.xdgRuntimeDir) candidates.push(`${env.xdgRuntimeDir}/jupyter-ssh-setup/${profile.name}-jupyter.sock`);
  if (env.uid !== undefined) candidates.push(`/tmp/jss-${env.uid}/${profile.name}-jupyter.sock`);
  return candidates.find(isForwardableSocket);
}

/** Why a socket target has no `NAME-tunnel` alias yet, for setup's output and doctor. */
export function missingTunnelReason(name: string): string {
  return `ssh ${name}-tunnel comes once the path of Jupyter's socket on ${name} is known: the first jupyter-ssh-setup start ${name} learns it and adds that alias`;
}
