/**
 * One login per hop (issue "One login per hop per day"), on the real bed:
 * the user's own `ssh gpu`, every command and every shell function share one
 * connection per machine, and two targets behind the same login node log in
 * to it once. Logins are counted in each sshd's log.
 * client (root netns) -> login 10.200.1.2 -> gpu 10.200.2.2 (only through login)
 */
import * as assert from 'uvu/assert';
import { bedSuite, cli, userBash, asUser, livePids, countAccepted, portIsFree, waitFor, endingOnFailure } from '../helpers/bed.js';

const { suite: e2e, it, ctx } = bedSuite('one login per hop');
// A failed test ends the user's processes (forwards, logins, Jupyter) before the next one runs.
const guard = endingOnFailure(() => ctx.bed);

async function answers(url: string): Promise<number> {
  const u = new URL(url);
  const res = await fetch(`http://127.0.0.1:${u.port}/api/status?token=${u.searchParams.get('token')}`, { signal: AbortSignal.timeout(5000) });
  return res.status;
}

const logins = () => ({ login: countAccepted(ctx.bed, 'login'), gpu: countAccepted(ctx.bed, 'gpu') });
const jupyters = async () => (await livePids(ctx.bed.user)).filter((p) => /jupyter/.test(p.args));

it('setup: gpu behind the login node, and lgn, the login node itself', guard(async () => {
  for (const args of [
    ['--name', 'gpu', '--host', '10.200.2.2', '--jump', 'jssbed@10.200.1.2', '--app', 'server', '--local-port', '18860', '--remote-port', '18860', '--bind', 'tcp'],
    ['--name', 'lgn', '--host', '10.200.1.2', '--app', 'server', '--local-port', '18861', '--remote-port', '18861'],
  ]) {
    const r = await cli(ctx.bed, ['setup', '--yes', '--user', 'jssbed', ...args]);
    assert.is(r.code, 0, r.stderr);
  }
  const g = await asUser(ctx.bed, ['ssh', '-G', 'gpu']);
  assert.match(g.stdout, /^proxyjump jss-hop-10\.200\.1\.2-jssbed$/m);
  // The hop alias and lgn are one socket: one login to the login node for both.
  const hop = /^controlpath (.*)$/m.exec((await asUser(ctx.bed, ['ssh', '-G', 'jss-hop-10.200.1.2-jssbed'])).stdout)![1];
  const lgn = /^controlpath (.*)$/m.exec((await asUser(ctx.bed, ['ssh', '-G', 'lgn'])).stdout)![1];
  assert.is(hop, lgn);
}));

it("the day's sequence logs in to login once and to gpu once, and every start answers", guard(async () => {
  const before = logins();
  const step = async (what: string, run: () => Promise<{ code: number; stdout: string; stderr: string }>) => {
    const r = await run();
    assert.is(r.code, 0, `${what}: ${r.stderr}`);
    return r;
  };
  await step('ssh gpu true', () => asUser(ctx.bed, ['ssh', '-o', 'BatchMode=yes', 'gpu', 'true']));
  const s1 = JSON.parse((await step('start gpu', () => cli(ctx.bed, ['start', 'gpu', '--json']))).stdout);
  assert.is(await answers(s1.url), 200);
  await step('stop gpu', () => cli(ctx.bed, ['stop', 'gpu']));
  assert.ok(await waitFor(async () => (await jupyters()).length === 0, 5000), 'no Jupyter after stop');
  assert.ok(await waitFor(() => portIsFree(s1.localPort), 3000), 'no forward after stop');
  const s2 = JSON.parse((await step('start gpu again', () => cli(ctx.bed, ['start', 'gpu', '--json']))).stdout);
  assert.is(await answers(s2.url), 200);
  const st = JSON.parse((await step('status', () => cli(ctx.bed, ['status', '--json']))).stdout);
  const row = st.find((r: { name: string }) => r.name === 'gpu');
  assert.is(row.state, 'running');
  assert.is(row.connection.open, true);
  await step('remote_notebook_status gpu', () => userBash(ctx.bed, 'remote_notebook_status gpu'));
  await step('stop gpu', () => cli(ctx.bed, ['stop', 'gpu']));
  await step('ssh lgn true', () => asUser(ctx.bed, ['ssh', '-o', 'BatchMode=yes', 'lgn', 'true']));
  const f = await step('remote_notebook_start gpu', () => userBash(ctx.bed, 'remote_notebook_start gpu'));
  const url = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+)/.exec(f.stdout)?.[1];
  assert.ok(url, f.stdout);
  assert.is(await answers(url!), 200);
  await step('remote_notebook_stop gpu', () => userBash(ctx.bed, 'remote_notebook_stop gpu'));
  const after = logins();
  assert.equal({ login: after.login - before.login, gpu: after.gpu - before.gpu }, { login: 1, gpu: 1 });
  assert.ok(await waitFor(async () => (await jupyters()).length === 0, 5000), 'no Jupyter after stop');
  assert.ok(await waitFor(() => portIsFree(18860), 3000), 'no forward after stop');
}));

