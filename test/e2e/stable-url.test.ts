/**
 * Issue 17's stable endpoint on the real bed: the same
 * http://127.0.0.1:LOCAL/?token=T across stop and start, restart and a
 * resubmitted job, for a plain target (two hops, Jupyter on a 0600 socket)
 * and a SLURM one (the job on gpu, through login); `--new-token` replaces it
 * (the old token gets 403); `url NAME` and `--json`; the shell functions too.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type Server } from 'node:net';
import { execa } from 'execa';
import { bedUp, isRoot, cli, userBash, resetUser, waitFor, root, endUserRuns, endingOnFailure, slurmJobs, type BedState } from '../helpers/bed.js';

const e2e = suite('stable URL on the test bed');
const hasSlurm = existsSync('/usr/sbin/slurmctld') && existsSync('/usr/sbin/slurmd') && existsSync('/usr/sbin/munged');
const it = isRoot ? e2e : (e2e.skip as typeof e2e);
const itSlurm = isRoot && hasSlurm ? e2e : (e2e.skip as typeof e2e);
const slurmSh = join(root, 'test/bed/slurm.sh');
let bed: BedState;

e2e.before(async () => {
  if (!isRoot) return;
  bed = (await bedUp())!;
  await resetUser(bed);
  if (hasSlurm) {
    await execa('bash', [slurmSh, 'up'], { stdout: 'ignore' });
    await execa('bash', [slurmSh, 'resume'], { reject: false });
  }
});

// A failed test ends the user's jobs and processes (forwards, logins, Jupyter) before the next one runs.
const jobs = hasSlurm ? slurmJobs('jssbed') : undefined;
const guard = endingOnFailure(() => bed, jobs);

e2e.after(async () => {
  if (!isRoot || !bed) return;
  await endUserRuns(bed, jobs);
  await resetUser(bed);
  if (hasSlurm) await execa('bash', [slurmSh, 'down'], { reject: false });
});

const URL_RE = /(http:\/\/127\.0\.0\.1:(\d+)\/\?token=([0-9a-f]{48}))/;

/** The HTTP status of /api/status through the local port with this token (0: nothing answered). */
async function answer(url: string): Promise<number> {
  const u = new URL(url);
  try {
    return (await fetch(`http://127.0.0.1:${u.port}/api/status`, { headers: { Authorization: `token ${u.searchParams.get('token')}` } })).status;
  } catch {
    return 0;
  }
}

