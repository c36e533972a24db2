/**
 * What start and status report about a target's notebook: shared by the
 * plain and the batch launchers (commands/start.ts, status.ts, batch.ts).
 */

/**
 * A batch job's Jupyter listens on TCP on its node's address: the login node
 * forwards to it, and a socket would need ssh to the node itself.
 */
export const BATCH_BIND = 'tcp (node not reachable by ssh)';

export interface StartResult {
  name: string;
  url: string;
  token: string;
  localPort: number;
  remotePort: number;
  host: string;
  node: string;
  pid: number;
  reused: boolean;
  /**
   * How Jupyter listens there: `socket` (socket is the path; remotePort 0), `tcp`,
   * or for a batch job `tcp (node not reachable by ssh)`.
   */
  bind: string;
  socket?: string;
  /** Batch launchers: the job that runs Jupyter. */
  jobId?: string;
  scheduler?: 'slurm' | 'pbs' | 'sge' | 'lsf';
  /** Batch launchers: the job's time left when Jupyter answered (SLURM's D-HH:MM:SS forms). */
  timeLeft?: string;
}

export interface StatusRow {
  name: string;
  launcher: string;
  where: string;
  /**
   * pending/starting/failed/unknown: batch jobs (queued, Jupyter starting, ended badly, scheduler silent).
   * broken: it runs, but its URL does not work (another token, another program, nothing answers): see error.
   */
  state: 'running' | 'stopped' | 'unreachable' | 'pending' | 'starting' | 'failed' | 'unknown' | 'broken';
  tunnel: 'open' | 'gone' | 'none';
  url: string | null;
  localPort: number | null;
  remotePort: number | null;
  pid: number | null;
  error?: string;
  /** How the running Jupyter listens (see StartResult.bind), and its socket. */
  bind?: string;
  socket?: string;
  /** The shared login to the target (set by `status`): up or not, its ssh pid, how long it outlives its last use. */
  connection?: { open: boolean; pid: number | null; persist: string };
  /** Forwards added with `jupyter-ssh-setup forward`. */
  forwards?: { localPort: number; host: string; remotePort: number }[];
  /** Batch launchers: the job (state, reason, node, elapsed, time left; notice: little time is left). */
  job?: { id: string; scheduler: string; state: string; reason: string | null; startTime: string | null; node: string | null; elapsed: string | null; timeLeft: string | null; timeLimit: string | null; exitCode: string | null; detail: string; notice: string | null };
}
