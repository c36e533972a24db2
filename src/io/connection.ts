import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import type { Context } from '../context.js';
import type { Paths } from '../core/plan.js';
import type { Profile } from '../core/profile.js';
import { buildControlArgs, buildMasterProbeArgs, forwardSpec, parseMasterPid } from '../core/ssh-args.js';
import { runProcess, type RunOptions, type RunResult } from './ssh.js';
import { ssh, multiplexing, sshConfigArgs } from './remote.js';
import { readTextIfExists, writeFileAtomic, ensureDir } from './files.js';
import { readForwardState, clearForwardState, parseForwardLine, formatForwardLine } from './tunnel-state.js';
import { stopTunnelProcess } from './tunnel-process.js';

/**
 * The shared connection of a target, as the I/O edge sees it: is it up, which
 * jump connections does it ride on, which forwards of ours does it carry.
 * The sockets are the ones our Host blocks name (ControlPath ~/.ssh/jss-%C),
 * so this is the same connection as the user's own `ssh NAME`.
 */

export interface MasterState {
  open: boolean;
  pid?: number;
}

/** `ssh -O check NAME`: asks the master over its socket (no network, no login). */
export async function checkMaster(name: string, ctx: Context): Promise<MasterState> {
  if (!multiplexing(ctx)) return { open: false };
  const r = await ssh(buildControlArgs(name, 'check'), ctx, { timeoutMs: 10_000 });
  const pid = parseMasterPid(r.stderr);
  return r.exitCode === 0 ? { open: true, ...(pid ? { pid } : {}) } : { open: false };
}

/**
 * How long a shared login may take to answer a probe through it before it
 * counts as stale: many round trips of a slow link, far less than the 90 s
 * that keepalives (30 s x 3) took to notice a network that went away.
 */
export const PROBE_MS = 3000;
/** The same for the jump hosts' logins, probed when the target's has not answered within HOP_PROBE_AFTER_MS. */
const HOP_PROBE_MS = 2000;
const HOP_PROBE_AFTER_MS = 1000;
/** The watch begins only when the command has not finished by then. */
const WATCH_AFTER_MS = 700;

/** True when the master of `alias` answers a probe through its connection within timeoutMs. */
async function answers(alias: string, ctx: Context, timeoutMs: number, signal: AbortSignal): Promise<boolean> {
  const r = await ssh(buildMasterProbeArgs(alias), ctx, { timeoutMs, signal, killSignal: 'SIGKILL' });
  return !r.timedOut;
}

/** Those of `aliases` whose master is up (-O check) but does not answer through it. */
async function staleAmong(aliases: string[], ctx: Context, timeoutMs: number, signal: AbortSignal): Promise<string[]> {
  const found = await Promise.all(
    aliases.map(async (alias) => ((await checkMaster(alias, ctx)).open && !(await answers(alias, ctx, timeoutMs, signal)) ? alias : undefined)),
  );
  return found.filter((a): a is string => a !== undefined);
}

/**
 * The shared logins (the target's, then its jump hosts') that are up locally
 * but do not answer: what a laptop that slept or changed network leaves.
 * The jump hosts are probed only when the target's login did not answer, or
 * when the target has none (a new login then goes through theirs).
 */
async function findStaleLogins(name: string, ctx: Context, signal: AbortSignal): Promise<string[]> {
  // Most commands are done within this on a live login: they cost no process.
  if (!(await delay(WATCH_AFTER_MS, signal))) return [];
  if ((await checkMaster(name, ctx)).open) {
    const target = answers(name, ctx, PROBE_MS, signal);
    // A live login answers in a round trip; one that has not within a second may
    // be stale, and then so may its jump hosts': probe them meanwhile.
    const early = new AbortController();
    const soon = await Promise.race([target, delay(HOP_PROBE_AFTER_MS, early.signal).then(() => 'slow' as const)]);
    early.abort();
    if (soon === true || signal.aborted) return [];
    const [alive, hops] = await Promise.all([target, hopAliases(name, ctx).then((h) => staleAmong(h, ctx, HOP_PROBE_MS, signal))]);
    return alive || signal.aborted ? [] : [name, ...hops];
  }
  // No login of the target's own: a new one goes through its jump hosts' logins, which may be stale.
  return staleAmong(await hopAliases(name, ctx), ctx, PROBE_MS, signal);
}

