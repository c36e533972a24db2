import { access, constants, open, realpath } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { RuntimeFailure } from '../errors.js';
import { runProcess } from './ssh.js';

/** What the demo runs: OpenSSH's server and client, and a Jupyter with a kernel. */
export interface DemoTools {
  sshd: string;
  jupyter: string;
  app: 'lab' | 'server' | 'notebook';
  /** e.g. "jupyter_server 1.23.3". */
  jupyterVersion: string;
}

const INSTALL_SSH = 'Debian/Ubuntu: sudo apt-get install openssh-client openssh-server (the demo starts an sshd of its own; the system service is not needed). Fedora: sudo dnf install openssh-server openssh-clients.';
// jupyter-core gives the `jupyter` command; jupyter-server alone has only jupyter-server (enough for the demo).
const INSTALL_JUPYTER = 'Debian/Ubuntu: sudo apt-get install jupyter-core jupyter-server python3-ipykernel (or pip install jupyterlab in a venv and put its bin/ on PATH).';

async function isExecutable(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(
    () => true,
    () => false,
  );
}

/** Every executable NAME in PATH's directories and then in `extra`, first found first, each file once. */
export async function findExecutables(name: string, env: NodeJS.ProcessEnv, extra: string[] = []): Promise<string[]> {
  const dirs = [...(env.PATH ?? '').split(delimiter).filter((d) => d.startsWith('/')), ...extra];
  const seen = new Set<string>();
  const found: string[] = [];
  for (const dir of dirs) {
    const path = join(dir, name);
    if (!(await isExecutable(path))) continue;
    const real = await realpath(path).catch(() => path);
    if (seen.has(real)) continue;
    seen.add(real);
    found.push(path);
  }
  return found;
}

/** `jupyter --version`'s "name : version" lines; "not installed" is left out. */
export function parseJupyterVersions(text: string): Map<string, string> {
  const versions = new Map<string, string>();
  for (const m of text.matchAll(/^\s*([\w-]+)\s*:\s*(\S.*?)\s*$/gm)) {
    if (m[2] !== 'not installed') versions.set(m[1]!, m[2]!);
  }
  return versions;
}

/** The app the demo runs: lab when installed, else Jupyter Server, else the classic notebook. */
export function chooseApp(versions: Map<string, string>): { app: DemoTools['app']; version: string } | undefined {
  if (!versions.has('ipykernel')) return undefined;
  if (versions.has('jupyterlab')) return { app: 'lab', version: `jupyterlab ${versions.get('jupyterlab')}` };
  if (versions.has('jupyter_server')) return { app: 'server', version: `jupyter_server ${versions.get('jupyter_server')}` };
  if (versions.has('notebook')) return { app: 'notebook', version: `notebook ${versions.get('notebook')}` };
  return undefined;
}

/** Where the programs are looked for after PATH (sbin is often not on a user's PATH). */
export const SYSTEM_DIRS = { bin: ['/usr/bin', '/bin'], sbin: ['/usr/sbin', '/usr/local/sbin', '/sbin'], jupyter: ['/usr/bin', '/usr/local/bin'] };

/**
 * Finds each part or fails with one line and the fix. A `jupyter` first on
 * PATH may belong to a Python without Jupyter's packages (a pyenv shim), so
 * every candidate is asked, and Debian's /usr/bin one last.
 */
export async function findDemoTools(env: NodeJS.ProcessEnv, dirs = SYSTEM_DIRS): Promise<DemoTools> {
  for (const tool of ['ssh', 'ssh-keygen']) {
    if (!(await findExecutables(tool, env, dirs.bin)).length) throw new RuntimeFailure(`the demo needs the OpenSSH client (${tool}), which is not installed`, INSTALL_SSH);
  }
  const [sshd] = await findExecutables('sshd', env, dirs.sbin);
  if (!sshd) throw new RuntimeFailure('the demo needs the OpenSSH server binary (sshd), which is not installed', INSTALL_SSH);
  const candidates = await findExecutables('jupyter', env, dirs.jupyter);
  let incomplete = '';
  for (const jupyter of candidates) {
    const r = await runProcess(jupyter, ['--version'], { timeoutMs: 30_000 });
    if (r.exitCode !== 0) continue;
    const chosen = chooseApp(parseJupyterVersions(r.stdout));
    if (chosen) return { sshd, jupyter, app: chosen.app, jupyterVersion: chosen.version };
    incomplete ||= jupyter;
  }
  const direct = await findAppProgram(env, dirs.jupyter);
  if (direct.tools) return { sshd, ...direct.tools };
  incomplete ||= direct.incomplete ?? '';
  if (incomplete) throw new RuntimeFailure(`the demo needs Jupyter Server (or notebook, or lab) and ipykernel; ${incomplete} has not both`, INSTALL_JUPYTER);
  throw new RuntimeFailure('the demo needs Jupyter, which is not installed (no jupyter, jupyter-lab, jupyter-server or jupyter-notebook on PATH)', INSTALL_JUPYTER);
}

const APP_PACKAGE = { lab: 'jupyterlab', server: 'jupyter_server', notebook: 'notebook' } as const;

/**
 * Without a `jupyter` that has it all (Debian's jupyter-server package ships
 * jupyter-server but not jupyter-core's `jupyter`): jupyter-APP itself, as the
 * launch script runs it, when its own Python has ipykernel.
 */
async function findAppProgram(env: NodeJS.ProcessEnv, extra: string[]): Promise<{ tools?: Omit<DemoTools, 'sshd'>; incomplete?: string }> {
  let incomplete: string | undefined;
  for (const app of ['lab', 'server', 'notebook'] as const) {
    for (const program of await findExecutables(`jupyter-${app}`, env, extra)) {
      const r = await runProcess(program, ['--version'], { timeoutMs: 30_000 });
      const version = r.stdout.trim().split('\n').at(-1)?.trim();
      if (r.exitCode !== 0 || !version) continue;
      if (await hasKernel(program)) return { tools: { jupyter: program, app, jupyterVersion: `${APP_PACKAGE[app]} ${version}` } };
      incomplete ||= program;
    }
  }
  return { incomplete };
}

/** True when the interpreter on PROGRAM's #! line imports ipykernel. */
async function hasKernel(program: string): Promise<boolean> {
  const file = await open(program, 'r');
  const head = await file.read(Buffer.alloc(256), 0, 256, 0).finally(() => file.close());
  const interpreter = /^#!\s*(\S.*)/.exec(head.buffer.subarray(0, head.bytesRead).toString('utf8').split('\n')[0]!)?.[1]?.trim().split(/\s+/);
  if (!interpreter) return false;
  const r = await runProcess(interpreter[0]!, [...interpreter.slice(1), '-c', 'import ipykernel'], { timeoutMs: 30_000 });
  return r.exitCode === 0;
}
