import type { Profile } from './profile-types.js';
import { ValidationError } from '../errors.js';
import { forwardSpec, sharedConnectionOptions } from './ssh-args.js';
import { renderTemplate } from './render.js';
import { containerData } from './container.js';

/**
 * The launcher a kernelspec starts (`kernel launch NAME CONNECTION_FILE`), as
 * data: the client's connection file checked, the remote's connection info
 * (ZMQ's ipc transport, sockets in a fresh 0700 directory of ours), the five
 * forwards from the client's loopback ports to those sockets, and the ssh
 * argument arrays. Pure; commands/kernel-launch.ts runs them.
 */

export const PORT_KEYS = ['shell_port', 'iopub_port', 'stdin_port', 'control_port', 'hb_port'] as const;
export type PortKey = (typeof PORT_KEYS)[number];

/** What we use of the connection file a Jupyter client writes for a kernel. */
export interface ConnectionInfo {
  ports: Record<PortKey, number>;
  key: string;
  signatureScheme: string;
  kernelName: string;
}

/** Checks the client's connection file: five loopback TCP ports, a key, its scheme. Throws a ValidationError naming FILE and the field. */
export function parseConnectionFile(text: string, file: string): ConnectionInfo {
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new ValidationError(`connection file ${file}`, text.slice(0, 40), 'a JSON object, as Jupyter writes it');
  }
  const field = (k: string) => `field "${k}" of the connection file ${file}`;
  if ((data.transport ?? 'tcp') !== 'tcp') throw new ValidationError(field('transport'), data.transport, 'tcp (the client connects to 127.0.0.1; the remote side uses ipc)');
  if (!['127.0.0.1', 'localhost', undefined].includes(data.ip as string | undefined)) {
    throw new ValidationError(field('ip'), data.ip, '127.0.0.1 (the forwards listen on loopback only)');
  }
  const ports = {} as Record<PortKey, number>;
  for (const k of PORT_KEYS) {
    const v = data[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 65535) throw new ValidationError(field(k), v, 'a port from 1 to 65535');
    ports[k] = v;
  }
  if (new Set(Object.values(ports)).size !== PORT_KEYS.length) throw new ValidationError(field('shell_port'), Object.values(ports).join(','), 'five different ports');
  if (typeof data.key !== 'string' || [...data.key].some((ch) => ch < ' ')) throw new ValidationError(field('key'), '(not shown)', 'a string without control characters');
  const scheme = data.signature_scheme ?? 'hmac-sha256';
  if (typeof scheme !== 'string' || !/^hmac-[a-z0-9]+$/.test(scheme)) throw new ValidationError(field('signature_scheme'), scheme, 'hmac-sha256 or another hmac-HASH');
  const kernelName = typeof data.kernel_name === 'string' && /^[A-Za-z0-9._-]*$/.test(data.kernel_name) ? data.kernel_name : '';
  return { ports, key: data.key, signatureScheme: scheme, kernelName };
}

/**
 * The kernel's socket directory on the remote: short (pyzmq refuses ipc paths
 * over 107 bytes, macOS 103), fresh per kernel (a second bind silently takes
 * over a path), created with mkdir, which fails when it exists. The random
 * part comes from the caller (12 hex digits).
 */
export function remoteKernelDir(random: string): string {
  if (!/^[0-9a-f]{12}$/.test(random)) throw new Error(`bad random part ${random}`);
  return `/tmp/jss-k-${random}`;
}

/** The remote socket of a port: ipc sockets are named `{ip}-{port}`, our ip is DIR/k. */
export function remoteSocket(dir: string, port: number): string {
  return `${dir}/k-${port}`;
}

/** The connection info the remote kernel reads (one JSON line): ipc, in DIR, the same port numbers as names. */
export function remoteConnectionLine(conn: ConnectionInfo, dir: string): string {
  return JSON.stringify({ ...conn.ports, transport: 'ipc', ip: `${dir}/k`, key: conn.key, signature_scheme: conn.signatureScheme, kernel_name: conn.kernelName }) + '\n';
}

/** The five -L specs: 127.0.0.1:PORT -> DIR/k-PORT. */
export function kernelForwardSpecs(conn: ConnectionInfo, dir: string): string[] {
  return PORT_KEYS.map((k) => forwardSpec(conn.ports[k], remoteSocket(dir, conn.ports[k]), 0));
}

/**
 * Where the kernel runs, as ssh sees it: the target's alias (a plain target), or
 * a batch job's node reached through the target (the login node) with options
 * that give it a shared connection of its own, like our Host blocks do.
 */
export interface KernelHost {
  dest: string;
  options: string[];
}

