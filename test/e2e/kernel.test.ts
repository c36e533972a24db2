/**
 * Issue 21 on the real bed: a plain two-hop target (client -> login -> gpu) as
 * a kernel of clients nobody here wrote: Debian's jupyter_client 7.4.9
 * (KernelManager, BlockingKernelClient), nbclient's `jupyter-execute
 * --kernel_name=jss-gpu` and a local Jupyter Server's REST API. Code runs on
 * gpu; a message-mode interrupt stops a cell within 5 s; restart (same ports,
 * as JupyterLab does, and new ports, as VS Code does) and shutdown leave no
 * kernel, no forward and no socket file; a launcher killed with -9 or sent
 * SIGTERM leaves no remote kernel; gpu has no TCP listener of the kernel; with
 * the shared login up, no kernel start adds a login to either sshd's log.
 */
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { writeFileSync, chownSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { bedSuite, cli, asUser, livePids, countAccepted, portIsFree, runInKernel, waitFor, root, appRoot } from '../helpers/bed.js';
import { DRIVER, Driver } from '../helpers/kernel-driver.js';

const { suite: e2e, it, ctx } = bedSuite('the remote as a kernel of local Jupyter clients');

const logins = () => countAccepted(ctx.bed, 'login') + countAccepted(ctx.bed, 'gpu');
const figures: string[] = [];

/** The kernels of ours running on gpu (the bed's namespaces share one PID space). */
async function remoteKernels(): Promise<{ pid: number; args: string }[]> {
  return (await livePids(ctx.bed.user)).filter((p) => /\/tmp\/jss-k-[0-9a-f]+\/start_kernel\.py -f /.test(p.args));
}
const kernelDirs = () => readdirSync('/tmp').filter((f) => f.startsWith('jss-k-'));
const records = () => {
  const dir = join(ctx.bed.home, '.config/jupyter-ssh-setup/state/kernels');
  return existsSync(dir) ? readdirSync(dir) : [];
};

/** Nothing of a kernel is left: no process on gpu, no socket directory, no forward on these ports, no record. */
async function assertNothingLeft(ports: number[], what: string): Promise<void> {
  assert.ok(await waitFor(async () => (await remoteKernels()).length === 0, 15_000), `${what}: a kernel still runs on gpu: ${JSON.stringify(await remoteKernels())}`);
  assert.ok(await waitFor(async () => kernelDirs().length === 0, 5000), `${what}: socket directories left: ${kernelDirs().join(' ')}`);
  for (const port of ports) assert.ok(await waitFor(() => portIsFree(port), 5000), `${what}: local port ${port} is still forwarded`);
  assert.ok(await waitFor(async () => records().length === 0, 5000), `${what}: launcher records left: ${records().join(' ')}`);
}

/** What `ss -ltnp` inside gpu shows of a process: its TCP listeners. */
async function tcpListenersOnGpu(pid: number): Promise<string[]> {
  const r = await execa('ip', ['netns', 'exec', ctx.bed.hosts.gpu.ns, 'ss', '-Hltnp'], { reject: false });
  return String(r.stdout)
    .split('\n')
    .filter((l) => l.includes(`pid=${pid},`));
}

let stderrOf: (() => string) | undefined;
function startDriver(args: string[]): Driver {
  const d = new Driver(ctx.bed, args);
  let err = '';
  d.child.stderr!.on('data', (x: Buffer) => (err += x));
  stderrOf = () => err;
  return d;
}

it('setup --kernel: a two-hop target and its kernelspec; the shared login is up', async () => {
  writeFileSync(join(ctx.bed.home, 'kdriver.py'), DRIVER);
  chownSync(join(ctx.bed.home, 'kdriver.py'), ctx.bed.uid, ctx.bed.gid);
  const s = await cli(ctx.bed, ['setup', '--yes', '--user', 'jssbed', '--name', 'gpu', '--host', ctx.bed.hosts.gpu.addr, '--jump', `jssbed@${ctx.bed.hosts.login.addr}`, '--app', 'server', '--kernel']);
  assert.is(s.code, 0, s.stderr);
  const spec = JSON.parse((await asUser(ctx.bed, ['cat', join(ctx.bed.home, '.local/share/jupyter/kernels/jss-gpu/kernel.json')])).stdout) as { argv: string[]; interrupt_mode: string; display_name: string };
  assert.is(spec.interrupt_mode, 'message');
  assert.is(spec.display_name, `Python 3 on gpu (${ctx.bed.hosts.gpu.addr} via jssbed@${ctx.bed.hosts.login.addr})`);
  // jupyter_client itself finds it (Debian ships no jupyter-kernelspec command).
  const specs = await asUser(ctx.bed, ['/usr/bin/python3', '-c', 'from jupyter_client.kernelspec import KernelSpecManager as M; print(" ".join(sorted(M().find_kernel_specs())))']);
  assert.ok(specs.stdout.split(' ').map((s) => s.trim()).includes('jss-gpu'), specs.stdout + specs.stderr);
  assert.is((await asUser(ctx.bed, ['ssh', '-o', 'BatchMode=yes', 'gpu', 'true'])).code, 0);
});

it('jupyter_client: code runs on gpu, interrupt within 5 s, restart with the same and new ports, shutdown leaves nothing; no TCP port, no login', async () => {
  const before = logins();
  const d = startDriver(['jss-gpu', 'lifecycle']);
  try {
    const ready = await d.next<{ seconds: number; launcher: number; ports: number[]; out: string }>();
    const [host, kernelPid] = ready.out.trim().split(' ');
    assert.is(host, 'gpu', stderrOf?.());
    figures.push(`kernel ready (jupyter_client start_kernel to wait_for_ready): ${ready.seconds} s`);
    const running = await remoteKernels();
    assert.is(running.length, 1, JSON.stringify(running));
    assert.is(running[0]!.pid, Number(kernelPid));
    assert.equal(await tcpListenersOnGpu(Number(kernelPid)), [], 'the kernel listens on no TCP port on gpu');
    const socks = String((await execa('ip', ['netns', 'exec', ctx.bed.hosts.gpu.ns, 'ss', '-Hlxp'], { reject: false })).stdout).split('\n').filter((l) => l.includes(`pid=${kernelPid},`));
    // The five channels, and the IOPub pipe for forked subprocesses, all in the kernel's directory.
    assert.is(socks.length, 6, socks.join('\n'));
    assert.ok(socks.every((l) => /\/tmp\/jss-k-[0-9a-f]{12}\/(k-\d+|pipe) /.test(l)), socks.join('\n'));
    figures.push(`ss on gpu: 0 TCP listeners of kernel pid ${kernelPid}, ${socks.length} Unix sockets`);
    d.go();
    const interrupted = await d.next<{ ename: string; seconds: number }>();
    assert.is(interrupted.ename, 'KeyboardInterrupt');
    assert.ok(interrupted.seconds < 5, `interrupt took ${interrupted.seconds} s`);
    figures.push(`interrupt: ${interrupted.seconds} s`);
    d.go();
    const same = await d.next<{ seconds: number; same: boolean; launcher: number; out: string }>();
    assert.ok(same.same);
    // A forked child's output reaches the client through the IOPub pipe (a Unix socket there, not TCP).
    assert.equal(same.out.trim().split('\n').sort(), ['forked child', 'gpu']);
    assert.is((await remoteKernels()).length, 1, 'one kernel after a restart');
    assert.is(kernelDirs().length, 1);
    figures.push(`restart, same ports: ${same.seconds} s`);
    d.go();
    const fresh = await d.next<{ seconds: number; old: number[]; ports: number[]; out: string }>();
    assert.is(fresh.out.trim(), '42');
    assert.not.equal(fresh.old, fresh.ports);
    for (const port of fresh.old.filter((p) => !fresh.ports.includes(p))) assert.ok(await waitFor(() => portIsFree(port), 5000), `old port ${port} is no longer forwarded`);
    assert.is((await remoteKernels()).length, 1);
    figures.push(`restart, new ports: ${fresh.seconds} s`);
    d.go();
    const down = await d.next<{ seconds: number; ports: number[] }>();
    figures.push(`shutdown: ${down.seconds} s`);
    await assertNothingLeft(down.ports, 'after shutdown');
    d.go();
  } finally {
    await d.end();
  }
  assert.is(logins() - before, 0, 'no kernel start logged in anew');
});

for (const [signal, name] of [[9, 'SIGKILL'], [15, 'SIGTERM']] as const) {
  it(`a launcher sent ${name}: the remote kernel is gone within 15 s; a new start on the same ports works`, async () => {
    const d = startDriver(['jss-gpu', 'kill', String(signal)]);
    try {
      const ready = await d.next<{ launcher: number; ports: number[] }>();
      assert.is((await remoteKernels()).length, 1);
      d.go();
      await d.next();
      const t0 = Date.now();
      assert.ok(await waitFor(async () => (await remoteKernels()).length === 0, 15_000), `the remote kernel outlived its launcher (${name})`);
      figures.push(`${name} to the launcher: remote kernel gone after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      for (const port of ready.ports) assert.ok(await waitFor(() => portIsFree(port), 5000), `${name}: local port ${port} is still forwarded`);
      assert.ok(await waitFor(async () => kernelDirs().length === 0, 5000), `${name}: socket directories left: ${kernelDirs().join(' ')}`);
      d.go();
      const again = await d.next<{ ports: number[]; out: string }>();
      assert.equal(again.ports, ready.ports);
      assert.is(again.out.trim(), 'gpu', stderrOf?.());
      d.go();
      const down = await d.next<{ ports: number[] }>();
      await assertNothingLeft(down.ports, `after ${name} and a new start`);
      d.go();
    } finally {
      await d.end();
    }
  });
}

it('the client that started the kernel killed with -9: its launcher ends the remote kernel and its forwards', async () => {
  const d = startDriver(['jss-gpu', 'orphan']);
  try {
    const ready = await d.next<{ launcher: number; ports: number[]; client: number }>();
    assert.is((await remoteKernels()).length, 1);
    process.kill(ready.client, 'SIGKILL');
    const t0 = Date.now();
    await assertNothingLeft(ready.ports, 'after the client was killed with -9');
    figures.push(`client killed with -9: kernel, forwards and launcher gone after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    assert.ok(await waitFor(async () => !(await livePids(ctx.bed.user)).some((p) => p.pid === ready.launcher), 5000), 'the launcher ended');
  } finally {
    await d.end();
  }
});

it('the shared login down: the launcher logs in once per hop, then the kernel runs; a hop that refuses fails at once, naming it', async () => {
  assert.is((await cli(ctx.bed, ['disconnect', 'gpu'])).code, 0);
  const before = { login: countAccepted(ctx.bed, 'login'), gpu: countAccepted(ctx.bed, 'gpu') };
  const d = startDriver(['jss-gpu', 'job']);
  try {
    const ready = await d.next<{ out: string }>();
    assert.is(ready.out.trim().split(' ')[0], 'gpu', stderrOf?.());
    d.go();
    await d.next();
    d.go();
    await d.next();
    d.go();
  } finally {
    await d.end();
  }
  assert.equal({ login: countAccepted(ctx.bed, 'login') - before.login, gpu: countAccepted(ctx.bed, 'gpu') - before.gpu }, { login: 1, gpu: 1 });
  // A login the key does not open (no terminal: BatchMode): exit 1 within seconds, naming the hop.
  // (Another account on gpu: a connection of its own, not gpu's shared one.)
  const s = await cli(ctx.bed, ['setup', '--yes', '--user', 'nobody', '--name', 'refused', '--host', ctx.bed.hosts.gpu.addr, '--jump', `jssbed@${ctx.bed.hosts.login.addr}`, '--app', 'server']);
  assert.is(s.code, 0, s.stderr);
  const conn = join(ctx.bed.home, 'kconn2.json');
  writeFileSync(conn, JSON.stringify({ shell_port: 41201, iopub_port: 41202, stdin_port: 41203, control_port: 41204, hb_port: 41205, ip: '127.0.0.1', key: 'k', transport: 'tcp', signature_scheme: 'hmac-sha256' }));
  chownSync(conn, ctx.bed.uid, ctx.bed.gid);
  const t0 = Date.now();
  const r = await cli(ctx.bed, ['kernel', 'launch', 'refused', conn], 60_000);
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stderr, 'jss-refused: logging in to refused');
  assert.match(r.stderr, `jupyter-ssh-setup: ssh to refused failed:`);
  figures.push(`refused: ${r.stderr.split('\n').filter((l) => l.startsWith('jupyter-ssh-setup:')).join(' ')}`);
  assert.match(r.stderr, 'log in once in a terminal (ssh refused true, or jupyter-ssh-setup start refused)');
  assert.ok(Date.now() - t0 < 15_000, `took ${Date.now() - t0} ms`);
  figures.push(`login refused by a hop, no terminal: launcher exit 1 after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  assert.is((await cli(ctx.bed, ['remove', 'refused'])).code, 0);
});

it('nbclient: jupyter-execute --kernel_name=jss-gpu runs a notebook on gpu', async () => {
  const nb = { cells: [{ cell_type: 'code', execution_count: null, id: 'a1', metadata: {}, outputs: [], source: 'import socket\nassert socket.gethostname() == "gpu", socket.gethostname()' }], metadata: {}, nbformat: 4, nbformat_minor: 5 };
  writeFileSync(join(ctx.bed.home, 'k.ipynb'), JSON.stringify(nb));
  chownSync(join(ctx.bed.home, 'k.ipynb'), ctx.bed.uid, ctx.bed.gid);
  const t0 = Date.now();
  // nbclient 0.7 writes no outputs back: the cell fails unless it runs on gpu.
  const r = await asUser(ctx.bed, ['/usr/bin/jupyter-execute', '--kernel_name=jss-gpu', 'k.ipynb'], 120_000);
  assert.is(r.code, 0, r.stderr);
  figures.push(`jupyter-execute of one cell: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  await assertNothingLeft([], 'after jupyter-execute');
});

it("a local Jupyter Server's REST API starts jss-gpu by name; code runs on gpu; DELETE leaves nothing", async () => {
  const token = 'k'.repeat(48);
  const port = 18893;
  const env = ['HOME=' + ctx.bed.home, 'USER=' + ctx.bed.user, 'PATH=/usr/bin:/bin', 'LANG=C.UTF-8', 'JUPYTER_TOKEN=' + token];
  const server = execa('runuser', ['-u', ctx.bed.user, '--', 'env', '-i', ...env, '/usr/bin/jupyter-server', '--no-browser', `--port=${port}`, '--port-retries=0', '--ServerApp.ip=127.0.0.1'], { reject: false, cwd: ctx.bed.home });
  try {
    assert.ok(await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/api/status?token=${token}`).catch(() => undefined))?.status === 200, 20_000, 200), 'the local Jupyter Server answers');
    // POST /api/kernels {"name": "jss-gpu"}, a cell over the websocket, DELETE (which must answer 204).
    assert.is((await runInKernel(port, token, 'import socket; print(socket.gethostname())', 'jss-gpu')).trim(), 'gpu');
    await assertNothingLeft([], 'after DELETE /api/kernels/ID');
  } finally {
    server.kill('SIGTERM');
    await server;
  }
});

const hasSlurm = ['/usr/sbin/slurmctld', '/usr/sbin/slurmd', '/usr/sbin/munged'].every(existsSync);
if (!hasSlurm) console.log('jss-skip: SLURM is not installed, the SLURM kernel test skipped: sudo test/bed/install.sh (or run npm test as root)');
const slurmSh = join(root, 'test/bed/slurm.sh');

(hasSlurm ? it : (e2e.skip as typeof it))('SLURM: the kernel runs as a step of the target\'s job on gpu; interrupt, shutdown leave nothing; no job: fails at once naming start', async () => {
  await execa('bash', [slurmSh, 'up'], { stdout: 'ignore' });
  try {
    const s = await cli(ctx.bed, ['setup', '--yes', '--user', 'jssbed', '--name', 'hpc', '--host', ctx.bed.hosts.login.addr, '--launcher', 'slurm', '--time', '10:00', '--app', 'server', '--local-port', '18894', '--kernel']);
    assert.is(s.code, 0, s.stderr);
    const started = await cli(ctx.bed, ['start', 'hpc', '--json'], 120_000);
    assert.is(started.code, 0, started.stderr);
    const { jobId } = JSON.parse(started.stdout) as { jobId: string };
    // ssh hpc-node lands on the job's node, through the shared login, with no Node in the profile.
    const onNode = await asUser(ctx.bed, ['ssh', '-o', 'BatchMode=yes', 'hpc-node', 'hostname'], 30_000);
    assert.is(onNode.code, 0, onNode.stderr);
    assert.is(onNode.stdout.trim(), 'gpu');
    const d = startDriver(['jss-hpc', 'job']);
    try {
      const ready = await d.next<{ seconds: number; ports: number[]; out: string }>();
      const [host, job, kernelPid] = ready.out.trim().split(' ');
      assert.equal([host, job], ['gpu', jobId], stderrOf?.());
      figures.push(`SLURM kernel ready (a step of job ${jobId} on gpu): ${ready.seconds} s`);
      assert.equal(await tcpListenersOnGpu(Number(kernelPid)), [], 'the kernel listens on no TCP port on gpu');
      d.go();
      const interrupted = await d.next<{ ename: string; seconds: number }>();
      assert.is(interrupted.ename, 'KeyboardInterrupt');
      assert.ok(interrupted.seconds < 5, `interrupt took ${interrupted.seconds} s`);
      d.go();
      const down = await d.next<{ ports: number[] }>();
      await assertNothingLeft(down.ports, 'after the SLURM kernel shut down');
      d.go();
    } finally {
      await d.end();
    }
    assert.is((await cli(ctx.bed, ['stop', 'hpc'], 60_000)).code, 0);
    // No job: ssh hpc-node fails within seconds, one line naming start.
    const t1 = Date.now();
    const noNode = await asUser(ctx.bed, ['ssh', '-o', 'BatchMode=yes', 'hpc-node', 'hostname'], 30_000);
    assert.is(noNode.code, 255);
    assert.match(noNode.stderr, 'jupyter-ssh-setup: no job of hpc runs: start one with jupyter-ssh-setup start hpc\n');
    assert.ok(Date.now() - t1 < 10_000, `took ${Date.now() - t1} ms`);
    const conn = join(ctx.bed.home, 'kconn.json');
    writeFileSync(conn, JSON.stringify({ shell_port: 41101, iopub_port: 41102, stdin_port: 41103, control_port: 41104, hb_port: 41105, ip: '127.0.0.1', key: 'k', transport: 'tcp', signature_scheme: 'hmac-sha256' }));
    chownSync(conn, ctx.bed.uid, ctx.bed.gid);
    // A job still queued (the node drained): the kernel's log and status say the launcher waits, and
    // for what; past the wait (45 s, 6 here) it fails saying to start the job first.
    await execa('bash', [slurmSh, 'drain', 'kernel test'], { stdout: 'ignore' });
    try {
      const submit = await asUser(ctx.bed, ['ssh', 'hpc', 'exec /bin/sh .jupyter-ssh-setup/hpc/launch.sh start'], 30_000);
      const queued = (JSON.parse(submit.stdout) as { jobId: string }).jobId;
      const env = ['HOME=' + ctx.bed.home, 'USER=' + ctx.bed.user, 'PATH=/usr/bin:/bin', 'JSS_KERNEL_QUEUE_SECONDS=6'];
      const launcher = execa('runuser', ['-u', ctx.bed.user, '--', 'env', '-i', ...env, process.execPath, join(appRoot, 'dist/bin.js'), 'kernel', 'launch', 'hpc', conn], { reject: false, cwd: ctx.bed.home, timeout: 60_000 });
      assert.ok(await waitFor(async () => (await cli(ctx.bed, ['status', 'hpc'])).stdout.includes(`waiting: job ${queued} is pending`), 5000, 200), (await cli(ctx.bed, ['status', 'hpc'])).stdout);
      const r = await launcher;
      assert.is(r.exitCode, 1);
      assert.match(String(r.stderr), `jss-hpc: job ${queued} is pending`);
      assert.match(String(r.stderr), `jupyter-ssh-setup: job ${queued} of hpc is still queued (pending`);
      assert.match(String(r.stderr), 'Start the job first: jupyter-ssh-setup start hpc waits until it runs; then start the kernel again.');
      assert.is((await cli(ctx.bed, ['stop', 'hpc'], 60_000)).code, 0);
    } finally {
      await execa('bash', [slurmSh, 'resume'], { reject: false });
    }
    // No job: the launcher fails within seconds, saying how to start one.
    const t0 = Date.now();
    const none = await cli(ctx.bed, ['kernel', 'launch', 'hpc', conn], 60_000);
    assert.is(none.code, 1, none.stderr);
    assert.match(none.stderr, 'no job of hpc runs, and the kernel runs inside it');
    assert.match(none.stderr, 'jupyter-ssh-setup start hpc');
    assert.ok(Date.now() - t0 < 10_000, `took ${Date.now() - t0} ms`);
  } finally {
    await cli(ctx.bed, ['stop', 'hpc'], 60_000).catch(() => undefined);
    await execa('bash', [slurmSh, 'down'], { reject: false });
  }
});

it('status and kernel list show the kernelspec; remove takes it out', async () => {
  const st = await cli(ctx.bed, ['status', 'gpu']);
  assert.match(st.stdout, 'gpu: kernel jss-gpu in your local Jupyter, none running');
  const list = await cli(ctx.bed, ['kernel', 'list', '--json']);
  assert.equal((JSON.parse(list.stdout) as { kernel: string; problem: null }[]).map((k) => [k.kernel, k.problem]), [['jss-gpu', null], ['jss-hpc', null]].slice(0, hasSlurm ? 2 : 1));
  const rm = await cli(ctx.bed, ['remove', 'gpu']);
  assert.is(rm.code, 0, rm.stderr);
  assert.not.ok(existsSync(join(ctx.bed.home, '.local/share/jupyter/kernels/jss-gpu')));
});

e2e.after(() => {
  if (figures.length) process.stdout.write(`figures:\n  ${figures.join('\n  ')}\n`);
});

e2e.run();
