import type { Profile } from './profile.js';

/**
 * The commands that run on the remote, as the single string ssh hands to the
 * remote login shell. Each is `exec /bin/sh -c '...'` so that bash, zsh, sh
 * and even fish run the same POSIX code, and none reads an rc file. The
 * profile name is the only value inside, and it is validated to be one safe
 * word (letters, digits, ".", "_", "-").
 */
export type RemoteAction = 'start' | 'stop' | 'status' | 'check';

export function remoteStateDir(name: string): string {
  return `$HOME/.jupyter-ssh-setup/${name}`;
}

/**
 * `start` and `check` ship the launch script on stdin, install it and run it,
 * all in one round trip; `stop` and `status` run the installed script.
 */
export function buildRemoteCommand(name: string, action: RemoteAction): string {
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new Error(`unsafe profile name ${JSON.stringify(name)}`);
  const dir = remoteStateDir(name);
  const inner =
    action === 'start' || action === 'check'
      ? `umask 077; d=${dir}; mkdir -p "$d" && chmod 700 "$d" && cat >"$d/launch.sh.new.$$" && mv -f "$d/launch.sh.new.$$" "$d/launch.sh" && exec /bin/sh "$d/launch.sh" ${action}`
      : `f=${dir}/launch.sh; if [ -r "$f" ]; then exec /bin/sh "$f" ${action}; else echo "{\\"ok\\":true,\\"name\\":\\"${name}\\",\\"running\\":false}"; fi`;
  return `exec /bin/sh -c '${inner}'`;
}

/**
 * A remote command run with extra environment variables: `exec env K=V ...`
 * (env, not an assignment, so that any login shell runs it, csh and fish too).
 * Names and values are ours, never the user's: one word each, checked here.
 */
export function withRemoteEnv(command: string, vars: Record<string, string | number>): string {
  if (!command.startsWith('exec ')) throw new Error('a remote command starts with exec');
  const assignments = Object.entries(vars).map(([k, v]) => {
    if (!/^[A-Z_][A-Z0-9_]*=[A-Za-z0-9._-]*$/.test(`${k}=${v}`)) throw new Error(`unsafe remote environment ${k}=${v}`);
    return `${k}=${v}`;
  });
  return assignments.length ? `exec env ${assignments.join(' ')} ${command.slice('exec '.length)}` : command;
}

/** The URL the user opens: the local end of the tunnel, the app's path, our token. */
export function notebookUrl(localPort: number, profile: Pick<Profile, 'app'>, token: string): string {
  return `http://127.0.0.1:${localPort}${urlPath(profile)}?token=${token}`;
}

/** The path in the browser that each app opens on. */
export function urlPath(profile: Pick<Profile, 'app'>): string {
  return profile.app === 'lab' ? '/lab' : profile.app === 'notebook' ? '/tree' : '/';
}