/** A batch job's node, through the target's shared login: its own shared connection (ControlPath ~/.ssh/jss-%C). */
export function nodeHost(profile: Pick<Profile, 'name' | 'user' | 'identity' | 'persist'>, node: string): KernelHost {
  if (!/^[A-Za-z0-9._:-]+$/.test(node) || node.startsWith('-')) throw new ValidationError('node of the job', node, 'a host name or address');
  return {
    dest: node,
    options: [
      '-o', `ProxyJump=${profile.name}`,
      '-o', 'ControlMaster=auto',
      '-o', 'ControlPath=~/.ssh/jss-%C',
      '-o', `ControlPersist=${profile.persist && profile.persist !== 'no' ? profile.persist : '4h'}`,
      // A compute node's host key is often not in known_hosts, and no one can be asked here.
      '-o', 'StrictHostKeyChecking=accept-new',
      ...(profile.user ? ['-l', profile.user] : []),
      ...(profile.identity ? ['-i', profile.identity] : []),
    ],
  };
}

/** `ssh -O forward|cancel` of several forwards at once, on the shared connection (ControlMaster=no first: -O must not open one). */
export function buildForwardsArgs(host: KernelHost | string, op: 'forward' | 'cancel', specs: string[]): string[] {
  const h = typeof host === 'string' ? { dest: host, options: [] } : host;
  return ['-o', 'ControlMaster=no', ...h.options, '-O', op, ...specs.flatMap((s) => ['-L', s]), '--', h.dest];
}

/**
 * The remote command of the kernel's session: makes DIR (0700, failing when it
 * exists), reads the kernel script from stdin up to a line `#jss-end` (read
 * takes byte by byte, so nothing after it is consumed), and runs it. One
 * round trip; any login shell runs it (exec /bin/sh -c, no rc file).
 */
export function buildKernelRemoteCommand(dir: string): string {
  if (!/^\/tmp\/jss-k-[0-9a-f]{12}$/.test(dir)) throw new Error(`unsafe kernel directory ${dir}`);
  const inner =
    `umask 077; d=${dir}; mkdir -m 700 "$d" || { echo "jss-kernel: cannot create $d" >&2; exit 3; }; ` +
    `while IFS= read -r l && [ "$l" != "#jss-end" ]; do printf "%s\\n" "$l"; done >"$d/kernel.sh" && exec /bin/sh "$d/kernel.sh" "$d"`;
  return `exec /bin/sh -c '${inner}'`;
}

/** The kernel's ssh session over the shared login (already up: BatchMode, no prompt now). */
export function buildKernelSessionArgs(host: KernelHost | string, dir: string): string[] {
  const h = typeof host === 'string' ? { dest: host, options: [] } : host;
  return [...sharedConnectionOptions(), ...h.options, '-T', '-o', 'BatchMode=yes', '--', h.dest, buildKernelRemoteCommand(dir)];
}

/** A SLURM job the kernel runs in, as a step (`srun --jobid --overlap` on its node). */
export interface KernelJob {
  id: string;
  node: string;
}

/** The kernel script (templates/kernel.sh.ejs): for a plain target (in its container, if any), or inside a SLURM job. */
export function renderKernelScript(profile: Profile, job?: KernelJob): string {
  if (job && profile.container.kind !== 'none') throw new Error('a kernel in a container inside a job is not supported');
  const data = { name: profile.name, env: profile.env, notebookDir: profile.notebookDir ?? '', jobId: job?.id ?? '', jobNode: job?.node ?? '' };
  return renderTemplate('kernel.sh.ejs', { ...data, container: containerData(profile) }, 'sh');
}

/** What the session reads on stdin: the script, its end mark, the connection line. The stream then stays open. */
export function kernelSessionInput(script: string, conn: ConnectionInfo, dir: string): string {
  return `${script.endsWith('\n') ? script : script + '\n'}#jss-end\n${remoteConnectionLine(conn, dir)}`;
}

/** The script's "jss-kernel-pid PID NODE" line. */
export function parseKernelPidLine(line: string): { pid: number; node: string } | undefined {
  const m = /^jss-kernel-pid (\d+) (\S+)$/.exec(line.trim());
  return m ? { pid: Number(m[1]), node: m[2]! } : undefined;
}

/**
 * The session runs under a small sh that, once ssh has ended, takes the
 * forwards off the shared connection: so they go even when the launcher itself
 * was killed with -9 (ssh then sees EOF on stdin and the remote ends the kernel).
 * `cancel` is an ssh argument array; no word may hold a line break.
 */
export function buildSessionWrapper(session: string[], cancel: string[]): { file: string; args: string[]; env: Record<string, string> } {
  if (cancel.some((w) => /[\n\0]/.test(w))) throw new Error('an ssh argument with a line break');
  const script = 'ssh "$@"; rc=$?; set -f; IFS=\'\n\'; ssh $JSS_CANCEL >/dev/null 2>&1; exit $rc';
  return { file: 'sh', args: ['-c', script, 'sh', ...session], env: { JSS_CANCEL: cancel.join('\n') } };
}
