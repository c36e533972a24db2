import type { ChildProcess } from 'node:child_process';
import { startProcess } from './ssh.js';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { runProcess } from './ssh.js';
import { isLocalPortOpen } from './remote.js';

/**
 * The demo's throwaway "remote": an sshd of the current user's own on
 * 127.0.0.1, with its own host key and authorized key, every file in one
 * directory. No root needed: an unprivileged sshd lets exactly its own user in.
 */
export interface DemoRemote {
  port: number;
  /** The client key that the sshd accepts. */
  keyFile: string;
  /** ssh -F this: known_hosts in the directory, then the generated config. */
  sshConfig: string;
  pid: number;
  stop(): Promise<void>;
}

export interface DemoRemoteOptions {
  dir: string;
  sshd: string;
  /** The HOME and PATH of sessions on the "remote" (sshd's SetEnv). */
  home: string;
  path: string;
  /** The config setup writes, included by `sshConfig`. */
  userSshConfig: string;
  root: boolean;
}

/** A port nothing listens on now (the kernel's pick); sshd may still lose a race for it. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen({ port: 0, host: '127.0.0.1' }, () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function keygen(file: string): Promise<void> {
  const r = await runProcess('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'jupyter-ssh-setup-demo', '-f', file], { timeoutMs: 15_000 });
  if (r.exitCode !== 0) throw new Error(`ssh-keygen failed: ${r.stderr.trim()}`);
}

function sshdConfig(o: DemoRemoteOptions, port: number): string {
  const d = o.dir;
  return [
    '# jupyter-ssh-setup demo: a private sshd for this run only',
    `ListenAddress 127.0.0.1:${port}`,
    `HostKey ${d}/ssh_host_ed25519_key`,
    `PidFile ${d}/sshd.pid`,
    `AuthorizedKeysFile ${d}/authorized_keys`,
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    // Its files live under /tmp, which StrictModes refuses; only this user can log in anyway.
    'StrictModes no',
    // Not the user's own ~/.ssh/rc or ~/.ssh/environment: the session's HOME is the demo's.
    'PermitUserRC no',
    'PermitUserEnvironment no',
    `PermitRootLogin ${o.root ? 'prohibit-password' : 'no'}`,
    'AllowTcpForwarding yes',
    'X11Forwarding no',
    // Sessions see the demo's HOME, so Jupyter's runtime files and the launch script stay in it.
    `SetEnv HOME=${o.home} PATH=${o.path}`,
    'LogLevel VERBOSE',
    '',
  ].join('\n');
}

function clientConfig(o: DemoRemoteOptions): string {
  return [
    '# jupyter-ssh-setup demo: what `ssh -F` reads; options here win over the Include.',
    `UserKnownHostsFile ${o.dir}/known_hosts`,
    'GlobalKnownHostsFile /dev/null',
    'StrictHostKeyChecking yes',
    'UpdateHostKeys no',
    'BatchMode yes',
    `Include ${o.userSshConfig}`,
    '',
  ].join('\n');
}

/** Last lines of the sshd log, for an error message. */
export function sshdLogTail(dir: string, lines = 5): string {
  try {
    return readFileSync(join(dir, 'sshd.log'), 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Creates the keys and configs and starts sshd; tries three ports before giving up. */
export async function startDemoRemote(o: DemoRemoteOptions): Promise<DemoRemote> {
  await keygen(join(o.dir, 'ssh_host_ed25519_key'));
  const keyFile = join(o.dir, 'id_ed25519');
  await keygen(keyFile);
  await writeFile(join(o.dir, 'authorized_keys'), await readFile(`${keyFile}.pub`), { mode: 0o600 });
  const hostKey = (await readFile(join(o.dir, 'ssh_host_ed25519_key.pub'), 'utf8')).split(' ').slice(0, 2).join(' ');
  const sshConfig = join(o.dir, 'ssh_config');
  await writeFile(sshConfig, clientConfig(o), { mode: 0o600 });
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    await writeFile(join(o.dir, 'known_hosts'), `[127.0.0.1]:${port} ${hostKey}\n`, { mode: 0o600 });
    const configFile = join(o.dir, 'sshd_config');
    await writeFile(configFile, sshdConfig(o, port), { mode: 0o600 });
    const log = openSync(join(o.dir, 'sshd.log'), 'a');
    // -D: stays in the foreground as our child; detached: Ctrl+C on the terminal
    // does not reach it, so the demo can still stop Jupyter through it.
    const child = startProcess(o.sshd, ['-D', '-e', '-f', configFile], { detached: true, stdio: ['ignore', 'ignore', log] });
    closeSync(log);
    const ready = await waitForListen(child, port);
    if (ready) return { port, keyFile, sshConfig, pid: child.pid!, stop: () => stopChild(child) };
    await stopChild(child);
  }
  throw new Error(`sshd did not start: ${sshdLogTail(o.dir, 3) || 'no log'}`);
}

async function waitForListen(child: ChildProcess, port: number): Promise<boolean> {
  let exited = child.exitCode !== null;
  child.once('exit', () => (exited = true));
  child.once('error', () => (exited = true));
  const deadline = Date.now() + 10_000;
  while (!exited && Date.now() < deadline) {
    if (await isLocalPortOpen(port, 300)) return true;
    await new Promise((r) => setTimeout(r, 30));
  }
  return false;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * PIDs of this user's processes that belong to the demo: their command line
 * or environment names its directory (sshd -f DIR/..., ssh -F DIR/...,
 * Jupyter and its kernels with HOME=DIR/home). Only /proc (Linux); elsewhere none.
 */
export async function demoProcesses(dir: string): Promise<number[]> {
  const uid = process.getuid?.();
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return [];
  }
  const found: number[] = [];
  for (const name of entries) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const status = await readFile(`/proc/${name}/status`, 'utf8');
      if (/^State:\s+Z/m.test(status)) continue;
      if (uid !== undefined && !new RegExp(`^Uid:\\s+${uid}\\s`, 'm').test(status)) continue;
      const [cmdline, environ] = await Promise.all([readFile(`/proc/${name}/cmdline`, 'utf8'), readFile(`/proc/${name}/environ`, 'utf8').catch(() => '')]);
      if (cmdline.includes(dir) || environ.split('\0').some((v) => v.startsWith('HOME=') && v.includes(dir))) found.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** Ends what is left of the demo: TERM, then KILL after 2 s. Returns how many there were. */
export async function sweepDemoProcesses(dir: string): Promise<number> {
  const pids = await demoProcesses(dir);
  for (const pid of pids) signal(pid, 'SIGTERM');
  const deadline = Date.now() + 2000;
  let left = pids;
  while (left.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    const now = await demoProcesses(dir);
    left = left.filter((p) => now.includes(p));
  }
  for (const pid of left) signal(pid, 'SIGKILL');
  return pids.length;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** Creates a directory inside the demo's directory (0700). */
export async function demoDir(path: string): Promise<string> {
  await mkdir(path, { recursive: true, mode: 0o700 });
  return path;
}
