/**
 * Issue 15 on the real bed: a plain target's Jupyter on gpu listens on a 0600
 * Unix socket, not on TCP. ss inside gpu's network namespace shows no TCP
 * listener of the server and the socket in `ss -lxp`; another user on gpu
 * cannot connect to it; the notebook answers and a kernel runs through the
 * tunnel from the client; after stop the socket is gone. CLI and shell functions.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { execa } from 'execa';
import { bedUp, isRoot, cli, asUser, connectAs, userBash, resetUser, livePids, runInKernel, waitFor, portIsFree, endingOnFailure, type BedState } from '../helpers/bed.js';

const e2e = suite('Jupyter on a Unix socket on the test bed');
const it = isRoot ? e2e : (e2e.skip as typeof e2e);
let bed: BedState;
// A failed test ends the user's processes (forwards, logins, Jupyter) before the next one runs.
const guard = endingOnFailure(() => bed);
const OTHER = 'jssother';

e2e.before(async () => {
  if (!isRoot) return;
  bed = (await bedUp())!;
  await resetUser(bed);
  // A second user of gpu (the namespaces share /etc/passwd and /home).
  await execa('useradd', ['-M', '-d', '/nonexistent', '-s', '/bin/sh', OTHER], { reject: false });
});

e2e.after(async () => {
  if (!isRoot || !bed) return;
  await resetUser(bed);
  await execa('userdel', [OTHER], { reject: false });
});

/** Runs a command inside gpu's network namespace. */
function onGpu(...argv: string[]) {
  return execa('ip', ['netns', 'exec', bed.hosts.gpu.ns, ...argv], { reject: false });
}

async function jupyterPids() {
  return (await livePids(bed.user)).filter((p) => /jupyter/.test(p.args));
}

/** What `ss -ltnp` inside gpu shows of a process: its TCP listeners. */
async function tcpListenersOf(pid: number): Promise<string[]> {
  return String((await onGpu('ss', '-Hltnp')).stdout)
    .split('\n')
    .filter((l) => l.includes(`pid=${pid},`));
}

const figures: string[] = [];

it('start: no TCP listener of Jupyter on gpu, a 0600 socket only we can open, a kernel runs through the tunnel', guard(async () => {
  const s = await cli(bed, ['setup', '--yes', '--user', 'jssbed', '--name', 'gpu', '--host', bed.hosts.gpu.addr, '--jump', `jssbed@${bed.hosts.login.addr}`, '--app', 'server', '--local-port', '18870']);
  assert.is(s.code, 0, s.stderr);
  const r = await cli(bed, ['start', 'gpu', '--json']);
  assert.is(r.code, 0, r.stderr);
  const info = JSON.parse(r.stdout) as { url: string; token: string; localPort: number; pid: number; bind: string; socket: string };
  assert.is(info.bind, 'socket');
  const sock = `${bed.home}/.jupyter-ssh-setup/gpu/jupyter.sock`;
  assert.is(info.socket, sock);
  assert.is(info.url, `http://127.0.0.1:${info.localPort}/?token=${info.token}`);

  const tcp = await tcpListenersOf(info.pid);
  assert.equal(tcp, [], 'Jupyter has no TCP listener on gpu');
  const unix = String((await onGpu('ss', '-Hlxp')).stdout).split('\n').filter((l) => l.includes(sock));
  assert.is(unix.length, 1, 'ss -lxp shows the socket');
  assert.match(unix[0]!, `pid=${info.pid},`);
  figures.push(`ss -ltnp on gpu, lines of pid ${info.pid}: ${tcp.length}; ss -lxp: ${unix[0]!.replace(/\s+/g, ' ')}`);
  const st = statSync(sock);
  assert.ok(st.isSocket());
  assert.is(st.mode & 0o777, 0o600);
  assert.is(st.uid, bed.uid);
  assert.is(await connectAs(bed, OTHER, sock), 'PermissionError');

  assert.is((await fetch(`http://127.0.0.1:${info.localPort}/api/status?token=${info.token}`)).status, 200);
  assert.is(await runInKernel(info.localPort, info.token, 'import socket; print(socket.gethostname(), 6 * 7)'), 'gpu 42');

  const status = await cli(bed, ['status', 'gpu']);
  assert.is(status.code, 0, status.stderr);
  assert.match(status.stdout, `gpu: listens on the Unix socket ${sock} (0600: only you can connect)`);
  const doctor = await cli(bed, ['doctor', 'gpu']);
  assert.is(doctor.code, 0, doctor.stdout);
  assert.match(doctor.stdout, `✔ bind: socket, srw------- ${bed.uid} (mode 0600, owned by you)`);

  const stop = await cli(bed, ['stop', 'gpu']);
  assert.is(stop.code, 0, stop.stderr);
  assert.ok(await waitFor(async () => (await jupyterPids()).length === 0, 5000), 'no Jupyter left');
  assert.not.ok(existsSync(sock), 'the socket is gone after stop');
}));

