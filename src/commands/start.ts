import { readFile } from 'node:fs/promises';
import type { ParsedArgs } from '../types.js';
import type { Context } from '../context.js';
import { CancelledError, RuntimeFailure, UsageError } from '../errors.js';
import type { Paths } from '../core/plan.js';
import { launchScriptPath, renderLaunchScript } from '../core/plan.js';
import type { Profile } from '../core/profile.js';
import { formatHop, persistOf } from '../core/profile.js';
import { buildControlArgs, buildRemoteActionArgs, forwardSpec } from '../core/ssh-args.js';
import { notebookUrl } from '../core/remote.js';
import { parseReply, startHint, type Reply } from '../core/protocol.js';
import { judgeAnswer } from '../core/jupyter-answer.js';
import { pickProfile, resolvePaths } from '../io/store.js';
import { ssh, multiplexing, explainSshFailure, isLocalPortFree, isLocalPortOpen, waitForJupyter } from '../io/remote.js';
import { readForwardState, writeForwardState, readLastForward, writeLastForward, type ForwardState } from '../io/tunnel-state.js';
import { hasAutossh, startTunnelProcess, stopTunnelProcess, hasTunnelProcess } from '../io/tunnel-process.js';
import { createProgress, createPlainProgress, type Progress } from '../io/progress.js';
import { checkMaster, sshToTarget } from '../io/connection.js';
import { describePersist } from '../core/connection.js';
import { colors } from '../io/output.js';
import { openUrl } from '../io/browser.js';
import { watchInterrupt } from '../io/ssh.js';
import type { StartResult } from '../core/notebook.js';
import { jobEndsAt, timeLeftNotice } from '../core/job-clock.js';
import { learnRemoteFacts } from '../io/host-file.js';

export async function run(args: ParsedArgs, ctx: Context): Promise<number> {
  if (args.positionals.length > 1) throw new UsageError('start takes one target name', 'e.g. jupyter-ssh-setup start gpu');
  const json = Boolean(args.values.json);
  const paths = resolvePaths(ctx);
  const profile = await pickProfile(paths, args.positionals[0]);
  const chosen = args.values.reconnect ? { ...profile, reconnect: true } : profile;
  const newToken = Boolean(args.values['new-token']);
  const result = await startNotebook(chosen, paths, ctx, json, { yes: Boolean(args.values.yes), newToken });
  if (newToken && !json) ctx.stderr.write(`A new token for ${profile.name}: the URL below replaces the old one, which Jupyter no longer accepts.\n`);
  if (json) {
    ctx.stdout.write(JSON.stringify(result) + '\n');
  } else {
    printReady(result, profile, ctx);
  }
  if (args.values.open) await openUrl(result.url, ctx);
  return 0;
}

/** The launch script we ship: the stored copy, or rendered anew from the profile. */
async function launchScript(profile: Profile, paths: Paths): Promise<string> {
  try {
    return await readFile(launchScriptPath(paths, profile.name), 'utf8');
  } catch {
    return renderLaunchScript(profile);
  }
}

/**
 * Starts (or reuses) Jupyter and opens the forward. Two ssh round trips in
 * all: one that installs the script and starts the server through the shared
 * connection, and one that adds the forward to that same connection.
 */
