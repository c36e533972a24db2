/** How Jupyter is started: on the host, or in a SLURM/PBS/Grid Engine/LSF job with its settings. */
import { validateProfile } from '../core/profile.js';
import { messageOf, probe, selectFound } from './answers.js';
import type { Asking, AskingRemote } from './state.js';

const LAUNCHER_CHOICES = [
  { name: 'Plain', value: 'plain', description: 'Jupyter runs on the host itself (a workstation, a GPU server)' },
  { name: 'SLURM job', value: 'slurm', description: 'submitted with sbatch; Jupyter runs on the compute node SLURM gives you' },
  { name: 'PBS job', value: 'pbs', description: 'submitted with qsub; Jupyter runs on the compute node PBS gives you' },
  { name: 'Grid Engine job', value: 'sge', description: 'submitted with qsub (SGE, Son of Grid Engine, UGE/AGE); Jupyter runs on the node it gives you' },
  { name: 'LSF job', value: 'lsf', description: 'submitted with bsub (IBM Spectrum LSF, OpenLava); Jupyter runs on the host it gives you' },
];

export async function askLauncher(w: AskingRemote): Promise<void> {
  if (w.flags.launcher !== undefined) {
    w.answers.launcher = w.flags.launcher;
    return;
  }
  // Plain stays the default where a scheduler is found too: a compute node has sbatch as well.
  w.answers.launcher = await selectFound(w, {
    message: 'How is Jupyter started?',
    choices: LAUNCHER_CHOICES,
    found: w.remote?.schedulers,
    always: ['plain'],
    default: w.defaults.launcher ?? 'plain',
    where: w.answers.name!,
  });
}

/** Whose queue the partition question asks for. */
const QUEUE_OF: Record<string, string> = { pbs: 'PBS', sge: 'Grid Engine', lsf: 'LSF' };

type SchedulerField = 'partition' | 'time' | 'account' | 'cpus' | 'mem' | 'gpus';

export async function askScheduler(w: Asking): Promise<void> {
  const launcher = w.answers.launcher;
  const fields: SchedulerField[] = ['partition', 'time', 'account', 'cpus', 'mem', 'gpus'];
  const answers = w.answers as Record<SchedulerField, string | number | undefined>;
  if (launcher === 'plain') {
    for (const f of fields) answers[f] = w.flags[f];
    return;
  }
  const messages: Record<SchedulerField, string> = {
    partition: launcher === 'slurm' ? "SLURM partition (-p), Enter for the site's default" : `${QUEUE_OF[launcher ?? ''] ?? 'PBS'} queue (-q), Enter for the site's default`,
    time: "Time limit, e.g. 2:00:00, Enter for the site's default",
    account: 'Account to charge, Enter for your default',
    cpus: "CPUs, Enter for the site's default",
    mem: "Memory, e.g. 16G, Enter for the site's default",
    gpus: 'GPUs, e.g. 1 or a100:2, Enter for none',
  };
  for (const f of fields) {
    if (w.flags[f] !== undefined) {
      answers[f] = w.flags[f];
      continue;
    }
    const value = await w.prompter.input({
      message: messages[f],
      default: w.defaults[f] === undefined ? undefined : String(w.defaults[f]),
      validate: messageOf((v) => validateProfile(probe({ launcher, [f]: v.trim() }))),
    });
    answers[f] = value.trim() || undefined;
  }
}
