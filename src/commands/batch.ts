/**
 * start / status for the batch launchers (slurm, pbs, sge, lsf). The remote launch
 * script submits the job and answers for it (templates/launch-batch.sh.ejs);
 * here we poll it over the shared connection to the login host while the
 * job waits, then forward a local port to the compute node through that
 * same connection (`-L LOCAL:NODE:PORT`, so compute nodes need no sshd).
 */
import type { Context } from '../context.js';
import { CancelledError, RuntimeFailure } from '../errors.js';
import type { Paths } from '../core/plan.js';
import type { Profile } from '../core/profile.js';
import { formatHop } from '../core/profile.js';
import { buildRemoteActionArgs } from '../core/ssh-args.js';
import { notebookUrl } from '../core/remote.js';
import { parseReply, startHint, type JobReply } from '../core/protocol.js';
import { buildBatchStatusArgs, cancelCommand, explainFinalState, jobLogRelative, nextPollDelay, schedulerLabel, type Scheduler } from '../core/batch.js';
import { judgeAnswer } from '../core/jupyter-answer.js';
import { ssh, explainSshFailure, waitForJupyter } from '../io/remote.js';
import { watchInterrupt } from '../io/ssh.js';
import { closeForwards, sshToTarget } from '../io/connection.js';
import { createProgress, type Progress } from '../io/progress.js';
import { BATCH_BIND, type StartResult } from '../core/notebook.js';
import { describeJob } from './batch-status.js';

export interface BatchStartOptions {
  /** The launch script to install (the stored copy, or rendered from the profile). */
  script: string;
  /** --yes: on Ctrl+C while waiting, cancel the job without asking. */
  yes?: boolean;
  /** --new-token: a new kept token, and a new job when one runs with the old token. */
  newToken?: boolean;
  /** Adds the forward to the shared connection; returns the local port (start.ts's openForward). */
  openForward: (profile: Profile, paths: Paths, ctx: Context, host: string, remotePort: number) => Promise<number>;
}

/** How long the job may run before Jupyter answers (the job script gives up after 300 s). */
const RUNNING_WITHOUT_JUPYTER_MS = 330_000;
/** How long the scheduler may keep failing to answer before we give up polling. */
const TRANSIENT_LIMIT_MS = 300_000;
/** How long one status call may wait for Jupyter while the job runs. */
const RUNNING_WAIT_MS = 3000;
/** The least time between two status calls. */
const MIN_CALL_GAP_MS = 100;
/** ssh failures in a row (the connection dropped) before we give up. */
const SSH_FAILURE_LIMIT = 3;

function label(profile: Profile): string {
  return schedulerLabel(profile.launcher as Scheduler);
}

/**
 * Submits (or reuses) the profile's job, waits while it is queued, and once
 * Jupyter answers on the node opens the forward and checks it.
 */
