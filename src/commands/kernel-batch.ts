import type { Context } from '../context.js';
import { RuntimeFailure } from '../errors.js';
import type { Profile } from '../core/profile.js';
import { buildRemoteActionArgs, sharedConnectionOptions } from '../core/ssh-args.js';
import { parseReply } from '../core/protocol.js';
import type { KernelHost, KernelJob } from '../core/kernel-launch.js';
import { ssh, explainSshFailure } from '../io/remote.js';
import { describeJob } from './batch-status.js';

/** Jupyter Server and nbclient wait 60 s for a kernel's first answer: a job still queued after this is said so. */
const QUEUE_WAIT_MS = 45_000;

/**
 * The target's running SLURM job (its id, node name and address), asked from
 * the launch script on the login node. A job still queued is waited for while
 * the client still waits; no job at all, or one queued past that, fails with
 * one line saying to start it first.
 */
export async function findRunningJob(profile: Profile, ctx: Context, log: (line: string) => void): Promise<KernelJob & { addr: string }> {
  // JSS_KERNEL_QUEUE_SECONDS: a shorter wait, for the tests.
  const deadline = Date.now() + (Number(ctx.env.JSS_KERNEL_QUEUE_SECONDS) * 1000 || QUEUE_WAIT_MS);
  let said = 0;
  for (;;) {
    const r = await ssh(buildRemoteActionArgs(profile.name, 'status'), ctx, { timeoutMs: 30_000 });
    const reply = parseReply(r.stdout, 'batch', 'status', profile.name);
    if (!reply) throw explainSshFailure(r, profile);
    if (!reply.ok) throw new RuntimeFailure(`asking ${profile.name} for its job failed: ${reply.message}`, `Run jupyter-ssh-setup doctor ${profile.name}.`);
    if (!reply.jobId || reply.final) {
      throw new RuntimeFailure(`no job of ${profile.name} runs, and the kernel runs inside it`, `Start one: jupyter-ssh-setup start ${profile.name} (it waits for the job), then start the kernel again.`);
    }
    if (reply.state === 'RUNNING' && reply.host) return { id: reply.jobId, node: reply.host, addr: reply.node || reply.host };
    if (Date.now() > deadline) {
      throw new RuntimeFailure(
        `job ${reply.jobId} of ${profile.name} is still queued (${describeJob(reply)}); a Jupyter client gives up on a kernel after 60 s`,
        `Start the job first: jupyter-ssh-setup start ${profile.name} waits until it runs; then start the kernel again.`,
      );
    }
    if (Date.now() - said > 10_000) {
      log(`job ${reply.jobId} is ${describeJob(reply)}; the kernel starts when it runs (Jupyter waits 60 s at most)`);
      said = Date.now();
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

/** Logs in to the job's node through the target's shared login, once: later kernels reuse that connection. */
export async function loginToNode(host: KernelHost, profile: Profile, ctx: Context): Promise<void> {
  const r = await ssh([...sharedConnectionOptions(), ...host.options, '--', host.dest, 'true'], ctx, { timeoutMs: 60_000 });
  if (r.exitCode !== 0) {
    const failure = explainSshFailure(r, { ...profile, host: host.dest, jump: [...profile.jump, { host: profile.host }] });
    throw new RuntimeFailure(`ssh to the job's node ${host.dest} (through ${profile.name}) failed: ${failure.message}`, 'The kernel of a batch target runs on its node, reached by ssh through the login node: the site must allow ssh to a node that runs your job.');
  }
}
