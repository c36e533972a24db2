import type { Profile } from './profile-types.js';
import { jobLogRelative, jobName, pbsWalltime, rawDirective } from './batch-directives.js';
import { clockSeconds } from './job-clock.js';

/**
 * The LSF launcher's `#BSUB` directives (IBM Spectrum LSF 10.1, and the
 * OpenLava/volclava clones that share its bsub). Pure.
 *
 * bsub reads `#BSUB` lines only from a script on its standard input
 * (`bsub < job.sh`): given as a file argument, the script is a command and its
 * lines are not read unless the site sets LSB_BSUB_PARSE_SCRIPT=Y.
 * Values come from validated profile fields or from --directive lines, on
 * comment lines the shell never reads (see core/batch.ts). --qos is refused
 * for LSF by validateProfile: it has no such thing (its service classes are
 * `-sla NAME`, given with --directive).
 */

/** The `#BSUB` options, in order, without the prefix. */
export function lsfDirectives(profile: Pick<Profile, 'name' | 'scheduler'>): string[] {
  const s = profile.scheduler;
  const given = s.directives.map((d) => rawDirective(d, '#BSUB'));
  // Without -e the job's stderr goes to the -o file too; relative to the submit directory ($HOME).
  const lines = [`-J ${jobName(profile)}`, `-o ${jobLogRelative(profile)}`];
  if (s.partition) lines.push(`-q ${lsfQueues(s.partition)}`);
  if (s.account) lines.push(`-P ${s.account}`);
  if (s.time) lines.push(`-W ${lsfRunLimit(s.time)}`);
  if (s.cpus) {
    lines.push(`-n ${s.cpus}`);
    // Jupyter is one process tree: its CPUs on one host, unless the user gave a span.
    if (s.cpus > 1 && !given.some((d) => /span\[/.test(d))) lines.push('-R "span[hosts=1]"');
  }
  if (s.mem) {
    // With the unit written out (LSF 10.1.0.2 and later), whatever the site's LSF_UNIT_FOR_LIMITS.
    const mem = lsfMemory(s.mem);
    lines.push(`-M ${mem}`, `-R "rusage[mem=${mem}]"`);
  }
  if (s.gpus) lines.push(`-gpu "${lsfGpus(s.gpus)}"`);
  return [...lines, ...given];
}

/** "normal" or "short,normal" (our comma list) as bsub's queue list: `normal` / `"short normal"`. */
export function lsfQueues(partition: string): string {
  const queues = partition.split(',').filter((q) => q !== '');
  return queues.length === 1 ? queues[0]! : `"${queues.join(' ')}"`;
}

/**
 * A SLURM-style --time as LSF's run limit `-W [hours:]minutes`, rounded up to
 * the next whole minute (LSF has no seconds): "90" -> "1:30", "10:30" -> "0:11".
 */
export function lsfRunLimit(time: string): string {
  const minutes = Math.max(1, Math.ceil((clockSeconds(pbsWalltime(time)) ?? 0) / 60));
  return `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, '0')}`;
}

/** The run limit LSF enforces for --time, in seconds (whole minutes). */
export function lsfLimitSeconds(time: string): number {
  return clockSeconds(`${lsfRunLimit(time)}:00`)!;
}

/**
 * "16G" / "4000M" / "512MB" / "4000" (SLURM's default unit, MB) with LSF's
 * unit spelled out: "16GB" / "4000MB" / "512MB" / "4000MB". LSF reads a bare
 * number in the site's LSF_UNIT_FOR_LIMITS (KB unless set), so we never write one.
 */
export function lsfMemory(mem: string): string {
  const m = /^([0-9]+)([KMGT]?)B?$/i.exec(mem);
  if (!m) return mem;
  return `${m[1]}${(m[2] || 'M').toUpperCase()}B`;
}

/** "2" -> "num=2"; "a100:2" or "gpu:a100:2" -> "num=2:gmodel=a100" (LSF's -gpu request). */
export function lsfGpus(gpus: string): string {
  const parts = gpus.split(':');
  const count = parts.pop()!;
  const model = parts.filter((p, i) => !(i === 0 && p === 'gpu')).join(':');
  return model ? `num=${count}:gmodel=${model}` : `num=${count}`;
}
