/**
 * The Grid Engine launcher end to end (issue 17) on a real cluster on the test
 * bed (test/bed/sge.sh: Son of Grid Engine 8.1.9, sge_qmaster on login,
 * sge_execd on gpu). The profile's host is the login node; Jupyter runs in a
 * job on gpu, reached with -L LOCAL:gpu:PORT over the connection to login.
 *
 * Grid Engine's qsub/qstat/qdel are in /opt/jss-sge/bin (test/bed/install.sh):
 * /usr/bin has Slurm's Torque wrappers under the same names. The tests put
 * Grid Engine's first on the PATH of the user's ssh sessions
 * (~/.ssh/environment), as a site's login profile would, and check that a
 * target finds the wrong qsub out instead of submitting to it.
 *
 * The bed's hosts share /home and the PID space: that Jupyter ran on the node
 * is checked by what only the node has (its network namespace, its hostname,
 * the job's environment), never by a process list.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { bedUp, isRoot, cli, userBash, resetUser, livePids, portIsFree, runInKernel, waitFor, root, spawnCli as spawnCliAs, endUserRuns, endingOnFailure, type BedState, type JobControl } from '../helpers/bed.js';

const e2e = suite('Grid Engine launcher on the test bed');
const SGE_BIN = '/opt/jss-sge/bin';
const hasSge = existsSync(`${SGE_BIN}/qsub`) && existsSync('/opt/jss-sge/usr/lib/gridengine/sge_qmaster');
if (isRoot && !hasSge) console.log('  Grid Engine is not unpacked (run test/bed/install.sh): the SGE end-to-end tests are skipped');
const it = isRoot && hasSge ? e2e : (e2e.skip as typeof e2e);
let bed: BedState;
const LOGIN = '10.200.1.2';
const sgeSh = join(root, 'test/bed/sge.sh');
const DEFAULT_PATH = 'PATH=/usr/bin:/bin:/usr/sbin:/sbin';
const SGE_PATH = `PATH=${SGE_BIN}:/usr/bin:/bin:/usr/sbin:/sbin`;
const timings: string[] = [];

function sshPath(line: string): void {
  writeFileSync(join(bed.home, '.ssh/environment'), line + '\n');
}

e2e.before(async () => {
  if (!isRoot || !hasSge) return;
  bed = (await bedUp())!;
  await resetUser(bed);
  const t = Date.now();
  // A failed `up` fails every test: say why in the log (uvu prints nothing for a failed hook).
  const up = await execa('bash', [sgeSh, 'up'], { stdout: 'ignore', reject: false });
  if (up.exitCode !== 0) {
    console.log(`sge.sh up failed (exit ${up.exitCode}):\n${String(up.stderr)}`);
    throw new Error(`sge.sh up failed: ${String(up.stderr).trim().split('\n').pop()}`);
  }
  timings.push(`sge.sh up (a fresh cluster): ${Date.now() - t} ms`);
  sshPath(SGE_PATH);
});

e2e.after(async () => {
  if (!isRoot || !hasSge || !bed) return;
  sshPath(DEFAULT_PATH);
  await endUserRuns(bed, jobs);
  await resetUser(bed);
  await execa('bash', [sgeSh, 'down'], { reject: false });
  if (timings.length) console.log(`  timings:\n    ${timings.join('\n    ')}`);
});

/** A Grid Engine command as root, on login (its network, its hosts file). */
async function ctl(...args: string[]): Promise<string> {
  const r = await execa('nsenter', ['--net=/run/netns/jss-login', 'unshare', '--uts', '--mount', 'sh', '-c', 'mount --bind /run/jss-sge/hosts /etc/hosts; hostname login; exec "$@"', 'sh', `${SGE_BIN}/${args[0]}`, ...args.slice(1)], { reject: false, timeout: 15_000 });
  return String(r.stdout).trim();
}

/** The bed user's jobs: a failed test deletes them all (and ends its processes) before the next one runs. */
const jobs: JobControl = {
  cancelAll: () => ctl('qdel', '-u', 'jssbed'),
  left: () => ctl('qstat', '-u', 'jssbed'),
};
const guard = endingOnFailure(() => bed, jobs);

