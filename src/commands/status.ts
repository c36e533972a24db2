import type { ParsedArgs } from '../types.js';
import { hasTunnelProcess } from '../io/tunnel-process.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import type { Paths } from '../core/plan.js';
import type { Profile } from '../core/profile.js';
import { buildRemoteActionArgs } from '../core/ssh-args.js';
import { notebookUrl } from '../core/remote.js';
import { parseReply } from '../core/protocol.js';
import { pickProfile, readProfiles, resolvePaths } from '../io/store.js';
import { isLocalPortOpen, askJupyter } from '../io/remote.js';
import { judgeAnswer } from '../core/jupyter-answer.js';
import { readForwardState } from '../io/tunnel-state.js';
import { printTable } from '../io/table.js';
import { checkMaster, readExtraForwards, sshToTarget } from '../io/connection.js';
import { multiplexing } from '../io/remote.js';
import { persistOf } from '../core/profile.js';
import { describeBind } from '../core/bind.js';
import { describePersist } from '../core/connection.js';
import type { StatusRow } from '../core/notebook.js';
import { colors } from '../io/output.js';
import { listKernelSpecs } from '../io/kernel-specs.js';
import { readKernelRecords } from '../io/kernel-records.js';

export async function run(args: ParsedArgs, ctx: Context): Promise<number> {
  if (args.positionals.length > 1) throw new UsageError('status takes at most one target name', 'e.g. jupyter-ssh-setup status gpu');
  const paths = resolvePaths(ctx);
  const profiles = args.positionals.length ? [await pickProfile(paths, args.positionals[0])] : [...(await readProfiles(paths)).values()];
  const [specs, records] = await Promise.all([listKernelSpecs(ctx), readKernelRecords(paths)]);
  const rows = await Promise.all(
    profiles.map(async (p) => {
      const [row, forwards] = await Promise.all([statusOf(p, paths, ctx), readExtraForwards(paths, p.name)]);
      const spec = specs.find((k) => k.name === p.name);
      // A kernelspec of ours (kernel add): its name and the kernels running from it now.
      const kernel = spec ? { kernel: { name: spec.kernel, running: records.filter((r) => r.name === p.name && r.alive).map((r) => ({ pid: r.pid, node: r.node ?? null, ports: r.ports, waiting: r.waiting ?? null })) } } : {};
      return { ...row, forwards, ...kernel };
    }),
  );
  if (args.values.json) {
    ctx.stdout.write(JSON.stringify(args.positionals.length ? rows[0] : rows) + '\n');
  } else if (rows.length === 0) {
    ctx.stdout.write('No targets are set up yet. Run: npx jupyter-ssh-setup\n');
  } else {
    printTable(ctx, ['NAME', 'LAUNCHER', 'WHERE', 'STATE', 'TUNNEL', 'URL'], rows.map((r) => [r.name, r.launcher, r.where, r.state, r.tunnel, r.url ?? r.error ?? '-']));
    for (const r of rows) if (r.job) ctx.stdout.write(`${r.name}: ${r.job.scheduler.toUpperCase()} job ${r.job.id} ${r.job.detail}\n${r.job.notice ? `${r.name}: ${colors(ctx).bold('note:')} ${r.job.notice}\n` : ''}`);
    for (const r of rows) if (r.bind) ctx.stdout.write(`${r.name}: ${describeBind(r)}\n`);
    for (const r of rows) if (r.kernel) ctx.stdout.write(`${r.name}: kernel ${r.kernel.name} in your local Jupyter, ${r.kernel.running.length ? `${r.kernel.running.length} running (${r.kernel.running.map((k) => `launcher pid ${k.pid}${k.node ? ` on ${k.node}` : ''}${k.waiting ? `, waiting: ${k.waiting}` : ''}`).join(', ')})` : 'none running'}\n`);
    if (multiplexing(ctx)) for (const r of rows) ctx.stdout.write(describeConnection(r) + '\n');
  }
  return rows.some((r) => r.state === 'unreachable' || r.state === 'broken') ? 1 : 0;
}

/** One line on a target's login and extra forwards, under the table. */
export function describeConnection(r: StatusRow): string {
  const c = r.connection;
  const login = !c
    ? ''
    : c.open
      ? `logged in (ssh pid ${c.pid ?? '?'}), ${c.persist === 'no' ? 'closes when no longer used' : `stays up ${describePersist(c.persist)} after its last use`}`
      : `not logged in (the next start, or ssh ${r.name}, logs in)`;
  const fwd = r.forwards?.length ? `; forwards ${r.forwards.map((f) => `127.0.0.1:${f.localPort} -> ${f.host}:${f.remotePort}`).join(', ')}` : '';
  return `${r.name}: ${login}${fwd}`;
}

/**
 * Asks the remote (over the shared connection if it lives) and checks the local
 * end of the tunnel. A URL is shown only once Jupyter answered our token through
 * it; otherwise the row is `broken` and says what answered instead.
 */
export async function statusOf(profile: Profile, paths: Paths, ctx: Context): Promise<StatusRow> {
  // One -O check of the shared login serves the tunnel's state and the connection line.
  const master = await checkMaster(profile.name, ctx);
  const rowOf = profile.launcher !== 'plain' ? (await import('./batch-status.js')).batchStatusRow : plainStatusRow;
  const row = { ...(await rowOf(profile, paths, ctx, master.open)), connection: { open: master.open, pid: master.pid ?? null, persist: persistOf(profile) } };
  if (!row.url || row.localPort === null) return row;
  const token = new URL(row.url).searchParams.get('token') ?? '';
  const answer = judgeAnswer(await askJupyter(row.localPort, token, 3000), `local port ${row.localPort}`);
  if (answer.kind === 'ok') return row;
  return { ...row, state: 'broken', url: null, error: `${answer.detail}; jupyter-ssh-setup doctor ${profile.name} checks each step` };
}

async function plainStatusRow(profile: Profile, paths: Paths, ctx: Context, masterOpen: boolean): Promise<StatusRow> {
  const forward = await readForwardState(paths, profile.name);
  const result = await sshToTarget(profile.name, buildRemoteActionArgs(profile.name, 'status'), ctx, { timeoutMs: 30_000 });
  const reply = parseReply(result.stdout, 'plain', 'status', profile.name);
  // The forward lives in the shared connection, or in an ssh (or autossh) process of its own.
  const ownProcess = await hasTunnelProcess(paths, profile.name);
  const tunnelUp = forward !== undefined && (masterOpen || ownProcess) && (await isLocalPortOpen(forward.localPort));
  const base = { name: profile.name, launcher: profile.launcher, localPort: null, remotePort: null, pid: null, url: null };
  if (!reply) {
    const why = result.stderr.trim().split('\n').at(-1) ?? 'ssh failed';
    return { ...base, where: profile.host, state: 'unreachable', tunnel: tunnelUp ? 'open' : forward ? 'gone' : 'none', error: why };
  }
  const running = reply.ok && reply.running;
  return {
    ...base,
    where: (reply.ok ? reply.host : undefined) ?? profile.host,
    state: running ? 'running' : 'stopped',
    tunnel: tunnelUp ? 'open' : forward ? 'gone' : 'none',
    localPort: tunnelUp ? forward!.localPort : null,
    remotePort: running ? (reply.port ?? null) : null,
    pid: running ? (reply.pid ?? null) : null,
    url: running && tunnelUp ? notebookUrl(forward!.localPort, profile, reply.token!) : null,
    ...(running ? { bind: reply.sock ? 'socket' : 'tcp', ...(reply.sock ? { socket: reply.sock } : {}) } : {}),
  };
}