async function startJson(name: string, ...flags: string[]): Promise<{ url: string; token: string; localPort: number; pid: number; jobId?: string; node: string }> {
  const r = await cli(bed, ['start', name, '--json', ...flags], 90_000);
  assert.is(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

async function stop(name: string): Promise<void> {
  const r = await cli(bed, ['stop', name]);
  assert.is(r.code, 0, r.stderr);
}

const tokenFile = (name: string) => join(bed.home, '.jupyter-ssh-setup', name, 'token');
const timings: string[] = [];

// ------------------------------------------------------------------ plain

let plainUrl = '';

it('plain: setup a two-hop target', guard(async () => {
  const r = await cli(bed, ['setup', '--yes', '--user', 'jssbed', '--name', 'steady', '--host', '10.200.2.2', '--jump', 'jssbed@10.200.1.2', '--app', 'server', '--local-port', '18710']);
  assert.is(r.code, 0, r.stderr);
}));

it('plain: start; stop; start gives the same URL, and it answers each time', guard(async () => {
  const first = await startJson('steady');
  plainUrl = first.url;
  assert.is(first.localPort, 18710, 'the profile\'s local port');
  assert.is(await answer(plainUrl), 200);
  // The token the remote keeps: 0600 in the 0700 state directory, the same as the URL's.
  assert.is(readFileSync(tokenFile('steady'), 'utf8').trim(), first.token);
  assert.is(statSync(tokenFile('steady')).mode & 0o777, 0o600);
  assert.is(statSync(join(bed.home, '.jupyter-ssh-setup', 'steady')).mode & 0o777, 0o700);
  await stop('steady');
  assert.is(await answer(plainUrl), 0, 'nothing answers once stopped');
  const t0 = Date.now();
  const second = await startJson('steady');
  timings.push(`plain start after stop: ${Date.now() - t0} ms`);
  assert.is(second.url, plainUrl, 'the same URL');
  assert.is.not(second.pid, first.pid, 'a new server');
  assert.is(await answer(plainUrl), 200);
  const ps = await execa('ps', ['-eo', 'args']);
  assert.not.ok(String(ps.stdout).includes(first.token), 'the token is in no command line');
}));

it('plain: restart keeps the URL', guard(async () => {
  const r = await cli(bed, ['restart', 'steady', '--json'], 90_000);
  assert.is(r.code, 0, r.stderr);
  assert.is(JSON.parse(r.stdout).url, plainUrl);
  assert.is(await answer(plainUrl), 200);
}));

it('plain: url NAME prints it, --json gives {name,url,token,localPort,running}; status shows it too', guard(async () => {
  const r = await cli(bed, ['url', 'steady']);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, plainUrl, 'one line: the URL (execa drops the final newline)');
  const j = await cli(bed, ['url', 'steady', '--json']);
  assert.equal(JSON.parse(j.stdout), { name: 'steady', url: plainUrl, token: new URL(plainUrl).searchParams.get('token'), localPort: 18710, running: true });
  assert.is(JSON.parse((await cli(bed, ['status', 'steady', '--json'])).stdout).url, plainUrl);
}));

it('plain: --new-token replaces the token: a new URL that answers, the old one gets 403', guard(async () => {
  const r = await cli(bed, ['start', 'steady', '--new-token'], 90_000);
  assert.is(r.code, 0, r.stderr);
  const m = URL_RE.exec(r.stdout);
  assert.ok(m, r.stdout);
  assert.is.not(m![1], plainUrl);
  assert.is(Number(m![2]), 18710, 'the same local port');
  assert.match(r.stderr, 'A new token for steady: the URL below replaces the old one');
  assert.is(await answer(m![1]!), 200);
  assert.is(await answer(plainUrl), 403, 'the old token is refused');
  assert.is(readFileSync(tokenFile('steady'), 'utf8').trim(), m![3]);
  plainUrl = m![1]!;
}));

it('plain: url of a stopped target exits 1 and says what to run', guard(async () => {
  await stop('steady');
  const r = await cli(bed, ['url', 'steady']);
  assert.is(r.code, 1);
  assert.is(r.stdout, '');
  assert.is(r.stderr, 'jupyter-ssh-setup: Jupyter is not running on steady\n  Start it with: jupyter-ssh-setup start steady (its URL stays the same from one start to the next).');
  const j = await cli(bed, ['url', 'steady', '--json']);
  assert.is(j.code, 1);
  assert.equal(JSON.parse(j.stdout), { name: 'steady', url: null, token: null, localPort: null, running: false });
}));

it('plain: the local port taken by another program: the next one, and start says the URL changed', guard(async () => {
  const blocker: Server = createServer();
  await new Promise<void>((r) => blocker.listen(18710, '127.0.0.1', () => r()));
  try {
    const r = await cli(bed, ['start', 'steady', '--json'], 90_000);
    assert.is(r.code, 0, r.stderr);
    assert.is(JSON.parse(r.stdout).localPort, 18711);
    assert.match(r.stderr, 'Local port 18710 is taken; using 18711, so the URL is not the usual one (port 18710)');
  } finally {
    blocker.close();
    await stop('steady');
  }
  // Freed: the usual URL again.
  assert.is((await startJson('steady')).url, plainUrl);
  await stop('steady');
}));

it('plain: start opens the last forward ahead while Jupyter starts; when the start then fails, that forward is closed again', guard(async () => {
  await startJson('steady');
  await stop('steady');
  assert.ok(existsSync(join(bed.home, '.config/jupyter-ssh-setup/state/steady.last')), 'start keeps where its forward went');
  // The remote state directory is a file: the launch script fails (state-dir) after the forward went up.
  const dir = join(bed.home, '.jupyter-ssh-setup/steady');
  await execa('sh', ['-c', `mv ${dir} ${dir}.kept && touch ${dir}`]);
  try {
    const r = await cli(bed, ['start', 'steady'], 90_000);
    assert.is(r.code, 1, r.stderr);
    assert.match(r.stderr, 'cannot create');
    const listening = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(true));
      probe.listen(18710, '127.0.0.1', () => probe.close(() => resolve(false)));
    });
    assert.not.ok(listening, 'no forward of ours is left on 18710');
  } finally {
    await execa('sh', ['-c', `rm -f ${dir} && mv ${dir}.kept ${dir}`]);
  }
  assert.is((await startJson('steady')).url, plainUrl);
  assert.is(await answer(plainUrl), 200);
  await stop('steady');
}));

