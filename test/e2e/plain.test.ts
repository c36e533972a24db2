/**
 * End to end on the real bed: the built CLI and the generated shell functions,
 * run as a real user against real sshd's, a real jump host and real Jupyter.
 * client (root netns) -> login 10.200.1.2 -> gpu 10.200.2.2 (only through login)
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type Server } from 'node:net';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { execa } from 'execa';
import { bedUp, bedCommand, isRoot, cli, userBash, asUser, resetUser, livePids, countAccepted, portIsFree, runInKernel, waitFor, endingOnFailure, type BedState } from '../helpers/bed.js';

const e2e = suite('plain launcher on the test bed');
const it = isRoot ? e2e : (e2e.skip as typeof e2e);
let bed: BedState;
// A failed test ends the user's processes (forwards, logins, Jupyter) before the next one runs.
const guard = endingOnFailure(() => bed);
const LOGIN_HOP = 'jssbed@10.200.1.2';

e2e.before(async () => {
  if (!isRoot) return;
  bed = (await bedUp())!;
  await resetUser(bed);
});

e2e.after(async () => {
  if (isRoot && bed) await resetUser(bed);
});

// These tests pin the TCP mode (ports, port clashes, jpt PORT); test/e2e/socket.test.ts covers the socket.
async function setup(...args: string[]) {
  const r = await cli(bed, ['setup', '--yes', '--user', 'jssbed', '--bind', 'tcp', ...args]);
  assert.is(r.code, 0, r.stderr);
  return r;
}

async function jupyterPids() {
  return (await livePids(bed.user)).filter((p) => /jupyter/.test(p.args));
}

it('direct target: setup, then plain ssh reaches it', guard(async () => {
  await setup('--name', 'direct', '--host', '10.200.1.2', '--app', 'server', '--local-port', '18800', '--remote-port', '18800');
  const r = await asUser(bed, ['ssh', '-o', 'BatchMode=yes', 'direct', 'hostname']);
  assert.is(r.stdout.trim(), 'login', r.stderr);
  assert.is(statSync(`${bed.home}/.ssh/config`).mode & 0o777, 0o600);
  assert.is(statSync(`${bed.home}/.ssh`).mode & 0o777, 0o700);
}));

it('direct target: start gives a URL that answers, stop leaves nothing', guard(async () => {
  const r = await cli(bed, ['start', 'direct', '--json']);
  assert.is(r.code, 0, r.stderr);
  const info = JSON.parse(r.stdout);
  assert.is(info.localPort, 18800);
  const res = await fetch(`http://127.0.0.1:${info.localPort}/api/status?token=${info.token}`);
  assert.is(res.status, 200);
  const s = await cli(bed, ['stop', 'direct']);
  assert.is(s.code, 0, s.stderr);
  assert.ok(await waitFor(async () => (await jupyterPids()).length === 0, 5000), 'no Jupyter left');
  assert.ok(await portIsFree(18800));
}));

it('two hops: ssh gpu runs on gpu, reachable only through login', guard(async () => {
  await setup('--name', 'gpu', '--host', '10.200.2.2', '--jump', LOGIN_HOP, '--app', 'server');
  const conf = readFileSync(`${bed.home}/.ssh/jupyter-ssh-setup.conf`, 'utf8');
  // The jump host behind a hop alias of ours, so that its login is shared.
  assert.match(conf, 'ProxyJump jss-hop-10.200.1.2-jssbed');
  assert.match(conf, /Host jss-hop-10\.200\.1\.2-jssbed\n {2}HostName 10\.200\.1\.2\n {2}User jssbed\n/);
  const r = await asUser(bed, ['ssh', '-o', 'BatchMode=yes', 'gpu', 'hostname']);
  assert.is(r.stdout.trim(), 'gpu', r.stderr);
}));

let url = '';
let token = '';
let localPort = 0;

it('two hops: a cold start authenticates once per hop and gives a working URL', guard(async () => {
  // Cold: the login of the direct target (the same machine and account as the jump host) goes first.
  assert.is((await cli(bed, ['disconnect', '--all'])).code, 0);
  const loginBefore = countAccepted(bed, 'login');
  const gpuBefore = countAccepted(bed, 'gpu');
  const r = await cli(bed, ['start', 'gpu', '--json']);
  assert.is(r.code, 0, r.stderr);
  ({ url, token, localPort } = JSON.parse(r.stdout));
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{48}$/);
  const res = await fetch(`http://127.0.0.1:${localPort}/api/status`, { headers: { Authorization: `token ${token}` } });
  assert.is(res.status, 200);
  assert.is(countAccepted(bed, 'login') - loginBefore, 1, 'one login on the jump host');
  assert.is(countAccepted(bed, 'gpu') - gpuBefore, 1, 'one login on the target');
}));

it('two hops: a kernel runs code on gpu', guard(async () => {
  const out = await runInKernel(localPort, token, 'import socket; print(socket.gethostname())');
  assert.is(out.trim(), 'gpu');
}));

it('the token never appears in any process command line', guard(async () => {
  const ps = await execa('ps', ['-eo', 'args']);
  assert.not.ok(String(ps.stdout).includes(token));
}));

it('the remote connection file is 0600 in a 0700 directory', guard(async () => {
  const dir = `${bed.home}/.jupyter-ssh-setup/gpu`;
  assert.is(statSync(dir).mode & 0o777, 0o700);
  assert.is(statSync(`${dir}/connection.json`).mode & 0o777, 0o600);
}));

it('status and a second start reuse the shared connection: no new login', guard(async () => {
  const loginBefore = countAccepted(bed, 'login');
  const gpuBefore = countAccepted(bed, 'gpu');
  const s = await cli(bed, ['status', 'gpu', '--json']);
  assert.is(s.code, 0, s.stderr);
  const row = JSON.parse(s.stdout);
  assert.is(row.state, 'running');
  assert.is(row.tunnel, 'open');
  assert.is(row.url, url);
  const again = await cli(bed, ['start', 'gpu', '--json']);
  assert.is(JSON.parse(again.stdout).url, url, 'same server, same URL');
  assert.is(countAccepted(bed, 'login'), loginBefore);
  assert.is(countAccepted(bed, 'gpu'), gpuBefore);
}));

it('ssh gpu still gives a shell while the tunnel is open', guard(async () => {
  const r = await asUser(bed, ['ssh', '-o', 'BatchMode=yes', 'gpu', 'echo', 'shell-ok']);
  assert.is(r.stdout.trim(), 'shell-ok', r.stderr);
}));

it('stop (no new login) leaves no Jupyter process and a free local port', guard(async () => {
  const gpuBefore = countAccepted(bed, 'gpu');
  const r = await cli(bed, ['stop', 'gpu']);
  assert.is(r.code, 0, r.stderr);
  assert.is(countAccepted(bed, 'gpu'), gpuBefore);
  assert.ok(await waitFor(async () => (await jupyterPids()).length === 0, 5000), 'no Jupyter left');
  assert.ok(await waitFor(() => portIsFree(localPort), 3000), 'local port free');
  // The login stays up for the next start (one login per hop per day); disconnect closes it.
  assert.is((await asUser(bed, ['ssh', '-o', 'ControlMaster=no', '-O', 'check', 'gpu'])).code, 0, 'the login stays up');
  assert.is((await cli(bed, ['disconnect', '--all'])).code, 0);
  assert.ok(await waitFor(async () => !(await livePids(bed.user)).some((p) => /\bssh\b/.test(p.args)), 3000), 'no ssh of ours after disconnect');
}));

it('the generated functions: remote_notebook_start / status / stop through bash -ic', guard(async () => {
  const r = await userBash(bed, 'remote_notebook_start gpu');
  assert.is(r.code, 0, r.stderr);
  const m = /(http:\/\/127\.0\.0\.1:(\d+)\/\?token=([0-9a-f]{48}))/.exec(r.stdout);
  assert.ok(m, r.stdout);
  const res = await fetch(`http://127.0.0.1:${m![2]}/api/status?token=${m![3]}`);
  assert.is(res.status, 200);
  const st = await userBash(bed, 'remote_notebook_status gpu');
  assert.match(st.stdout, 'gpu: running on gpu');
  const cliStatus = JSON.parse((await cli(bed, ['status', 'gpu', '--json'])).stdout);
  assert.is(cliStatus.url, m![1], 'the CLI sees what the functions started');
  const stop = await userBash(bed, 'remote_notebook_stop gpu');
  assert.is(stop.code, 0, stop.stderr);
  assert.ok(await waitFor(async () => (await jupyterPids()).length === 0, 5000));
  assert.ok(await waitFor(() => portIsFree(Number(m![2])), 3000));
}));

it('jptt REMOTE LOCAL forwards as seed 001 describes', guard(async () => {
  // Something listening on gpu's 127.0.0.1:8889.
  const srv = await asUser(bed, ['ssh', 'gpu', 'setsid nohup /usr/bin/python3 -m http.server 8889 --bind 127.0.0.1 </dev/null >/dev/null 2>&1 & echo started']);
  assert.match(srv.stdout, 'started');
  let code = 0;
  await waitFor(async () => {
    const r = await userBash(bed, 'jptt 8889 18889 gpu');
    code = r.code;
    if (r.code !== 0) return false;
    try {
      return (await fetch('http://127.0.0.1:18889/', { signal: AbortSignal.timeout(2000) })).status === 200;
    } catch {
      return false;
    }
  }, 10_000, 200);
  assert.is(code, 0);
  assert.is((await fetch('http://127.0.0.1:18889/')).status, 200);
  const sh = await asUser(bed, ['ssh', '-o', 'BatchMode=yes', 'gpu', 'echo', 'shell-ok']);
  assert.is(sh.stdout.trim(), 'shell-ok');
  await userBash(bed, 'remote_notebook_stop gpu');
  await asUser(bed, ['ssh', 'gpu', 'pkill -u jssbed -f "http.server 8889"']);
}));

it('the remote jpt PORT (seed 001) runs Jupyter in the foreground there, and jptt reaches it', guard(async () => {
  // start installs ~/.jupyter-ssh-setup/bin/jpt on the remote.
  assert.is((await cli(bed, ['start', 'gpu'])).code, 0);
  assert.is((await cli(bed, ['stop', 'gpu'])).code, 0);
  const remote = execa('runuser', ['-u', bed.user, '--', 'env', '-i', `HOME=${bed.home}`, 'PATH=/usr/bin:/bin', 'ssh', 'gpu', '~/.jupyter-ssh-setup/bin/jpt 18999 gpu'], { reject: false, cwd: bed.home });
  let out = '';
  remote.stdout!.on('data', (d) => (out += d));
  try {
    assert.ok(await waitFor(async () => /token=([0-9a-f]{48})/.test(out), 15_000), out);
    assert.match(out, 'jptt 18999 18999 gpu');
    const token = /token=([0-9a-f]{48})/.exec(out)![1]!;
    let status = 0;
    await waitFor(async () => {
      await userBash(bed, 'jptt 18999 18999 gpu');
      // A timeout: a tunnel that accepts before the server listens must not hang fetch.
      status = await fetch(`http://127.0.0.1:18999/api/status?token=${token}`, { signal: AbortSignal.timeout(2000) }).then((r) => r.status, () => 0);
      return status === 200;
    }, 15_000, 200);
    assert.is(status, 200);
    const ps = await execa('ps', ['-eo', 'args']);
    assert.not.ok(String(ps.stdout).includes(token), 'the token is not in argv');
  } finally {
    await asUser(bed, ['ssh', 'gpu', 'pkill -u jssbed -f "port=18999"']);
    remote.kill();
    await userBash(bed, 'remote_notebook_stop gpu');
  }
}));

it('local port taken: start picks the next one and says so', guard(async () => {
  const blocker: Server = createServer();
  await new Promise<void>((r) => blocker.listen(8888, '127.0.0.1', () => r()));
  try {
    const r = await cli(bed, ['start', 'gpu', '--json']);
    assert.is(r.code, 0, r.stderr);
    assert.is(JSON.parse(r.stdout).localPort, 8889);
    assert.match(r.stderr, 'Local port 8888 is taken; using 8889');
  } finally {
    blocker.close();
    await cli(bed, ['stop', 'gpu']);
  }
}));

it('remote port taken with a fixed port: a clear error', guard(async () => {
  await asUser(bed, ['ssh', 'gpu', 'setsid nohup /usr/bin/python3 -m http.server 8888 --bind 127.0.0.1 </dev/null >/dev/null 2>&1 &']);
  try {
    await waitFor(async () => (await asUser(bed, ['ssh', 'gpu', 'python3 -c "import socket; socket.create_connection((\'127.0.0.1\', 8888))"'])).code === 0, 5000, 100);
    const r = await cli(bed, ['start', 'gpu']);
    assert.is(r.code, 1);
    assert.match(r.stderr, 'port 8888 on gpu is already in use');
    assert.match(r.stderr, '--remote-port');
  } finally {
    await asUser(bed, ['ssh', 'gpu', 'pkill -u jssbed -f "http.server 8888"']);
    await cli(bed, ['stop', 'gpu']);
  }
}));

it('doctor passes on a healthy target and names Jupyter when it is missing', guard(async () => {
  const ok = await cli(bed, ['doctor', 'gpu']);
  assert.is(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, 'All checks passed');
  await setup('--name', 'nojup', '--host', '10.200.2.2', '--jump', LOGIN_HOP, '--env', 'cmd:PATH=/nonexistent', '--local-port', '18900');
  const bad = await cli(bed, ['doctor', 'nojup', '--json']);
  assert.is(bad.code, 1);
  const report = JSON.parse(bad.stdout);
  assert.is(report.failed, 'Jupyter');
  assert.match(JSON.stringify(report.checks), /neither jupyter nor jupyter-\w+ is on PATH/);
}));

it('doctor asks Jupyter end to end, over ssh -W without a tunnel, and says what answers instead (issue 12)', guard(async () => {
  const r = await cli(bed, ['start', 'gpu', '--json']);
  assert.is(r.code, 0, r.stderr);
  const { localPort } = JSON.parse(r.stdout);
  const connPath = `${bed.home}/.jupyter-ssh-setup/gpu/connection.json`;
  const conn = readFileSync(connPath, 'utf8');
  const last = async () => {
    const d = await cli(bed, ['doctor', 'gpu', '--json']);
    return { code: d.code, check: JSON.parse(d.stdout).checks.at(-1) };
  };
  await asUser(bed, ['ssh', 'gpu', 'setsid nohup /usr/bin/python3 -m http.server 18897 --bind 127.0.0.1 </dev/null >/dev/null 2>&1 &']);
  try {
    assert.equal(await last(), { code: 0, check: { check: 'Jupyter answers', ok: true, detail: `Jupyter answers our token on local port ${localPort} (the tunnel to gpu port 8888)` } });
    // The tunnel gone (its shared connection died; the server runs on): doctor goes to the
    // server's port over an ssh -W stream of its own.
    for (const p of (await livePids(bed.user)).filter((p) => p.args.endsWith('[mux]'))) process.kill(p.pid);
    assert.ok(await waitFor(() => portIsFree(localPort), 5000), 'the tunnel is gone');
    const connNow = readFileSync(connPath, 'utf8');
    assert.equal(await last(), { code: 0, check: { check: 'Jupyter answers', ok: true, detail: 'Jupyter answers our token on gpu port 8888' } });
    // Our record names a port where another program answers, then one where nothing does.
    await waitFor(async () => (await asUser(bed, ['ssh', 'gpu', 'python3 -c "import socket; socket.create_connection((\'127.0.0.1\', 18897))"'])).code === 0, 5000, 100);
    writeFileSync(connPath, connNow.replace('"port":8888', '"port":18897'));
    const other = await last();
    assert.is(other.code, 1);
    assert.match(other.check.detail, /^another program answers on gpu port 18897 \(HTTP 404, Server: SimpleHTTP\/[0-9.]+ Python\/[0-9.]+\), not our Jupyter$/);
    writeFileSync(connPath, connNow.replace('"port":8888', '"port":18898'));
    assert.equal(await last(), {
      code: 1,
      check: { check: 'Jupyter answers', ok: false, detail: 'nothing answers on gpu port 18898', hint: 'Jupyter no longer listens there (see ~/.jupyter-ssh-setup/gpu/jupyter.log on 10.200.2.2). Restart it: jupyter-ssh-setup stop gpu && jupyter-ssh-setup start gpu.' },
    });
    writeFileSync(connPath, connNow);
  } finally {
    if (!existsSync(connPath)) writeFileSync(connPath, conn);
    await asUser(bed, ['ssh', 'gpu', 'pkill -u jssbed -f "http.server 18897"']);
    await cli(bed, ['stop', 'gpu']);
  }
}));

it('doctor names the jump host when its sshd is down', guard(async () => {
  await cli(bed, ['disconnect', '--all']);
  await bedCommand('stop-sshd', 'login');
  try {
    const r = await cli(bed, ['doctor', 'gpu', '--json']);
    assert.is(r.code, 1);
    assert.is(JSON.parse(r.stdout).failed, `jump host ${LOGIN_HOP}`);
    const start = await cli(bed, ['start', 'gpu']);
    assert.is(start.code, 1);
    assert.match(start.stderr, 'doctor gpu');
  } finally {
    await bedCommand('start-sshd', 'login');
  }
}));

it('the remote login shell may be zsh or sh: start and stop work the same', guard(async () => {
  for (const shell of ['/usr/bin/zsh', '/bin/sh']) {
    await execa('usermod', ['-s', shell, bed.user]);
    try {
      const r = await cli(bed, ['start', 'gpu', '--json']);
      assert.is(r.code, 0, `${shell}: ${r.stderr}`);
      const { localPort, token } = JSON.parse(r.stdout);
      assert.is((await fetch(`http://127.0.0.1:${localPort}/api/status?token=${token}`)).status, 200, shell);
      const s = await cli(bed, ['stop', 'gpu']);
      assert.is(s.code, 0, `${shell}: ${s.stderr}`);
    } finally {
      await execa('usermod', ['-s', '/bin/bash', bed.user]);
    }
  }
}));

it('one target left: every shell function works without a name (issue 12)', guard(async () => {
  for (const name of ['direct', 'nojup']) assert.is((await cli(bed, ['remove', name])).code, 0);
  const r = await userBash(bed, 'remote_notebook_start');
  assert.is(r.code, 0, r.stderr);
  const m = /(http:\/\/127\.0\.0\.1:(\d+)\/\?token=([0-9a-f]{48}))/.exec(r.stdout);
  assert.ok(m, r.stdout);
  assert.is((await fetch(`http://127.0.0.1:${m![2]}/api/status?token=${m![3]}`)).status, 200);
  const st = await userBash(bed, 'remote_notebook_status');
  assert.is(st.code, 0, st.stderr);
  assert.match(st.stdout, `gpu: running on gpu port 8888, ${m![1]}`);
  const pf = await userBash(bed, 'port_forward');
  assert.is(pf.code, 0, pf.stderr);
  assert.is(pf.stdout.trim(), m![1]);
  const jp = await userBash(bed, 'jptt 8888 18895');
  assert.is(jp.code, 0, jp.stderr);
  assert.match(jp.stdout, 'Forwarding localhost:18895 to port 8888 on gpu');
  assert.is((await fetch(`http://127.0.0.1:18895/api/status?token=${m![3]}`)).status, 200);
  const stop = await userBash(bed, 'remote_notebook_stop');
  assert.is(stop.code, 0, stop.stderr);
  assert.match(stop.stdout, 'Stopped Jupyter on gpu and closed the tunnel.');
  assert.ok(await waitFor(async () => (await jupyterPids()).length === 0, 5000), 'no Jupyter left');
  assert.ok(await waitFor(() => portIsFree(18895), 3000), 'the jptt forward went with the connection');
}));

it('remove --all gives the user back their files', guard(async () => {
  const r = await cli(bed, ['remove', '--all']);
  assert.is(r.code, 0, r.stderr);
  assert.is(readFileSync(`${bed.home}/.bashrc`, 'utf8'), readFileSync('/etc/skel/.bashrc', 'utf8'));
}));

e2e.run();
