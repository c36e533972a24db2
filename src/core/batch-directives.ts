import type { Profile } from './profile-types.js';

/** What every batch launcher's directives share: the job's name, its log, the time limit. Pure. */

/** The job name in the queue: from the alias, recognisable in squeue/qstat. */
export function jobName(profile: Pick<Profile, 'name'>): string {
  return `jupyter-${profile.name}`;
}

/** The job's log, relative to $HOME (where the launch script submits from). */
export function jobLogRelative(profile: Pick<Profile, 'name'>): string {
  return `.jupyter-ssh-setup/${profile.name}/job.log`;
}

/** A --directive line without a leading "#SBATCH"/"#PBS"/"#$"/"#BSUB" the user may have typed. */
export function rawDirective(line: string, prefix: '#SBATCH' | '#PBS' | '#$' | '#BSUB'): string {
  const trimmed = line.trim();
  return trimmed.toUpperCase().startsWith(prefix) ? trimmed.slice(prefix.length).trim() : trimmed;
}

/**
 * A SLURM time limit ("90", "2:00:00", "1-12", "1-00:00:00") as PBS walltime
 * HH:MM:SS. In SLURM a bare number is minutes; in PBS it would be seconds.
 */
export function pbsWalltime(time: string): string {
  const [daysPart, rest] = time.includes('-') ? time.split('-', 2) : [undefined, time];
  const days = daysPart === undefined ? 0 : Number(daysPart);
  const parts = (rest ?? '').split(':').filter((p) => p !== '').map(Number);
  let h = 0;
  let m = 0;
  let sec = 0;
  if (daysPart === undefined) {
    // minutes | minutes:seconds | hours:minutes:seconds
    if (parts.length === 1) m = parts[0]!;
    else if (parts.length === 2) [m, sec] = parts as [number, number];
    else [h, m, sec] = parts as [number, number, number];
  } else {
    // days-hours | days-hours:minutes | days-hours:minutes:seconds
    [h = 0, m = 0, sec = 0] = parts;
  }
  const total = ((days * 24 + h) * 60 + m) * 60 + sec;
  const hh = Math.floor(total / 3600);
  const mm = Math.floor((total % 3600) / 60);
  const ss = total % 60;
  return `${String(hh).padStart(2, '0')}:${String(mm).padStart(2, '0')}:${String(ss).padStart(2, '0')}`;
}