export async function startNotebook(profile: Profile, paths: Paths, ctx: Context, quiet: boolean, options: { yes?: boolean; newToken?: boolean } = {}): Promise<StartResult> {
  if (profile.launcher !== 'plain') {
    const { startBatch } = await import('./batch.js');
    return startBatch(profile, paths, ctx, quiet, { ...options, script: await launchScript(profile, paths), openForward });
  }
  let progress = createProgress(ctx, quiet);
  const via = profile.jump.length ? ` via ${profile.jump.map(formatHop).join(' -> ')}` : '';
  // Ctrl+C: finish the step in flight, then say what was left running and how to stop it.
  const interrupt = watchInterrupt();
  const checkInterrupt = (what: string) => {
    if (interrupt.fired) {
      throw new CancelledError(`Interrupted. ${what} Stop it with: jupyter-ssh-setup stop ${profile.name}`);
    }
  };
  let early: Promise<ForwardState | undefined> | undefined;
  try {
    const script = await launchScript(profile, paths);
    progress = await beforeLogin(profile, ctx, progress, quiet, `Connecting to ${profile.name}${via} and starting Jupyter ${profile.app}...`);
    early = earlyForward(profile, paths, ctx);
    const result = await sshToTarget(profile.name, buildRemoteActionArgs(profile.name, 'start', { newToken: options.newToken }), ctx, { input: script, timeoutMs: 120_000 });
    const reply = parseReply(result.stdout, 'plain', 'start', profile.name);
    checkInterrupt(reply?.ok ? `Jupyter is running on ${profile.name} (pid ${reply.pid}), without a tunnel.` : `Jupyter may have started on ${profile.name}.`);
    if (!reply) throw explainSshFailure(result, profile);
    if (!reply.ok || !reply.token || !(reply.port || reply.sock)) throw remoteFailure(reply, profile);
    if (reply.bindFallback) ctx.stderr.write(`${reply.bindFallback}: it listens on TCP 127.0.0.1:${reply.port} there, open to every user of ${profile.host} who has the token (setup --name ${profile.name} --bind tcp stops this note).\n`);
    const node = reply.node ?? '127.0.0.1';
    const target = { host: reply.sock ?? node, remotePort: reply.port ?? 0 };
    // A forward opened early on a login that turned out stale went with it.
    const opened = result.replaced.length ? undefined : await early;
    early = undefined;
    let localPort: number;
    if (opened && opened.host === target.host && opened.remotePort === target.remotePort) {
      localPort = opened.localPort;
      await writeForwardState(paths, profile.name, opened);
    } else {
      if (opened) await cancelForward(profile, ctx, opened);
      progress.phase('Opening the tunnel...');
      localPort = await openForward(profile, paths, ctx, target.host, target.remotePort);
      await writeLastForward(paths, profile.name, { localPort, ...target });
    }
    checkInterrupt(`Jupyter is running on ${profile.name} and forwarded to local port ${localPort}.`);
    progress.phase('Checking that Jupyter answers through the tunnel...');
    const answer = judgeAnswer(await waitForJupyter(localPort, reply.token, 15_000), `local port ${localPort} (the tunnel to ${profile.name})`);
    if (answer.kind !== 'ok') {
      throw new RuntimeFailure(
        `Jupyter on ${profile.name} does not work: ${answer.detail}`,
        `Run jupyter-ssh-setup doctor ${profile.name}; jupyter-ssh-setup stop ${profile.name} stops what runs there.`,
      );
    }
    if (reply.sock) await learnSocket(profile, reply.sock, ctx, quiet);
    return {
      name: profile.name,
      url: notebookUrl(localPort, profile, reply.token),
      token: reply.token,
      localPort,
      remotePort: reply.port ?? 0,
      host: reply.host ?? profile.host,
      node,
      pid: reply.pid ?? 0,
      reused: Boolean(reply.reused),
      bind: reply.sock ? 'socket' : 'tcp',
      ...(reply.sock ? { socket: reply.sock } : {}),
    };
  } catch (error) {
    // A forward opened ahead of an answer that never came is closed again.
    const opened = await early;
    if (opened) await cancelForward(profile, ctx, opened);
    throw error;
  } finally {
    interrupt.dispose();
    progress.done();
  }
}

/**
 * The socket's absolute path there, as the remote chose it: our Host file's
 * `NAME-tunnel` alias forwards to it (written now, on the first start, and
 * again should the path change). A failure here never fails the start.
 */
async function learnSocket(profile: Profile, socket: string, ctx: Context, quiet: boolean): Promise<void> {
  try {
    if ((await learnRemoteFacts(profile, { socket }, ctx)) && !quiet) {
      ctx.stderr.write(`Added ssh ${profile.name}-tunnel to your SSH config: a tunnel of its own to ${socket} on ${profile.name} (ssh -f -N ${profile.name}-tunnel).\n`);
    }
  } catch (error) {
    if (!quiet) ctx.stderr.write(`note: could not record the socket's path for ssh ${profile.name}-tunnel: ${(error as Error).message}\n`);
  }
}

