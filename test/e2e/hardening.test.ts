/**
 * Hardening on the real bed: hostile values carried literally through the
 * generated scripts (a canary file is never created), faults (a dead shared
 * connection, a jump host down, stale state), concurrency, and a read-only or
 * full ~/.ssh during setup.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readFileSync, writeFileSync, chownSync, rmSync, readdirSync } from 'node:fs';
import { execa } from 'execa';
import { bedUp, bedCommand, isRoot, cli, userBash, asUser, resetUser, livePids, runInKernel, waitFor, portIsFree, endingOnFailure, type BedState } from '../helpers/bed.js';

const e2e = suite('hardening on the test bed');
const it = isRoot ? e2e : (e2e.skip as typeof e2e);
let bed: BedState;
// A failed test ends the user's processes (forwards, logins, Jupyter) before the next one runs.
const guard = endingOnFailure(() => bed);
const HOP = 'jssbed@10.200.1.2';
const CANARY = '/tmp/jss-canary';
const weird = `nb dir it's "q" $(touch ${CANARY}) \`touch ${CANARY}\`; touch ${CANARY} | & ~ ünï`;

e2e.before(async () => {
  if (!isRoot) return;
  bed = (await bedUp())!;
  await resetUser(bed);
  rmSync(CANARY, { force: true });
});

e2e.after(async () => {
  if (!isRoot || !bed) return;
  await execa('umount', ['-l', `${bed.home}/.ssh`], { reject: false });
  await resetUser(bed);
  rmSync(CANARY, { force: true });
});

async function setup(...args: string[]) {
  const r = await cli(bed, ['setup', '--yes', '--user', 'jssbed', '--app', 'server', ...args]);
  assert.is(r.code, 0, r.stderr);
}

it('hostile but valid values are carried literally, by the CLI and by the shell functions', guard(async () => {
  const dir = `${bed.home}/${weird}`;
  const venv = `${bed.home}/my venv $(touch ${CANARY})`;
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/marker.txt`, 'here');
  mkdirSync(`${venv}/bin`, { recursive: true });
  writeFileSync(`${venv}/bin/activate`, 'JSS_VENV_OK=yes; export JSS_VENV_OK\n');
  await execa('chown', ['-R', `${bed.user}:`, dir, `${bed.home}/my venv $(touch ${CANARY})`]);
  await setup('--name', 'odd', '--host', '10.200.2.2', '--jump', HOP, '--remote-port', '18801', '--local-port', '18801', '--notebook-dir', dir, '--env', `venv:${venv}`, '--env', `cmd:export JSS_ODD='$(touch ${CANARY}) \`x\` ; | &'`);
  try {
    const r = await cli(bed, ['start', 'odd', '--json']);
    assert.is(r.code, 0, r.stderr);
    const { localPort, token } = JSON.parse(r.stdout);
    const out = await runInKernel(localPort, token, 'import os; print(os.environ["JSS_ODD"]); print(os.environ["JSS_VENV_OK"]); print(os.getcwd())');
    assert.equal(out.trim().split('\n'), [`$(touch ${CANARY}) \`x\` ; | &`, 'yes', dir]);
    const listing = await fetch(`http://127.0.0.1:${localPort}/api/contents?token=${token}`).then((res) => res.json() as Promise<{ content: { name: string }[] }>);
    assert.ok(listing.content.some((f) => f.name === 'marker.txt'), 'Jupyter serves the notebook dir');
  } finally {
    assert.is((await cli(bed, ['stop', 'odd'])).code, 0);
  }
  const fn = await userBash(bed, 'remote_notebook_start odd && remote_notebook_stop odd');
  assert.is(fn.code, 0, fn.stderr);
  assert.not.ok(existsSync(CANARY), 'no value ever ran as a command');
}));

it('a dead shared connection: status says the tunnel is gone, start heals it', guard(async () => {
  await setup('--name', 'gpu', '--host', '10.200.2.2', '--jump', HOP);
  const first = JSON.parse((await cli(bed, ['start', 'gpu', '--json'])).stdout);
  const check = await asUser(bed, ['ssh', '-o', 'ControlMaster=no', '-O', 'check', 'gpu']);
  const master = { pid: Number(/pid=(\d+)/.exec(check.stderr)?.[1]) };
  assert.ok(master.pid > 0, `a shared connection runs: ${check.stderr}`);
  await execa('kill', ['-KILL', String(master.pid)]);
  await waitFor(async () => !(await livePids(bed.user)).some((p) => p.pid === master.pid), 3000);
  const st = JSON.parse((await cli(bed, ['status', 'gpu', '--json'])).stdout);
  assert.is(st.state, 'running');
  assert.is(st.tunnel, 'gone');
  const healed = await cli(bed, ['start', 'gpu', '--json']);
  assert.is(healed.code, 0, healed.stderr);
  const again = JSON.parse(healed.stdout);
  assert.is(again.token, first.token, 'the same server');
  assert.is((await fetch(`http://127.0.0.1:${again.localPort}/api/status?token=${again.token}`)).status, 200);
}));

it('two starts at once give one server and the same URL', guard(async () => {
  await cli(bed, ['stop', 'gpu']);
  const [a, b] = await Promise.all([cli(bed, ['start', 'gpu', '--json']), cli(bed, ['start', 'gpu', '--json'])]);
  assert.is(a.code, 0, a.stderr);
  assert.is(b.code, 0, b.stderr);
  assert.is(JSON.parse(a.stdout).url, JSON.parse(b.stdout).url);
  const servers = (await livePids(bed.user)).filter((p) => /jupyter-server/.test(p.args));
  assert.is(servers.length, 1);
}));

it('a stale connection file naming another process: never killed, a new server starts', guard(async () => {
  await cli(bed, ['stop', 'gpu']);
  const sleeper = execa('runuser', ['-u', bed.user, '--', 'sleep', '60'], { reject: false });
  await waitFor(async () => (await livePids(bed.user)).some((p) => p.args === 'sleep 60'), 3000);
  const pid = (await livePids(bed.user)).find((p) => p.args === 'sleep 60')!.pid;
  const conn = `${bed.home}/.jupyter-ssh-setup/gpu/connection.json`;
  writeFileSync(conn, `{"name":"gpu","host":"gpu","node":"127.0.0.1","port":8888,"token":"${'a'.repeat(48)}","pid":${pid},"app":"server","startedAt":"x"}\n`);
  chownSync(conn, bed.uid, bed.uid);
  const stop = await cli(bed, ['stop', 'gpu', '--json']);
  assert.is(JSON.parse(stop.stdout).stopped, false);
  assert.ok((await livePids(bed.user)).some((p) => p.pid === pid), 'the other process lives');
  writeFileSync(conn, `{"name":"gpu","host":"gpu","node":"127.0.0.1","port":8888,"token":"${'a'.repeat(48)}","pid":${pid},"app":"server","startedAt":"x"}\n`);
  chownSync(conn, bed.uid, bed.uid);
  const r = await cli(bed, ['start', 'gpu', '--json']);
  assert.is(r.code, 0, r.stderr);
  assert.is.not(JSON.parse(r.stdout).pid, pid);
  assert.ok((await livePids(bed.user)).some((p) => p.pid === pid), 'still alive');
  sleeper.kill();
  await cli(bed, ['stop', 'gpu']);
}));

it('a jump host down: the live login still works; after disconnect, start fails fast and names the hop', guard(async () => {
  assert.is((await cli(bed, ['start', 'gpu'])).code, 0);
  await bedCommand('stop-sshd', 'login');
  try {
    // The login of this morning carries on: its sessions outlive the sshd's listener.
    const live = await cli(bed, ['start', 'gpu', '--json']);
    assert.is(live.code, 0, live.stderr);
    assert.is((await cli(bed, ['disconnect', '--all'])).code, 0);
    const t0 = Date.now();
    const r = await cli(bed, ['start', 'gpu']);
    assert.is(r.code, 1);
    assert.ok(Date.now() - t0 < 20_000, 'fails fast');
    assert.match(r.stderr, '10.200.1.2');
    assert.match(r.stderr, 'doctor gpu');
  } finally {
    await bedCommand('start-sshd', 'login');
  }
}));

it('two setups at once: both land, the files stay valid', guard(async () => {
  const [a, b] = await Promise.all([
    cli(bed, ['setup', '--yes', '--user', 'jssbed', '--name', 'par1', '--host', '10.200.2.2', '--jump', HOP]),
    cli(bed, ['setup', '--yes', '--user', 'jssbed', '--name', 'par2', '--host', '10.200.1.2']),
  ]);
  assert.is(a.code, 0, a.stderr);
  assert.is(b.code, 0, b.stderr);
  for (const name of ['par1', 'par2']) {
    const g = await asUser(bed, ['ssh', '-G', name]);
    assert.is(g.code, 0, g.stderr);
  }
  const conf = readFileSync(`${bed.home}/.ssh/jupyter-ssh-setup.conf`, 'utf8');
  assert.match(conf, 'Host par1');
  assert.match(conf, 'Host par2');
}));

it('a read-only or full ~/.ssh: a clear error and the files intact', guard(async () => {
  const ssh = `${bed.home}/.ssh`;
  const before = Object.fromEntries(readdirSync(ssh).filter((f) => !f.endsWith('.ctl') && !f.startsWith('jss-')).map((f) => [f, readFileSync(`${ssh}/${f}`, 'utf8')]));
  await execa('mount', ['--bind', '-o', 'ro', ssh, ssh]).catch(async () => {
    await execa('mount', ['--bind', ssh, ssh]);
    await execa('mount', ['-o', 'remount,bind,ro', ssh]);
  });
  try {
    const r = await cli(bed, ['setup', '--yes', '--user', 'jssbed', '--name', 'ro1', '--host', '10.200.2.2']);
    assert.is(r.code, 1, r.stderr);
    assert.match(r.stderr, 'cannot write');
    assert.match(r.stderr, 'as they were');
  } finally {
    await execa('umount', ['-l', ssh]);
  }
  // A full filesystem: a tiny tmpfs over ~/.ssh holding the same files, filled up.
  await execa('mount', ['-t', 'tmpfs', '-o', `size=64k,mode=700,uid=${bed.uid},gid=${bed.uid}`, 'jsstmp', ssh]);
  try {
    for (const [f, text] of Object.entries(before)) {
      writeFileSync(`${ssh}/${f}`, text, { mode: 0o600 });
      chownSync(`${ssh}/${f}`, bed.uid, bed.gid);
    }
    await execa('sh', ['-c', `dd if=/dev/zero of=${ssh}/fill bs=1k count=1000 2>/dev/null || true`]);
    const r = await cli(bed, ['setup', '--yes', '--user', 'jssbed', '--name', 'full1', '--host', '10.200.2.2', '--jump', HOP]);
    assert.is(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, 'cannot write');
    for (const [f, text] of Object.entries(before)) assert.is(readFileSync(`${ssh}/${f}`, 'utf8'), text, `${f} intact`);
    assert.not.ok(readdirSync(ssh).some((f) => f.includes('.tmp')), 'no temp file left');
  } finally {
    await execa('umount', ['-l', ssh]);
  }
}));

it('--reconnect: autossh brings the tunnel back after its ssh dies and after the link drops', guard(async () => {
  await cli(bed, ['stop', 'gpu']);
  const r = await cli(bed, ['start', 'gpu', '--reconnect', '--json']);
  assert.is(r.code, 0, r.stderr);
  const { localPort, token } = JSON.parse(r.stdout);
  const answers = async () => {
    try {
      return (await fetch(`http://127.0.0.1:${localPort}/api/status?token=${token}`, { signal: AbortSignal.timeout(1000) })).status === 200;
    } catch {
      return false;
    }
  };
  assert.ok(await answers());
  const st = JSON.parse((await cli(bed, ['status', 'gpu', '--json'])).stdout);
  assert.is(st.tunnel, 'open');
  // The shared connection may go: the tunnel is autossh's own.
  await asUser(bed, ['ssh', '-o', 'ControlMaster=no', '-O', 'exit', 'gpu']);
  assert.ok(await answers(), 'independent of the shared connection');
  // Kill the ssh that autossh supervises: it is started again at once.
  const child = (await livePids(bed.user)).find((p) => /^\/usr\/bin\/ssh .*-L 127\.0\.0\.1:/.test(p.args) && !p.args.includes('autossh'));
  assert.ok(child, 'autossh runs an ssh');
  await execa('kill', ['-KILL', String(child!.pid)]);
  assert.ok(await waitFor(answers, 10_000, 100), 'back after its ssh was killed');
  // Drop the client's link to login for 12 s: keepalives notice, autossh reconnects when it is back.
  await execa('ip', ['link', 'set', 'jss-r-login', 'down']);
  await new Promise((res) => setTimeout(res, 12_000));
  await execa('ip', ['link', 'set', 'jss-r-login', 'up']);
  assert.ok(await waitFor(answers, 30_000, 250), 'back after the link came back');
  const stop = await cli(bed, ['stop', 'gpu']);
  assert.is(stop.code, 0, stop.stderr);
  assert.ok(await waitFor(async () => !(await livePids(bed.user)).some((p) => p.args.includes('autossh')), 5000), 'no autossh left');
}));

it('stop leaves the local ports free', guard(async () => {
  for (const name of ['gpu', 'odd']) await cli(bed, ['stop', name]);
  assert.ok(await waitFor(() => portIsFree(8888), 3000));
}));

e2e.run();