/**
 * Issue 22 part 5: the seeds' way, `ssh NAME-tunnel`, for a socket target. Our
 * Host file says why the alias is missing until the first start; start learns
 * the socket's path there and writes it. With the CLI's own tunnel gone (its
 * login closed), the alias alone gives a URL that answers.
 */
it('ssh gpu-tunnel: missing (and why) before the first start, then a LocalForward to the socket that works alone', guard(async () => {
  await resetUser(bed);
  const s = await cli(bed, ['setup', '--yes', '--user', 'jssbed', '--name', 'gpu', '--host', bed.hosts.gpu.addr, '--jump', `jssbed@${bed.hosts.login.addr}`, '--app', 'server', '--local-port', '18871']);
  assert.is(s.code, 0, s.stderr);
  assert.match(s.stdout, 'ssh gpu-tunnel comes once the path of');
  const conf = () => readFileSync(`${bed.home}/.ssh/jupyter-ssh-setup.conf`, 'utf8');
  assert.match(conf(), '# No `ssh gpu-tunnel` yet:');
  const forwardOf = async () => /^localforward (.*)$/m.exec((await asUser(bed, ['ssh', '-G', 'gpu-tunnel'])).stdout)?.[1];
  assert.is(await forwardOf(), undefined);
  const sock = `${bed.home}/.jupyter-ssh-setup/gpu/jupyter.sock`;
  try {
    const r = await cli(bed, ['start', 'gpu', '--json']);
    assert.is(r.code, 0, r.stderr);
    const info = JSON.parse(r.stdout) as { token: string; socket: string };
    assert.is(info.socket, sock);
    assert.is(await forwardOf(), `[127.0.0.1]:18871 ${sock}`);
    assert.not.match(conf(), '# No `ssh gpu-tunnel` yet:');
    const doctor = await cli(bed, ['doctor', 'gpu']);
    assert.match(doctor.stdout, `✔ ssh gpu-tunnel: forwards local port 18871 to ${sock}`);
    // The CLI's tunnel goes with its login; Jupyter keeps running.
    assert.is((await cli(bed, ['disconnect', 'gpu'])).code, 0);
    assert.ok(await waitFor(async () => portIsFree(18871), 5000), 'the CLI tunnel is gone');
    const url = `http://127.0.0.1:18871/api/status?token=${info.token}`;
    const t = await asUser(bed, ['sh', '-c', 'ssh gpu-tunnel >/dev/null 2>"$HOME/tunnel.err"; echo rc=$?; cat "$HOME/tunnel.err"'], 30_000);
    assert.match(t.stdout, /^rc=0$/m, t.stdout + t.stderr);
    assert.is((await fetch(url)).status, 200, 'the notebook answers through ssh gpu-tunnel alone');
    figures.push(`ssh -G gpu-tunnel: localforward [127.0.0.1]:18871 ${sock}; ${url.replace(info.token, 'TOKEN')} answered 200 through it`);
  } finally {
    await asUser(bed, ['ssh', '-O', 'exit', '-o', 'ControlMaster=no', 'gpu-tunnel']);
    await cli(bed, ['stop', 'gpu']);
    await cli(bed, ['disconnect', 'gpu']);
  }
}));

it('shell functions: remote_notebook_start forwards to the socket, status names it, stop removes it', guard(async () => {
  const r = await userBash(bed, 'remote_notebook_start gpu');
  assert.is(r.code, 0, r.stderr);
  const m = /http:\/\/127\.0\.0\.1:(\d+)\/\?token=([0-9a-f]{48})/.exec(r.stdout);
  assert.ok(m, r.stdout);
  assert.is((await fetch(`http://127.0.0.1:${m![1]}/api/status?token=${m![2]}`)).status, 200);
  const sock = `${bed.home}/.jupyter-ssh-setup/gpu/jupyter.sock`;
  const st = await userBash(bed, 'remote_notebook_status gpu');
  assert.is(st.code, 0, st.stderr);
  assert.match(st.stdout, `gpu: running on gpu, Unix socket ${sock}, http://127.0.0.1:${m![1]}/?token=${m![2]}`);
  // jptt forwards one more local port to the same socket.
  const jp = await userBash(bed, `jptt ${sock} 18897 gpu`);
  assert.is(jp.code, 0, jp.stderr);
  assert.match(jp.stdout, `Forwarding localhost:18897 to the Unix socket ${sock} on gpu`);
  assert.is((await fetch(`http://127.0.0.1:18897/api/status?token=${m![2]}`)).status, 200);
  const stop = await userBash(bed, 'remote_notebook_stop gpu');
  assert.is(stop.code, 0, stop.stderr);
  assert.ok(await waitFor(async () => (await jupyterPids()).length === 0, 5000), 'no Jupyter left');
  assert.not.ok(existsSync(sock));
  if (figures.length) console.log(figures.join('\n'));
}));

e2e.run();
