/**
 * The real test bed (test/bed/bed.sh): network namespaces `jss-login` and
 * `jss-gpu`, an sshd in each, and a real user `jssbed` (OpenSSH finds
 * ~/.ssh/config through the password database, so tests run as that user).
 * Without root the bed cannot exist: tests then register as skipped.
 */
import { execa, type ResultPromise } from 'execa';
import { suite, type Test } from 'uvu';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:net';

export const root = new URL('../..', import.meta.url).pathname;
const stateFile = '/var/lib/jss-bed/state.json';

export interface BedState {
  user: string;
  home: string;
  uid: number;
  gid: number;
  hosts: Record<'login' | 'gpu', { ns: string; addr: string; inner?: string; sshdLog: string; sshdPid: number }>;
}

export const isRoot = process.getuid?.() === 0;

/** Brings the bed up (fast when it already is) and returns its state; undefined without root. */
export async function bedUp(): Promise<BedState | undefined> {
  if (!isRoot) return undefined;
  if (!existsSync(join(root, 'dist/bin.js'))) throw new Error('dist/bin.js is missing: run npm run build (npm test does)');
  await execa('bash', [join(root, 'test/bed/bed.sh'), 'up'], { stdout: 'ignore' });
  const bed = JSON.parse(readFileSync(stateFile, 'utf8')) as BedState;
  await ensureAppReadable(bed);
  return bed;
}

/**
 * Where the bed's user runs the built CLI from: the checkout itself when that
 * user can read it, else a copy (a CI clone may sit in a directory only root
 * can enter).
 */
export let appRoot = root;
const appCopy = '/var/lib/jss-bed-app';

async function ensureAppReadable(bed: BedState): Promise<void> {
  const readable = await execa('runuser', ['-u', bed.user, '--', 'test', '-r', join(root, 'dist/bin.js')], { reject: false });
  if (readable.exitCode === 0) {
    appRoot = root;
    return;
  }
  await execa('rm', ['-rf', appCopy]);
  await execa('mkdir', ['-p', appCopy]);
  await execa('cp', ['-a', join(root, 'dist'), join(root, 'templates'), join(root, 'package.json'), join(root, 'node_modules'), appCopy]);
  await execa('chmod', ['-R', 'a+rX', appCopy]);
  appRoot = appCopy;
}