it('forward adds a port to the live login; status lists it; stop closes it', guard(async () => {
  const before = logins();
  const s = await cli(ctx.bed, ['start', 'gpu', '--json']);
  assert.is(s.code, 0, s.stderr);
  // Something to forward to on gpu: a second port of the same Jupyter will do.
  const f = await cli(ctx.bed, ['forward', 'gpu', '18860', '18870', '--json']);
  assert.is(f.code, 0, f.stderr);
  assert.equal(JSON.parse(f.stdout).localPort, 18870);
  const token = JSON.parse(s.stdout).token as string;
  assert.is(await answers(`http://127.0.0.1:18870/?token=${token}`), 200);
  const row = JSON.parse((await cli(ctx.bed, ['status', 'gpu', '--json'])).stdout);
  assert.equal(row.forwards, [{ localPort: 18870, host: '127.0.0.1', remotePort: 18860 }]);
  // doctor on a live login checks through it: no new login either.
  const doc = JSON.parse((await cli(ctx.bed, ['doctor', 'gpu', '--json'])).stdout);
  assert.ok(doc.checks.some((c: { check: string; ok: boolean }) => c.check === 'connection' && c.ok), JSON.stringify(doc));
  assert.is((await cli(ctx.bed, ['stop', 'gpu'])).code, 0);
  assert.ok(await waitFor(() => portIsFree(18870), 3000), 'the extra forward is closed by stop');
  const after = logins();
  assert.equal({ login: after.login - before.login, gpu: after.gpu - before.gpu }, { login: 0, gpu: 0 });
}));

it('disconnect --all leaves no ssh of ours; the next start logs in again, once', guard(async () => {
  const d = await cli(ctx.bed, ['disconnect', '--all']);
  assert.is(d.code, 0, d.stderr);
  assert.ok(await waitFor(async () => !(await livePids(ctx.bed.user)).some((p) => /\bssh\b/.test(p.args)), 5000), JSON.stringify(await livePids(ctx.bed.user)));
  const before = logins();
  const s = await cli(ctx.bed, ['start', 'gpu', '--json']);
  assert.is(s.code, 0, s.stderr);
  assert.is(await answers(JSON.parse(s.stdout).url), 200);
  assert.is((await cli(ctx.bed, ['stop', 'gpu'])).code, 0);
  const after = logins();
  assert.equal({ login: after.login - before.login, gpu: after.gpu - before.gpu }, { login: 1, gpu: 1 });
}));

it('remote_notebook_disconnect closes the login and its jump host\'s, but keeps a hop another open target uses', guard(async () => {
  const open = async (alias: string) => (await asUser(ctx.bed, ['ssh', '-o', 'ControlMaster=no', '-O', 'check', alias])).code === 0;
  const hop = 'jss-hop-10.200.1.2-jssbed';
  // gpu's login (through the hop) and lgn's (the same socket as the hop) are both open.
  assert.is((await asUser(ctx.bed, ['ssh', '-o', 'BatchMode=yes', 'gpu', 'true'])).code, 0);
  assert.is((await asUser(ctx.bed, ['ssh', '-o', 'BatchMode=yes', 'lgn', 'true'])).code, 0);
  const d = await userBash(ctx.bed, 'remote_notebook_disconnect gpu');
  assert.is(d.code, 0, d.stderr);
  assert.match(d.stdout, 'Closed the login to gpu.');
  assert.match(d.stdout, `Kept the login to jump host ${hop}: lgn uses it.`);
  assert.not.ok(await open('gpu'));
  assert.ok(await open(hop));
  // lgn's login is that very socket: disconnecting lgn closes it, and no ssh of ours remains.
  const d2 = await userBash(ctx.bed, 'remote_notebook_disconnect lgn');
  assert.match(d2.stdout, 'Closed the login to lgn.');
  assert.not.ok(await open(hop));
  assert.ok(await waitFor(async () => !(await livePids(ctx.bed.user)).some((p) => /\bssh\b/.test(p.args)), 5000), JSON.stringify(await livePids(ctx.bed.user)));
  // (gpu's login open again, for the next test)
  assert.is((await asUser(ctx.bed, ['ssh', '-o', 'BatchMode=yes', 'gpu', 'true'])).code, 0);
}));

it('a dead master (killed, as after a laptop sleep) is replaced with one new login', guard(async () => {
  const check = await asUser(ctx.bed, ['ssh', '-o', 'ControlMaster=no', '-O', 'check', 'gpu']);
  const pid = Number(/pid=(\d+)/.exec(check.stderr)?.[1]);
  assert.ok(pid > 0, check.stderr);
  process.kill(pid, 'SIGKILL');
  const before = logins();
  const s = await cli(ctx.bed, ['start', 'gpu', '--json']);
  assert.is(s.code, 0, s.stderr);
  assert.is(await answers(JSON.parse(s.stdout).url), 200);
  assert.is((await cli(ctx.bed, ['stop', 'gpu'])).code, 0);
  assert.is(logins().gpu - before.gpu, 1);
  await cli(ctx.bed, ['disconnect', '--all']);
}));

e2e.run();
