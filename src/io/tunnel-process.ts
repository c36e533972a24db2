import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Context } from '../context.js';
import type { Paths } from '../core/plan.js';
import { buildAutosshArgs, buildTunnelProcessArgs } from '../core/ssh-args.js';
import { runProcess, startProcess } from './ssh.js';
import { isLocalPortOpen, sshConfigArgs } from './remote.js';
import { ensureDir } from './files.js';

/**
 * A tunnel that is a process of its own rather than a forward of the shared
 * connection: an autossh-supervised ssh (--reconnect: it re-authenticates after
 * a drop, which a forward of the shared connection cannot outlive), or a plain
 * `ssh -N -L` where ssh has no connection sharing (Windows). Its pid is kept in
 * one file, and stop acts on it only while it is still an ssh or autossh.
 */
export function tunnelPidPath(paths: Paths, name: string): string {
  return join(paths.configDir, 'state', `${name}.tunnel.pid`);
}

export async function hasTunnelProcess(paths: Paths, name: string): Promise<boolean> {
  return readFile(tunnelPidPath(paths, name), 'utf8').then(
    () => true,
    () => false,
  );
}

export async function hasAutossh(): Promise<boolean> {
  const r = await runProcess('sh', ['-c', 'command -v autossh'], { timeoutMs: 5000 });
  return r.exitCode === 0;
}

async function waitForListener(localPort: number, alive: () => boolean): Promise<boolean> {
  const deadline = Date.now() + 20_000;
  let delay = 20;
  while (Date.now() < deadline && alive()) {
    if (await isLocalPortOpen(localPort, 500)) return true;
    await new Promise((res) => setTimeout(res, delay));
    delay = Math.min(delay * 2, 250);
  }
  return isLocalPortOpen(localPort, 500);
}

/** Starts the tunnel process in the background and waits until the local end listens. */
export async function startTunnelProcess(paths: Paths, name: string, spec: string, localPort: number, ctx: Context, supervised: boolean): Promise<boolean> {
  await ensureDir(join(paths.configDir, 'state'), 0o700);
  await stopTunnelProcess(paths, name);
  const pidFile = tunnelPidPath(paths, name);
  if (supervised) {
    const args = [...sshConfigArgs(ctx.env), ...buildAutosshArgs(name, spec)];
    if (ctx.verbose) ctx.stderr.write(`$ AUTOSSH_GATETIME=0 autossh ${args.join(' ')}\n`);
    const r = await runProcess('autossh', args, { timeoutMs: 30_000, env: { ...ctx.env, AUTOSSH_GATETIME: '0', AUTOSSH_PIDFILE: pidFile } });
    return r.exitCode === 0 && waitForListener(localPort, () => true);
  }
  const args = [...sshConfigArgs(ctx.env), ...buildTunnelProcessArgs(name, spec)];
  if (ctx.verbose) ctx.stderr.write(`$ ssh ${args.join(' ')}\n`);
  const child = startProcess('ssh', args, { detached: true, stdio: 'ignore', env: ctx.env });
  let exited = false;
  child.once('exit', () => (exited = true));
  child.once('error', () => (exited = true));
  if (child.pid === undefined) return false;
  await writeFile(pidFile, `${child.pid}\n`, { mode: 0o600 });
  child.unref();
  const ok = await waitForListener(localPort, () => !exited);
  if (!ok) await stopTunnelProcess(paths, name);
  return ok;
}

/** Stops our tunnel process, only if the pid file still names an ssh or autossh. */
export async function stopTunnelProcess(paths: Paths, name: string): Promise<boolean> {
  const path = tunnelPidPath(paths, name);
  let pid: number;
  try {
    pid = Number((await readFile(path, 'utf8')).trim());
  } catch {
    return false;
  }
  let stopped = false;
  if (Number.isInteger(pid) && pid > 1) {
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(async () => (await runProcess('ps', ['-p', String(pid), '-o', 'args='])).stdout);
    if (/(^|\/|\0)(auto)?ssh\b/.test(cmd)) {
      try {
        process.kill(pid, 'SIGTERM');
        stopped = true;
      } catch {
        // already gone
      }
    }
  }
  await rm(path, { force: true });
  return stopped;
}