it('plain: the shell functions keep the same URL, print it with remote_notebook_url, and rotate it with --new-token', guard(async () => {
  const a = await userBash(bed, 'remote_notebook_start steady');
  assert.is(a.code, 0, a.stderr);
  assert.is(URL_RE.exec(a.stdout)?.[1], plainUrl, 'the token the CLI left');
  const u = await userBash(bed, 'remote_notebook_url steady');
  assert.equal([u.code, u.stdout], [0, plainUrl], u.stderr);
  assert.is((await userBash(bed, 'remote_notebook_stop steady')).code, 0);
  const gone = await userBash(bed, 'remote_notebook_url steady');
  assert.is(gone.code, 1);
  assert.match(gone.stderr, 'Jupyter is not running on steady; start it with: remote_notebook_start steady');
  const b = await userBash(bed, 'remote_notebook_start steady');
  assert.is(URL_RE.exec(b.stdout)?.[1], plainUrl, 'start; stop; start: the same URL');
  assert.is(await answer(plainUrl), 200);
  const c = await userBash(bed, 'remote_notebook_start --new-token steady');
  assert.is(c.code, 0, c.stderr);
  const fresh = URL_RE.exec(c.stdout)?.[1];
  assert.ok(fresh && fresh !== plainUrl, c.stdout);
  assert.match(c.stdout, 'a new token: this URL replaces the old one');
  assert.is(await answer(fresh!), 200);
  assert.is(await answer(plainUrl), 403);
  assert.is((await cli(bed, ['url', 'steady'])).stdout, fresh, 'the CLI sees the new URL');
  assert.is((await userBash(bed, 'remote_notebook_stop steady')).code, 0);
}));

// ------------------------------------------------------------------ SLURM

let hpcUrl = '';
let firstJob = '';

itSlurm('SLURM: setup a target on the login node', guard(async () => {
  const r = await cli(bed, ['setup', '--yes', '--user', 'jssbed', '--name', 'steadyhpc', '--host', '10.200.1.2', '--launcher', 'slurm', '--cpus', '1', '--time', '9:00', '--app', 'server', '--local-port', '18720']);
  assert.is(r.code, 0, r.stderr);
}));

itSlurm('SLURM: start; stop; start gives the same URL from a new job, and it answers', guard(async () => {
  const first = await startJson('steadyhpc');
  hpcUrl = first.url;
  firstJob = first.jobId!;
  assert.is(first.localPort, 18720);
  assert.is(first.node, 'gpu');
  assert.is(await answer(hpcUrl), 200);
  assert.is(readFileSync(tokenFile('steadyhpc'), 'utf8').trim(), first.token);
  assert.is(statSync(tokenFile('steadyhpc')).mode & 0o777, 0o600);
  await stop('steadyhpc');
  const t0 = Date.now();
  const second = await startJson('steadyhpc');
  timings.push(`SLURM start after stop (submit to URL answering): ${Date.now() - t0} ms`);
  assert.is.not(second.jobId, firstJob, 'a new job');
  assert.is(second.url, hpcUrl, 'the same URL');
  assert.is(await answer(hpcUrl), 200);
}));