/** Resolves true after ms, or false at once when the signal aborts first. */
function delay(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', stop);
      resolve(true);
    }, ms);
    const stop = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', stop, { once: true });
  });
}

/** Ends masters that do not answer: `-O exit`, and their pid when that did not end them. */
async function closeStaleLogins(aliases: string[], ctx: Context): Promise<void> {
  for (const alias of aliases) {
    const before = await checkMaster(alias, ctx);
    await ssh(buildControlArgs(alias, 'exit'), ctx, { timeoutMs: 2000 });
    if (before.pid && (await checkMaster(alias, ctx)).open) {
      try {
        process.kill(before.pid, 'SIGTERM');
      } catch {
        // gone meanwhile
      }
    }
  }
}

export interface TargetRun extends RunResult {
  /** The stale logins that were closed before this ran again on a new login. */
  replaced: string[];
}

/**
 * `ssh ARGS` to target NAME through its shared login, watched: while it runs,
 * a probe asks through that login (and through its jump hosts' when the
 * target's is not up). When the login is up locally but does not answer within
 * PROBE_MS (a laptop that slept or changed network: `-O check` says running,
 * the TCP connection behind it leads nowhere and keepalives would take 90 s),
 * the ssh is ended, the stale logins are closed, and it runs again on one new
 * login. The watch starts only when the command has not finished within
 * WATCH_AFTER_MS, and runs beside it: a live login never waits for it.
 */
export async function sshToTarget(name: string, args: string[], ctx: Context, options: RunOptions = {}): Promise<TargetRun> {
  if (!multiplexing(ctx)) return { ...(await ssh(args, ctx, options)), replaced: [] };
  const mainAbort = new AbortController();
  const probeAbort = new AbortController();
  const main = ssh(args, ctx, { ...options, signal: mainAbort.signal, killSignal: 'SIGKILL' });
  const watch = findStaleLogins(name, ctx, probeAbort.signal);
  const first = await Promise.race([main.then((r) => ({ done: r })), watch.then((stale) => ({ stale }))]);
  if ('done' in first) {
    probeAbort.abort();
    return { ...first.done, replaced: [] };
  }
  if (first.stale.length === 0) return { ...(await main), replaced: [] };
  mainAbort.abort();
  await main;
  const hops = first.stale.filter((a) => a !== name);
  ctx.stderr.write(
    `The shared login to ${name}${hops.length ? ` (and to ${hops.join(', ')})` : ''} did not answer within ${PROBE_MS / 1000} s: ` +
      'the network changed or the computer slept. Closed it; logging in again.\n',
  );
  await closeStaleLogins(first.stale, ctx);
  return { ...(await ssh(args, ctx, options)), replaced: first.stale };
}

/** What `ssh -G NAME` resolves: the socket path and the ProxyJump chain. */
export interface Resolved {
  controlPath: string | undefined;
  proxyJump: string[];
}

export async function resolveAlias(name: string, ctx: Context): Promise<Resolved> {
  const r = await runProcess('ssh', [...sshConfigArgs(ctx.env), '-G', '--', name], { timeoutMs: 10_000 });
  const line = (key: string) => new RegExp(`^${key} (.*)$`, 'm').exec(r.stdout)?.[1];
  const cp = line('controlpath');
  const pj = line('proxyjump');
  return { controlPath: cp && cp !== 'none' ? cp : undefined, proxyJump: pj && pj !== 'none' ? pj.split(',') : [] };
}

/** The generated hop aliases (jss-hop-*) a name's connection goes through, nearest first. */
export async function hopAliases(name: string, ctx: Context, depth = 0): Promise<string[]> {
  if (depth > 8) return [];
  const { proxyJump } = await resolveAlias(name, ctx);
  const last = proxyJump.at(-1);
  if (!last || !last.startsWith('jss-hop-') || proxyJump.length > 1) return [];
  return [last, ...(await hopAliases(last, ctx, depth + 1))];
}

