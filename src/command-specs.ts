/**
 * The command table as data: names, flags, help and examples. cli.ts adds the
 * loaders; completion reads the flags from here (without importing cli.ts).
 */
import type { CommandSpec, Options } from './types.js';

/** Flags every command takes. */
export const COMMON_OPTIONS: Options = {
  help: { type: 'boolean', short: 'h' },
  verbose: { type: 'boolean', short: 'v' },
};
const json: Options = { json: { type: 'boolean' } };
const newToken: Options = { 'new-token': { type: 'boolean' } };

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
  persist: { type: 'string' },
  bind: { type: 'string' },
  kernel: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  yes: { type: 'boolean', short: 'y' },
  force: { type: 'boolean' },
  offline: { type: 'boolean' },
  ...json,
};

export const EXIT_CODES = `Exit codes: 0 ok, 1 runtime failure, 2 bad usage or input (nothing written), 130 cancelled.`;

export const COMMAND_SPECS: CommandSpec[] = [
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
  --launcher KIND       plain | slurm | pbs | sge (Grid Engine) | lsf (default plain)
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
  --bind socket|tcp     how Jupyter listens there (default socket: a 0600 Unix socket
                        only you can open, falling back to tcp where that Jupyter
                        cannot; tcp: 127.0.0.1:--remote-port, open to every local user)
  --shell SHELL         bash | zsh | fish: which shell gets the functions (default from $SHELL)
  --partition --time --account --mem --cpus --gpus --qos --directive LINE
                        batch job settings (slurm/pbs/sge/lsf); for sge --partition is
                        the queue (-q), --account the project (-P), --cpus asks
                        the PE smp (another: --directive="-pe NAME N"); for lsf
                        --partition is the queue (-q), --account the project (-P),
                        --time the run limit (-W, whole minutes), --mem -M and
                        rusage[mem] with its unit (LSF 10.1.0.2 and later)
  --ssh-config FILE     SSH config to extend (default ~/.ssh/config)
  --rc FILE             shell rc file to extend (default ~/.bashrc or ~/.zshrc;
                        for fish the functions directory, ~/.config/fish/functions)
  --reconnect           keep the tunnel up through network drops (uses autossh)
  --persist TIME|no     how long the shared login stays up after its last use
                        (default 4h: one login, one 2FA code, per working day; 10m, no)
  --kernel              also add the target as a kernel of your local Jupyter and
                        VS Code (jss-NAME; see kernel --help)
  --dry-run             show the diff of every file, write nothing
  -y, --yes             take defaults for every question not given as a flag
  --offline             the wizard does not log in to see what the remote has
                        (it offers every choice and tests the connection last)
  --force               allow a name that already exists in your SSH config, and
                        overwrite hand edits of ~/.ssh/jupyter-ssh-setup.conf
  --json                print the result as JSON`,
    examples: [
      'npx jupyter-ssh-setup',
      'jupyter-ssh-setup setup --name gpu --host 10.0.0.5 --user alice --jump login.example.org --yes',
      'jupyter-ssh-setup setup --name hpc --host login.hpc.edu --launcher slurm --partition gpu --time 2:00:00 --yes',
      'jupyter-ssh-setup setup --name grid --host login.sge.edu --launcher sge --time 1:00:00 --cpus 4 --directive="-pe mpi 4" --yes',
      'jupyter-ssh-setup setup --name lab --host login.lsf.edu --launcher lsf --partition gpu --time 2:00:00 --gpus 1 --mem 16G --yes',
      'jupyter-ssh-setup setup --name box --host gpu.lab --container docker --image jupyter/base-notebook --dry-run',
      'jupyter-ssh-setup setup --name old --host old.lab --bind tcp --remote-port auto --yes',
    ],
  },
  {
    name: 'start',
    summary: 'start Jupyter on a target (or reuse it), open the tunnel, print the URL',
    usage: 'jupyter-ssh-setup start [NAME] [--open] [--json] [--yes] [--reconnect] [--new-token]',
    options: { open: { type: 'boolean' }, yes: { type: 'boolean', short: 'y' }, reconnect: { type: 'boolean' }, ...newToken, ...json },
    help: `Uses one shared SSH connection for every step, installs or updates the remote
launch script, starts Jupyter (or reuses a running one), forwards the profile's
local port and checks that it answers. The URL stays the same from one start to
the next: the token is kept on the remote (~/.jupyter-ssh-setup/NAME/token, 0600)
and the local port is the profile's (only when another program holds it does
start take the next free one, and say so).
SLURM/PBS/SGE targets: submits the job (or reuses the queued/running one), shows its
state while it waits, then forwards to Jupyter on the compute node via the login node.
  --open    open the URL in your browser
  --reconnect  keep the tunnel up through network drops with autossh (also a setup flag)
  --new-token  replace the kept token (the old URL stops working); a Jupyter or job
            that runs with the old one is stopped and started anew
  --json    print {url, token, localPort, remotePort, host, pid} (and jobId for batch jobs)
  -y, --yes on Ctrl+C while a batch job waits, cancel it without asking`,
    examples: ['jupyter-ssh-setup start gpu', 'jupyter-ssh-setup start gpu --open', 'jupyter-ssh-setup start --json | jq -r .url', 'jupyter-ssh-setup start gpu --new-token'],
  },
  {
    name: 'restart',
    summary: 'stop, then start afresh: a batch target gets a new job (a full time limit), the tunnel follows it',
    usage: 'jupyter-ssh-setup restart [NAME] [--open] [--json] [--yes] [--new-token]',
    options: { open: { type: 'boolean' }, yes: { type: 'boolean', short: 'y' }, ...newToken, ...json },
    help: `Stops the target as stop does (a SLURM/PBS/SGE/LSF job is cancelled), then starts it
