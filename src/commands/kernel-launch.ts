import { readFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import type { Context } from '../context.js';
import { RuntimeFailure, UsageError } from '../errors.js';
import type { Paths } from '../core/plan.js';
import type { Profile } from '../core/profile.js';
import { persistOf } from '../core/profile.js';
import { buildLoginArgs } from '../core/ssh-args.js';
import {
  PORT_KEYS,
  buildForwardsArgs,
  buildKernelSessionArgs,
  buildSessionWrapper,
  kernelForwardSpecs,
  kernelSessionInput,
  parseConnectionFile,
  parseKernelPidLine,
  remoteKernelDir,
  renderKernelScript,
  nodeHost,
  type ConnectionInfo,
  type KernelHost,
  type KernelJob,
} from '../core/kernel-launch.js';
import { pickProfile, resolvePaths } from '../io/store.js';
import { ssh, multiplexing, sshConfigArgs, explainSshFailure } from '../io/remote.js';
import { checkMaster } from '../io/connection.js';
import { startProcess } from '../io/ssh.js';
import { readKernelRecords, removeKernelRecord, writeKernelRecord, type KernelRecord } from '../io/kernel-records.js';

/**
 * `kernel launch NAME CONNECTION_FILE`: what a kernelspec of ours runs. It lives
 * exactly as long as the remote kernel (Jupyter clients judge a kernel by this
 * process): one ssh session over the target's shared login runs ipykernel on
 * ipc sockets in a fresh 0700 directory, and five `-O forward`s carry the
 * client's loopback ports to them. Ending: the kernel exits (shutdown_request),
 * or this process gets SIGTERM/SIGHUP, or the client that started it is gone;
 * each way the forwards are cancelled and the kernel and its directory go.
 * Killed with -9, the ssh's stdin reaches EOF and the remote ends the kernel.
 */
export async function launchKernel(name: string, connectionFile: string, ctx: Context): Promise<number> {
  const paths = resolvePaths(ctx);
  const profile = await pickProfile(paths, name);
  const log = (line: string) => ctx.stderr.write(`jss-${name}: ${line}\n`);
  let text: string;
  try {
    text = await readFile(connectionFile, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read the connection file ${connectionFile}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, 'Jupyter passes it as {connection_file}; see jupyter-ssh-setup kernel --help.');
  }
  const conn = parseConnectionFile(text, connectionFile);
  checkKernelSupport(profile);
  if (!multiplexing(ctx)) throw new RuntimeFailure(`a kernel on ${name} needs ssh connection sharing (ControlMaster), which is off here`, 'It is not available on Windows, or JSS_NO_MULTIPLEX=1 turned it off.');
  await ensureLogin(profile, ctx, log);
  let host: KernelHost = { dest: name, options: [] };
  let job: KernelJob | undefined;
  if (profile.launcher === 'slurm') {
    // The kernel runs in the target's job, on its node, reached through the login node.
    const { findRunningJob, loginToNode } = await import('./kernel-batch.js');
    // While the job is queued, status shows this launcher waiting for it, and why.
    const waiting = { name, pid: process.pid, ports: PORT_KEYS.map((k) => conn.ports[k]), forwards: [], dir: '', started: ctx.now().toISOString() };
    const running = await findRunningJob(profile, ctx, (line) => {
      log(line);
      void writeKernelRecord(paths, { ...waiting, waiting: line }).catch(() => {});
    }).finally(() => removeKernelRecord(paths, name, process.pid));
    job = { id: running.id, node: running.node };
    host = nodeHost(profile, running.addr);
    await loginToNode(host, profile, ctx);
  }
  await cancelStaleForwards(paths, profile, ctx);
  return runKernel(profile, paths, conn, ctx, log, host, job);
}

/** Plain targets (in their container, if any) and SLURM targets without one, for now: others are refused by name (exit 2). */
export function checkKernelSupport(profile: Profile): void {
  if (profile.launcher === 'plain' || (profile.launcher === 'slurm' && profile.container.kind === 'none')) return;
  const kind = profile.container.kind !== 'none' ? `${profile.launcher.toUpperCase()} targets with a ${profile.container.kind} container` : `${profile.launcher.toUpperCase()} targets`;
  throw new UsageError(`kernels of ${kind} are not supported yet ("${profile.name}"): plain targets (also in a container) and SLURM targets without one are`, `Meanwhile, use its notebook URL (jupyter-ssh-setup url ${profile.name}) as an existing Jupyter server.`);
}

/** The shared login: up already (nothing happens), else one login, prompting only where there is a terminal. */
async function ensureLogin(profile: Profile, ctx: Context, log: (line: string) => void): Promise<void> {
  if ((await checkMaster(profile.name, ctx)).open) return;
  log(`logging in to ${profile.name}`);
  const r = await ssh(buildLoginArgs(profile.name), ctx, { timeoutMs: 120_000 });
  if (r.exitCode !== 0) {
    const failure = explainSshFailure(r, profile);
    throw new RuntimeFailure(failure.message, `${failure.hint ?? ''}\n  A kernel started by Jupyter or VS Code has no terminal to ask a password or code on: log in once in a terminal (ssh ${profile.name} true, or jupyter-ssh-setup start ${profile.name}), then start the kernel again.`);
  }
  if (!(await checkMaster(profile.name, ctx)).open) {
    throw new RuntimeFailure(`the shared login to ${profile.name} does not stay up (persist ${persistOf(profile)}), and the kernel's forwards live in it`, `Run: jupyter-ssh-setup setup --name ${profile.name} --persist 4h`);
  }
}

/** Forwards of launchers that are gone (killed with -9) come off the shared connection, so their ports are free again. */
async function cancelStaleForwards(paths: Paths, profile: Profile, ctx: Context): Promise<void> {
  const stale = (await readKernelRecords(paths, profile.name)).filter((r) => !r.alive);
  for (const r of stale) {
    // A node's connection may be gone with its job: then so are its forwards.
    if (r.forwards.length) await ssh(buildForwardsArgs(r.via ?? profile.name, 'cancel', r.forwards), ctx, { timeoutMs: 10_000 });
    await removeKernelRecord(paths, r.name, r.pid);
  }
}

function runKernel(profile: Profile, paths: Paths, conn: ConnectionInfo, ctx: Context, log: (line: string) => void, host: KernelHost, job?: KernelJob): Promise<number> {
  const name = profile.name;
  const dir = remoteKernelDir(randomBytes(6).toString('hex'));
  const forwards = kernelForwardSpecs(conn, dir);
  const record: KernelRecord = { name, pid: process.pid, ports: PORT_KEYS.map((k) => conn.ports[k]), forwards, dir, started: ctx.now().toISOString(), ...(job ? { via: host, jobId: job.id } : {}) };
  const wrapper = buildSessionWrapper([...sshConfigArgs(ctx.env), ...buildKernelSessionArgs(host, dir)], [...sshConfigArgs(ctx.env), ...buildForwardsArgs(host, 'cancel', forwards)]);
  const session = startProcess(wrapper.file, wrapper.args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...ctx.env, ...wrapper.env } });
  if (ctx.verbose) log(`ssh ${buildKernelSessionArgs(host, dir).slice(0, -1).join(' ')} '...'`);
  session.stdin!.on('error', () => {});
  session.stdin!.write(kernelSessionInput(renderKernelScript(profile, job), conn, dir));
  session.stderr!.on('data', (d: Buffer) => ctx.stderr.write(d));
  const written = writeKernelRecord(paths, record).catch(() => {});
  let onReady = () => {};
  relayStdout(session, ctx, {
    pid: (pid, node) => {
      log(`kernel pid ${pid} on ${node}${job ? ` in job ${job.id}` : ''}, sockets in ${dir}, local ports ${record.ports.join(' ')}`);
      void written.then(() => writeKernelRecord(paths, { ...record, remotePid: pid, node })).catch(() => {});
    },
    ready: () => onReady(),
  });

  return new Promise<number>((resolve) => {
    let forwarded = false;
    let failed = false;
    let ending: Promise<void> | undefined;
    const cancel = async () => {
      if (!forwarded) return;
      forwarded = false;
      await ssh(buildForwardsArgs(host, 'cancel', forwards), ctx, { timeoutMs: 10_000 });
    };
    /** Let go of the kernel: forwards off, stdin closed (the remote ends the kernel on EOF); ssh itself after 10 s. */
    const end = (why: string) => {
      if (ending) return;
      log(`${why}: ending the kernel`);
      ending = cancel().then(() => {
        session.stdin!.end();
        setTimeout(() => session.kill('SIGTERM'), 10_000).unref();
      });
    };
    const onTerm = () => end('SIGTERM');
    const onHup = () => end('SIGHUP');
    // Message-mode interrupts come over the control channel; a terminal's Ctrl+C reaches ssh itself.
    const onInt = () => {};
    process.on('SIGTERM', onTerm);
    process.on('SIGHUP', onHup);
    process.on('SIGINT', onInt);
    // The client that started us died (killed with -9): nothing will ever shut the kernel down.
    const parent = process.ppid;
    const watch = setInterval(() => {
      if (process.ppid !== parent) end('the client that started this kernel is gone');
    }, 1000);
    watch.unref();

    session.once('close', (code, signal) => {
      clearInterval(watch);
      void (async () => {
        await ending;
        await cancel();
        await removeKernelRecord(paths, name, process.pid);
        process.off('SIGTERM', onTerm);
        process.off('SIGHUP', onHup);
        process.off('SIGINT', onInt);
        resolve(failed ? 1 : ending ? 0 : (code ?? (signal ? 1 : 0)));
      })();
    });

    // The forwards go up once the kernel's sockets exist (the script says so).
    onReady = () => void (async () => {
      await written;
      if (ending) return;
      const r = await ssh(buildForwardsArgs(host, 'forward', forwards), ctx, { timeoutMs: 15_000 });
      if (r.exitCode === 0) {
        forwarded = true;
        if (ending) await cancel();
        return;
      }
      log(`forwarding local ports ${record.ports.join(' ')} over the shared login failed: ${r.stderr.trim().split('\n').at(-1) ?? `exit ${r.exitCode}`}`);
      // Some of the five may be up: take them all off again.
      forwarded = true;
      failed = true;
      end('no forwards');
    })();
  });
}

/**
 * The script's stdout: its lines "jss-kernel-pid PID NODE" and "jss-kernel-ready" are
 * ours; everything else (the kernel's own output) is passed on, as it comes once ready.
 */
function relayStdout(session: ChildProcess, ctx: Context, on: { pid: (pid: number, node: string) => void; ready: () => void }): void {
  let head = '';
  let ready = false;
  session.stdout!.on('data', (d: Buffer) => {
    if (ready) {
      ctx.stdout.write(d);
      return;
    }
    head += d.toString('utf8');
    for (let nl = head.indexOf('\n'); nl >= 0 && !ready; nl = head.indexOf('\n')) {
      const line = head.slice(0, nl);
      head = head.slice(nl + 1);
      const info = parseKernelPidLine(line);
      if (info) on.pid(info.pid, info.node);
      else if (line === 'jss-kernel-ready') {
        ready = true;
        on.ready();
      } else ctx.stdout.write(line + '\n');
    }
    if (ready && head) ctx.stdout.write(head);
  });
}