itSlurm('SLURM: start says when the job ends, and status notes that little time is left (a 9-minute job: always under 10 minutes)', guard(async () => {
  const s = await cli(bed, ['start', 'steadyhpc']);
  assert.is(s.code, 0, s.stderr);
  assert.match(s.stdout, /the job ends in \d+:\d\d \(at \d\d:\d\d\): its time limit; Jupyter stops with it/);
  const st = await cli(bed, ['status', 'steadyhpc']);
  assert.match(st.stdout, /only \d:\d\d left before the job's time limit ends it, and Jupyter with it: save your work, or get a fresh job now with jupyter-ssh-setup restart steadyhpc/);
  assert.match(JSON.parse((await cli(bed, ['status', 'steadyhpc', '--json'])).stdout).job.notice, 'only ');
}));

itSlurm('SLURM: restart (a resubmitted job) keeps the URL; url and url --json', guard(async () => {
  const r = await cli(bed, ['restart', 'steadyhpc', '--json'], 90_000);
  assert.is(r.code, 0, r.stderr);
  const info = JSON.parse(r.stdout);
  assert.is(info.url, hpcUrl);
  assert.is(await answer(hpcUrl), 200);
  const u = await cli(bed, ['url', 'steadyhpc']);
  assert.equal([u.code, u.stdout], [0, hpcUrl], u.stderr);
  assert.equal(JSON.parse((await cli(bed, ['url', 'steadyhpc', '--json'])).stdout), { name: 'steadyhpc', url: hpcUrl, token: info.token, localPort: 18720, running: true });
}));

itSlurm('SLURM: --new-token cancels the job that has the old token; the new URL answers, the old gets 403', guard(async () => {
  const before = readFileSync(join(bed.home, '.jupyter-ssh-setup/steadyhpc/job.id'), 'utf8').trim();
  const next = await startJson('steadyhpc', '--new-token');
  assert.is.not(next.url, hpcUrl);
  assert.is.not(next.jobId, before, 'a new job');
  assert.is(next.localPort, 18720);
  assert.is(await answer(next.url), 200);
  assert.is(await answer(hpcUrl), 403);
  hpcUrl = next.url;
}));

itSlurm('SLURM: the shell functions: the same URL across stop and start, the job end, remote_notebook_url', guard(async () => {
  await stop('steadyhpc');
  const a = await userBash(bed, 'remote_notebook_start steadyhpc', 90_000);
  assert.is(a.code, 0, a.stderr);
  assert.is(URL_RE.exec(a.stdout)?.[1], hpcUrl);
  assert.match(a.stdout, /the job ends in \d+:\d\d \(at \d\d:\d\d\): its time limit; Jupyter stops with it/);
  assert.match(a.stdout, /only \d:\d\d left before the job's time limit/);
  const st = await userBash(bed, 'remote_notebook_status steadyhpc');
  assert.match(st.stdout, /time left \d:\d\d\n {2}only \d:\d\d left/);
  assert.is((await userBash(bed, 'remote_notebook_url steadyhpc')).stdout, hpcUrl);
  assert.is((await userBash(bed, 'remote_notebook_stop steadyhpc')).code, 0);
  const b = await userBash(bed, 'remote_notebook_start steadyhpc', 90_000);
  assert.is(URL_RE.exec(b.stdout)?.[1], hpcUrl, 'a resubmitted job, the same URL');
  assert.is(await answer(hpcUrl), 200);
  assert.is((await userBash(bed, 'remote_notebook_stop steadyhpc')).code, 0);
  assert.ok(await waitFor(async () => (await answer(hpcUrl)) === 0, 5000));
  if (timings.length) console.log(`  timings: ${timings.join('; ')}`);
}));

e2e.run();
