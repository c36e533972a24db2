/**
 * Batch launchers end to end (issue 5) on a real two-node SLURM cluster on the
 * test bed (test/bed/slurm.sh): slurmctld on login (10.200.1.2), slurmd on gpu
 * (10.200.2.2, reachable only through login). The profile's host is the login
 * node; Jupyter runs in a job on gpu and is reached with -L LOCAL:gpu:PORT
 * over the shared connection to login. PBS is Slurm's Torque-compatible
 * qsub/qstat/qdel (slurm-wlm-torque) on the same cluster.
 *
 * The bed's hosts share /home and the PID space: every check that Jupyter ran
 * on the node looks at what only the node has (its network namespace, its
 * hostname, the job's environment), never at a process list.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { bedUp, isRoot, cli, userBash, asUser, resetUser, livePids, portIsFree, runInKernel, waitFor, root, appRoot, spawnCli as spawnCliAs, endUserRuns, endingOnFailure, slurmJobs, type BedState } from '../helpers/bed.js';

const e2e = suite('SLURM and PBS launchers on the test bed');
// The bed's packages (test/bed/install.sh) include slurm-wlm, slurm-wlm-torque and munge.
const hasSlurm = existsSync('/usr/sbin/slurmctld') && existsSync('/usr/sbin/slurmd') && existsSync('/usr/sbin/munged') && existsSync('/usr/bin/qsub');
if (isRoot && !hasSlurm) console.log('  SLURM is not installed (run test/bed/install.sh): the batch end-to-end tests are skipped');
const it = isRoot && hasSlurm ? e2e : (e2e.skip as typeof e2e);
let bed: BedState;
const LOGIN = '10.200.1.2';
const slurmSh = join(root, 'test/bed/slurm.sh');

e2e.before(async () => {
  if (!isRoot || !hasSlurm) return;
  bed = (await bedUp())!;
  await resetUser(bed);
  await execa('bash', [slurmSh, 'up'], { stdout: 'ignore' });
  await ctl('scancel', '-u', bed.user);
  await execa('bash', [slurmSh, 'resume'], { reject: false });
});

e2e.after(async () => {
  if (!isRoot || !hasSlurm || !bed) return;
  await endUserRuns(bed, jobs);
  await resetUser(bed);
  await execa('bash', [slurmSh, 'down'], { reject: false });
});

/** A SLURM command as root, from the login node's network (the root namespace cannot reach slurmctld). */
async function ctl(...args: string[]): Promise<string> {
  const r = await execa('nsenter', ['--net=/run/netns/jss-login', ...args], { reject: false, timeout: 15_000 });
  return String(r.stdout).trim();
}

/** The bed user's jobs: a failed test cancels them all (and ends its processes) before the next one runs. */
const jobs = slurmJobs('jssbed');
const guard = endingOnFailure(() => bed, jobs);

async function jobState(id: string): Promise<{ state: string; node: string }> {
  const [state = '', node = ''] = (await ctl('squeue', '-h', '-t', 'all', '-j', id, '-o', '%T %N')).split(' ');
  return { state, node };
}

async function setup(...args: string[]) {
  const r = await cli(bed, ['setup', '--yes', '--user', 'jssbed', '--host', LOGIN, '--app', 'server', '--time', '10:00', ...args]);
  assert.is(r.code, 0, r.stderr);
}

const spawnCli = (args: string[]) => spawnCliAs(bed, args);

async function jupyterPids() {
  return (await livePids(bed.user)).filter((p) => /jupyter|slurm_script/.test(p.args));
}

/** The network namespace of a process, and of a bed host, as nsfs inode numbers. */
function netnsOf(pid: number): number {
  return statSync(`/proc/${pid}/ns/net`).ino;
}
function netnsOfHost(host: 'login' | 'gpu'): number {
  return statSync(`/run/netns/${bed.hosts[host].ns}`).ino;
}

const stateDir = (name: string) => join(bed?.home ?? '', '.jupyter-ssh-setup', name);
const timings: string[] = [];