as start does, with the same profile: a fresh job is submitted and the local port
is forwarded to the node it runs on. Use it before a job's time limit runs out
(start and status show when that is). The URL stays the same.
  --open    open the URL in your browser
  --new-token  replace the kept token as well (the old URL stops working)
  --json    print what start --json prints
  -y, --yes on Ctrl+C while the new job waits, cancel it without asking`,
    examples: ['jupyter-ssh-setup restart hpc', 'jupyter-ssh-setup restart hpc --json | jq -r .url'],
  },
  {
    name: 'stop',
    summary: 'stop Jupyter on a target and close the tunnel',
    usage: 'jupyter-ssh-setup stop [NAME] [--json]',
    options: { ...json },
    help: `Stops exactly the server that start started (never other processes), and takes
its tunnel and every extra forward off the shared connection. The login itself
stays up for its --persist time, so the next start needs no password or code;
disconnect closes it.`,
    examples: ['jupyter-ssh-setup stop gpu', 'jupyter-ssh-setup stop gpu && jupyter-ssh-setup disconnect gpu'],
  },
  {
    name: 'disconnect',
    summary: 'close the shared login to a target (and its jump hosts), or --all',
    usage: 'jupyter-ssh-setup disconnect NAME | --all [--json]',
    options: { all: { type: 'boolean' }, ...json },
    help: `Closes the shared SSH connection that start, stop, status, the shell functions
and your own "ssh NAME" use, and those of its jump hosts that no other open target
goes through. Jupyter keeps running; the next start or ssh logs in again.`,
    examples: ['jupyter-ssh-setup disconnect gpu', 'jupyter-ssh-setup disconnect --all'],
  },
  {
    name: 'forward',
    summary: 'forward one more remote port (TensorBoard, a Dask dashboard) over the shared login',
    usage: 'jupyter-ssh-setup forward NAME REMOTE_PORT [LOCAL_PORT] [--json]',
    options: { ...json },
    help: `Adds 127.0.0.1:LOCAL_PORT -> REMOTE_PORT on the target to the shared connection,
