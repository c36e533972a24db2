import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Context } from './context.js';
import { CliError, InternalError, UsageError } from './errors.js';
import type { Command, ParsedArgs } from './types.js';
import { COMMAND_SPECS, COMMON_OPTIONS, EXIT_CODES } from './command-specs.js';

/** Each command's module, imported only when that command runs. */
const loaders: Record<string, Command['load']> = {
  setup: () => import('./commands/setup.js'),
  start: () => import('./commands/start.js'),
  stop: () => import('./commands/stop.js'),
  restart: () => import('./commands/restart.js'),
  status: () => import('./commands/status.js'),
  url: () => import('./commands/url.js'),
  list: () => import('./commands/list.js'),
  open: () => import('./commands/open.js'),
  doctor: () => import('./commands/doctor.js'),
  remove: () => import('./commands/remove.js'),
  disconnect: () => import('./commands/disconnect.js'),
  forward: () => import('./commands/forward.js'),
  kernel: () => import('./commands/kernel.js'),
  demo: () => import('./commands/demo.js'),
  completion: () => import('./commands/completion.js'),
};

export const commands: Command[] = COMMAND_SPECS.map((spec) => ({ ...spec, load: loaders[spec.name]! }));
export function version(): string {
  const path = fileURLToPath(new URL('../package.json', import.meta.url));
  return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
}

function mainHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return `jupyter-ssh-setup ${version()}: Jupyter on machines you reach over SSH.

Usage: jupyter-ssh-setup [COMMAND] [OPTIONS]

Commands:
${commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Run without a command to set up a target interactively.
Run \`jupyter-ssh-setup COMMAND --help\` for a command's options.

Examples:
  npx jupyter-ssh-setup
  jupyter-ssh-setup start gpu
  jupyter-ssh-setup status
  jupyter-ssh-setup doctor gpu

Global options: -h, --help   -v, --verbose (print every ssh command)   --version
${EXIT_CODES}
`;
}

function commandHelp(c: Command): string {
  return `Usage: ${c.usage}

${c.summary[0]!.toUpperCase() + c.summary.slice(1)}.

${c.help}

Examples:
${c.examples.map((e) => `  ${e}`).join('\n')}

${EXIT_CODES}
`;
}

/** The one entry point: argv in, exit code out. Never calls process.exit itself. */
export async function run(argv: string[], ctx: Context): Promise<number> {
  try {
    const first = argv[0];
    if (first === '--version' || first === '-V') {
      ctx.stdout.write(version() + '\n');
      return 0;
    }
    if (first === '--help' || first === '-h' || first === 'help') {
      const target = commands.find((c) => c.name === argv[1]);
      ctx.stdout.write(target ? commandHelp(target) : mainHelp());
      return 0;
    }
    let command = commands.find((c) => c.name === first);
    let rest = argv.slice(1);
    if (!command) {
      if (first !== undefined && !first.startsWith('-')) {
        throw new UsageError(`unknown command "${first}"`, `Commands: ${commands.map((c) => c.name).join(', ')}. See jupyter-ssh-setup --help.`);
      }
      command = commands[0]!;
      rest = argv;
    }
    let parsed: ParsedArgs;
    try {
      parsed = parseArgs({ args: rest, options: { ...COMMON_OPTIONS, ...command.options }, allowPositionals: true, strict: true }) as ParsedArgs;
    } catch (error) {
      throw new UsageError((error as Error).message.replace(/^TypeError \[\w+\]: /, ''), `See jupyter-ssh-setup ${command.name} --help.`);
    }
    if (parsed.values.help) {
      ctx.stdout.write(commandHelp(command));
      return 0;
    }
    ctx.verbose = Boolean(parsed.values.verbose);
    const module = await command.load();
    return await module.run(parsed, ctx);
  } catch (error) {
    return report(error, ctx);
  }
}

/** The one place errors become messages and exit codes. */
export function report(error: unknown, ctx: Context): number {
  if (error instanceof CliError) {
    if (error.name !== 'ExitError') {
      ctx.stderr.write(`jupyter-ssh-setup: ${error.message}\n`);
      if (error.hint) ctx.stderr.write(`  ${error.hint}\n`);
    }
    return error.exitCode;
  }
  const e = error as Error & { name?: string };
  if (e && (e.name === 'ExitPromptError' || e.name === 'AbortPromptError')) {
    ctx.stderr.write('Cancelled, nothing written.\n');
    return 130;
  }
  // An InternalError, or anything else not ours: a bug.
  ctx.stderr.write(`jupyter-ssh-setup: internal error: ${e?.stack ?? String(error)}\n`);
  ctx.stderr.write('  This is a bug. Please report it with the output above.\n');
  return error instanceof InternalError ? error.exitCode : 70;
}