it('setup: the SLURM target is the login node', guard(async () => {
  await setup('--name', 'hpc', '--launcher', 'slurm', '--cpus', '1', '--local-port', '18600');
  const r = await asUser(bed, ['ssh', '-o', 'BatchMode=yes', 'hpc', 'hostname']);
  assert.is(r.stdout.trim(), 'login', r.stderr);
  const script = readFileSync(join(bed.home, '.config/jupyter-ssh-setup/profiles/hpc.launch.sh'), 'utf8');
  assert.match(script, '#SBATCH --job-name=jupyter-hpc');
  assert.match(script, '#SBATCH --time=10:00');
}));

let url = '';
let token = '';
let localPort = 0;
let jobId = '';
let jupyterPid = 0;

it('CLI start on a drained node: shows PD and its reason, proceeds once the node is resumed, and the URL answers through -L LOCAL:gpu:PORT login', guard(async () => {
  await execa('bash', [slurmSh, 'drain', 'jss test: queue wait']);
  let resumed = false;
  try {
    const run = spawnCli(['start', 'hpc']);
    assert.ok(await waitFor(async () => /pending \(/.test(run.stderr()), 15_000, 50), `no pending line:\n${run.stderr()}`);
    jobId = readFileSync(join(stateDir('hpc'), 'job.id'), 'utf8').trim();
    assert.equal(await jobState(jobId), { state: 'PENDING', node: '' });
    assert.match(run.stderr(), new RegExp(`SLURM job ${jobId} pending \\((ReqNodeNotAvail|Nodes required for job are DOWN, DRAINED)`));
    await execa('bash', [slurmSh, 'resume']);
    resumed = true;
    const r = await run.child;
    assert.is(r.exitCode, 0, run.stderr());
    const m = /(http:\/\/127\.0\.0\.1:(\d+)\/\?token=([0-9a-f]{48}))/.exec(String(r.stdout));
    assert.ok(m, String(r.stdout));
    [url, localPort, token] = [m![1]!, Number(m![2]), m![3]!];
    assert.is(localPort, 18600);
    assert.match(String(r.stdout), `SLURM job ${jobId}`);
    // From the connection file appearing on the node to the URL on the client.
    const conn = join(stateDir('hpc'), 'connection.json');
    const ms = run.exitedAt() - statSync(conn).mtimeMs;
    // Measured, not asserted (a loaded machine misses any sub-second bound; the bench measures speed).
    timings.push(`connection file -> URL (CLI, after a queue wait): ${Math.round(ms)} ms`);
    jupyterPid = JSON.parse(readFileSync(conn, 'utf8')).pid;
  } finally {
    if (!resumed) await execa('bash', [slurmSh, 'resume'], { reject: false });
  }
  assert.equal(await jobState(jobId), { state: 'RUNNING', node: 'gpu' });
  // The forward goes to the node's name, resolved by the login node: -L 127.0.0.1:18600:gpu:PORT.
  const forward = readFileSync(join(bed.home, '.config/jupyter-ssh-setup/state/hpc.forward'), 'utf8').trim().split(' ');
  assert.is(forward[0], '18600');
  assert.is(forward[1], 'gpu');
  const res = await fetch(`http://127.0.0.1:${localPort}/api/status`, { headers: { Authorization: `token ${token}` } });
  assert.is(res.status, 200);
}));

it('Jupyter runs inside the job on gpu: a kernel reports SLURM_JOB_ID and hostname gpu, in gpu\'s network namespace', guard(async () => {
  const out = await runInKernel(localPort, token, 'import os, socket; print(os.environ.get("SLURM_JOB_ID"), socket.gethostname())');
  assert.is(out.trim(), `${jobId} gpu`);
  assert.is(netnsOf(jupyterPid), netnsOfHost('gpu'), 'Jupyter is in the gpu namespace');
  assert.is.not(netnsOf(jupyterPid), netnsOfHost('login'));
  const ps = await execa('ps', ['-eo', 'args']);
  assert.not.ok(String(ps.stdout).includes(token), 'the token is in no command line');
  const dir = stateDir('hpc');
  assert.is(statSync(dir).mode & 0o777, 0o700);
  assert.is(statSync(join(dir, 'connection.json')).mode & 0o777, 0o600);
  assert.is(statSync(join(dir, 'job.log')).mode & 0o777, 0o600);
}));

it('status shows the job; a second start reuses it (one job, same URL)', guard(async () => {
  const s = await cli(bed, ['status', 'hpc', '--json']);
  assert.is(s.code, 0, s.stderr);
  const row = JSON.parse(s.stdout);
  assert.is(row.state, 'running');
  assert.is(row.tunnel, 'open');
  assert.is(row.url, url);
  assert.is(row.job.id, jobId);
  assert.is(row.job.state, 'RUNNING');
  assert.is(row.job.node, 'gpu');
  assert.match(row.job.timeLeft, /^\d/);
  const text = await cli(bed, ['status', 'hpc']);
  assert.match(text.stdout, `hpc: SLURM job ${jobId} running on gpu, elapsed`);
  const again = await cli(bed, ['start', 'hpc', '--json']);
  assert.is(again.code, 0, again.stderr);
  const info = JSON.parse(again.stdout);
  assert.is(info.url, url);
  assert.is(info.jobId, jobId);
  assert.is(info.reused, true);
  assert.is(await ctl('squeue', '-h', '-u', 'jssbed', '-t', 'PD,R', '-o', '%i'), jobId, 'still one job');
}));

it('stop: the job is CANCELLED, no Jupyter process is left, the local port is free', guard(async () => {
  const r = await cli(bed, ['stop', 'hpc']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, `Cancelled SLURM job ${jobId} of hpc`);
  assert.is((await jobState(jobId)).state, 'CANCELLED');
  assert.ok(await waitFor(async () => (await jupyterPids()).length === 0, 5000), 'no Jupyter left');
  assert.ok(await waitFor(() => portIsFree(localPort), 3000), 'local port free');
  assert.not.ok(existsSync(join(stateDir('hpc'), 'connection.json')));
}));

it('the generated functions: remote_notebook_start / status / stop through bash -ic', guard(async () => {
  const started = Date.now();
  const r = await userBash(bed, 'remote_notebook_start hpc');
  const ended = Date.now();
  assert.is(r.code, 0, r.stderr);
  const m = /http:\/\/127\.0\.0\.1:(\d+)\/\?token=([0-9a-f]{48})/.exec(r.stdout);
  assert.ok(m, r.stdout + r.stderr);
  assert.match(r.stderr, /Submitted SLURM job \d+\./);
  const id = /Submitted SLURM job (\d+)/.exec(r.stderr)![1]!;
  timings.push(`remote_notebook_start (functions, idle node): ${Date.now() - started} ms to a working URL`);
  const dir = stateDir('hpc');
  const fromConn = ended - statSync(join(dir, 'connection.json')).mtimeMs;
  timings.push(`connection file -> URL (functions): ${Math.round(fromConn)} ms`);
  timings.push(`sbatch -> job script running on gpu (idle node): ${Math.round(statSync(join(dir, 'job.started')).mtimeMs - statSync(join(dir, 'job.id')).mtimeMs)} ms; -> connection file: ${Math.round(statSync(join(dir, 'connection.json')).mtimeMs - statSync(join(dir, 'job.id')).mtimeMs)} ms`);
  assert.is((await fetch(`http://127.0.0.1:${m![1]}/api/status?token=${m![2]}`)).status, 200);
  const out = await runInKernel(Number(m![1]), m![2]!, 'import os, socket; print(os.environ.get("SLURM_JOB_ID"), socket.gethostname())');
  assert.is(out.trim(), `${id} gpu`);
  const st = await userBash(bed, 'remote_notebook_status hpc');
  assert.match(st.stdout, `hpc: SLURM job ${id} RUNNING on gpu`);
  assert.match(st.stdout, `http://127.0.0.1:${m![1]}/?token=${m![2]}`);
  const cliStatus = JSON.parse((await cli(bed, ['status', 'hpc', '--json'])).stdout);
  assert.is(cliStatus.job.id, id, 'the CLI sees the job the functions started');
  const stop = await userBash(bed, 'remote_notebook_stop hpc');
  assert.is(stop.code, 0, stop.stderr);
  assert.match(stop.stdout, `Cancelled SLURM job ${id} of hpc`);
  assert.is((await jobState(id)).state, 'CANCELLED');
  assert.ok(await waitFor(async () => (await jupyterPids()).length === 0, 5000), 'no Jupyter left');
  assert.ok(await waitFor(() => portIsFree(Number(m![1])), 3000), 'local port free');
}));

it('a job that fails (a bad environment) is reported FAILED with its log tail within seconds, by the CLI and the functions', guard(async () => {
  await setup('--name', 'hpcbad', '--launcher', 'slurm', '--env', 'venv:/nonexistent', '--local-port', '18610');
  let t = Date.now();
  const r = await cli(bed, ['start', 'hpcbad']);
  const took = Date.now() - t;
  assert.is(r.code, 1);
  assert.match(r.stderr, /SLURM job \d+ for hpcbad ended FAILED, exit code 4:0/);
  assert.match(r.stderr, '| jupyter-ssh-setup: environment: no virtualenv at /nonexistent (bin/activate is missing)');
  assert.ok(took < 10_000, `${took} ms`);
  timings.push(`failing job reported (CLI): ${took} ms`);
  t = Date.now();
  const f = await userBash(bed, 'remote_notebook_start hpcbad');
  assert.is(f.code, 1);
  assert.match(f.stderr, /SLURM job \d+ of hpcbad ended FAILED \(exit code 4:0\)/);
  assert.match(f.stderr, '| jupyter-ssh-setup: environment: no virtualenv at /nonexistent');
  assert.ok(Date.now() - t < 10_000);
  assert.ok(await portIsFree(18610), 'no tunnel for a failed job');
}));

it('Ctrl+C while the job is queued, with no terminal to ask on: the job is cancelled, and the user is told', guard(async () => {
  await execa('bash', [slurmSh, 'drain', 'jss test: ctrl-c']);
  try {
    const run = spawnCli(['start', 'hpc']);
    assert.ok(await waitFor(async () => /pending \(/.test(run.stderr()), 15_000, 50), run.stderr());
    const id = readFileSync(join(stateDir('hpc'), 'job.id'), 'utf8').trim();
    const node = (await execa('pgrep', ['-P', String(run.child.pid)])).stdout.trim();
    await execa('kill', ['-INT', node]);
    const r = await run.child;
    assert.is(r.exitCode, 130, run.stderr());
    assert.match(run.stderr(), `there is no terminal to ask on: cancelling SLURM job ${id} (pending)`);
    assert.match(run.stderr(), `cancelled SLURM job ${id}`);
    assert.is((await jobState(id)).state, 'CANCELLED');
  } finally {
    await execa('bash', [slurmSh, 'resume'], { reject: false });
  }
}));

/** A terminal (tmux) running a command as the bed's user; setpriv execs in place, so Ctrl+C reaches it. */
const hasTmux = isRoot && hasSlurm && (await execa('tmux', ['-V'], { reject: false })).exitCode === 0;
const TMUX = ['-L', `jss-slurm-${process.pid}`, '-f', '/dev/null'];
function terminal(name: string, command: string) {
  const env = `HOME=${bed.home} USER=${bed.user} LOGNAME=${bed.user} PATH=/usr/local/bin:/usr/bin:/bin SHELL=/bin/bash LANG=C.UTF-8 TERM=xterm-256color`;
  const run = `cd ${bed.home} && setpriv --reuid ${bed.user} --regid ${bed.user} --init-groups -- env -i ${env} ${command}; echo EXIT=$?; sleep 600`;
  execa('tmux', [...TMUX, 'new-session', '-d', '-s', name, '-x', '160', '-y', '40', run]);
  const screen = async () => String((await execa('tmux', [...TMUX, 'capture-pane', '-p', '-J', '-t', name], { reject: false })).stdout);
  return {
    screen,
    async waitFor(re: RegExp, ms = 15_000) {
      assert.ok(await waitFor(async () => re.test(await screen()), ms, 50), `timed out waiting for ${re}; the screen:\n${await screen()}`);
    },
    keys: (...keys: string[]) => execa('tmux', [...TMUX, 'send-keys', '-t', name, ...keys]),
  };
}

(hasTmux ? it : e2e.skip)('Ctrl+C on a terminal while queued asks: "n" keeps the job (the next start picks it up), the functions\' "Y" cancels it', guard(async () => {
  await execa('bash', [slurmSh, 'drain', 'jss test: ctrl-c on a terminal']);
  try {
    const t = terminal('cli', `${process.execPath} ${join(appRoot, 'dist/bin.js')} start hpc`);
    await t.waitFor(/pending \(/);
    const id = readFileSync(join(stateDir('hpc'), 'job.id'), 'utf8').trim();
    await t.keys('C-c');
    await t.waitFor(new RegExp(`Cancel SLURM job ${id} \\(pending\\)\\?`));
    await t.keys('n', 'Enter');
    await t.waitFor(/EXIT=130/);
    assert.match(await t.screen(), `SLURM job ${id} stays in the queue: jupyter-ssh-setup start hpc picks it up again`);
    assert.is((await jobState(id)).state, 'PENDING', 'kept');
    // The functions in an interactive bash, typed at its prompt as a person would.
    const f = terminal('functions', 'bash -i');
    await f.waitFor(/\$ $/m);
    await f.keys('remote_notebook_start hpc', 'Enter');
    await f.waitFor(new RegExp(`SLURM job ${id} of hpc is already queued or running`));
    await f.waitFor(/pending \(/);
    await f.keys('C-c');
    await f.waitFor(new RegExp(`Cancel SLURM job ${id}\\? \\[Y/n\\]`));
    await f.keys('Enter');
    await f.waitFor(new RegExp(`Cancelled SLURM job ${id}\\.`));
    await f.keys('echo RC=$?', 'Enter');
    await f.waitFor(/RC=130/);
    assert.match(await f.screen(), `Cancelled SLURM job ${id}.`);
    assert.is((await jobState(id)).state, 'CANCELLED');
  } finally {
    await execa('tmux', [...TMUX, 'kill-server'], { reject: false });
    await execa('bash', [slurmSh, 'resume'], { reject: false });
  }
}));

it('PBS through qsub/qstat/qdel: start -> running on gpu -> kernel -> stop, job cancelled, nothing left', guard(async () => {
  await setup('--name', 'pbs', '--launcher', 'pbs', '--cpus', '1', '--local-port', '18620');
  const r = await cli(bed, ['start', 'pbs', '--json']);
  assert.is(r.code, 0, r.stderr);
  const info = JSON.parse(r.stdout);
  assert.is(info.scheduler, 'pbs');
  assert.is(info.node, 'gpu');
  const calls = await ctl('scontrol', 'show', 'job', '-o', info.jobId);
  assert.match(calls, 'JobName=jupyter-pbs');
  assert.match(calls, 'TimeLimit=00:10:00', '#PBS -l walltime= was read');
  assert.match(calls, `StdOut=${bed.home}/.jupyter-ssh-setup/pbs/job.log`);
  const qstat = await asUser(bed, ['ssh', '-o', 'BatchMode=yes', 'pbs', `qstat -f ${info.jobId}`]);
  assert.match(qstat.stdout, 'exec_host = gpu/');
  const out = await runInKernel(info.localPort, info.token, 'import os, socket; print(os.environ.get("SLURM_JOB_ID"), socket.gethostname())');
  assert.is(out.trim(), `${info.jobId} gpu`);
  const st = await cli(bed, ['status', 'pbs', '--json']);
  assert.is(JSON.parse(st.stdout).job.node, 'gpu');
  const stop = await cli(bed, ['stop', 'pbs']);
  assert.is(stop.code, 0, stop.stderr);
  assert.match(stop.stdout, `Cancelled PBS job ${info.jobId} of pbs`);
  // Slurm's qstat shows "C" while SLURM still completes the job (qdel sends SIGKILL here).
  assert.ok(await waitFor(async () => (await jobState(info.jobId)).state === 'CANCELLED', 10_000), `job ${info.jobId}: ${(await jobState(info.jobId)).state}`);
  assert.ok(await waitFor(async () => (await jupyterPids()).length === 0, 10_000), `Jupyter left: ${JSON.stringify(await jupyterPids())}`);
  assert.ok(await waitFor(() => portIsFree(info.localPort), 3000), 'local port free');
}));

it('doctor checks the scheduler on the login node', guard(async () => {
  const r = await cli(bed, ['doctor', 'hpc']);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, 'SLURM (slurm-wlm 22.05.8, /usr/bin/sbatch) on login');
}));

e2e.after(() => {
  if (timings.length) console.log(`\n  timings:\n${timings.map((t) => `    ${t}`).join('\n')}`);
});

e2e.run();
