/**
 * restart NAME: stop, then start, with the same profile. For a batch target
 * the job is cancelled and a fresh one submitted (a full time limit again),
 * and the tunnel follows Jupyter to the node the new job runs on; for a plain
 * target the server starts afresh. Like open.ts, it reuses other commands'
 * orchestration (stop's stopNotebook, start's run) rather than repeating it.
 */
import type { ParsedArgs } from '../types.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { schedulerLabel, type Scheduler } from '../core/batch.js';
import { pickProfile, resolvePaths } from '../io/store.js';
import { stopNotebook } from './stop.js';
import { run as start } from './start.js';

export async function run(args: ParsedArgs, ctx: Context): Promise<number> {
  if (args.positionals.length > 1) throw new UsageError('restart takes one target name', 'e.g. jupyter-ssh-setup restart hpc');
  const paths = resolvePaths(ctx);
  const profile = await pickProfile(paths, args.positionals[0]);
  const stopped = await stopNotebook(profile, paths, ctx);
  if (!args.values.json) {
    const what = stopped.jobId ? `${schedulerLabel(profile.launcher as Scheduler)} job ${stopped.jobId} (${stopped.was?.toLowerCase() || 'ended'}, now ${stopped.state?.toLowerCase() || 'gone'})` : stopped.stopped ? `Jupyter (pid ${stopped.pid})` : 'nothing was running';
    ctx.stderr.write(`Restarting ${profile.name}: ${stopped.jobId || stopped.stopped ? `stopped ${what}` : what}; starting afresh...\n`);
  }
  return start({ ...args, positionals: [profile.name] }, ctx);
}
