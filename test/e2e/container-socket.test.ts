/**
 * Issue 15 for containers, on the real bed: a podman target (root podman behind
 * the bed user's `docker`, test/bed/container.sh) with the default --bind socket.
 * Jupyter in the container listens on a 0600 socket in a 0700 directory of the
 * user's mounted into it, and runs as the user (--user UID:GID), so the socket is
 * theirs on gpu. Checked: no published port and no TCP listener of Jupyter (ss
 * in gpu's namespace and in the container's), the socket's mode and owner,
 * another user of gpu refused, a kernel through the tunnel from the client, and
 * after stop neither the socket nor the container.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, chownSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { bedUp, isRoot, cli, connectAs, userBash, resetUser, runInKernel, root, endingOnFailure, type BedState } from '../helpers/bed.js';

const e2e = suite('a container target on a Unix socket on the test bed (podman on gpu)');
const it = isRoot ? e2e : (e2e.skip as typeof e2e);
let bed: BedState;
// A failed test ends the user's processes (forwards, logins, Jupyter) before the next one runs.
const guard = endingOnFailure(() => bed);
const IMAGE = 'localhost/jss-jupyter:test';
const CONTAINERS_CONF = '/var/cache/jss-bed/containers.conf';
const containerSh = join(root, 'test/bed/container.sh');
const OTHER = 'jssother';

e2e.before(async () => {
  if (!isRoot) return;
  bed = (await bedUp())!;
  await resetUser(bed);
  await execa('bash', [containerSh, 'up'], { stdout: 'ignore', stderr: 'inherit', timeout: 15 * 60_000 });
  await execa('useradd', ['-M', '-d', '/nonexistent', '-s', '/bin/sh', OTHER], { reject: false });
});

e2e.after(async () => {
  if (!isRoot || !bed) return;
  await resetUser(bed);
  await execa('bash', [containerSh, 'down'], { reject: false });
  await execa('userdel', [OTHER], { reject: false });
});

function podman(...args: string[]) {
  return execa('podman', args, { env: { ...process.env, CONTAINERS_CONF }, reject: false });
}

/** Every container of the bed's user (by our label), as "name state". */
async function containers(): Promise<string[]> {
  const r = await podman('ps', '-a', '--filter', `label=io.jupyter-ssh-setup.user=${bed.user}`, '--format', 'json');
  const list = JSON.parse(String(r.stdout) || '[]') as { Names: string[]; State: string }[];
  return list.map((c) => `${c.Names.join(',')} ${c.State}`);
}

function onGpu(...argv: string[]) {
  return execa('ip', ['netns', 'exec', bed.hosts.gpu.ns, ...argv], { reject: false });
}

const figures: string[] = [];