/** A forward that `forward` added to the shared connection, besides the notebook's own. */
export interface ExtraForward {
  localPort: number;
  host: string;
  remotePort: number;
}

function extraForwardsPath(paths: Paths, name: string): string {
  return join(paths.configDir, 'state', `${name}.forwards`);
}

/** The extra forwards: one "LOCALPORT HOST REMOTEPORT" (or "LOCALPORT /PATH.sock") line each; shell functions read it too. */
export async function readExtraForwards(paths: Paths, name: string): Promise<ExtraForward[]> {
  const text = (await readTextIfExists(extraForwardsPath(paths, name))) ?? '';
  return text
    .split('\n')
    .map(parseForwardLine)
    .filter((f): f is ExtraForward => f !== undefined);
}

export async function writeExtraForwards(paths: Paths, name: string, forwards: ExtraForward[]): Promise<void> {
  if (forwards.length === 0) {
    await rm(extraForwardsPath(paths, name), { force: true });
    return;
  }
  await ensureDir(join(paths.configDir, 'state'), 0o700);
  await writeFileAtomic(extraForwardsPath(paths, name), forwards.map(formatForwardLine).join(''), 0o600);
}

/**
 * Takes every forward of ours off the shared connection (`-O cancel`: the
 * notebook's and the extra ones) and ends a tunnel process of our own; the
 * connection itself stays up for its ControlPersist.
 */
export async function closeForwards(profile: Profile, paths: Paths, ctx: Context): Promise<void> {
  const main = await readForwardState(paths, profile.name);
  const extra = await readExtraForwards(paths, profile.name);
  if (multiplexing(ctx)) {
    await Promise.all(
      [...(main ? [main] : []), ...extra].map((f) => ssh(buildControlArgs(profile.name, 'cancel', forwardSpec(f.localPort, f.host, f.remotePort)), ctx, { timeoutMs: 10_000 })),
    );
  }
  await clearForwardState(paths, profile.name);
  await writeExtraForwards(paths, profile.name, []);
  await stopTunnelProcess(paths, profile.name);
}

export interface DisconnectResult {
  name: string;
  /** The connections closed: the target's own, then jump hosts'. */
  closed: string[];
  /** Connections left up because another target's connection goes through them. */
  kept: { alias: string; usedBy: string[] }[];
}

/**
 * Closes a target's shared connection and those of its jump hosts that no
 * other open target of ours needs. Connections are identified by their socket
 * (two of our aliases for the same machine and account share one).
 */
export async function disconnectTargets(targets: Profile[], all: Profile[], paths: Paths, ctx: Context): Promise<DisconnectResult[]> {
  const names = new Set(targets.map((p) => p.name));
  // Which sockets the other targets hold open: their own and their hops'.
  const inUse = new Map<string, string[]>();
  await Promise.all(
    all
      .filter((p) => !names.has(p.name))
      .map(async (p) => {
        if (!(await checkMaster(p.name, ctx)).open) return;
        const chain = [p.name, ...(await hopAliases(p.name, ctx))];
        for (const alias of chain) {
          const cp = (await resolveAlias(alias, ctx)).controlPath;
          if (cp) inUse.set(cp, [...(inUse.get(cp) ?? []), p.name]);
        }
      }),
  );
  const results: DisconnectResult[] = [];
  const done = new Set<string>();
  for (const target of targets) {
    await closeForwards(target, paths, ctx);
    const result: DisconnectResult = { name: target.name, closed: [], kept: [] };
    for (const alias of [target.name, ...(await hopAliases(target.name, ctx))]) {
      const cp = (await resolveAlias(alias, ctx)).controlPath;
      if (!cp || done.has(cp)) continue;
      const users = inUse.get(cp);
      if (users) {
        result.kept.push({ alias, usedBy: users });
        continue;
      }
      done.add(cp);
      if ((await checkMaster(alias, ctx)).open) {
        await ssh(buildControlArgs(alias, 'exit'), ctx, { timeoutMs: 10_000 });
        result.closed.push(alias);
      }
    }
    results.push(result);
  }
  return results;
}
