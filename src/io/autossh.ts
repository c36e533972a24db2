import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Context } from '../context.js';
import type { Paths } from '../core/plan.js';
import { buildAutosshArgs } from '../core/ssh-args.js';
import { runProcess } from './ssh.js';
import { isLocalPortOpen } from './remote.js';
import { ensureDir } from './files.js';

/**
 * --reconnect: the tunnel is an autossh-supervised ssh of its own (it
 * re-authenticates after a drop, so it cannot be a forward of the shared
 * connection, which dies with the connection).
 */
export function autosshPidPath(paths: Paths, name: string): string {
  return join(paths.configDir, 'state', `${name}.autossh.pid`);
}

export async function hasAutossh(): Promise<boolean> {
  const r = await runProcess('sh', ['-c', 'command -v autossh'], { timeoutMs: 5000 });
  return r.exitCode === 0;
}

/** Starts autossh in the background and waits until the local end listens. */
export async function startAutossh(paths: Paths, name: string, spec: string, localPort: number, ctx: Context): Promise<boolean> {
  await ensureDir(join(paths.configDir, 'state'), 0o700);
  await stopAutossh(paths, name);
  const args = buildAutosshArgs(name, spec);
  if (ctx.verbose) ctx.stderr.write(`$ AUTOSSH_GATETIME=0 autossh ${args.join(' ')}\n`);
  const r = await runProcess('autossh', args, {
    timeoutMs: 30_000,
    env: { ...ctx.env, AUTOSSH_GATETIME: '0', AUTOSSH_PIDFILE: autosshPidPath(paths, name) },
  });
  if (r.exitCode !== 0) return false;
  const deadline = Date.now() + 15_000;
  let delay = 20;
  while (Date.now() < deadline) {
    if (await isLocalPortOpen(localPort, 500)) return true;
    await new Promise((res) => setTimeout(res, delay));
    delay = Math.min(delay * 2, 250);
  }
  return false;
}

/** Stops our autossh, only if the pid file still names an autossh process. */
export async function stopAutossh(paths: Paths, name: string): Promise<boolean> {
  const path = autosshPidPath(paths, name);
  let pid: number;
  try {
    pid = Number((await readFile(path, 'utf8')).trim());
  } catch {
    return false;
  }
  let stopped = false;
  if (Number.isInteger(pid) && pid > 1) {
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(async () => (await runProcess('ps', ['-p', String(pid), '-o', 'args='])).stdout);
    if (/autossh/.test(cmd)) {
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
