/**
 * Issue 21 for a container target, on the real bed: a plain two-hop target whose
 * Jupyter runs in podman (root podman behind the bed user's sudo-wrapped
 * `docker`/`podman`, test/bed/container.sh) as a kernel of Debian's
 * jupyter_client. The kernel runs inside a container of its own (its hostname is
 * that container's ID), on ipc sockets in the 0700 directory mounted into it;
 * a message-mode interrupt stops a cell within 5 s; shutdown leaves no
 * container, no forward, no socket directory; a launcher killed with -9 leaves
 * no container within 15 s (also while the container is still being made), SIGTERM
 * too, and a new start on the same ports works; restart with the same ports and
 * new ones keeps one container, and a forked child's output arrives.
 */
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { writeFileSync, chownSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { bedSuite, cli, asUser, livePids, portIsFree, waitFor, root, appRoot, isRoot } from '../helpers/bed.js';
import { DRIVER, Driver } from '../helpers/kernel-driver.js';

const { suite: e2e, it, ctx } = bedSuite('a container target as a kernel of local Jupyter clients (podman on gpu)');
const IMAGE = 'localhost/jss-jupyter:test';
const CONTAINERS_CONF = '/var/cache/jss-bed/containers.conf';
const containerSh = join(root, 'test/bed/container.sh');
const figures: string[] = [];

e2e.before(async () => {
  if (!isRoot) return;
  await execa('bash', [containerSh, 'up'], { stdout: 'ignore', stderr: 'inherit', timeout: 15 * 60_000 });
});

e2e.after(async () => {
  if (!isRoot) return;
  await execa('bash', [containerSh, 'down'], { reject: false });
  if (figures.length) process.stdout.write(`figures:\n  ${figures.join('\n  ')}\n`);
});

/** The kernel containers of the bed's user, as "name id state". */
async function kernelContainers(): Promise<{ name: string; id: string; state: string }[]> {
  const r = await execa('podman', ['ps', '-a', '--filter', `label=io.jupyter-ssh-setup.user=${ctx.bed.user}`, '--filter', 'label=io.jupyter-ssh-setup.kernel=1', '--format', 'json'], { env: { ...process.env, CONTAINERS_CONF }, reject: false });
  const list = JSON.parse(String(r.stdout) || '[]') as { Names: string[]; Id: string; State: string }[];
  return list.map((c) => ({ name: c.Names.join(','), id: c.Id, state: c.State }));
}
const kernelDirs = () => readdirSync('/tmp').filter((f) => f.startsWith('jss-k-'));
const records = () => {
  const dir = join(ctx.bed.home, '.config/jupyter-ssh-setup/state/kernels');
  return existsSync(dir) ? readdirSync(dir) : [];
};

/** Nothing of a kernel is left: no container, no socket directory, no forward on these ports, no record. */
async function assertNothingLeft(ports: number[], what: string): Promise<void> {
  assert.ok(await waitFor(async () => (await kernelContainers()).length === 0, 15_000, 250), `${what}: kernel containers left: ${JSON.stringify(await kernelContainers())}`);
  assert.ok(await waitFor(async () => kernelDirs().length === 0, 5000), `${what}: socket directories left: ${kernelDirs().join(' ')}`);
  for (const port of ports) assert.ok(await waitFor(() => portIsFree(port), 5000), `${what}: local port ${port} is still forwarded`);
  assert.ok(await waitFor(async () => records().length === 0, 5000), `${what}: launcher records left: ${records().join(' ')}`);
}

let stderr = '';
function startDriver(args: string[]): Driver {
  const d = new Driver(ctx.bed, args);
  stderr = '';
  d.child.stderr!.on('data', (x: Buffer) => (stderr += x));
  return d;
}

it('setup --container podman --kernel: the kernelspec; the shared login is up', async () => {
  writeFileSync(join(ctx.bed.home, 'kdriver.py'), DRIVER);
  chownSync(join(ctx.bed.home, 'kdriver.py'), ctx.bed.uid, ctx.bed.gid);
  const s = await cli(ctx.bed, ['setup', '--yes', '--user', 'jssbed', '--name', 'box', '--host', ctx.bed.hosts.gpu.addr, '--jump', `jssbed@${ctx.bed.hosts.login.addr}`, '--container', 'podman', '--image', IMAGE, '--app', 'server', '--kernel']);
  assert.is(s.code, 0, s.stderr);
  assert.ok(existsSync(join(ctx.bed.home, '.local/share/jupyter/kernels/jss-box/kernel.json')));
  assert.is((await asUser(ctx.bed, ['ssh', '-o', 'BatchMode=yes', 'box', 'true'])).code, 0);
});

it('jupyter_client: code runs in a container of its own, interrupt within 5 s, shutdown leaves no container, forward or directory', async () => {
  const d = startDriver(['jss-box', 'job']);
  try {
    const ready = await d.next<{ seconds: number; ports: number[]; out: string }>().catch((e: Error) => Promise.reject(new Error(`${e.message}: ${stderr}`)));
    figures.push(`container kernel ready (jupyter_client start_kernel to wait_for_ready): ${ready.seconds} s`);
    const [host, , pid] = ready.out.trim().split(' ');
    const running = await kernelContainers();
    assert.is(running.length, 1, JSON.stringify(running));
    assert.match(running[0]!.name, /^jss-box-k-[0-9a-f]{12}$/);
    assert.is(running[0]!.state, 'running');
    // The kernel's hostname is its container's ID, and it is PID 1 there (its own PID namespace).
    assert.ok(host && running[0]!.id.startsWith(host), `hostname ${host}, container ${running[0]!.id}`);
    assert.is(pid, '1');
    assert.is(kernelDirs().length, 1);
    assert.is(`jss-box-k-${kernelDirs()[0]!.slice('jss-k-'.length)}`, running[0]!.name);
    d.go();
    const interrupted = await d.next<{ ename: string; seconds: number }>();
    assert.is(interrupted.ename, 'KeyboardInterrupt');
    assert.ok(interrupted.seconds < 5, `interrupt took ${interrupted.seconds} s`);
    figures.push(`container kernel interrupt: ${interrupted.seconds} s`);
    d.go();
    const down = await d.next<{ ports: number[] }>();
    const t0 = Date.now();
    await assertNothingLeft(down.ports, 'after shutdown');
    figures.push(`after shutdown: nothing left ${((Date.now() - t0) / 1000).toFixed(1)} s later`);
    d.go();
  } finally {
    await d.end();
  }
});

it('restart with the same ports (JupyterLab) and new ones (VS Code): one container at a time; a forked child\'s output arrives', async () => {
  const d = startDriver(['jss-box', 'lifecycle']);
  try {
    await d.next().catch((e: Error) => Promise.reject(new Error(`${e.message}: ${stderr}`)));
    d.go();
    await d.next();
    d.go();
    const same = await d.next<{ seconds: number; same: boolean; out: string }>();
    assert.ok(same.same);
    const running = await kernelContainers();
    assert.is(running.length, 1, JSON.stringify(running));
    const lines = same.out.trim().split('\n');
    assert.ok(lines.includes('forked child'), same.out);
    const host = lines.find((l) => l !== 'forked child') ?? '';
    assert.ok(host && running[0]!.id.startsWith(host), `${host} is not ${running[0]!.id}`);
    figures.push(`container kernel restart, same ports: ${same.seconds} s`);
    d.go();
    const fresh = await d.next<{ seconds: number; out: string }>();
    assert.is(fresh.out.trim(), '42');
    assert.is((await kernelContainers()).length, 1);
    figures.push(`container kernel restart, new ports: ${fresh.seconds} s`);
    d.go();
    const down = await d.next<{ ports: number[] }>();
    await assertNothingLeft(down.ports, 'after restarts and shutdown');
    d.go();
  } finally {
    await d.end();
  }
});

for (const [signal, name] of [[9, 'SIGKILL'], [15, 'SIGTERM']] as const) {
  it(`a launcher sent ${name}: its container is gone within 15 s; a new start on the same ports works`, async () => {
    const d = startDriver(['jss-box', 'kill', String(signal)]);
    try {
      const ready = await d.next<{ launcher: number; ports: number[] }>().catch((e: Error) => Promise.reject(new Error(`${e.message}: ${stderr}`)));
      assert.is((await kernelContainers()).length, 1);
      d.go();
      await d.next();
      const t0 = Date.now();
      assert.ok(await waitFor(async () => (await kernelContainers()).length === 0, 15_000, 250), `the container outlived its launcher: ${JSON.stringify(await kernelContainers())}`);
      figures.push(`${name} to the launcher: container gone after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      for (const port of ready.ports) assert.ok(await waitFor(() => portIsFree(port), 5000), `local port ${port} is still forwarded`);
      assert.ok(await waitFor(async () => kernelDirs().length === 0, 5000), `socket directories left: ${kernelDirs().join(' ')}`);
      d.go();
      const again = await d.next<{ ports: number[]; out: string }>();
      assert.equal(again.ports, ready.ports);
      assert.match(again.out.trim(), /^[0-9a-f]{12}$/, stderr);
      d.go();
      const down = await d.next<{ ports: number[] }>();
      await assertNothingLeft(down.ports, `after ${name} and a new start`);
      d.go();
    } finally {
      await d.end();
    }
  });
}

it('a launcher killed with -9 while its container is being made: no container is left after 15 s', async () => {
  const conn = join(ctx.bed.home, 'kconn-box.json');
  writeFileSync(conn, JSON.stringify({ shell_port: 41301, iopub_port: 41302, stdin_port: 41303, control_port: 41304, hb_port: 41305, ip: '127.0.0.1', key: 'k', transport: 'tcp', signature_scheme: 'hmac-sha256' }));
  chownSync(conn, ctx.bed.uid, ctx.bed.gid);
  const env = ['HOME=' + ctx.bed.home, 'USER=' + ctx.bed.user, 'PATH=/usr/bin:/bin'];
  const launcher = execa('runuser', ['-u', ctx.bed.user, '--', 'env', '-i', ...env, process.execPath, join(appRoot, 'dist/bin.js'), 'kernel', 'launch', 'box', conn], { reject: false, cwd: ctx.bed.home, timeout: 60_000, buffer: false });
  try {
    let err = '';
    launcher.stderr!.on('data', (x: Buffer) => (err += x));
    // The script says the kernel's PID as soon as the engine's run starts, before the container exists.
    assert.ok(await waitFor(async () => err.includes('kernel pid'), 30_000), err);
    const pid = (await livePids(ctx.bed.user)).find((p) => p.args.includes('kernel launch box'))!.pid;
    process.kill(pid, 'SIGKILL');
    const t0 = Date.now();
    assert.ok(await waitFor(async () => (await kernelContainers()).length === 0 && kernelDirs().length === 0, 15_000, 250), `left: ${JSON.stringify(await kernelContainers())} ${kernelDirs().join(' ')}`);
    // Its record stays until the next start on these ports (it cancels the stale forwards, if any).
    figures.push(`SIGKILL to the launcher during the container's start: nothing left after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  } finally {
    launcher.kill('SIGKILL');
    await launcher;
  }
});

it('remove takes the target and its kernelspec out', async () => {
  assert.is((await cli(ctx.bed, ['remove', 'box'])).code, 0);
  assert.not.ok(existsSync(join(ctx.bed.home, '.local/share/jupyter/kernels/jss-box')));
});

e2e.run();
