import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** The argument array, for --verbose. */
  argv: string[];
  timedOut: boolean;
}

export interface RunOptions {
  input?: string;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Let ssh talk to the terminal (passwords, 2FA, host key questions). */
  interactive?: boolean;
  /** Ends the process when aborted; the result then has timedOut set. */
  signal?: AbortSignal;
  /**
   * The signal for a timeout or an abort (default SIGTERM). An ssh waiting on a
   * master whose network is gone ignores SIGTERM until the master dies: SIGKILL.
   */
  killSignal?: NodeJS.Signals;
}

/**
 * The one place that starts processes (this, startProcess). Arguments are arrays, never shell
 * strings. This is node:child_process rather than execa on purpose: importing
 * execa costs about 70 ms at every start on a 2-core machine (measured by
 * `npm run bench`), 10-15% of a warm `start`, and this runner needs only
 * spawn, collect, a timeout and stdin. The tests use execa.
 */
export function runProcess(file: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(file, args, {
      env: options.env ?? process.env,
      stdio: [options.input !== undefined ? 'pipe' : options.interactive ? 'inherit' : 'ignore', 'pipe', options.interactive ? 'inherit' : 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (d: Buffer) => out.push(d));
    child.stderr?.on('data', (d: Buffer) => err.push(d));
    let timedOut = false;
    const timer = options.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          child.kill(options.killSignal ?? 'SIGTERM');
        }, options.timeoutMs)
      : undefined;
    const abort = () => {
      timedOut = true;
      child.kill(options.killSignal ?? 'SIGTERM');
    };
    if (options.signal?.aborted) abort();
    else options.signal?.addEventListener('abort', abort, { once: true });
    let finished = false;
    const finish = (exitCode: number, extra = '') => {
      if (finished) return;
      finished = true;
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener('abort', abort);
      resolve({
        exitCode,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8') + extra,
        argv: [file, ...args],
        timedOut,
      });
    };
    child.once('error', (error: NodeJS.ErrnoException) => finish(error.code === 'ENOENT' ? 127 : 255, `${file}: ${error.message}\n`));
    child.once('close', (code, signal) => finish(timedOut ? 124 : (code ?? (signal ? 128 : 255))));
    // A connection-sharing client hands its stdio to the master, which holds them
    // until its channel closes: once a client that we ended is gone, do not wait
    // for its pipes to close (a stale master keeps them until keepalives end it).
    child.once('exit', () => {
      if (!timedOut) return;
      child.stdout?.destroy();
      child.stderr?.destroy();
      finish(124);
    });
    if (options.input !== undefined && child.stdin) {
      child.stdin.on('error', () => {}); // the remote may exit before reading everything
      child.stdin.end(options.input);
    }
  });
}

/**
 * A process whose streams the caller uses (an `ssh -W` stream) or that
 * outlives this one (`detached`): arguments are arrays here too.
 */
export function startProcess(file: string, args: string[], options: SpawnOptions): ChildProcess {
  return spawn(file, args, options);
}

/** The local OpenSSH version as [major, minor], from `ssh -V`. */
export async function readSshVersion(): Promise<[number, number] | undefined> {
  const result = await runProcess('ssh', ['-V'], { timeoutMs: 5000 });
  const match = /OpenSSH_(?:for_Windows_)?(\d+)\.(\d+)/.exec(result.stderr + result.stdout);
  return match ? [Number(match[1]), Number(match[2])] : undefined;
}

export interface ResolveResult {
  ok: boolean;
  options: Map<string, string[]>;
  error: string;
}

/** `ssh -G`: how OpenSSH itself resolves an alias through a config file. */
export async function resolveWithSsh(configFile: string, alias: string): Promise<ResolveResult> {
  const result = await runProcess('ssh', ['-G', '-F', configFile, '--', alias], { timeoutMs: 10000 });
  return { ok: result.exitCode === 0, options: parseSshG(result.stdout), error: result.stderr.trim() };
}

/** Parses `ssh -G` output: keyword -> values (repeated keywords keep every value). */
export function parseSshG(text: string): Map<string, string[]> {
  const options = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const space = line.indexOf(' ');
    if (space <= 0) continue;
    const key = line.slice(0, space).toLowerCase();
    const value = line.slice(space + 1);
    options.set(key, [...(options.get(key) ?? []), value]);
  }
  return options;
}

/** Runs fn with a private temp directory that is removed afterwards. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'jss-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export { writeFile };

/**
 * Ctrl+C (SIGINT) while a command works, as a flag and a sleep that it cuts
 * short: start and the batch wait finish the step in flight, then say what was
 * left running. `dispose` gives SIGINT back.
 */
export function watchInterrupt(): { readonly fired: boolean; sleep(ms: number): Promise<void>; dispose(): void } {
  let fired = false;
  let wake: (() => void) | undefined;
  const onSigint = () => {
    fired = true;
    wake?.();
  };
  process.on('SIGINT', onSigint);
  return {
    get fired() {
      return fired;
    },
    sleep(ms: number) {
      if (fired || ms <= 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(done, ms);
        function done() {
          clearTimeout(timer);
          wake = undefined;
          resolve();
        }
        wake = done;
      });
    },
    dispose() {
      process.off('SIGINT', onSigint);
    },
  };
}