/** The job's line in `qstat -u jssbed`: its state letters and queue@host, or undefined when it is gone. */
async function jobLine(id: string): Promise<{ state: string; queue: string } | undefined> {
  const line = (await ctl('qstat', '-u', 'jssbed')).split('\n').find((l) => l.trim().split(/\s+/)[0] === id);
  if (!line) return undefined;
  const f = line.trim().split(/\s+/);
  return { state: f[4]!, queue: f[7]?.includes('@') ? f[7]! : '' };
}

async function setup(...args: string[]) {
  const launcher = args.includes('--launcher') ? [] : ['--launcher', 'sge'];
  const r = await cli(bed, ['setup', '--yes', '--user', 'jssbed', '--host', LOGIN, '--app', 'server', '--time', '10:00', ...launcher, ...args]);
  assert.is(r.code, 0, r.stderr);
}

const spawnCli = (args: string[]) => spawnCliAs(bed, args);

const netnsOf = (pid: number) => statSync(`/proc/${pid}/ns/net`).ino;
const netnsOfHost = (host: 'login' | 'gpu') => statSync(`/run/netns/${bed.hosts[host].ns}`).ino;
const stateDir = (name: string) => join(bed?.home ?? '', '.jupyter-ssh-setup', name);
const jupyterPids = async () => (await livePids(bed.user)).filter((p) => /jupyter/.test(p.args));

it('setup: the job script has the #$ directives; the target is the login node', guard(async () => {
  await setup('--name', 'grid', '--cpus', '2', '--partition', 'all.q', '--local-port', '18700');
  const script = readFileSync(join(bed.home, '.config/jupyter-ssh-setup/profiles/grid.launch.sh'), 'utf8');
  for (const d of ['#$ -N jupyter-grid', '#$ -l h_rt=00:10:00', '#$ -pe smp 2', '#$ -q all.q', '#$ -S /bin/bash']) assert.match(script, d);
}));

let url = '';
let token = '';
let localPort = 0;
let jobId = '';

