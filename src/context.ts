import type { Writable, Readable } from 'node:stream';

/** Answers questions: the wizard's seam, replaced by answers in tests. */
export interface Prompter {
  input(q: { message: string; default?: string; validate?: (v: string) => true | string }): Promise<string>;
  confirm(q: { message: string; default?: boolean }): Promise<boolean>;
  select<T extends string>(q: { message: string; choices: { name: string; value: T; description?: string }[]; default?: T }): Promise<T>;
}

/** Everything a command may touch of the outside world, so tests run the CLI in-process. */
export interface Context {
  argv: string[];
  env: NodeJS.ProcessEnv;
  home: string;
  cwd: string;
  stdout: Writable & { isTTY?: boolean; columns?: number };
  stderr: Writable & { isTTY?: boolean };
  stdin: Readable & { isTTY?: boolean };
  /** The prompt seam; commands load @inquirer/prompts lazily when this is absent. */
  prompter?: Prompter;
  now: () => Date;
  /** --verbose: print every ssh command (tokens masked). */
  verbose?: boolean;
}

export function createProcessContext(argv: string[]): Context {
  return {
    argv,
    env: process.env,
    home: process.env.HOME || (process.env.USERPROFILE ?? '/'),
    cwd: process.cwd(),
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    now: () => new Date(),
  };
}
