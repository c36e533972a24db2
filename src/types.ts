/**
 * Types shared by the layers (cli, commands, wizard): a module of their own so
 * that no command imports cli.ts and the wizard imports no command.
 */
import type { ParseArgsConfig } from 'node:util';
import type { Context } from './context.js';

/** A command's flags, as node:util's parseArgs takes them. */
export type Options = NonNullable<ParseArgsConfig['options']>;

/** argv after parseArgs: flag values by name, and the positionals. */
export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
}

/** What every module in src/commands/ that is a command exports. */
export interface CommandModule {
  run: (args: ParsedArgs, ctx: Context) => Promise<number>;
}

/** A command as help and completion describe it: data only. */
export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  options: Options;
  help: string;
  examples: string[];
}

export interface Command extends CommandSpec {
  /** Lazily imported: only the command that runs is loaded. */
  load: () => Promise<CommandModule>;
}

/** The flags of setup that are not profile fields. */
export interface SetupOptions {
  dryRun: boolean;
  yes: boolean;
  force: boolean;
  json: boolean;
  sshConfig?: string;
  rc?: string;
  /** The wizard does not log in to see what the remote has. */
  offline?: boolean;
}