without a new login (LOCAL_PORT defaults to REMOTE_PORT, or the next free one).
status lists these forwards; stop closes them with the notebook's tunnel.`,
    examples: ['jupyter-ssh-setup forward gpu 6006', 'jupyter-ssh-setup forward gpu 8787 18787'],
  },
  {
    name: 'kernel',
    summary: "use a target as a kernel of your local Jupyter, VS Code or nbclient (kernel add|remove|list NAME)",
    usage: 'jupyter-ssh-setup kernel add NAME | remove NAME | list [--json]',
    options: { ...json },
    help: `add NAME     writes the kernelspec jss-NAME into your local Jupyter's data directory
             (JUPYTER_DATA_DIR, else ~/.local/share/jupyter, ~/Library/Jupyter on macOS,
             %APPDATA%\\jupyter on Windows). Its argv is this Node and this jupyter-ssh-setup
             by absolute paths, then "kernel launch NAME {connection_file}".
remove NAME  takes jss-NAME out again (remove NAME does too); never another directory
list         the kernels of ours, whether their target and launcher still exist, and
             how many run now
launch NAME FILE  (run by Jupyter) starts ipykernel on the target over its shared login,
             on Unix sockets in a fresh 0700 directory there, and forwards the five
             ports of FILE to them: no TCP port opens on the remote. A SLURM target's
             kernel runs in its running job (start NAME first), on the job's node; a
             container target's in a container of the image, removed when it ends
proxy NAME PORT  (run by ssh NAME-node) connects to the node where the job runs
  --json     print the result as JSON`,
    examples: ['jupyter-ssh-setup kernel add gpu', 'jupyter execute --kernel_name=jss-gpu notebook.ipynb', 'jupyter-ssh-setup kernel list --json', 'jupyter-ssh-setup kernel remove gpu'],
  },
  {
    name: 'status',
    summary: 'show whether Jupyter runs on a target (or on every target)',
    usage: 'jupyter-ssh-setup status [NAME] [--json]',
    options: { ...json },
    help: `Asks each target over SSH (reusing the shared connection) and checks the local tunnel.
The URL is shown once Jupyter answers our token through it (url NAME prints it alone).
Batch targets: the job's state, node, elapsed and time left, and a note when less than
10 minutes are left.`,
    examples: ['jupyter-ssh-setup status', 'jupyter-ssh-setup status gpu --json'],
  },
  {
    name: 'url',
    summary: "print the URL of a target's running notebook (the same across starts), for VS Code and scripts",
    usage: 'jupyter-ssh-setup url [NAME] [--json]',
    options: { ...json },
    help: `Prints http://127.0.0.1:LOCAL/?token=T once Jupyter answers it through the
tunnel; exits 1, saying why and what to run, when it does not (not running, a job
still queued, the tunnel closed). The URL survives stop and start, restart and
resubmitted jobs: paste it once into VS Code's "Existing Jupyter Server".
  --json    print {name, url, token, localPort, running} (url null when it does not work)`,
    examples: ['jupyter-ssh-setup url gpu', 'jupyter-ssh-setup url hpc --json | jq -r .token'],
  },
  {
    name: 'list',
    summary: 'list the targets that are set up',
    usage: 'jupyter-ssh-setup list [--json]',
    options: { ...json },
    help: 'Reads the stored profiles only; contacts no host.',
    examples: ['jupyter-ssh-setup list', 'jupyter-ssh-setup list --json'],
  },
  {
    name: 'open',
    summary: 'open the running notebook of a target in the browser',
    usage: 'jupyter-ssh-setup open [NAME]',
    options: {},
    help: 'Like start --open: starts Jupyter when it is not running yet.',
    examples: ['jupyter-ssh-setup open gpu'],
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
  },
  {
    name: 'remove',
    summary: 'take out what setup added, for one target or --all',
    usage: 'jupyter-ssh-setup remove NAME | --all [--dry-run]',
    options: { all: { type: 'boolean' }, 'dry-run': { type: 'boolean' }, yes: { type: 'boolean', short: 'y' }, ...json },
    help: 'After remove --all every file setup touched is as it was before (or gone, if setup created it).',
    examples: ['jupyter-ssh-setup remove gpu', 'jupyter-ssh-setup remove --all --dry-run'],
  },
  {
    name: 'demo',
    summary: 'see it work with no server: setup, start, a kernel cell, stop, against a throwaway sshd here',
    usage: 'jupyter-ssh-setup demo [--keep] [--json]',
    options: { keep: { type: 'boolean' }, ...json },
    help: `Runs the real pipeline against a private "remote": an sshd of your own on
127.0.0.1 (a random port, its own host key and login key, no root) and the
Jupyter installed here. Every file it generates goes into one temporary
directory (its own HOME and ssh config), removed at the end; your ~/.ssh and
rc files are not touched. Needs the OpenSSH client and server binaries and
Jupyter (Debian/Ubuntu: apt-get install openssh-server jupyter-server python3-ipykernel).
  --keep    stay up until Ctrl+C, to open the URL in a browser; shows the Host blocks
  --json    print {ok, url, kernelOutput, app, sshPort, seconds}; progress goes to stderr`,
    examples: ['npm run demo', 'jupyter-ssh-setup demo', 'jupyter-ssh-setup demo --keep'],
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
  },
];
