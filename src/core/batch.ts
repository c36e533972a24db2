import type { Profile, SchedulerSettings } from './profile.js';
import { renderTemplate } from './render.js';
import { containerData } from './container.js';
import { buildRemoteCommand, withRemoteEnv } from './remote.js';
import { sharedConnectionOptions } from './ssh-args.js';
import { InternalError } from '../errors.js';
import { jobLogRelative, jobName, pbsWalltime, rawDirective } from './batch-directives.js';
import { sgeDirectives } from './sge.js';
import { lsfDirectives, lsfLimitSeconds } from './lsf.js';
import { clockSeconds } from './job-clock.js';

export { jobLogRelative, jobName, pbsWalltime };

/**
 * The batch launchers (SLURM, PBS, Grid Engine, LSF): the job script's directives and the data
 * of the two templates, from the profile. Pure.
 *
 * Directive values come from validated profile fields (each a word of a safe
 * alphabet) or from --directive lines (free text without newlines). They go
 * after `#SBATCH ` / `#PBS ` / `#$ ` / `#BSUB ` on a comment line, which the shell never reads:
 * the scheduler parses them, so they are written as given, not shell-quoted.
 */
export type Scheduler = 'slurm' | 'pbs' | 'sge' | 'lsf';

/** The `#SBATCH` options, in order, without the prefix. */
export function sbatchDirectives(profile: Pick<Profile, 'name' | 'scheduler'>): string[] {
  const s = profile.scheduler;
  const lines = [`--job-name=${jobName(profile)}`, `--output=${jobLogRelative(profile)}`, '--nodes=1', '--ntasks=1'];
  if (s.partition) lines.push(`--partition=${s.partition}`);
  if (s.time) lines.push(`--time=${s.time}`);
  if (s.account) lines.push(`--account=${s.account}`);
  if (s.qos) lines.push(`--qos=${s.qos}`);
  if (s.mem) lines.push(`--mem=${s.mem}`);
  if (s.cpus) lines.push(`--cpus-per-task=${s.cpus}`);
  if (s.gpus) lines.push(gpuDirective(s.gpus));
  for (const d of s.directives) lines.push(rawDirective(d, '#SBATCH'));
  return lines;
}

/** "gpu:a100:2" is a --gres request; "2" or "a100:2" a --gpus one. */
export function gpuDirective(gpus: string): string {
  return /^gpu(:|$)/.test(gpus) ? `--gres=${gpus}` : `--gpus=${gpus}`;
}

/**
 * The `#PBS` options. Resources in the Torque form (`-l nodes=1:ppn=N`),
 * which Torque and Slurm's qsub wrapper read; PBS Pro sites give their
 * `-l select=...` line with --directive, which then replaces nodes= and mem=.
 */
export function pbsDirectives(profile: Pick<Profile, 'name' | 'scheduler'>): string[] {
  const s = profile.scheduler;
  const lines = [`-N ${jobName(profile)}`, `-o ${jobLogRelative(profile)}`, '-j oe'];
  if (s.partition) lines.push(`-q ${s.partition}`);
  if (s.account) lines.push(`-A ${s.account}`);
  if (s.time) lines.push(`-l walltime=${pbsWalltime(s.time)}`);
  // PBS Pro refuses nodes= next to a select= chunk: a --directive with select says it all.
  const select = s.directives.some((d) => /\bselect=/.test(d));
  if (!select) {
    const nodes = ['nodes=1', `ppn=${s.cpus ?? 1}`];
    if (s.gpus) nodes.push(`gpus=${gpuCount(s.gpus)}`);
    lines.push(`-l ${nodes.join(':')}`);
    if (s.mem) lines.push(`-l mem=${pbsMemory(s.mem)}`);
  }
  if (s.qos) lines.push(`-l qos=${s.qos}`);
  for (const d of s.directives) lines.push(rawDirective(d, '#PBS'));
  return lines;
}

function gpuCount(gpus: string): string {
  return gpus.split(':').at(-1)!;
}


/** "16G" / "4000M" / "512MB" (SLURM, default MB) as PBS "16gb" / "4000mb". */
export function pbsMemory(mem: string): string {
  const m = /^([0-9]+)([KMGT]?)B?$/i.exec(mem);
  if (!m) return mem;
  const unit = (m[2] || 'M').toLowerCase();
  return `${m[1]}${unit}b`;
}

const LABEL: Record<Scheduler, string> = { slurm: 'SLURM', pbs: 'PBS', sge: 'SGE', lsf: 'LSF' };

export function schedulerLabel(scheduler: Scheduler): string {
  return LABEL[scheduler];
}

/** One scheduler, as data: its directives, how the launch script submits and cancels, what the job reads. */
interface SchedulerPlugin {
  prefix: '#SBATCH' | '#PBS' | '#$' | '#BSUB';
  directives: (p: Profile) => string[];
  /** The submit command, as the job script's header comment shows it. */
  submit: (p: Profile) => string;
  submitName: string;
  cancelName: string;
  /** The job's environment on the node: its id (a shell expansion), those variables' names, the submit host. */
  jobEnv: { id: string; names: string; submitHost: string };
  /** The time limit the scheduler enforces for --time, in seconds. */
  limitSeconds: (time: string) => number | undefined;
}

const SLURM_PBS_ENV = { id: '${SLURM_JOB_ID:-${PBS_JOBID:-}}', names: 'SLURM_JOB_ID or PBS_JOBID', submitHost: '${SLURM_SUBMIT_HOST:-${PBS_O_HOST:-${SGE_O_HOST:-}}}' };
const walltimeSeconds = (time: string) => clockSeconds(pbsWalltime(time));

