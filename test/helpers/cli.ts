/**
 * Runs the CLI in-process, the way bin.ts does, but with a temporary HOME, no
 * terminal and captured output, so a test sees exactly what a user would.
 */
import { Writable, Readable } from 'node:stream';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { mkdtempSync, promises as fsp } from 'node:fs';
import { execFile } from 'node:child_process';
import fse from 'fs-extra';
import { run } from '../../src/cli.js';
import type { Context } from '../../src/context.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunCliOptions {
  /** The HOME the command sees (ctx.home and $HOME). */
  home: string;
  /** Extra environment; a value of undefined removes the variable. */
  env?: Record<string, string | undefined>;
  /** Working directory for relative paths (default: home). */
  cwd?: string;
  /** Fixed clock, for backup names. */
  now?: () => Date;
}

/** A writable stream that keeps what was written, and is not a terminal. */
export class Capture extends Writable {
  readonly isTTY = false;
  private chunks: string[] = [];
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.chunks.push(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
    done();
  }
  text(): string {
    return this.chunks.join('');
  }
}

/** The environment a command sees: ours, minus what would point outside the temp home. */
export function testEnv(home: string, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, SHELL: '/bin/bash', NO_COLOR: '1' };
  delete env.XDG_CONFIG_HOME;
  delete env.SSH_AUTH_SOCK;
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** Builds the Context a test run uses. */
export function testContext(argv: string[], options: RunCliOptions, stdout: Capture, stderr: Capture): Context {
  const stdin = Readable.from([]) as Readable & { isTTY?: boolean };
  stdin.isTTY = false;
  return {
    argv,
    env: testEnv(options.home, options.env),
    home: options.home,
    cwd: options.cwd ?? options.home,
    stdout,
    stderr,
    stdin,
    now: options.now ?? (() => new Date()),
  };
}

/** Runs `jupyter-ssh-setup ARGV...` in-process; never throws for a failing command. */
export async function runCli(argv: string[], options: RunCliOptions): Promise<CliResult> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await run(argv, testContext(argv, options, stdout, stderr));
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

export interface TempHome {
  home: string;
  /** Removes the directory and everything in it. */
  cleanup: () => Promise<void>;
}

const leftOver = new Set<string>();
process.on('exit', () => {
  for (const dir of leftOver) fse.removeSync(dir);
});

/** A fresh, empty temporary HOME (0700). Removed by cleanup(), or at exit at the latest. */
export function tempHome(prefix = 'jss-home-'): TempHome {
  const home = mkdtempSync(join(tmpdir(), prefix));
  leftOver.add(home);
  return {
    home,
    cleanup: async () => {
      await fse.remove(home);
      leftOver.delete(home);
    },
  };
}

/** Runs fn with a temporary HOME that is removed afterwards, whatever happens. */
export async function withTempHome<T>(fn: (home: string) => Promise<T>, prefix?: string): Promise<T> {
  const t = tempHome(prefix);
  try {
    return await fn(t.home);
  } finally {
    await t.cleanup();
  }
}

// ---------------------------------------------------------------------------
// Small tools the corpus and golden tests share.


export interface ProcessResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program with an argument array; never throws for a non-zero exit. */
export function runProgram(file: string, args: string[], options: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { env: options.env ?? process.env, timeout: options.timeoutMs ?? 30000, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? ((error as { code: number }).code) : -1) : 0;
        if (error && code === -1 && (error as NodeJS.ErrnoException).code === 'ENOENT') return reject(error);
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

/** `ssh -G -F CONFIG -- ALIAS`: how OpenSSH resolves an alias (runs no connection; may run Match exec). */
export function sshG(config: string, alias: string): Promise<ProcessResult> {
  return runProgram('ssh', ['-G', '-F', config, '--', alias], { timeoutMs: 20000 });
}

/** The first value of each keyword in `ssh -G` output. */
export function sshGValues(stdout: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const space = line.indexOf(' ');
    if (space <= 0) continue;
    const key = line.slice(0, space).toLowerCase();
    if (!values.has(key)) values.set(key, line.slice(space + 1));
  }
  return values;
}

/** Maps items through fn with at most `limit` running at once; keeps the order. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i]!, i);
      }
    }),
  );
  return results;
}

export interface Entry {
  type: 'file' | 'dir' | 'link';
  mode: number;
  /** File content (base64), or the link's target. */
  content?: string;
  mtimeMs?: number;
}

/** Every file, directory and link under dir: type, mode, content (and mtime with `withTimes`). */
export async function snapshotTree(dir: string, withTimes = false): Promise<Record<string, Entry>> {
  const out: Record<string, Entry> = {};
  async function walk(path: string): Promise<void> {
    for (const name of (await fsp.readdir(path)).sort()) {
      const full = join(path, name);
      const st = await fsp.lstat(full);
      const key = relative(dir, full);
      const times = withTimes ? { mtimeMs: st.mtimeMs } : {};
      if (st.isSymbolicLink()) out[key] = { type: 'link', mode: 0, content: await fsp.readlink(full) };
      else if (st.isDirectory()) {
        out[key] = { type: 'dir', mode: st.mode & 0o7777 };
        await walk(full);
      } else out[key] = { type: 'file', mode: st.mode & 0o7777, content: (await fsp.readFile(full)).toString('base64'), ...times };
    }
  }
  await walk(dir);
  return out;
}

export const BEGIN_LINE = '# >>> jupyter-ssh-setup >>>';
export const END_LINE = '# <<< jupyter-ssh-setup <<<';

/**
 * The text with our marked block cut out: the lines from the begin marker to
 * the end marker, each with its own line ending. Written independently of
 * src/core/marked-block.ts on purpose. Returns `block` too (the cut lines).
 */
export function cutMarkedBlock(text: string): { rest: string; block: string; count: number } {
  const lines = text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  const keep: string[] = [];
  const block: string[] = [];
  let inside = false;
  let count = 0;
  for (const line of lines) {
    const bare = line.replace(/\r?\n$/, '');
    if (bare === BEGIN_LINE) {
      inside = true;
      count++;
    }
    (inside ? block : keep).push(line);
    if (bare === END_LINE) inside = false;
  }
  let rest = keep.join('');
  // A block appended to a file without a final newline starts after a newline we added.
  if (block.length && !block[block.length - 1]!.endsWith('\n') && /\r?\n$/.test(rest)) rest = rest.replace(/\r?\n$/, '');
  return { rest, block: block.join(''), count };
}