export async function bedCommand(...args: string[]): Promise<void> {
  await execa('bash', [join(root, 'test/bed/bed.sh'), ...args], { stdout: 'ignore' });
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const userEnv = (bed: BedState) => ({
  HOME: bed.home,
  USER: bed.user,
  LOGNAME: bed.user,
  PATH: '/usr/local/bin:/usr/bin:/bin',
  SHELL: '/bin/bash',
  LANG: 'C.UTF-8',
});

/** Runs the built CLI as the bed's user. */
export async function cli(bed: BedState, args: string[], timeoutMs = 60_000): Promise<Run> {
  return asUser(bed, [process.execPath, join(appRoot, 'dist/bin.js'), ...args], timeoutMs);
}

/** The CLI as the bed's user, in the background, so a test can watch its progress and signal it. */
export function spawnCli(bed: BedState, args: string[]): { child: ResultPromise; stderr: () => string; exitedAt: () => number } {
  const env = Object.entries(userEnv(bed)).map(([k, v]) => `${k}=${v}`);
  const child = execa('runuser', ['-u', bed.user, '--', 'env', '-i', ...env, process.execPath, join(appRoot, 'dist/bin.js'), ...args], { reject: false, cwd: bed.home, timeout: 60_000 });
  let err = '';
  let exitedAt = 0;
  child.stderr!.on('data', (d: Buffer) => (err += d));
  child.on('exit', () => (exitedAt = Date.now()));
  return { child, stderr: () => err, exitedAt: () => exitedAt };
}

/** Runs a command as the bed's user, with a clean environment. */
export async function asUser(bed: BedState, argv: string[], timeoutMs = 60_000, input?: string): Promise<Run> {
  const env = Object.entries(userEnv(bed)).map(([k, v]) => `${k}=${v}`);
  const r = await execa('runuser', ['-u', bed.user, '--', 'env', '-i', ...env, ...argv], {
    reject: false,
    timeout: timeoutMs,
    cwd: bed.home,
    input,
    stdin: input === undefined ? 'ignore' : undefined,
  });
  return { code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** Runs a script in an interactive bash of the bed's user, so its ~/.bashrc (and our functions) load. */
export function userBash(bed: BedState, script: string, timeoutMs = 60_000): Promise<Run> {
  return asUser(bed, ['bash', '-ic', script], timeoutMs);
}

/** Starts the user afresh: no config of ours, no processes, the skeleton rc files. */
export async function resetUser(bed: BedState): Promise<void> {
  await execa('pkill', ['-KILL', '-u', bed.user], { reject: false });
  await waitFor(async () => (await livePids(bed.user)).length === 0, 5000);
  await execa('rm', ['-rf', join(bed.home, '.config'), join(bed.home, '.ssh/config'), join(bed.home, '.ssh/jupyter-ssh-setup.conf'), join(bed.home, '.jupyter-ssh-setup'), join(bed.home, '.local/share/jupyter')], { reject: false });
  await execa('sh', ['-c', `rm -f ${bed.home}/.ssh/jss-*; cp /etc/skel/.bashrc ${bed.home}/.bashrc; chown ${bed.user}: ${bed.home}/.bashrc`]);
}

/** How a suite ends its user's batch jobs: a command that cancels them all, and one that lists those left. */
export interface JobControl {
  cancelAll: () => Promise<unknown>;
  left: () => Promise<string>;
}

/** USER's SLURM jobs on the bed, asked as root from login's network (the root namespace cannot reach slurmctld). */
export function slurmJobs(user: string): JobControl {
  const onLogin = async (...argv: string[]) => String((await execa('nsenter', ['--net=/run/netns/jss-login', ...argv], { reject: false, timeout: 15_000 })).stdout).trim();
  return { cancelAll: () => onLogin('scancel', '-u', user), left: () => onLogin('squeue', '-h', '-u', user, '-o', '%i') };
}

/**
 * Ends what the bed's user has running: its batch jobs (when a scheduler is
 * given), then every process of it (Jupyter, forwards, shared logins). Files
 * (profiles, tokens) stay, so the next test of a sequence can still use them.
 */
export async function endUserRuns(bed: BedState, jobs?: JobControl): Promise<void> {
  if (jobs) {
    await jobs.cancelAll();
    await waitFor(async () => (await jobs.left()) === '', 20_000, 200);
  }
  await execa('pkill', ['-KILL', '-u', bed.user], { reject: false });
  await waitFor(async () => (await livePids(bed.user)).length === 0, 5000);
}

/**
 * A test body that, when it fails, first ends every job and process of the
 * bed's user, so that one failure never leaves a job or a forward for the next
 * test to trip on (a test that succeeds has stopped what it started itself, or
 * hands it on to the next test on purpose). The suite's `after` ends the rest.
 */
export function endingOnFailure(getBed: () => BedState, jobs?: JobControl) {
  return <T extends unknown[]>(body: (...args: T) => Promise<void>) =>
    async (...args: T): Promise<void> => {
      try {
        await body(...args);
      } catch (error) {
        await endUserRuns(getBed(), jobs).catch(() => {});
        throw error;
      }
    };
}

/** Another user of gpu connecting to a Unix socket there: the error it gets (e.g. "PermissionError"), or "connected". */
export async function connectAs(bed: BedState, user: string, sock: string): Promise<string> {
  const py = 'import socket, sys\ns = socket.socket(socket.AF_UNIX)\ntry:\n    s.connect(sys.argv[1]); print("connected")\nexcept OSError as e:\n    print(type(e).__name__)';
  const r = await execa('ip', ['netns', 'exec', bed.hosts.gpu.ns, 'runuser', '-u', user, '--', '/usr/bin/python3', '-c', py, sock], { reject: false });
  return String(r.stdout).trim() || String(r.stderr).trim();
}

/** PIDs of a user's live (non-zombie) processes, with their command lines. */
export async function livePids(user: string): Promise<{ pid: number; args: string }[]> {
  const r = await execa('ps', ['-u', user, '-o', 'pid=,stat=,args='], { reject: false });
  return String(r.stdout)
    .split('\n')
    .map((l) => /^\s*(\d+)\s+(\S+)\s+(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null && !m[2]!.startsWith('Z'))
    .map((m) => ({ pid: Number(m[1]), args: m[3]! }));
}

export async function waitFor(cond: () => Promise<boolean>, timeoutMs: number, stepMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await cond()) return true;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return cond();
}

export function countAccepted(bed: BedState, host: 'login' | 'gpu'): number {
  if (!existsSync(bed.hosts[host].sshdLog)) return 0;
  return readFileSync(bed.hosts[host].sshdLog, 'utf8').split('\n').filter((l) => l.includes('Accepted publickey')).length;
}

export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host: '127.0.0.1', exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/** Runs code in a fresh kernel (the server's default, or kernelName) over its websocket (python's websocket-client ships with Debian's Jupyter); DELETEs it after. */
export async function runInKernel(localPort: number, token: string, code: string, kernelName = ''): Promise<string> {
  const script = `
import json, sys, urllib.request, uuid, websocket
port, token, code, name = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
base = "http://127.0.0.1:%d" % port
req = urllib.request.Request(base + "/api/kernels", method="POST", data=json.dumps({"name": name} if name else {}).encode(), headers={"Authorization": "token " + token, "Content-Type": "application/json"})
kernel = json.load(urllib.request.urlopen(req, timeout=30))
ws = websocket.create_connection("ws://127.0.0.1:%d/api/kernels/%s/channels?token=%s" % (port, kernel["id"], token), timeout=60)
msg_id = uuid.uuid4().hex
ws.send(json.dumps({"header": {"msg_id": msg_id, "username": "t", "session": uuid.uuid4().hex, "msg_type": "execute_request", "version": "5.3"},
  "parent_header": {}, "metadata": {}, "channel": "shell",
  "content": {"code": code, "silent": False, "store_history": False, "user_expressions": {}, "allow_stdin": False}}))
out = ""
while True:
    m = json.loads(ws.recv())
    if m.get("parent_header", {}).get("msg_id") != msg_id:
        continue
    if m["msg_type"] == "stream":
        out += m["content"]["text"]
    if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
        break
ws.close()
req = urllib.request.Request(base + "/api/kernels/" + kernel["id"], method="DELETE", headers={"Authorization": "token " + token})
urllib.request.urlopen(req, timeout=30)
print(out, end="")
`;
  const r = await execa('/usr/bin/python3', ['-c', script, String(localPort), token, code, kernelName], { timeout: 90_000 });
  return String(r.stdout);
}

/**
 * A suite on the bed: brought up before, the user reset before and after;
 * `it` registers tests that are skipped without root. `ctx.bed` is the state.
 */
export function bedSuite(name: string): { suite: Test; it: Test; ctx: { bed: BedState } } {
  const s = suite(name);
  const ctx = { bed: undefined as unknown as BedState };
  s.before(async () => {
    if (!isRoot) return;
    ctx.bed = (await bedUp())!;
    await resetUser(ctx.bed);
  });
  s.after(async () => {
    if (isRoot && ctx.bed) await resetUser(ctx.bed);
  });
  return { suite: s, it: isRoot ? s : (s.skip as unknown as Test), ctx };
}
