import type { Hop } from './profile.js';
import { formatHop } from './profile.js';
import { buildRemoteCommand, controlPath, type RemoteAction } from './remote.js';

/**
 * Argument arrays for every ssh we run. Pure: tests compare them as data,
 * `--verbose` prints them. The destination always follows `--`, so no value
 * can become an ssh option.
 */

/** Options that make every step of one command share a single connection. */
export function sharedConnectionOptions(name: string, persist: boolean): string[] {
  return [
    '-o', 'ControlMaster=auto',
    '-o', `ControlPersist=${persist ? 'yes' : 'no'}`,
    '-o', `ControlPath=${controlPath(name)}`,
    '-o', 'ConnectTimeout=15',
  ];
}

/** ssh NAME <launch-script action>; `start` also installs the script from stdin. */
export function buildRemoteActionArgs(name: string, action: RemoteAction, persist = true): string[] {
  return [...sharedConnectionOptions(name, persist), '--', name, buildRemoteCommand(name, action)];
}

/** Control commands to the shared connection: -O check | exit | forward | cancel. */
export function buildControlArgs(name: string, op: 'check' | 'exit' | 'forward' | 'cancel', forward?: string): string[] {
  return [
    '-o', 'ControlMaster=no',
    '-o', `ControlPath=${controlPath(name)}`,
    '-O', op,
    ...(forward ? ['-L', forward] : []),
    '--', name,
  ];
}

export function forwardSpec(localPort: number, remoteHost: string, remotePort: number): string {
  const host = remoteHost.includes(':') ? `[${remoteHost}]` : remoteHost;
  return `127.0.0.1:${localPort}:${host}:${remotePort}`;
}

/** A non-interactive probe of one hop, through the hops before it (doctor). */
export function buildProbeArgs(target: string, before: Hop[], timeoutSeconds: number): string[] {
  return [
    '-o', 'BatchMode=yes',
    '-o', `ConnectTimeout=${timeoutSeconds}`,
    '-o', 'ControlMaster=no',
    '-o', 'ControlPath=none',
    ...(before.length ? ['-J', before.map(formatHop).join(',')] : []),
    '--', target, 'true',
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

/** Hides tokens in a command line shown to the user. */
export function maskSecrets(text: string): string {
  return text.replace(/(token[=: "]+)[0-9a-f]{16,}/gi, '$1****');
}
