import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { mkdirSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ParsedArgs } from '../types.js';
import type { Context } from '../context.js';
import { CliError, RuntimeFailure, UsageError } from '../errors.js';
import { runProcess, resolveWithSsh, type RunResult } from '../io/ssh.js';
import { findDemoTools } from '../io/demo-tools.js';
import { startDemoRemote, sweepDemoProcesses, sshdLogTail, demoDir, type DemoRemote } from '../io/demo-sshd.js';
import { runCell } from '../io/demo-kernel.js';

/** The target's name inside the demo's own HOME. */
const NAME = 'jss-demo';
/** The cell run in the kernel: it says where it ran. */
const CELL = `import getpass, os, platform, socket
print(f"hello from a kernel on {socket.gethostname()} as {getpass.getuser()}, python {platform.python_version()}, pid {os.getpid()}, in {os.getcwd()}")`;

export interface DemoResult {
  ok: boolean;
  url: string;
  kernelOutput: string;
  app: string;
  sshPort: number;
  seconds: number;
}

/**
 * The whole pipeline against a throwaway "remote" on this machine: setup ->
 * start -> one cell in a kernel -> URL -> stop, each step the real CLI run
 * with a temporary HOME, its ssh pointed at the generated config with
 * JSS_SSH_CONFIG. Everything lives in one temp directory, removed at the end.
 */