it('start: no published port, no TCP listener of Jupyter, a 0600 socket of the user only, a kernel through the tunnel; stop leaves nothing', guard(async () => {
  mkdirSync(join(bed.home, 'nb'), { recursive: true });
  chownSync(join(bed.home, 'nb'), bed.uid, bed.uid);
  const s = await cli(bed, ['setup', '--yes', '--user', 'jssbed', '--name', 'csock', '--host', bed.hosts.gpu.addr, '--jump', `jssbed@${bed.hosts.login.addr}`, '--container', 'podman', '--image', IMAGE, '--app', 'server', '--notebook-dir', '~/nb', '--local-port', '18893']);
  assert.is(s.code, 0, s.stderr);
  const r = await cli(bed, ['start', 'csock', '--json'], 120_000);
  assert.is(r.code, 0, r.stderr);
  assert.not.match(r.stderr, 'it listens on TCP 127.0.0.1', 'no fallback note');
  const info = JSON.parse(r.stdout) as { token: string; localPort: number; pid: number; bind: string; socket: string };
  const sock = `${bed.home}/.jupyter-ssh-setup/csock/container/jupyter.sock`;
  assert.is(info.bind, 'socket');
  assert.is(info.socket, sock);
  assert.equal(await containers(), ['jss-csock running']);

  const ports = await podman('port', 'jss-csock');
  assert.is(String(ports.stdout).trim(), '', 'podman port: nothing published');
  const bindings = await podman('container', 'inspect', '-f', '{{json .HostConfig.PortBindings}}', 'jss-csock');
  assert.ok(['{}', 'null'].includes(String(bindings.stdout).trim()), String(bindings.stdout));
  const pid = String((await podman('container', 'inspect', '-f', '{{.State.Pid}}', 'jss-csock')).stdout).trim();
  const gpuTcp = String((await onGpu('ss', '-Hltnp')).stdout).split('\n').filter((l) => l.includes(`pid=${pid},`) || /jupyter/.test(l));
  assert.equal(gpuTcp, [], 'ss -ltnp in gpu: no listener of Jupyter');
  const inCtr = await execa('nsenter', ['-t', pid, '-n', 'ss', '-Hltnp'], { reject: false });
  const ctrTcp = String(inCtr.stdout).split('\n').filter(Boolean);
  assert.equal(ctrTcp, [], "ss -ltnp in the container's own namespace: no TCP listener at all");
  // A listening Unix socket is listed in the network namespace of its maker: the container's.
  const unix = String((await execa('nsenter', ['-t', pid, '-n', 'ss', '-Hlxp'], { reject: false })).stdout).split('\n').filter((l) => l.includes(sock));
  assert.is(unix.length, 1, "ss -lxp in the container's namespace shows the socket");
  figures.push(`gpu ss -ltnp lines of Jupyter (pid ${pid}): ${gpuTcp.length}; container ss -ltnp lines: ${ctrTcp.length}; podman port: "${String(ports.stdout).trim()}"; ss -lxp: ${unix[0]!.replace(/\s+/g, ' ')}`);

  const st = statSync(sock);
  assert.ok(st.isSocket());
  assert.is(st.mode & 0o777, 0o600);
  assert.is(st.uid, bed.uid, 'owned by the bed user on gpu');
  assert.is(statSync(join(bed.home, '.jupyter-ssh-setup/csock/container')).mode & 0o777, 0o700);
  assert.is(await connectAs(bed, OTHER, sock), 'PermissionError');

  assert.is((await fetch(`http://127.0.0.1:${info.localPort}/api/status?token=${info.token}`)).status, 200);
  const out = await runInKernel(info.localPort, info.token, 'import os; print(os.path.exists("/run/.containerenv"), os.getuid(), os.getcwd())');
  assert.is(out.trim(), `True ${bed.uid} ${join(bed.home, 'nb')}`, 'a kernel in the container, as the user, in the notebook directory');

  const status = await cli(bed, ['status', 'csock']);
  assert.is(status.code, 0, status.stderr);
  assert.match(status.stdout, `csock: listens on the Unix socket ${sock} (0600: only you can connect)`);
  const doctor = await cli(bed, ['doctor', 'csock'], 120_000);
  assert.is(doctor.code, 0, doctor.stdout);
  assert.match(doctor.stdout, `✔ bind: socket, srw------- ${bed.uid} (mode 0600, owned by you)`);

  const stop = await cli(bed, ['stop', 'csock']);
  assert.is(stop.code, 0, stop.stderr);
  assert.equal(await containers(), [], 'podman ps -a shows none');
  assert.not.ok(existsSync(sock), 'the socket is gone after stop');
}));

it('shell functions: remote_notebook_start reaches the container over its socket; stop removes both', guard(async () => {
  const r = await userBash(bed, 'remote_notebook_start csock', 120_000);
  assert.is(r.code, 0, r.stderr);
  const m = /http:\/\/127\.0\.0\.1:(\d+)\/\?token=([0-9a-f]{48})/.exec(r.stdout);
  assert.ok(m, r.stdout);
  assert.is((await fetch(`http://127.0.0.1:${m![1]}/api/status?token=${m![2]}`)).status, 200);
  const sock = `${bed.home}/.jupyter-ssh-setup/csock/container/jupyter.sock`;
  assert.ok(existsSync(sock));
  const stop = await userBash(bed, 'remote_notebook_stop csock');
  assert.is(stop.code, 0, stop.stderr);
  assert.equal(await containers(), []);
  assert.not.ok(existsSync(sock));
  if (figures.length) console.log(figures.join('\n'));
}));

e2e.run();