export async function startBatch(profile: Profile, paths: Paths, ctx: Context, quiet: boolean, options: BatchStartOptions): Promise<StartResult> {
  const progress = createProgress(ctx, quiet);
  const sched = label(profile);
  const via = profile.jump.length ? ` via ${profile.jump.map(formatHop).join(' -> ')}` : '';
  const interrupt = watchInterrupt();
  let jobId: string | undefined;
  let lastState = 'PENDING';
  try {
    progress.phase(`Connecting to ${profile.name} (${profile.host}${via}) and submitting the ${sched} job...`);
    const script = options.script;
    let reply: JobReply = await submit(profile, ctx, script, Boolean(options.newToken));
    jobId = reply.jobId;
    const reused = Boolean(reply.reused);
    progress.phase(`${reused ? 'Found' : 'Submitted'} ${sched} job ${jobId} (${reply.state?.toLowerCase() ?? 'pending'}); waiting for it to start...`);

    let budget = 0;
    let lastCall = 0;
    let shown = '';
    let transientSince = 0;
    let sshFailures = 0;
    let runningSince = 0;
    while (!(reply.running && reply.token && reply.port && reply.node)) {
      if (interrupt.fired) return await onInterrupt(profile, paths, ctx, progress, jobId!, lastState, options);
      if (reply.final) throw jobEnded(profile, reply);
      const running = reply.state === 'RUNNING';
      if (running && !runningSince) runningSince = Date.now();
      if (runningSince && Date.now() - runningSince > RUNNING_WITHOUT_JUPYTER_MS) {
        throw new RuntimeFailure(
          `${sched} job ${jobId} runs on ${reply.host ?? 'its node'}, but Jupyter has not answered for ${Math.round(RUNNING_WITHOUT_JUPYTER_MS / 60000)} minutes`,
          `Look at ~/${jobLogRelative(profile)} on ${profile.host}; stop the job with: jupyter-ssh-setup stop ${profile.name}`,
        );
      }
      // The remote status waits for the change itself (the job script's start
      // mark, then Jupyter's connection file: file checks, answered within
      // 0.05-0.2 s of it) for up to `budget` ms, which backs off like a poll
      // interval: one scheduler query per call, fast at first, then every few
      // seconds. When the scheduler does not answer, back off here instead.
      budget = running ? RUNNING_WAIT_MS : nextPollDelay(budget);
      if (reply.transient) await interrupt.sleep(budget);
      // Never more than about ten calls a second, whatever the remote answers.
      await interrupt.sleep(MIN_CALL_GAP_MS - (Date.now() - lastCall));
      if (interrupt.fired) continue;
      lastCall = Date.now();
      const result = await ssh(buildBatchStatusArgs(profile.name, reply.transient ? 0 : budget), ctx, { timeoutMs: 60_000 });
      const next = parseReply(result.stdout, 'batch', 'status', profile.name);
      if (!next) {
        if (interrupt.fired) continue;
        if (++sshFailures >= SSH_FAILURE_LIMIT) throw explainSshFailure(result, profile);
        continue;
      }
      sshFailures = 0;
      if (!next.ok) throw new RuntimeFailure(`asking ${profile.host} about job ${jobId} failed: ${next.message ?? next.error}`, `Run jupyter-ssh-setup doctor ${profile.name}.`);
      if (!next.jobId) throw new RuntimeFailure(`job ${jobId} of ${profile.name} is no longer recorded on ${profile.host} (stopped from elsewhere?)`, `Start it again: jupyter-ssh-setup start ${profile.name}`);
      if (next.transient) {
        transientSince ||= Date.now();
        if (Date.now() - transientSince > TRANSIENT_LIMIT_MS) {
          throw new RuntimeFailure(`the ${sched} scheduler on ${profile.host} has not answered for ${Math.round(TRANSIENT_LIMIT_MS / 60000)} minutes: ${next.message}`, `Try again later; jupyter-ssh-setup status ${profile.name} shows the job, stop cancels it.`);
        }
      } else {
        transientSince = 0;
        lastState = next.state ?? lastState;
      }
      reply = next;
      const text = `${sched} job ${jobId} ${describeJob(reply)}`;
      // Elapsed/time left change every second: show a new line only when the rest does.
      const key = `${reply.state}|${reply.reason}|${reply.startTime}|${reply.transient}`;
      if (key !== shown && !(reply.running && reply.token) && !reply.final) {
        shown = key;
        progress.phase(reply.state === 'RUNNING' ? `${text}; waiting for Jupyter to answer...` : `${text}...`);
      }
    }

    const node = reply.node!;
    progress.phase(`Jupyter answers on ${reply.host ?? node}; opening the tunnel through ${profile.host}...`);
    const localPort = await options.openForward(profile, paths, ctx, node, reply.port!);
    const answer = judgeAnswer(await waitForJupyter(localPort, reply.token!, 15_000), `local port ${localPort} (the tunnel to ${reply.host ?? node})`);
    if (answer.kind !== 'ok') {
      throw new RuntimeFailure(
        `Jupyter on ${reply.host ?? node} (job ${jobId}) does not work: ${answer.detail}`,
        `The login node ${profile.host} must reach ${node} port ${reply.port}; run jupyter-ssh-setup doctor ${profile.name}.`,
      );
    }
    return {
      name: profile.name,
      url: notebookUrl(localPort, profile, reply.token!),
      token: reply.token!,
      localPort,
      remotePort: reply.port!,
      host: profile.host,
      node: reply.host ?? node,
      pid: reply.pid ?? 0,
      reused,
      bind: BATCH_BIND,
      jobId,
      scheduler: profile.launcher as Scheduler,
      ...(reply.timeLeft ? { timeLeft: reply.timeLeft } : {}),
    };
  } catch (error) {
    // Never leave a queued job behind without saying so.
    if (jobId && error instanceof RuntimeFailure && !(error as { jobEnded?: boolean }).jobEnded) {
      throw new RuntimeFailure(
        error.message,
        `${error.hint ? error.hint + '\n  ' : ''}${sched} job ${jobId} may still be queued or running on ${profile.host}: jupyter-ssh-setup start ${profile.name} picks it up again, jupyter-ssh-setup stop ${profile.name} cancels it.`,
      );
    }
    throw error;
  } finally {
    interrupt.dispose();
    progress.done();
  }
}