/**
 * While Jupyter starts there, the forward of the last start (usually the same
 * socket path or port) is added to the shared connection: the step after
 * Jupyter answers is then only the check through it. Only on a live shared
 * connection (a cold start has none yet: nothing is tried) and only when no
 * forward is recorded already and the configured local port is free; resolves
 * to the forward opened, or undefined.
 */
async function earlyForward(profile: Profile, paths: Paths, ctx: Context): Promise<ForwardState | undefined> {
  if (!multiplexing(ctx) || persistOf(profile) === 'no' || profile.reconnect) return undefined;
  if (await readForwardState(paths, profile.name)) return undefined;
  // The configured local port (the usual URL), to where the last start's went.
  const last = await readLastForward(paths, profile.name);
  if (!last || !(await isLocalPortFree(profile.localPort))) return undefined;
  const early = { ...last, localPort: profile.localPort };
  const r = await ssh(buildControlArgs(profile.name, 'forward', forwardSpec(early.localPort, early.host, early.remotePort)), ctx);
  return r.exitCode === 0 ? early : undefined;
}

async function cancelForward(profile: Profile, ctx: Context, state: ForwardState): Promise<void> {
  await ssh(buildControlArgs(profile.name, 'cancel', forwardSpec(state.localPort, state.host, state.remotePort)), ctx);
}

/**
 * On a terminal, when no shared connection is up yet, ssh may ask for a
 * password or a one-time code: the spinner stops so that ssh's own prompt
 * stands alone, and says so. Returns the progress to use from here on.
 */
export async function beforeLogin(profile: Profile, ctx: Context, progress: Progress, quiet: boolean, text: string): Promise<Progress> {
  if (quiet || !ctx.stderr.isTTY || !multiplexing(ctx) || (await checkMaster(profile.name, ctx)).open) {
    progress.phase(text);
    return progress;
  }
  progress.done();
  ctx.stderr.write(`${text}\n  (logging in: answer ssh's prompts here if a hop asks for a password or code; once a day is enough)\n`);
  return createPlainProgress(ctx);
}

function remoteFailure(reply: Reply<'plain', 'start'>, profile: Profile): RuntimeFailure {
  const failure = reply.ok ? { message: 'unknown error', error: '' } : reply;
  return new RuntimeFailure(`starting Jupyter on ${profile.name} failed: ${failure.message}`, startHint(failure, profile));
}

/**
 * Adds the forward to the shared connection: the configured local port, or
 * the next free one. A forward from an earlier start to the same place is reused.
 */
