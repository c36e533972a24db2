import type { Hop } from './profile.js';
import { formatHop } from './profile.js';
import { buildRemoteCommand, withRemoteEnv, type RemoteAction } from './remote.js';

/**
 * Argument arrays for every ssh we run. Pure: tests compare them as data,
 * `--verbose` prints them. The destination always follows `--`, so no value
 * can become an ssh option.
 */

/**
 * Options of every ssh to a target. Connection sharing itself comes from our
 * Host block (ControlMaster auto, ControlPath ~/.ssh/jss-%C, ControlPersist),
 * not from here: so a connection the user's own `ssh NAME` opened is the one
 * we use, and the one we open is the one their next `ssh NAME` uses.
 */
export function sharedConnectionOptions(): string[] {
  return ['-o', 'ConnectTimeout=15'];
}

/**
 * ssh NAME <launch-script action>; `start` also installs the script from stdin.
 * `newToken` (start --new-token): the launch script replaces the target's
 * kept token (and stops a Jupyter that runs with the old one) before it starts.
 */
export function buildRemoteActionArgs(name: string, action: RemoteAction, options: { newToken?: boolean } = {}): string[] {
  const command = buildRemoteCommand(name, action);
  return [...sharedConnectionOptions(), '--', name, options.newToken ? withRemoteEnv(command, { JSS_NEW_TOKEN: 1 }) : command];
}

/** ssh NAME true: opens the shared connection (or checks that it carries). */
export function buildLoginArgs(name: string): string[] {
  return [...sharedConnectionOptions(), '--', name, 'true'];
}

/**
 * Control commands to the shared connection: -O check | exit | forward | cancel.
 * `ControlMaster=no`: with `auto` from the config, `-O` would open a new master.
 */
export function buildControlArgs(name: string, op: 'check' | 'exit' | 'forward' | 'cancel', forward?: string): string[] {
  return [
    '-o', 'ControlMaster=no',
    '-O', op,
    ...(forward ? ['-L', forward] : []),
    '--', name,
  ];
}

/**
 * A probe of a shared connection that needs the far end to answer: a stdio
 * forward to port 1 of the remote's loopback, which sshd refuses at once
 * ("open failed") without starting a shell (a slow rc file is no stale login).
 * `-O check` only asks the local master process, which a laptop that slept or
 * changed network still has, with a TCP connection that leads nowhere.
 * `ControlMaster=no`: the caller probes only a master that `-O check` found.
 */
export function buildMasterProbeArgs(name: string): string[] {
  return ['-o', 'ControlMaster=no', '-o', 'BatchMode=yes', '-W', '127.0.0.1:1', '--', name];
}

/** The pid in `-O check`'s "Master running (pid=N)". */
export function parseMasterPid(stderr: string): number | undefined {
  const m = /Master running \(pid=(\d+)\)/.exec(stderr);
  return m ? Number(m[1]) : undefined;
}

/**
 * ssh's -L spec from our loopback port to HOST:PORT, or to a remote Unix socket
 * when remoteHost is an absolute path (then remotePort is not used).
 */
export function forwardSpec(localPort: number, remoteHost: string, remotePort: number): string {
  if (remoteHost.startsWith('/')) return `127.0.0.1:${localPort}:${remoteHost}`;
  const host = remoteHost.includes(':') ? `[${remoteHost}]` : remoteHost;
  return `127.0.0.1:${localPort}:${host}:${remotePort}`;
}

/**
 * `ssh ... true` that never prompts: of the alias `target`, or of a jump host
 * (a Hop: its user and port as -l and -p, since a destination cannot carry a
 * port) by itself through the hops `before` it. `ownConnection`: never the
 * shared one (doctor proves each hop afresh; the wizard's test may reuse it).
 * Doctor and the wizard's connection test probe with it; the caller puts -F
 * in front when it needs one.
 */
export function buildProbeArgs(target: string | Hop, before: Hop[], timeoutSeconds: number, ownConnection = true): string[] {
  const hop = typeof target === 'string' ? { host: target } : target;
  return [
    '-o', 'BatchMode=yes',
    '-o', `ConnectTimeout=${timeoutSeconds}`,
    ...(ownConnection ? ['-o', 'ControlMaster=no', '-o', 'ControlPath=none'] : []),
    ...(before.length ? ['-J', before.map(formatHop).join(',')] : []),
    ...(hop.user ? ['-l', hop.user] : []),
    ...(hop.port ? ['-p', String(hop.port)] : []),
    '--', hop.host, 'true',
  ];
}

/**
 * --reconnect: autossh supervises an ssh of its own that only forwards. Its
 * keepalives notice a dead link within about 10 s and autossh starts it again.
 */
export function buildAutosshArgs(name: string, forward: string): string[] {
  return [
    '-M', '0', '-f', '-N',
    '-o', 'ServerAliveInterval=5',
    '-o', 'ServerAliveCountMax=2',
    '-o', 'ExitOnForwardFailure=yes',
    '-o', 'ControlMaster=no',
    '-o', 'ControlPath=none',
    '-o', 'BatchMode=yes',
    '-L', forward,
    '--', name,
  ];
}

/**
 * Windows' OpenSSH has no connection sharing (ControlMaster): there, and when
 * JSS_NO_MULTIPLEX=1 says so (the tests use it), every ssh is a connection of
 * its own and the tunnel is an ssh process of its own.
 */
export function canMultiplex(platform: string, env: NodeJS.ProcessEnv): boolean {
  return platform !== 'win32' && env.JSS_NO_MULTIPLEX !== '1';
}

/** The same ssh without connection sharing; null for a control command (-O), which then has nothing to talk to. */
export function withoutMultiplexing(args: string[]): string[] | null {
  if (args.includes('-O')) return null;
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '-o' && /^Control(Master|Path|Persist)=/.test(args[i + 1] ?? '')) {
      i++;
      continue;
    }
    out.push(args[i]!);
  }
  const dd = out.indexOf('--');
  out.splice(dd < 0 ? 0 : dd, 0, '-o', 'ControlMaster=no', '-o', 'ControlPath=none');
  return out;
}

/** A tunnel that is an ssh process of its own (no connection sharing). */
export function buildTunnelProcessArgs(name: string, forward: string): string[] {
  return [
    '-N',
    '-o', 'ExitOnForwardFailure=yes',
    '-o', 'ServerAliveInterval=30',
    '-o', 'ControlMaster=no',
    '-o', 'ControlPath=none',
    '-L', forward,
    '--', name,
  ];
}

/** Hides tokens in a command line shown to the user. */
export function maskSecrets(text: string): string {
  return text.replace(/(token[=: "]+)[0-9a-f]{16,}/gi, '$1****');
}
