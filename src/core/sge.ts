import type { Profile } from './profile-types.js';
import { jobLogRelative, jobName, pbsWalltime, rawDirective } from './batch-directives.js';

/**
 * The Grid Engine launcher's `#$` directives (Son of Grid Engine, and the
 * Open/Univa/Altair Grid Engines that share its qsub). Pure.
 *
 * Values come from validated profile fields or from --directive lines, on
 * comment lines the shell never reads (see core/batch.ts). --qos is refused for
 * Grid Engine by validateProfile: it has no such thing.
 */

/** The parallel environment `--cpus` asks for, unless a --directive names one (`-pe mpi 8`). */
export const SGE_DEFAULT_PE = 'smp';

/** The `#$` options, in order, without the prefix. */
export function sgeDirectives(profile: Pick<Profile, 'name' | 'scheduler'>): string[] {
  const s = profile.scheduler;
  const given = s.directives.map((d) => rawDirective(d, '#$'));
  // The job starts through a login shell in $HOME, so the log path is relative to it.
  const lines = [`-N ${jobName(profile)}`, `-o ${jobLogRelative(profile)}`, '-j y', '-S /bin/bash'];
  if (s.partition) lines.push(`-q ${s.partition}`);
  if (s.account) lines.push(`-P ${s.account}`);
  if (s.time) lines.push(`-l h_rt=${pbsWalltime(s.time)}`);
  if (s.cpus && s.cpus > 1 && !given.some((d) => /^-pe\s/.test(d))) lines.push(`-pe ${SGE_DEFAULT_PE} ${s.cpus}`);
  // h_vmem is per slot in Grid Engine (README says so): given as --mem.
  if (s.mem) lines.push(`-l h_vmem=${s.mem.replace(/B$/i, '')}`);
  if (s.gpus) lines.push(`-l gpu=${s.gpus.split(':').at(-1)}`);
  return [...lines, ...given];
}
