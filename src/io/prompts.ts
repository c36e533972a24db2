import type { Context, Prompter } from '../context.js';
import { CancelledError } from '../errors.js';

/** The errors @inquirer/prompts throws when the user gives up on a question. */
export function isPromptCancel(error: unknown): boolean {
  const name = (error as { name?: string } | null)?.name;
  return name === 'ExitPromptError' || name === 'AbortPromptError' || name === 'CancelPromptError';
}

/**
 * The real Prompter, on @inquirer/prompts (imported here, so only a run of the
 * wizard loads it). Ctrl+C, Ctrl+D and end of input all become CancelledError:
 * inquirer reports Ctrl+C itself, but when readline closes on Ctrl+D or EOF
 * its prompt never settles, and the process would end with an unsettled
 * top-level await instead of "Cancelled, nothing written.".
 */
export async function createPrompter(ctx: Context): Promise<Prompter> {
  const inquirer = await import('@inquirer/prompts');
  const stdin = ctx.stdin;

  async function ask<T>(start: (context: { input: Context['stdin']; output: Context['stdout']; signal: AbortSignal }) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    const end = () => controller.abort(new CancelledError());
    const keypress = (_text: string, key?: { ctrl?: boolean; name?: string }) => {
      if (key?.ctrl && key.name === 'd') end();
    };
    stdin.once('end', end);
    stdin.on('keypress', keypress);
    try {
      return await start({ input: stdin, output: ctx.stdout, signal: controller.signal });
    } catch (error) {
      if (isPromptCancel(error)) throw new CancelledError();
      throw error;
    } finally {
      stdin.off('end', end);
      stdin.off('keypress', keypress);
    }
  }

  return {
    input: (q) => ask((context) => inquirer.input({ message: q.message, default: q.default, validate: q.validate }, context)),
    confirm: (q) => ask((context) => inquirer.confirm({ message: q.message, default: q.default }, context)),
    select: <T extends string>(q: { message: string; choices: { name: string; value: T; description?: string }[]; default?: T }) =>
      ask((context) => inquirer.select<T>({ message: q.message, choices: q.choices, default: q.default, pageSize: 12 }, context)),
  };
}
