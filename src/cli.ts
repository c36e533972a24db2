import { parseArgs, type ParseArgsConfig } from 'node:util';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Context } from './context.js';
import { CliError, UsageError } from './errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

export interface Command {
  name: string;
  summary: string;
  usage: string;
  options: Options;
  help: string;
  examples: string[];
  /** Lazily imported: only the command that runs is loaded. */
  load: () => Promise<{ run: (args: ParsedArgs, ctx: Context) => Promise<number> }>;
}

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
}

const common: Options = {
  help: { type: 'boolean', short: 'h' },
  verbose: { type: 'boolean', short: 'v' },
};
const json: Options = { json: { type: 'boolean' } };

const setupOptions: Options = {
  name: { type: 'string' },
  host: { type: 'string' },
  user: { type: 'string' },
  port: { type: 'string' },
  identity: { type: 'string' },
  jump: { type: 'string', multiple: true },
  launcher: { type: 'string' },
  container: { type: 'string' },
  image: { type: 'string' },
  mount: { type: 'string', multiple: true },
  'container-gpus': { type: 'boolean' },
  env: { type: 'string', multiple: true },
  app: { type: 'string' },
  'remote-port': { type: 'string' },
  'local-port': { type: 'string' },
  'notebook-dir': { type: 'string' },
  shell: { type: 'string' },
  partition: { type: 'string' },
  time: { type: 'string' },
  account: { type: 'string' },
  mem: { type: 'string' },
  cpus: { type: 'string' },
  gpus: { type: 'string' },
  qos: { type: 'string' },
  directive: { type: 'string', multiple: true },
  'ssh-config': { type: 'string' },
  rc: { type: 'string' },
  reconnect: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  yes: { type: 'boolean', short: 'y' },
  force: { type: 'boolean' },
  ...json,
};

export const EXIT_CODES = `Exit codes: 0 ok, 1 runtime failure, 2 bad usage or input (nothing written), 130 cancelled.`;

