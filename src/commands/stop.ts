import type { ParsedArgs } from '../types.js';
import type { Context } from '../context.js';
import { RuntimeFailure, UsageError } from '../errors.js';
import type { Paths } from '../core/plan.js';
import type { Profile } from '../core/profile.js';
import { buildRemoteActionArgs } from '../core/ssh-args.js';
import { pickProfile, resolvePaths } from '../io/store.js';
import { parseReply, launchOf } from '../core/protocol.js';
import { explainSshFailure, multiplexing } from '../io/remote.js';
import { closeForwards, checkMaster, sshToTarget } from '../io/connection.js';
import { persistOf } from '../core/profile.js';
import { describePersist } from '../core/connection.js';

export async function run(args: ParsedArgs, ctx: Context): Promise<number> {
  if (args.positionals.length > 1) throw new UsageError('stop takes one target name', 'e.g. jupyter-ssh-setup stop gpu');
  const paths = resolvePaths(ctx);
  const profile = await pickProfile(paths, args.positionals[0]);
  const result = await stopNotebook(profile, paths, ctx);
  if (args.values.json) ctx.stdout.write(JSON.stringify(result) + '\n');
  else if (result.jobId) ctx.stdout.write(result.stopped ? `Cancelled ${profile.launcher.toUpperCase()} job ${result.jobId} of ${profile.name} (it was ${result.was?.toLowerCase()}, now ${result.state?.toLowerCase()}) and closed the tunnel.\n` : `${profile.launcher.toUpperCase()} job ${result.jobId} of ${profile.name} had already ended (${result.state?.toLowerCase()}); closed the tunnel.\n`);
  else ctx.stdout.write(result.stopped ? `Stopped Jupyter on ${profile.name} (pid ${result.pid}) and closed the tunnel.\n` : `Jupyter was not running on ${profile.name}; closed the tunnel.\n`);
  if (!args.values.json && multiplexing(ctx) && persistOf(profile) !== 'no' && (await checkMaster(profile.name, ctx)).open) {
    ctx.stdout.write(`The login to ${profile.name} stays up ${describePersist(persistOf(profile))} after its last use; jupyter-ssh-setup disconnect ${profile.name} closes it.\n`);
  }
  return 0;
}

/**
 * Stops exactly our server (the launch script checks its pid) and takes our
 * forwards off the shared connection; the login itself stays up for its
 * ControlPersist, so the next start or `ssh NAME` needs no new login
 * (`disconnect` closes it).
 */
export async function stopNotebook(profile: Profile, paths: Paths, ctx: Context): Promise<{ name: string; stopped: boolean; pid?: number; jobId?: string; was?: string; state?: string }> {
  // Reuse the shared connection when it is up; otherwise a one-off connection.
  const result = await sshToTarget(profile.name, buildRemoteActionArgs(profile.name, 'stop'), ctx, { timeoutMs: 60_000 });
  const reply = parseReply(result.stdout, launchOf(profile), 'stop', profile.name);
  await closeForwards(profile, paths, ctx);
  if (!reply) throw explainSshFailure(result, profile);
  if (!reply.ok) throw new RuntimeFailure(`stopping Jupyter on ${profile.name} failed: ${reply.message}`, `Look at ~/.jupyter-ssh-setup/${profile.name}/ on the remote.`);
  // Batch launchers cancel the job: its id, and its state before and after.
  const job = typeof reply.jobId === 'string' ? { jobId: reply.jobId, was: String(reply.was ?? ''), state: String(reply.state ?? '') } : {};
  return { name: profile.name, stopped: Boolean(reply.stopped), ...(reply.pid ? { pid: reply.pid } : {}), ...job };
}
