/**
 * Tests that need a program the machine may lack (zsh, fish, shellcheck,
 * tmux, ...; `npm test` as root installs them, see test/bed/install.sh).
 * Without it a test is skipped, or a check inside one is left out, and one
 * line says which package enables it: scripts/run-tests.mjs gathers the
 * `jss-skip:` lines and prints them once, before the summary.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Test } from 'uvu';

/** The Debian package of each program the tests may call. */
const PACKAGE: Record<string, string> = {
  zsh: 'zsh',
  fish: 'fish',
  shellcheck: 'shellcheck',
  tmux: 'tmux',
  dash: 'dash',
  sshd: 'openssh-server',
  ssh: 'openssh-client',
  'jupyter-server': 'jupyter-server',
  ss: 'iproute2',
};

const known = new Map<string, boolean>();

/** True when PROGRAM can be run (on PATH, or sshd in an sbin directory). */
export function installed(program: string): boolean {
  let yes = known.get(program);
  if (yes === undefined) {
    yes = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', program], { stdio: 'ignore' }).status === 0 || (program === 'sshd' && ['/usr/sbin/sshd', '/usr/local/sbin/sshd'].some(existsSync));
    known.set(program, yes);
  }
  return yes;
}

const said = new Set<string>();
/** Prints, once per program, that something was not checked and what enables it. */
export function reportMissing(program: string, what = 'some checks'): void {
  const line = `${program} is not installed, ${what} skipped: sudo apt-get install ${PACKAGE[program] ?? program} (or run npm test as root)`;
  if (said.has(line)) return;
  said.add(line);
  process.stdout.write(`jss-skip: ${line}\n`);
}

/** `test` when every program is installed; else `test.skip`, with the reason reported. */
export function needing(test: Test, ...programs: string[]): Test {
  const missing = programs.filter((p) => !installed(p));
  if (!missing.length) return test;
  for (const p of missing) reportMissing(p, 'tests that run it');
  return test.skip as unknown as Test;
}

/** The checks whose program is installed; the others are reported as skipped. */
export function runnable<T extends [string, string, ...unknown[]]>(checks: T[]): T[] {
  return checks.filter(([, program]) => installed(program) || (reportMissing(program, `${program} checks`), false));
}

/** The programs that are installed (e.g. the shells to run a check in); the others are reported as skipped. */
export function installedOf(programs: string[]): string[] {
  return programs.filter((p) => installed(p) || (reportMissing(p, `the ${p} runs of some tests`), false));
}