const PLUGINS: Record<Scheduler, SchedulerPlugin> = {
  slurm: { prefix: '#SBATCH', directives: sbatchDirectives, submit: () => 'sbatch --parsable job.sh', submitName: 'sbatch', cancelName: 'scancel', jobEnv: SLURM_PBS_ENV, limitSeconds: walltimeSeconds },
  pbs: { prefix: '#PBS', directives: pbsDirectives, submit: (p) => `qsub -N ${jobName(p)} -o ${jobLogRelative(p)} -j oe -W umask=077 job.sh`, submitName: 'qsub', cancelName: 'qdel', jobEnv: SLURM_PBS_ENV, limitSeconds: walltimeSeconds },
  sge: { prefix: '#$', directives: sgeDirectives, submit: () => 'qsub -terse job.sh', submitName: 'qsub', cancelName: 'qdel', jobEnv: { ...SLURM_PBS_ENV, id: '${JOB_ID:-}', names: 'JOB_ID' }, limitSeconds: walltimeSeconds },
  lsf: { prefix: '#BSUB', directives: lsfDirectives, submit: () => 'bsub < job.sh', submitName: 'bsub', cancelName: 'bkill', jobEnv: { id: '${LSB_JOBID:-}', names: 'LSB_JOBID', submitHost: '${LSB_SUB_HOST:-}' }, limitSeconds: lsfLimitSeconds },
};

/** The command that cancels a job of this scheduler (for messages). */
export function cancelCommand(scheduler: Scheduler): string {
  return PLUGINS[scheduler].cancelName;
}

/** The data of templates/batch-job.sh.ejs. */
export function jobScriptData(profile: Profile & { launcher: Scheduler }) {
  const plugin = PLUGINS[profile.launcher];
  return {
    name: profile.name,
    scheduler: profile.launcher,
    app: profile.app,
    port: profile.remotePort,
    notebookDir: profile.notebookDir ?? '',
    env: profile.env,
    container: containerData(profile),
    waitSeconds: 300,
    prefix: plugin.prefix,
    directives: plugin.directives(profile),
    schedulerLabel: schedulerLabel(profile.launcher),
    submitCommand: plugin.submit(profile),
    jobEnv: plugin.jobEnv,
  };
}

/** The job script that is submitted (also embedded in the launch script). */
export function renderJobScript(profile: Profile): string {
  return renderTemplate('batch-job.sh.ejs', jobScriptData(asBatch(profile)), 'sh');
}

/** The remote launch script of a batch profile: start|stop|status|check. */
export function renderBatchLaunchScript(profile: Profile): string {
  const p = asBatch(profile);
  return renderTemplate(
    'launch-batch.sh.ejs',
    {
      name: p.name,
      scheduler: p.launcher,
      schedulerLabel: schedulerLabel(p.launcher),
      jobName: jobName(p),
      logRel: jobLogRelative(p),
      submitName: PLUGINS[p.launcher].submitName,
      cancelName: PLUGINS[p.launcher].cancelName,
      job: jobScriptData(p),
      limitSeconds: p.scheduler.time ? String(PLUGINS[p.launcher].limitSeconds(p.scheduler.time) ?? '') : '',
    },
    'sh',
  );
}

function asBatch(profile: Profile): Profile & { launcher: Scheduler } {
  if (profile.launcher === 'plain') throw new InternalError(`profile ${profile.name} is not a batch profile`);
  return profile as Profile & { launcher: Scheduler };
}

/** Job states that will not change any more (SLURM names; PBS, Grid Engine and LSF ones are mapped to them remotely). */
export const FINAL_STATES = ['ERROR', 'COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'NODE_FAIL', 'OUT_OF_MEMORY', 'PREEMPTED', 'BOOT_FAIL', 'DEADLINE', 'VANISHED', 'ENDED'] as const;

/** Why each final state happened, in a few words for the user. */
export function explainFinalState(state: string): string {
  switch (state) {
    case 'FAILED':
      return 'the job script exited with an error';
    case 'ERROR':
      return 'Grid Engine put the job in its error state (Eqw) and will not start it';
    case 'CANCELLED':
      return 'the job was cancelled (scancel/qdel/bkill, or by an administrator)';
    case 'TIMEOUT':
      return 'the job reached its time limit (--time)';
    case 'NODE_FAIL':
      return 'the compute node failed';
    case 'OUT_OF_MEMORY':
      return 'the job ran out of memory (raise --mem)';
    case 'PREEMPTED':
      return 'a higher-priority job preempted it';
    case 'BOOT_FAIL':
      return 'the node failed to boot';
    case 'DEADLINE':
      return 'the job missed its deadline';
    case 'COMPLETED':
      return 'Jupyter exited';
    case 'VANISHED':
      return 'the scheduler no longer knows the job and it left no exit code';
    case 'ENDED':
      return 'the job ended, and the scheduler keeps no exit code';
    default:
      return `the job ended (${state})`;
  }
}

/**
 * The wait between two status polls while a job is pending: fast at first
 * (a job often starts within a second), then backing off to every few
 * seconds so a long queue wait does not load the scheduler.
 */
export function nextPollDelay(previousMs: number): number {
  return previousMs <= 0 ? 100 : Math.min(previousMs * 2, 3200);
}

/**
 * ssh NAME <launch script status>, over the shared connection, allowed to wait
 * up to `waitMs` for the job to start or Jupyter to answer: the status command
 * run under `env JSS_WAIT_MS=N` (env, not an assignment, so that any login
 * shell runs it, csh and fish too).
 */
export function buildBatchStatusArgs(name: string, waitMs: number): string[] {
  return [...sharedConnectionOptions(), '--', name, withRemoteEnv(buildRemoteCommand(name, 'status'), { JSS_WAIT_MS: Math.max(0, Math.round(waitMs)) })];
}

export type { SchedulerSettings };