export const commands: Command[] = [
  {
    name: 'setup',
    summary: 'set up a target: SSH Host blocks, shell functions, launch script (the default command)',
    usage: 'jupyter-ssh-setup setup [--name ALIAS --host HOST ...] [--dry-run] [--yes]',
    options: setupOptions,
    help: `Without flags on a terminal, asks (a wizard). Every question has a flag:
  --name ALIAS          the SSH alias for the target (one word: letters, digits, . _ -)
  --host HOST           hostname or IP of the machine Jupyter runs on
  --user USER           login name there (default: yours, or your SSH config's)
  --port N              SSH port (default 22)
  --identity FILE       private key to use (e.g. ~/.ssh/id_ed25519)
  --jump HOP            jump host, an alias or [user@]host[:port]; repeat or comma-separate, in order
  --launcher KIND       plain | slurm | pbs (default plain)
  --container KIND      none | docker | podman | apptainer (default none)
  --image IMAGE         container image (docker/podman) or .sif path (apptainer)
  --mount SPEC          extra container mount, repeatable: SRC:DST[:ro] or type=bind,src=..,dst=..
  --container-gpus      give the container the GPUs (docker --gpus all, podman CDI, apptainer --nv)
  --env SPEC            environment to activate, repeatable, in order:
                        venv:PATH  conda:NAME  module:NAME  cmd:COMMAND
  --app APP             lab | notebook | server (default lab)
  --remote-port N|auto  Jupyter's port on the remote (default 8888; auto picks a free one)
  --local-port N        port on this machine (default: the remote port, or 8888)
  --notebook-dir PATH   directory Jupyter opens in, on the remote
  --shell SHELL         bash | zsh: which rc file gets the functions (default from $SHELL)
  --partition --time --account --mem --cpus --gpus --qos --directive LINE
                        batch job settings (slurm/pbs)
  --ssh-config FILE     SSH config to extend (default ~/.ssh/config)
  --rc FILE             shell rc file to extend (default ~/.bashrc or ~/.zshrc)
  --reconnect           keep the tunnel up through network drops (uses autossh)
  --dry-run             show the diff of every file, write nothing
  -y, --yes             take defaults for every question not given as a flag
  --force               allow a name that already exists in your SSH config, and
                        overwrite hand edits of ~/.ssh/jupyter-ssh-setup.conf
  --json                print the result as JSON`,
    examples: [
      'npx jupyter-ssh-setup',
      'jupyter-ssh-setup setup --name gpu --host 10.0.0.5 --user alice --jump login.example.org --yes',
      'jupyter-ssh-setup setup --name hpc --host login.hpc.edu --launcher slurm --partition gpu --time 2:00:00 --yes',
      'jupyter-ssh-setup setup --name box --host gpu.lab --container docker --image jupyter/base-notebook --dry-run',
    ],
    load: () => import('./commands/setup.js'),
  },
  {
    name: 'start',
    summary: 'start Jupyter on a target (or reuse it), open the tunnel, print the URL',
    usage: 'jupyter-ssh-setup start [NAME] [--open] [--json] [--yes] [--reconnect]',
    options: { open: { type: 'boolean' }, yes: { type: 'boolean', short: 'y' }, reconnect: { type: 'boolean' }, ...json },
    help: `Uses one shared SSH connection for every step, installs or updates the remote
launch script, starts Jupyter (or reuses a running one), forwards a local port
(the next free one when the configured one is taken) and checks that it answers.
SLURM/PBS targets: submits the job (or reuses the queued/running one), shows its
state while it waits, then forwards to Jupyter on the compute node via the login node.
  --open    open the URL in your browser
  --reconnect  keep the tunnel up through network drops with autossh (also a setup flag)
  --json    print {url, token, localPort, remotePort, host, pid} (and jobId for batch jobs)
  -y, --yes on Ctrl+C while a batch job waits, cancel it without asking`,
    examples: ['jupyter-ssh-setup start gpu', 'jupyter-ssh-setup start gpu --open', 'jupyter-ssh-setup start --json | jq -r .url'],
    load: () => import('./commands/start.js'),
  },
  {
    name: 'stop',
    summary: 'stop Jupyter on a target and close the tunnel',
    usage: 'jupyter-ssh-setup stop [NAME] [--json]',
    options: { ...json },
    help: 'Stops exactly the server that start started (never other processes), and closes the tunnel.',
    examples: ['jupyter-ssh-setup stop gpu'],
    load: () => import('./commands/stop.js'),
  },
  {
    name: 'status',
    summary: 'show whether Jupyter runs on a target (or on every target)',
    usage: 'jupyter-ssh-setup status [NAME] [--json]',
    options: { ...json },
    help: 'Asks each target over SSH (reusing the shared connection) and checks the local tunnel.',
    examples: ['jupyter-ssh-setup status', 'jupyter-ssh-setup status gpu --json'],
    load: () => import('./commands/status.js'),
  },
  {
    name: 'list',
    summary: 'list the targets that are set up',
    usage: 'jupyter-ssh-setup list [--json]',
    options: { ...json },
    help: 'Reads the stored profiles only; contacts no host.',
    examples: ['jupyter-ssh-setup list', 'jupyter-ssh-setup list --json'],
    load: () => import('./commands/list.js'),
  },
  {
    name: 'open',
    summary: 'open the running notebook of a target in the browser',
    usage: 'jupyter-ssh-setup open [NAME]',
    options: {},
    help: 'Like start --open: starts Jupyter when it is not running yet.',
    examples: ['jupyter-ssh-setup open gpu'],
    load: () => import('./commands/open.js'),
  },
  {
    name: 'doctor',
    summary: 'check a target hop by hop and name the first thing that fails',
    usage: 'jupyter-ssh-setup doctor [NAME] [--json]',
    options: { ...json },
    help: `Checks, in order: the SSH config resolves (ssh -G); each jump host answers and
accepts your key; the target; Jupyter is installed there and its version; the
environment activates; the local port is free.`,
    examples: ['jupyter-ssh-setup doctor gpu'],
    load: () => import('./commands/doctor.js'),
  },
  {
    name: 'remove',
    summary: 'take out what setup added, for one target or --all',
    usage: 'jupyter-ssh-setup remove NAME | --all [--dry-run]',
    options: { all: { type: 'boolean' }, 'dry-run': { type: 'boolean' }, yes: { type: 'boolean', short: 'y' }, ...json },
    help: 'After remove --all every file setup touched is as it was before (or gone, if setup created it).',
    examples: ['jupyter-ssh-setup remove gpu', 'jupyter-ssh-setup remove --all --dry-run'],
    load: () => import('./commands/remove.js'),
  },
  {
    name: 'completion',
    summary: 'print a shell completion script (commands, flags, target names)',
    usage: 'jupyter-ssh-setup completion bash|zsh',
    options: {},
    help: `Install for bash:  jupyter-ssh-setup completion bash > ~/.local/share/bash-completion/completions/jupyter-ssh-setup
Install for zsh:   jupyter-ssh-setup completion zsh > "\${fpath[1]}/_jupyter-ssh-setup"
Target names are read from the profiles directory by the shell itself (no Node per TAB).`,
    examples: ['jupyter-ssh-setup completion bash >> ~/.bashrc', 'source <(jupyter-ssh-setup completion zsh)'],
    load: () => import('./commands/completion.js'),
  },
];

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
      parsed = parseArgs({ args: rest, options: { ...common, ...command.options }, allowPositionals: true, strict: true }) as ParsedArgs;
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
  ctx.stderr.write(`jupyter-ssh-setup: internal error: ${e?.stack ?? String(error)}\n`);
  ctx.stderr.write('  This is a bug. Please report it with the output above.\n');
  return 70;
}