export async function run(args: ParsedArgs, ctx: Context): Promise<number> {
  if (args.positionals.length) throw new UsageError(`demo takes no target name (got "${args.positionals[0]}")`, 'Run jupyter-ssh-setup demo, or demo --keep.');
  const json = Boolean(args.values.json);
  const keep = Boolean(args.values.keep);
  const out = json ? ctx.stderr : ctx.stdout;
  const started = Date.now();
  const secs = () => ((Date.now() - started) / 1000).toFixed(1);
  const step = (n: number, text: string) => out.write(`[${n}/6] ${text}\n`);

  const shell = userInfo().shell ?? '';
  if (/(nologin|false)$/.test(shell)) {
    throw new RuntimeFailure(`your login shell is ${shell}: sshd runs every command through it, so the demo cannot log in as you`, 'Run the demo as a user with a login shell such as /bin/bash.');
  }
  const tools = await findDemoTools(ctx.env);
  const root = process.getuid?.() === 0;
  // A root sshd needs its privilege separation directory; Debian's package makes it at boot only.
  if (root && !existsSync('/run/sshd')) mkdirSync('/run/sshd', { mode: 0o755 });

  const dir = await mkdtemp(join(tmpdir(), 'jss-demo-'));
  const home = await demoDir(join(dir, 'home'));
  const notebooks = await demoDir(join(dir, 'notebooks'));
  out.write(`Demo of jupyter-ssh-setup: the real setup -> start -> kernel -> stop against a throwaway "remote" on this machine.\nEverything it writes is in ${dir} (removed at the end); your ~/.ssh and rc files are not touched.\n`);

  let interrupted = false;
  let wake = () => {};
  const onSignal = () => {
    interrupted = true;
    wake();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let remote: DemoRemote | undefined;
  let startedJupyter = false;
  let env: NodeJS.ProcessEnv = {};
  const cli = (argv: string[]) => runCli(argv, env);
  const check = () => {
    if (interrupted) throw new CliError('interrupted; cleaning up');
  };
  try {
    remote = await startDemoRemote({ dir, sshd: tools.sshd, home, path: [dirname(tools.jupyter), '/usr/local/bin', '/usr/bin', '/bin'].join(':'), userSshConfig: join(home, '.ssh/config'), root }).catch((e: Error) => {
      throw new RuntimeFailure(`the demo's sshd did not start: ${e.message}`, 'Run it again (another port is picked); the log was in the demo directory.');
    });
    env = demoEnv(ctx.env, home, remote.sshConfig);
    step(1, `remote: an sshd of your own on 127.0.0.1:${remote.port} (its own host key and login key, no root), ${secs()}s`);
    check();

    const user = ctx.env.USER || ctx.env.LOGNAME || userInfo().username;
    // --remote-port auto: the "remote" is this machine, where 8888 may be yours already.
    const setupArgs = ['setup', '--yes', '--name', NAME, '--host', '127.0.0.1', '--port', String(remote.port), '--user', user, '--identity', remote.keyFile, '--app', tools.app, '--remote-port', 'auto', '--notebook-dir', notebooks, '--shell', 'bash'];
    expectOk('setup', await cli(setupArgs), dir);
    env = await shareConnectionsInside(dir, remote.sshConfig, env);
    step(2, `setup: Host blocks in ${join(home, '.ssh/jupyter-ssh-setup.conf')}, shell functions in ${join(home, '.config/jupyter-ssh-setup/functions.sh')} (sourced by ${join(home, '.bashrc')}), ${secs()}s`);
    check();

    startedJupyter = true;
    const startRun = expectOk('start', await cli(['start', NAME, '--json']), dir);
    const started_ = JSON.parse(startRun.stdout.trim().split('\n').at(-1)!) as { url: string; token: string; localPort: number; remotePort: number; pid: number; socket?: string };
    step(3, `start: ${tools.jupyterVersion} (${tools.jupyter}) runs on the "remote" as pid ${started_.pid}, tunnel 127.0.0.1:${started_.localPort} -> ${started_.socket ? `its Unix socket ${started_.socket}` : `remote port ${started_.remotePort}`}, ${secs()}s`);
    check();

    const output = (await runCell(started_.localPort, started_.token, CELL).catch((e: Error) => {
      throw new RuntimeFailure(`running a cell in a kernel failed: ${e.message}`, `Jupyter's log: ${join(home, '.jupyter-ssh-setup', NAME, 'jupyter.log')} (removed at the end; use --keep to look).`);
    })).trim();
    step(4, `kernel: ran a cell through the tunnel; it printed:\n      ${output}`);
    step(5, `url: ${started_.url}`);
    check();

    if (keep) {
      out.write(`\nThe Host blocks setup generated (in ${join(home, '.ssh/jupyter-ssh-setup.conf')}):\n\n`);
      out.write((await readFile(join(home, '.ssh/jupyter-ssh-setup.conf'), 'utf8')).replace(/^/gm, '    ') + '\n');
      out.write(`Open ${started_.url} in your browser.\nPress Ctrl+C to stop Jupyter and remove everything.\n`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        if (interrupted) resolve();
      });
      interrupted = false;
      out.write('\n');
    }

    expectOk('stop', await cli(['stop', NAME]), dir);
    // stop keeps the login up for the next start; the demo ends it too.
    expectOk('disconnect', await cli(['disconnect', NAME]), dir);
    startedJupyter = false;
    const result: DemoResult = { ok: true, url: started_.url, kernelOutput: output, app: tools.app, sshPort: remote.port, seconds: 0 };
    const leftovers = await cleanUp(remote, dir);
    result.seconds = Number(secs());
    step(6, `stop: Jupyter stopped, tunnel closed, sshd ended, ${dir} removed${leftovers ? ` (and ${leftovers} leftover processes ended)` : ''}, ${secs()}s`);
    out.write(`\nThat was the whole pipeline. Now your server: npx jupyter-ssh-setup\n`);
    if (json) ctx.stdout.write(JSON.stringify(result) + '\n');
    return 0;
  } catch (error) {
    if (startedJupyter) await cli(['stop', NAME]).catch(() => undefined);
    await cli(['disconnect', NAME]).catch(() => undefined);
    await cleanUp(remote, dir);
    if (interrupted) {
      out.write(`\nInterrupted: stopped everything and removed ${dir}.\n`);
      return 130;
    }
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** The environment of every CLI run: the demo's HOME, and ssh pointed at its config. */
function demoEnv(base: NodeJS.ProcessEnv, home: string, sshConfig: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, HOME: home, JSS_SSH_CONFIG: sshConfig, SHELL: '/bin/bash', NO_COLOR: '1' };
  // Anything that would point outside the temp HOME, or offer the user's own keys.
  for (const key of ['XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'XDG_STATE_HOME', 'SSH_AUTH_SOCK', 'JUPYTER_CONFIG_DIR', 'JUPYTER_DATA_DIR', 'JUPYTER_RUNTIME_DIR']) delete env[key];
  return env;
}

/**
 * Connection sharing only when its socket (ControlPath) lands inside the demo's
 * directory. Where it would be under the password database's home (`~` in
 * ssh means that home, not $HOME), the demo uses the mode without sharing
 * (JSS_NO_MULTIPLEX=1, as on Windows): one connection per step and a tunnel
 * process of its own, so nothing is created in the user's own ~/.ssh.
 */
async function shareConnectionsInside(dir: string, sshConfig: string, env: NodeJS.ProcessEnv): Promise<NodeJS.ProcessEnv> {
  const resolved = await resolveWithSsh(sshConfig, NAME);
  const controlPath = resolved.options.get('controlpath')?.[0] ?? '';
  return controlPath.startsWith(dir + '/') ? env : { ...env, JSS_NO_MULTIPLEX: '1' };
}

/** The built CLI of this package, as a user would run it. */
function runCli(argv: string[], env: NodeJS.ProcessEnv): Promise<RunResult> {
  const bin = fileURLToPath(new URL('../bin.js', import.meta.url));
  return runProcess(process.execPath, [bin, ...argv], { env, timeoutMs: 120_000 });
}

function expectOk(what: string, r: RunResult, dir: string): RunResult {
  if (r.exitCode === 0) return r;
  const said = r.stderr.trim().split('\n').filter(Boolean);
  const first = (said[0] ?? `exit ${r.exitCode}`).replace(/^jupyter-ssh-setup: /, '');
  const log = sshdLogTail(dir, 3);
  throw new RuntimeFailure(`demo step ${what} failed: ${first}`, [...said.slice(1).map((l) => l.trim()), ...(log ? [`the demo sshd's last lines:\n    ${log.replace(/\n/g, '\n    ')}`] : [])].join('\n  ') || undefined);
}

/** Ends the sshd and whatever else is left; returns how many leftovers there were. */
async function cleanUp(remote: DemoRemote | undefined, dir: string): Promise<number> {
  await remote?.stop();
  // A safety net: anything still running with the demo's directory in its
  // command line or HOME (a kernel, a ControlPersist master) is ended.
  const leftovers = await sweepDemoProcesses(dir);
  await rm(dir, { recursive: true, force: true });
  return leftovers;
}