it('CLI start with the queue disabled: shows qw as pending with Grid Engine\'s reason, runs on gpu once enabled, the URL answers through login', guard(async () => {
  await execa('bash', [sgeSh, 'disable']);
  let enabled = false;
  try {
    const t0 = Date.now();
    const run = spawnCli(['start', 'grid']);
    assert.ok(await waitFor(async () => /SGE job \d+ pending \(/.test(run.stderr()), 20_000, 50), `no pending line:\n${run.stderr()}`);
    jobId = readFileSync(join(stateDir('grid'), 'job.id'), 'utf8').trim();
    assert.equal(await jobLine(jobId), { state: 'qw', queue: '' });
    // (the launch script's JSON turns " into ')
    assert.match(run.stderr(), `SGE job ${jobId} pending (queue instance 'all.q@gpu' dropped because it is disabled)`);
    timings.push(`start -> pending line with the reason: ${Date.now() - t0} ms`);
    const t1 = Date.now();
    await execa('bash', [sgeSh, 'enable']);
    enabled = true;
    const r = await run.child;
    assert.is(r.exitCode, 0, run.stderr());
    timings.push(`queue enabled -> URL answering: ${Date.now() - t1} ms`);
    const m = /(http:\/\/127\.0\.0\.1:(\d+)\/\?token=([0-9a-f]{48}))/.exec(String(r.stdout));
    assert.ok(m, String(r.stdout));
    [url, localPort, token] = [m![1]!, Number(m![2]), m![3]!];
    assert.is(localPort, 18700);
    assert.match(String(r.stdout), `SGE job ${jobId}`);
    assert.match(String(r.stdout), 'local port 18700 -> gpu (via 10.200.1.2)');
    // start says when the job ends: h_rt (10:00) less what has run (nothing yet, when Jupyter answers within the job's first second).
    assert.ok(/ {2}the job ends in (?:10|[0-9]):[0-5][0-9] \(at [0-2][0-9]:[0-5][0-9]\): its time limit; Jupyter stops with it\n/.test(String(r.stdout)), String(r.stdout));
  } finally {
    if (!enabled) await execa('bash', [sgeSh, 'enable'], { reject: false });
  }
  // (start answers once Jupyter does; qstat may say t a moment longer)
  assert.ok(await waitFor(async () => (await jobLine(jobId))?.state === 'r', 15_000), JSON.stringify(await jobLine(jobId)));
  assert.equal(await jobLine(jobId), { state: 'r', queue: 'all.q@gpu' });
  const res = await fetch(`http://127.0.0.1:${localPort}/api/status`, { headers: { Authorization: `token ${token}` } });
  assert.is(res.status, 200);
}));

it('Jupyter runs inside the Grid Engine job on gpu: a kernel reports JOB_ID and hostname gpu, in gpu\'s network namespace', guard(async () => {
  const out = await runInKernel(localPort, token, 'import os, socket; print(os.environ.get("JOB_ID"), socket.gethostname())');
  assert.is(out.trim(), `${jobId} gpu`);
  const pid = JSON.parse(readFileSync(join(stateDir('grid'), 'connection.json'), 'utf8')).pid as number;
  assert.is(netnsOf(pid), netnsOfHost('gpu'));
  const ps = await execa('ps', ['-eo', 'args']);
  assert.not.ok(String(ps.stdout).includes(token), 'the token is in no command line');
}));

it('status shows the state, the node and the time left; a second start reuses the job', guard(async () => {
  const s = await cli(bed, ['status', 'grid', '--json']);
  assert.is(s.code, 0, s.stderr);
  const row = JSON.parse(s.stdout);
  assert.is(row.state, 'running');
  assert.is(row.url, url);
  assert.is(row.job.id, jobId);
  assert.is(row.job.state, 'RUNNING');
  assert.is(row.job.node, 'gpu');
  assert.is(row.job.timeLimit, '10:00');
  assert.match(row.job.timeLeft, /^[0-9]:[0-5][0-9]$/);
  assert.match(row.job.elapsed, /^0:[0-5][0-9]$/);
  const text = await cli(bed, ['status', 'grid']);
  assert.match(text.stdout, new RegExp(`grid: SGE job ${jobId} running on gpu, elapsed 0:\\d\\d, time left \\d:\\d\\d`));
  const again = await cli(bed, ['start', 'grid', '--json']);
  assert.is(again.code, 0, again.stderr);
  assert.is(JSON.parse(again.stdout).url, url);
  assert.is(JSON.parse(again.stdout).reused, true);
}));

it('restart: the job is cancelled, a fresh one runs on gpu, the same local port answers with it', guard(async () => {
  const before = jobId;
  const t = Date.now();
  const r = await cli(bed, ['restart', 'grid']);
  assert.is(r.code, 0, r.stderr);
  timings.push(`restart (qdel, qsub, Jupyter answering again): ${Date.now() - t} ms`);
  assert.match(r.stderr, `Restarting grid: stopped SGE job ${before} (running, now cancelled); starting afresh...`);
  const m = /(http:\/\/127\.0\.0\.1:(\d+)\/\?token=([0-9a-f]{48}))/.exec(r.stdout);
  assert.ok(m, r.stdout);
  jobId = readFileSync(join(stateDir('grid'), 'job.id'), 'utf8').trim();
  assert.is.not(jobId, before);
  assert.is(Number(m![2]), localPort, 'the same local port');
  [url, token] = [m![1]!, m![3]!];
  // (start answers once Jupyter does; qstat may say t a moment longer)
  assert.ok(await waitFor(async () => (await jobLine(jobId))?.state === 'r', 15_000), JSON.stringify(await jobLine(jobId)));
  assert.equal(await jobLine(jobId), { state: 'r', queue: 'all.q@gpu' });
  assert.is(await jobLine(before), undefined, 'the old job is gone');
  assert.is((await fetch(`${url.replace(/\?.*/, '')}api/status?token=${token}`)).status, 200);
}));

it('stop: qdel, qstat empty, no Jupyter left, the local port free', guard(async () => {
  const t = Date.now();
  const r = await cli(bed, ['stop', 'grid']);
  assert.is(r.code, 0, r.stderr);
  timings.push(`stop (qdel until the job is gone): ${Date.now() - t} ms`);
  assert.match(r.stdout, `Cancelled SGE job ${jobId} of grid (it was running, now cancelled) and closed the tunnel.`);
  assert.is(await ctl('qstat', '-u', 'jssbed'), '');
  assert.ok(await waitFor(async () => (await jupyterPids()).length === 0, 5000), 'no Jupyter left');
  assert.ok(await waitFor(() => portIsFree(localPort), 3000), 'local port free');
}));

it('the generated functions (POSIX sh, no Node): remote_notebook_start / status / stop', guard(async () => {
  const t = Date.now();
  const r = await userBash(bed, 'remote_notebook_start grid');
  assert.is(r.code, 0, r.stderr);
  timings.push(`remote_notebook_start (functions, idle queue): ${Date.now() - t} ms to a working URL`);
  const m = /http:\/\/127\.0\.0\.1:(\d+)\/\?token=([0-9a-f]{48})/.exec(r.stdout);
  assert.ok(m, r.stdout + r.stderr);
  const id = /Submitted SGE job (\d+)/.exec(r.stderr)?.[1];
  assert.ok(id, r.stderr);
  assert.is((await fetch(`http://127.0.0.1:${m![1]}/api/status?token=${m![2]}`)).status, 200);
  assert.is((await runInKernel(Number(m![1]), m![2]!, 'import os, socket; print(os.environ.get("JOB_ID"), socket.gethostname())')).trim(), `${id} gpu`);
  const st = await userBash(bed, 'remote_notebook_status grid');
  assert.match(st.stdout, `grid: SGE job ${id} RUNNING on gpu`);
  assert.match(st.stdout, /, time left [0-9]:[0-5][0-9]/);
  const stop = await userBash(bed, 'remote_notebook_stop grid');
  assert.is(stop.code, 0, stop.stderr);
  assert.match(stop.stdout, `Cancelled SGE job ${id} of grid`);
  assert.is(await ctl('qstat', '-u', 'jssbed'), '');
  assert.ok(await waitFor(async () => (await jupyterPids()).length === 0, 5000), 'no Jupyter left');
}));

it('Eqw: a job Grid Engine cannot start is reported with its error reason, and taken out of the queue', guard(async () => {
  await setup('--name', 'gridbad', '--local-port', '18710', '--directive=-o /nonexistent/dir/job.log');
  const r = await cli(bed, ['start', 'gridbad']);
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /SGE job (\d+) for gridbad ended ERROR: Grid Engine put the job in its error state \(Eqw\)/);
  assert.ok(r.stderr.includes("can't open output file '/nonexistent/dir/job.log'"), r.stderr);
  const st = await cli(bed, ['stop', 'gridbad']);
  assert.is(st.code, 0, st.stderr);
  assert.is(await ctl('qstat', '-u', 'jssbed'), '');
}));

it('the launcher calls the scheduler it was set up for: Slurm\'s Torque qsub first on PATH is refused, doctor tells them apart', guard(async () => {
  sshPath(DEFAULT_PATH);
  try {
    const r = await cli(bed, ['start', 'grid']);
    assert.is(r.code, 1);
    assert.ok(r.stderr.includes("submitting the SGE job for grid failed: qstat on PATH on login (/usr/bin/qstat) is not Grid Engine's but Slurm's Torque wrapper"), r.stderr);
    assert.match(r.stderr, 'put the SGE ones first on the PATH of ssh sessions on 10.200.1.2');
    assert.not.ok(existsSync(join(stateDir('grid'), 'job.id')), 'nothing submitted');
    await setup('--name', 'torque', '--launcher', 'pbs', '--local-port', '18720');
    const d = await cli(bed, ['doctor', 'torque']);
    assert.match(d.stdout + d.stderr, "PBS (Slurm's Torque-compatible wrappers, /usr/bin/qsub) on login");
  } finally {
    sshPath(SGE_PATH);
  }
  const d = await cli(bed, ['doctor', 'grid']);
  assert.match(d.stdout + d.stderr, `SGE (SGE 8.1.9, ${SGE_BIN}/qsub) on login`);
}));

e2e.run();