export async function openForward(profile: Profile, paths: Paths, ctx: Context, host: string, remotePort: number): Promise<number> {
  const previous = await readForwardState(paths, profile.name);
  // A forward of the shared connection lives as long as that connection: with
  // `--persist no` it ends with start's own ssh, so the tunnel is a process of its own.
  let ownProcess: false | 'ssh' | 'autossh' = multiplexing(ctx) && persistOf(profile) !== 'no' ? false : 'ssh';
  if (profile.reconnect) {
    if (await hasAutossh()) ownProcess = 'autossh';
    else ctx.stderr.write('--reconnect needs autossh, which is not installed here (apt install autossh / brew install autossh); run start again to heal a lost tunnel.\n');
  }
  const same = previous !== undefined && previous.host === host && previous.remotePort === remotePort;
  if (ownProcess) {
    // The forward is an ssh (or autossh) process of its own, see io/tunnel-process.ts.
    if (same && (await isLocalPortOpen(previous.localPort)) && (await hasTunnelProcess(paths, profile.name))) return previous.localPort;
    if (previous) await ssh(buildControlArgs(profile.name, 'cancel', forwardSpec(previous.localPort, previous.host, previous.remotePort)), ctx);
  } else {
    // The forward lives in the shared connection; a tunnel process of an earlier --reconnect goes.
    await stopTunnelProcess(paths, profile.name);
    if (same && (await ssh(buildControlArgs(profile.name, 'forward', forwardSpec(previous.localPort, host, remotePort)), ctx)).exitCode === 0) return previous.localPort;
    if (previous && !same) await ssh(buildControlArgs(profile.name, 'cancel', forwardSpec(previous.localPort, previous.host, previous.remotePort)), ctx);
  }
  /** Opens the forward on `port`: true when it listens, false when that port turned out to be taken. */
  const open = async (port: number): Promise<boolean> => {
    const spec = forwardSpec(port, host, remotePort);
    if (ownProcess) {
      if (await startTunnelProcess(paths, profile.name, spec, port, ctx, ownProcess === 'autossh')) return true;
      throw new RuntimeFailure(`${ownProcess} could not open the tunnel to ${profile.name}`, `Run jupyter-ssh-setup doctor ${profile.name}${ownProcess === 'autossh' ? '; --reconnect needs key authentication without prompts' : ''}.`);
    }
    const result = await ssh(buildControlArgs(profile.name, 'forward', spec), ctx);
    if (result.exitCode === 0) return true;
    if (/forwarding request failed|Port forwarding failed/.test(result.stderr)) return false;
    throw explainSshFailure(result, profile);
  };
  // The configured local port, or the next free one.
  const wanted = profile.localPort;
  for (let port = wanted; port < wanted + 50 && port <= 65535; port++) {
    // On the shared connection, a port already forwarded there to the same place
    // (a concurrent start) is accepted by the master as it is; another program's
    // port makes the forward fail, and the next port is tried.
    if ((ownProcess && !(await isLocalPortFree(port))) || !(await open(port))) continue;
    if (port !== wanted) ctx.stderr.write(`Local port ${wanted} is taken; using ${port}, so the URL is not the usual one (port ${wanted}). To keep one URL, free port ${wanted} and start again, or choose a port of its own: setup --name ${profile.name} --local-port N\n`);
    await writeForwardState(paths, profile.name, { localPort: port, host, remotePort });
    return port;
  }
  throw new RuntimeFailure(`no free local port from ${wanted} to ${wanted + 49}`, 'Free one, or choose another with setup --local-port N.');
}

/** "  the job ends in 9:58 (at 14:05): its time limit\n" for a batch job that has one. */
function jobEnd(result: StartResult): string {
  const at = result.timeLeft ? jobEndsAt(new Date(), result.timeLeft) : undefined;
  const notice = timeLeftNotice(result.name, result.timeLeft);
  return at ? `  the job ends in ${result.timeLeft} (at ${at}): its time limit; Jupyter stops with it\n${notice ? `  ${notice}\n` : ''}` : '';
}

function printReady(result: StartResult, profile: Profile, ctx: Context): void {
  const c = colors(ctx);
  const where = result.node !== '127.0.0.1' ? `${result.node} (via ${profile.host})` : result.host;
  ctx.stdout.write(
    `${c.green('✔')} Jupyter ${profile.app} on ${c.bold(profile.name)} is ${result.reused ? 'already running' : 'ready'}:\n` +
      `  ${c.bold(result.url)}\n` +
      `  local port ${result.localPort} -> ${where} ${result.socket ? `socket ${result.socket} (0600, yours only)` : `port ${result.remotePort}`}, ${result.jobId ? `${result.scheduler?.toUpperCase()} job ${result.jobId}` : `pid ${result.pid}`}\n` +
      jobEnd(result) +
      `  stop it with: jupyter-ssh-setup stop ${profile.name}   (or remote_notebook_stop ${profile.name})\n` +
      (multiplexing(ctx) ? `  the login stays up ${persistOf(profile) === 'no' ? 'while the tunnel runs' : `${describePersist(persistOf(profile))} after its last use`} (ssh ${profile.name} reuses it; jupyter-ssh-setup disconnect ${profile.name} closes it)\n` : ''),
  );
}
