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
}

/** The one place that starts processes. Arguments are arrays, never shell strings. */
export async function runProcess(file: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const { execa } = await import('execa');
  const result = await execa(file, args, {
    reject: false,
    input: options.input,
    stdin: options.input === undefined ? (options.interactive ? 'inherit' : 'ignore') : undefined,
    stderr: options.interactive ? ['pipe', 'inherit'] : 'pipe',
    timeout: options.timeoutMs,
    env: options.env,
    extendEnv: true,
    stripFinalNewline: false,
  });
  return {
    exitCode: result.exitCode ?? (result.timedOut ? 124 : 255),
    stdout: String(result.stdout ?? ''),
    stderr: String(result.stderr ?? ''),
    argv: [file, ...args],
    timedOut: Boolean(result.timedOut),
  };
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