/** The first round trip: install the launch script and submit (or find the running job). */
async function submit(profile: Profile, ctx: Context, script: string, newToken: boolean): Promise<JobReply> {
  let delay = 0;
  for (let attempt = 1; ; attempt++) {
    const result = await sshToTarget(profile.name, buildRemoteActionArgs(profile.name, 'start', { newToken }), ctx, { input: script, timeoutMs: 120_000 });
    const reply = parseReply(result.stdout, 'batch', 'start', profile.name);
    if (!reply) throw explainSshFailure(result, profile);
    if (reply.ok && reply.jobId) return reply;
    const failure = reply.ok ? { message: 'unknown error', error: '' } : reply;
    // The scheduler did not answer whether our last job still lives: ask again shortly.
    if (failure.error === 'scheduler-busy' && attempt < 5) {
      delay = nextPollDelay(delay) * 4;
      await new Promise((r) => setTimeout(r, delay));
      continue;
    }
    throw new RuntimeFailure(`submitting the ${label(profile)} job for ${profile.name} failed: ${failure.message}`, startHint(failure, profile));
  }
}

/** A job that ended before Jupyter answered: say how, with the end of its log. */
function jobEnded(profile: Profile, reply: JobReply): RuntimeFailure {
  const state = reply.state ?? 'ENDED';
  const exit = reply.exitCode && reply.exitCode !== '0' && reply.exitCode !== '0:0' ? `, exit code ${reply.exitCode}` : '';
  const log = (reply.log ?? '').trimEnd();
  const tail = log
    ? `\n  last lines of ~/${jobLogRelative(profile)} on ${profile.host}:\n${log
        .split('\n')
        .map((l) => `    | ${l}`)
        .join('\n')}`
    : `\n  (the job left no log at ~/${jobLogRelative(profile)} on ${profile.host})`;
  // Grid Engine's error state keeps the job (Eqw) with its reason, e.g. an output file it cannot open.
  const why = state === 'ERROR' && reply.reason ? ` (${reply.reason})` : '';
  const error = new RuntimeFailure(
    `${label(profile)} job ${reply.jobId} for ${profile.name} ended ${state}${exit}: ${explainFinalState(state)}${why}${tail}`,
    state === 'ERROR' ? `Fix what the reason says; jupyter-ssh-setup stop ${profile.name} takes the job out of the queue, start submits a new one.` : state === 'FAILED' ? `Check the environment settings (--env) and run jupyter-ssh-setup doctor ${profile.name}; then start again.` : `Start it again with: jupyter-ssh-setup start ${profile.name}`,
  );
  (error as { jobEnded?: boolean }).jobEnded = true;
  return error;
}

/**
 * Ctrl+C while the job waits or starts: with --yes cancel it; otherwise ask
 * (the Prompter seam, or a prompt on the terminal); with nobody to ask,
 * cancel and say so. Either way the user is told what became of the job.
 */
async function onInterrupt(profile: Profile, paths: Paths, ctx: Context, progress: Progress, jobId: string, state: string, options: BatchStartOptions): Promise<never> {
  progress.done();
  const sched = label(profile);
  const what = `${sched} job ${jobId} (${state.toLowerCase()})`;
  let cancel = true;
  if (options.yes) {
    ctx.stderr.write(`Interrupted: cancelling ${what} (--yes).\n`);
  } else {
    const question = { message: `Interrupted. Cancel ${what}? (No keeps it queued)`, default: true };
    try {
      if (ctx.prompter) cancel = await ctx.prompter.confirm(question);
      else if (ctx.stdin.isTTY) cancel = await (await (await import('../io/prompts.js')).createPrompter(ctx)).confirm(question);
      else ctx.stderr.write(`Interrupted, and there is no terminal to ask on: cancelling ${what}.\n`);
    } catch {
      // Ctrl+C again at the question: the user wants out; do not leave the job behind.
      cancel = true;
    }
  }
  if (!cancel) {
    ctx.stderr.write(`${sched} job ${jobId} stays in the queue: jupyter-ssh-setup start ${profile.name} picks it up again, jupyter-ssh-setup stop ${profile.name} cancels it.\n`);
    throw new CancelledError(`stopped waiting; ${sched} job ${jobId} is still queued`);
  }
  const result = await sshToTarget(profile.name, buildRemoteActionArgs(profile.name, 'stop'), ctx, { timeoutMs: 60_000 });
  const reply = parseReply(result.stdout, 'batch', 'stop', profile.name);
  await closeForwards(profile, paths, ctx);
  if (!reply?.ok) {
    throw new RuntimeFailure(
      `cancelling ${sched} job ${jobId} failed: ${reply?.message ?? (result.stderr.trim().split('\n').at(-1) || 'no answer')}`,
      `Cancel it on ${profile.host} with ${cancelCommand(profile.launcher as Scheduler)} ${jobId}, or run jupyter-ssh-setup stop ${profile.name}.`,
    );
  }
  throw new CancelledError(`cancelled ${sched} job ${jobId}`);
}
