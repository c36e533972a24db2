/**
 * How `status` shows what the batch launch script answers (its one JSON
 * line, core/protocol.ts's JobReply): the job's state, node and times, and the URL once the tunnel is
 * open. commands/batch.ts waits on the same replies while a job starts.
 */
import type { Context } from '../context.js';
import type { Paths } from '../core/plan.js';
import type { Profile } from '../core/profile.js';
import { buildRemoteActionArgs } from '../core/ssh-args.js';
import { notebookUrl } from '../core/remote.js';
import type { Scheduler } from '../core/batch.js';
import { parseReply, type JobReply } from '../core/protocol.js';
import { isLocalPortOpen } from '../io/remote.js';
import { sshToTarget } from '../io/connection.js';
import { readForwardState } from '../io/tunnel-state.js';
import { BATCH_BIND, type StatusRow } from '../core/notebook.js';
import { timeLeftNotice } from '../core/job-clock.js';

/** "pending (Priority), expected start 2026-01-01T10:00:00" and the like, for progress and status. */
export function describeJob(reply: JobReply): string {
  const state = (reply.state ?? 'UNKNOWN').toLowerCase();
  const reason = reply.reason && reply.reason !== 'None' ? ` (${reply.reason})` : '';
  if (reply.transient) return `unknown: the scheduler did not answer (${reply.message ?? 'no answer'}); asking again`;
  if (reply.state === 'PENDING') return `pending${reason}${reply.startTime ? `, expected start ${reply.startTime}` : ''}`;
  if (reply.state === 'RUNNING') {
    const node = reply.host ? ` on ${reply.host}` : '';
    const left = reply.timeLeft ? `time left ${reply.timeLeft}` : reply.timeLimit ? `time limit ${reply.timeLimit}` : '';
    const times = [reply.elapsed ? `elapsed ${reply.elapsed}` : '', left].filter(Boolean).join(', ');
    return `running${node}${times ? `, ${times}` : ''}`;
  }
  return `${state}${reason}`;
}

/** `status` of a batch profile: the job's state, node, times, and the URL when the tunnel is open. */
export async function batchStatusRow(profile: Profile, paths: Paths, ctx: Context, masterOpen: boolean): Promise<StatusRow> {
  const forward = await readForwardState(paths, profile.name);
  const result = await sshToTarget(profile.name, buildRemoteActionArgs(profile.name, 'status'), ctx, { timeoutMs: 30_000 });
  const reply = parseReply(result.stdout, 'batch', 'status', profile.name);
  const base = { name: profile.name, launcher: profile.launcher, localPort: null, remotePort: null, pid: null, url: null };
  const tunnelUp = forward !== undefined && masterOpen && (await isLocalPortOpen(forward.localPort));
  const tunnel = tunnelUp ? 'open' : forward ? 'gone' : 'none';
  if (!reply?.ok) {
    const why = reply?.message ?? result.stderr.trim().split('\n').at(-1) ?? 'ssh failed';
    return { ...base, where: profile.host, state: 'unreachable', tunnel, error: why };
  }
  const job = reply.jobId
    ? {
        id: reply.jobId,
        scheduler: profile.launcher as Scheduler,
        state: reply.state ?? 'UNKNOWN',
        reason: reply.reason || null,
        startTime: reply.startTime || null,
        node: reply.host || null,
        elapsed: reply.elapsed || null,
        timeLeft: reply.timeLeft || null,
        timeLimit: reply.timeLimit || null,
        exitCode: reply.exitCode ?? null,
        detail: describeJob(reply),
        notice: (reply.state === 'RUNNING' && timeLeftNotice(profile.name, reply.timeLeft)) || null,
      }
    : undefined;
  const running = reply.running === true && Boolean(reply.token);
  let state: StatusRow['state'];
  if (!job) state = 'stopped';
  else if (reply.transient && !running) state = 'unknown';
  else if (running) state = 'running';
  else if (!reply.final) state = reply.state === 'RUNNING' ? 'starting' : 'pending';
  else state = reply.state === 'CANCELLED' || reply.state === 'COMPLETED' ? 'stopped' : 'failed';
  return {
    ...base,
    where: running || reply.host ? `${reply.host} (via ${profile.host})` : profile.host,
    state,
    tunnel,
    localPort: tunnelUp ? forward!.localPort : null,
    remotePort: running ? (reply.port ?? null) : null,
    pid: running ? (reply.pid ?? null) : null,
    url: running && tunnelUp ? notebookUrl(forward!.localPort, profile, reply.token!) : null,
    ...(running ? { bind: BATCH_BIND } : {}),
    ...(job ? { job } : {}),
  };
}
