/**
 * A laptop that woke on another network (issue "Mornings"), on the real bed:
 * Jupyter runs, the shared logins are up, and then every packet of their TCP
 * connections is dropped both ways (no reset reaches ssh, as after a network
 * change or a long sleep; the master processes stay alive and `-O check` still
 * says "running"). New connections get through, as on the new network.
 * Before the fix `start` waited for the keepalives: about two minutes.
 * client (root netns) -> login 10.200.1.2 -> gpu 10.200.2.2 (only through login)
 */
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { bedSuite, cli, userBash, asUser, countAccepted, endingOnFailure, type Run } from '../helpers/bed.js';

const { suite: e2e, it, ctx } = bedSuite('a woken laptop');
// A failed test ends the user's processes (forwards, logins, Jupyter) before the next one runs.
const guard = endingOnFailure(() => ctx.bed);

const LOGIN = '10.200.1.2';
/** What the issue asks of start, restart and the shell functions; status, stop, url and doctor too. */
const URL_LIMIT_MS = 10_000;

async function answers(url: string): Promise<number> {
  const u = new URL(url);
  const res = await fetch(`http://127.0.0.1:${u.port}/api/status?token=${u.searchParams.get('token')}`, { signal: AbortSignal.timeout(5000) });
  return res.status;
}

/** The iptables rules in place, so that `finally` can take them out whatever happened. */
const rules: string[][] = [];

/**
 * Drops every packet of the client's established connections to the login
 * node (the shared logins: gpu's rides on the jump host's). Returns how many.
 */
async function dropTheLink(): Promise<number> {
  const ss = await execa('ss', ['-Htn', 'state', 'established', 'dst', `${LOGIN}:22`]);
  const ports = [...String(ss.stdout).matchAll(/\S+:(\d+)\s+\S*10\.200\.1\.2:22\b/g)].map((m) => m[1]!);
  for (const port of ports) {
    for (const rule of [
      ['OUTPUT', '-p', 'tcp', '-d', LOGIN, '--sport', port, '-j', 'DROP'],
      ['INPUT', '-p', 'tcp', '-s', LOGIN, '--dport', port, '-j', 'DROP'],
    ]) {
      await execa('iptables', ['-I', ...rule]);
      rules.push(rule);
    }
  }
  return ports.length;
}

async function restoreTheLink(): Promise<void> {
  while (rules.length) await execa('iptables', ['-D', ...rules.pop()!], { reject: false });
}

async function timed(run: () => Promise<Run>): Promise<Run & { ms: number }> {
  const t0 = Date.now();
  const r = await run();
  return { ...r, ms: Date.now() - t0 };
}

const logins = () => ({ login: countAccepted(ctx.bed, 'login'), gpu: countAccepted(ctx.bed, 'gpu') });

e2e.after.each(restoreTheLink);

it('setup gpu behind the login node; start gives a URL', guard(async () => {
  const r = await cli(ctx.bed, ['setup', '--yes', '--name', 'gpu', '--host', '10.200.2.2', '--user', 'jssbed', '--jump', `jssbed@${LOGIN}`, '--app', 'server', '--local-port', '18890']);
  assert.is(r.code, 0, r.stderr);
  const s = await cli(ctx.bed, ['start', 'gpu', '--json']);
  assert.is(s.code, 0, s.stderr);
  assert.is(await answers(JSON.parse(s.stdout).url), 200);
}));

it('start after the network went away: a URL that answers within 10 s, one new login per hop', guard(async () => {
  const before = logins();
  assert.ok((await dropTheLink()) > 0, 'a shared login to drop');
  const r = await timed(() => cli(ctx.bed, ['start', 'gpu', '--json'], 180_000));
  process.stdout.write(`jss-measure: start after the network went away: ${r.ms} ms\n`);
  assert.is(r.code, 0, r.stderr);
  assert.ok(r.ms < URL_LIMIT_MS, `start took ${r.ms} ms`);
  assert.match(r.stderr, /The shared login to gpu \(and to jss-hop-10\.200\.1\.2-jssbed\) did not answer within 3 s/);
  assert.is(await answers(JSON.parse(r.stdout).url), 200);
  const after = logins();
  assert.equal({ login: after.login - before.login, gpu: after.gpu - before.gpu }, { login: 1, gpu: 1 });
}));

it('status, url, doctor and stop each answer within 10 s of a network that went away', guard(async () => {
  for (const args of [['status', 'gpu'], ['url', 'gpu'], ['doctor', 'gpu'], ['stop', 'gpu']]) {
    await dropTheLink();
    const r = await timed(() => cli(ctx.bed, args));
    process.stdout.write(`jss-measure: ${args.join(' ')} after the network went away: ${r.ms} ms\n`);
    assert.ok(r.ms < URL_LIMIT_MS, `${args.join(' ')} took ${r.ms} ms: ${r.stderr}`);
    assert.match(r.stderr, /did not answer within 3 s/, `${args.join(' ')}: ${r.stderr}`);
    if (args[0] === 'status' || args[0] === 'stop') assert.is(r.code, 0, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    await restoreTheLink();
  }
}));

it('restart after the network went away: a URL within 10 s', guard(async () => {
  const s = await cli(ctx.bed, ['start', 'gpu']);
  assert.is(s.code, 0, s.stderr);
  await dropTheLink();
  const r = await timed(() => cli(ctx.bed, ['restart', 'gpu', '--json']));
  process.stdout.write(`jss-measure: restart after the network went away: ${r.ms} ms\n`);
  assert.is(r.code, 0, r.stderr);
  assert.ok(r.ms < URL_LIMIT_MS, `restart took ${r.ms} ms`);
  assert.is(await answers(JSON.parse(r.stdout).url), 200);
}));

it('remote_notebook_start (no argument) after the network went away: a URL within 10 s', guard(async () => {
  await dropTheLink();
  const r = await timed(() => userBash(ctx.bed, 'remote_notebook_start'));
  process.stdout.write(`jss-measure: remote_notebook_start after the network went away: ${r.ms} ms\n`);
  assert.is(r.code, 0, r.stderr);
  assert.ok(r.ms < URL_LIMIT_MS, `remote_notebook_start took ${r.ms} ms`);
  assert.match(r.stderr, /the shared login to gpu did not answer within 3 s/);
  const url = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+)/.exec(r.stdout)?.[1];
  assert.ok(url, r.stdout);
  assert.is(await answers(url!), 200);
  await dropTheLink();
  const st = await timed(() => userBash(ctx.bed, 'remote_notebook_stop'));
  assert.is(st.code, 0, st.stderr);
  assert.ok(st.ms < URL_LIMIT_MS, `remote_notebook_stop took ${st.ms} ms`);
}));

it('plain ssh gpu works again within 30 s: the keepalives end the stale login', guard(async () => {
  const up = await asUser(ctx.bed, ['ssh', '-o', 'BatchMode=yes', 'gpu', 'true']);
  assert.is(up.code, 0, up.stderr);
  await dropTheLink();
  const t0 = Date.now();
  let ok = false;
  while (!ok && Date.now() - t0 < 45_000) ok = (await asUser(ctx.bed, ['ssh', '-o', 'BatchMode=yes', 'gpu', 'true'], 45_000)).code === 0;
  const ms = Date.now() - t0;
  process.stdout.write(`jss-measure: plain ssh gpu works again after ${ms} ms\n`);
  assert.ok(ok && ms < 30_000, `ssh gpu worked again after ${ms} ms (ok: ${ok})`);
}));

e2e.run();
