/**
 * The batch launch script (templates/launch-batch.sh.ejs), run for real by sh
 * against stand-ins for sbatch/squeue/scancel/scontrol and qsub/qstat/qdel that
 * record their arguments and answer with what a test puts in their state dir:
 * the real answers of SLURM, Torque, PBS Pro and Slurm's Torque wrapper,
 * including the ones the test bed cannot produce (Socket timed out, purged
 * jobs, PBS Pro's F state). PATH holds only the stand-ins and the standard
 * tools, so a missing scheduler is exercised too (test/helpers/batch-bed.ts;
 * LSF's are in test/batch/lsf.test.ts). The real cluster is run by
 * test/e2e/slurm.test.ts.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync, readFileSync, existsSync, rmSync, statSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { renderJobScript } from '../../src/core/batch.js';
import { validateProfile, type ProfileInput } from '../../src/core/profile.js';
import { makeBed, removeBeds, type Bed } from '../helpers/batch-bed.js';

const slurm: ProfileInput = { name: 'q', host: 'login', launcher: 'slurm', time: '1:00:00', app: 'lab' };
const pbs: ProfileInput = { name: 'q', host: 'login', launcher: 'pbs', time: '1:00:00', cpus: '2', app: 'lab' };

// ---------------------------------------------------------------- SLURM

const s = suite('batch launch script: SLURM');

s('start submits the job script with sbatch --parsable from $HOME, umask 077, and answers at once', () => {
  const bed = makeBed(slurm);
  const r = bed.run('start');
  assert.is(r.code, 0, r.stderr);
  assert.equal(r.json, { ok: true, name: 'q', scheduler: 'slurm', jobId: '41', state: 'PENDING', reason: 'submitted', reused: false, running: false, final: false, transient: false });
  assert.equal(bed.calls(), [`sbatch --parsable ${bed.dir}/job.sh`]);
  assert.is(readFileSync(join(bed.fake, 'submit-cwd'), 'utf8').trim(), bed.home);
  assert.is(readFileSync(join(bed.fake, 'submit-umask'), 'utf8').trim(), '0077');
  assert.is(readFileSync(join(bed.fake, 'submitted.sh'), 'utf8'), renderJobScript(validateProfile(slurm)));
  assert.is(readFileSync(join(bed.dir, 'job.id'), 'utf8'), '41\n');
  assert.is(statSync(join(bed.dir, 'job.sh')).mode & 0o777, 0o600);
  assert.is(statSync(bed.dir).mode & 0o777, 0o700);
});

s('start takes the id from "ID;CLUSTER" after warnings', () => {
  const bed = makeBed(slurm);
  bed.set('next-id', 'sbatch: warning: something odd\n1234;cluster2\n');
  assert.is(bed.run('start').json.jobId, '1234');
});

s('status: pending with SLURM reason and the expected start time', () => {
  const bed = makeBed(slurm);
  bed.run('start');
  bed.set('squeue.out', 'PENDING|Priority|2030-01-02T03:04:05||0:00|1:00:00|1:00:00|jupyter-q\n');
  const r = bed.run('status');
  assert.equal(r.json, { ok: true, name: 'q', scheduler: 'slurm', jobId: '41', state: 'PENDING', reason: 'Priority', startTime: '2030-01-02T03:04:05', elapsed: '0:00', timeLeft: '1:00:00', timeLimit: '1:00:00', transient: false, final: false, running: false, host: '' });
  assert.ok(bed.calls().includes("squeue -h -j 41 -t all -o %T|%r|%S|%N|%M|%L|%l|%j"), bed.calls().join('\n'));
  // N/A start: no start time
  bed.set('squeue.out', 'PENDING|Resources|N/A||0:00|1:00:00|1:00:00|jupyter-q\n');
  assert.is(bed.run('status').json.startTime, '');
});

s('start again while the job is queued reuses it: one sbatch in all', () => {
  const bed = makeBed(slurm);
  bed.run('start');
  bed.set('squeue.out', 'PENDING|Priority|N/A||0:00|1:00:00|1:00:00|jupyter-q\n');
  const again = bed.run('start');
  assert.is(again.json.reused, true);
  assert.is(again.json.jobId, '41');
  assert.is(bed.calls().filter((c) => c.startsWith('sbatch')).length, 1);
});

s('status: running, with the connection file of this job: node, port and token', () => {
  const bed = makeBed(slurm);
  bed.run('start');
  bed.set('squeue.out', 'RUNNING|None|2030-01-02T03:04:05|gpu7|0:12|59:48|1:00:00|jupyter-q\n');
  writeFileSync(join(bed.dir, 'connection.json'), '{"name":"q","jobId":"41","node":"gpu7","host":"gpu7","addr":"10.1.2.7","port":40123,"token":"' + 'ab'.repeat(24) + '","pid":999,"app":"lab","startedAt":"2030-01-02T03:04:06Z"}\n');
  const r = bed.run('status');
  assert.is(r.json.running, true);
  assert.is(r.json.state, 'RUNNING');
  assert.is(r.json.node, 'gpu7');
  assert.is(r.json.host, 'gpu7');
  assert.is(r.json.addr, '10.1.2.7');
  assert.is(r.json.port, 40123);
  assert.is(r.json.token, 'ab'.repeat(24));
  assert.is(r.json.reason, '');
  assert.is(r.json.elapsed, '0:12');
  assert.is(r.json.timeLeft, '59:48');
});

// No sub-second bound in these (a loaded 2-core machine misses it; the bench measures speed):
// a wait far longer than the bound shows the answer came with the file, not with the deadline.
s('status with JSS_WAIT_MS of a running job waits for its connection file and answers with it, not at the deadline', async () => {
  const bed = makeBed(slurm);
  bed.run('start');
  bed.set('squeue.out', 'RUNNING|None|2030-01-02T03:04:05|gpu7|0:01|59:59|1:00:00|jupyter-q\n');
  // A connection file of an older job does not count.
  writeFileSync(join(bed.dir, 'connection.json'), '{"name":"q","jobId":"40","node":"gpu1","host":"gpu1","addr":"10.1.2.1","port":1,"token":"x","pid":1,"app":"lab","startedAt":"x"}\n');
  const started = Date.now();
  const child = spawn('sh', [bed.script, 'status'], { env: { PATH: bed.bin, HOME: bed.home, FAKE: bed.fake, JSS_WAIT_MS: '30000' } });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const done = new Promise<number>((resolve) => child.on('close', () => resolve(Date.now())));
  await new Promise((r) => setTimeout(r, 400));
  const written = Date.now();
  writeFileSync(join(bed.dir, 'connection.json.new'), '{"name":"q","jobId":"41","node":"gpu7","host":"gpu7","addr":"10.1.2.7","port":40123,"token":"tok","pid":9,"app":"lab","startedAt":"x"}\n');
  execFileSync('mv', [join(bed.dir, 'connection.json.new'), join(bed.dir, 'connection.json')]);
  const ended = await done;
  const json = JSON.parse(out.trim());
  assert.is(json.running, true);
  assert.is(json.port, 40123);
  assert.ok(written - started >= 350);
  assert.ok(ended - written < 10_000, `answered ${ended - written} ms after the file appeared (the wait was 30 s)`);
});

s('status without JSS_WAIT_MS answers at once: running, Jupyter not answering yet', () => {
  const bed = makeBed(slurm);
  bed.run('start');
  bed.set('squeue.out', 'RUNNING|None|2030-01-02T03:04:05|gpu7|0:01|59:59|1:00:00|jupyter-q\n');
  const t = Date.now();
  const r = bed.run('status');
  assert.ok(Date.now() - t < 10_000, `${Date.now() - t} ms`);
  assert.is(r.json.state, 'RUNNING');
  assert.is(r.json.running, false);
  assert.is(r.json.host, 'gpu7');
});

s('status with JSS_WAIT_MS of a queued job answers once the job script marks its start, asking the scheduler again', async () => {
  const bed = makeBed(slurm);
  bed.run('start');
  bed.set('squeue.out', 'PENDING|Priority|N/A||0:00|1:00:00|1:00:00|jupyter-q\n');
  const child = spawn('sh', [bed.script, 'status'], { env: { PATH: bed.bin, HOME: bed.home, FAKE: bed.fake, JSS_WAIT_MS: '30000' } });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const done = new Promise<number>((resolve) => child.on('close', () => resolve(Date.now())));
  await new Promise((r) => setTimeout(r, 500));
  bed.set('squeue.out', 'RUNNING|None|2030-01-02T03:04:05|gpu7|0:00|1:00:00|1:00:00|jupyter-q\n');
  writeFileSync(join(bed.dir, 'job.started'), '41 gpu7\n');
  const marked = Date.now();
  const ended = await done;
  assert.ok(ended - marked < 10_000, `answered ${ended - marked} ms after the mark (the wait was 30 s)`);
  const json = JSON.parse(out.trim());
  assert.is(json.state, 'RUNNING');
  assert.is(json.host, 'gpu7');
  assert.is(bed.calls().filter((c) => c.startsWith('squeue')).length, 2, 'one query before the wait, one after the mark');
});

s('status with JSS_WAIT_MS of a queued job that does not start answers after about that long', () => {
  const bed = makeBed(slurm);
  bed.run('start');
  bed.set('squeue.out', 'PENDING|Priority|N/A||0:00|1:00:00|1:00:00|jupyter-q\n');
  const t = Date.now();
  const r = bed.run('status', { JSS_WAIT_MS: '2000' });
  const took = Date.now() - t;
  assert.is(r.json.state, 'PENDING');
  assert.ok(took >= 1500 && took < 15_000, `took ${took} ms`);
});

s('status: "Socket timed out" is a transient answer, not a failure; start then refuses to guess', () => {
  const bed = makeBed(slurm);
  bed.run('start');
  bed.set('squeue.out', 'slurm_load_jobs error: Socket timed out on send/recv operation\n');
  bed.set('squeue.rc', '1');
  const r = bed.run('status');
  assert.is(r.json.transient, true);
  assert.is(r.json.final, false);
  assert.is(r.json.state, 'UNKNOWN');
  assert.match(String(r.json.message), 'Socket timed out');
  const start = bed.run('start');
  assert.is(start.json.ok, false);
  assert.is(start.json.error, 'scheduler-busy');
  assert.is(bed.calls().filter((c) => c.startsWith('sbatch')).length, 1, 'no second job while the state of the first is unknown');
  // ...but the notebook stays reachable: its connection file still counts.
  writeFileSync(join(bed.dir, 'connection.json'), '{"name":"q","jobId":"41","node":"gpu7","host":"gpu7","addr":"10.1.2.7","port":40123,"token":"tok","pid":9,"app":"lab","startedAt":"x"}\n');
  assert.is(bed.run('status').json.running, true);
});

s('status: Jupyter answers while the scheduler does not: elapsed and time left come from the job\'s start mark and --time', () => {
  const bed = makeBed(slurm);
  bed.run('start');
  bed.set('squeue.out', 'slurm_load_jobs error: Socket timed out on send/recv operation\n');
  bed.set('squeue.rc', '1');
  writeFileSync(join(bed.dir, 'connection.json'), '{"name":"q","jobId":"41","node":"gpu7","host":"gpu7","addr":"10.1.2.7","port":40123,"token":"tok","pid":9,"app":"lab","startedAt":"x"}\n');
  writeFileSync(join(bed.dir, 'job.started'), `41 gpu7 ${Math.floor(Date.now() / 1000) - 125}\n`);
  const r = bed.run('status');
  assert.is(r.json.running, true);
  assert.is(r.json.transient, true);
  assert.match(String(r.json.elapsed), /^2:0[5-9]$/);
  assert.match(String(r.json.timeLeft), /^57:5[0-5]$/);
  // another job's mark does not count
  writeFileSync(join(bed.dir, 'job.started'), `40 gpu7 ${Math.floor(Date.now() / 1000) - 125}\n`);
  assert.is(bed.run('status').json.timeLeft, '');
});

s('status: FAILED with the exit code and the last lines of the log, as valid JSON whatever the log holds', () => {
  const bed = makeBed(slurm);
  bed.run('start');
  bed.set('squeue.out', 'FAILED|NonZeroExitCode|2030-01-02T03:04:05|gpu7|0:01|UNLIMITED|1:00:00|jupyter-q\n');
  bed.set('scontrol.out', 'JobId=41 JobName=jupyter-q JobState=FAILED Reason=NonZeroExitCode Dependency=(null) ExitCode=4:0 RunTime=00:00:01\n');
  const lines = Array.from({ length: 20 }, (_, i) => `line ${i}`);
  writeFileSync(join(bed.dir, 'job.log'), [...lines, 'quote " backslash \\ tab\there', 'jupyter-ssh-setup: environment: no virtualenv at /nonexistent (bin/activate is missing)', ''].join('\n'));
  const r = bed.run('status');
  assert.is(r.json.state, 'FAILED');
  assert.is(r.json.final, true);
  assert.is(r.json.exitCode, '4:0');
  assert.is(r.json.reason, 'NonZeroExitCode');
  assert.is(r.json.timeLeft, '');
  const log = String(r.json.log).split('\n');
  assert.is(log.length, 15);
  assert.is(log.at(-1), 'jupyter-ssh-setup: environment: no virtualenv at /nonexistent (bin/activate is missing)');
  assert.is(log.at(-2), "quote ' backslash \\ tab here");
});

for (const [state, reason] of [['CANCELLED', 'None'], ['TIMEOUT', 'TimeLimit'], ['NODE_FAIL', 'NodeDown'], ['OUT_OF_MEMORY', 'OutOfMemory']]) {
  s(`status: ${state} is final`, () => {
    const bed = makeBed(slurm);
    bed.run('start');
    bed.set('squeue.out', `${state}|${reason}|2030-01-02T03:04:05|gpu7|0:01|0:00|1:00:00|jupyter-q\n`);
    const r = bed.run('status');
    assert.is(r.json.state, state);
    assert.is(r.json.final, true);
    assert.is(r.json.running, false);
  });
}

s('status: a job SLURM no longer knows is judged by the exit code the job script left, else VANISHED', () => {
  const bed = makeBed(slurm);
  bed.run('start');
  bed.set('squeue.out', 'slurm_load_jobs error: Invalid job id specified\n');
  bed.set('squeue.rc', '1');
  writeFileSync(join(bed.dir, 'job.log'), 'Traceback: boom\n');
  let r = bed.run('status');
  assert.is(r.json.state, 'VANISHED');
  assert.is(r.json.final, true);
  assert.is(r.json.log, 'Traceback: boom');
  writeFileSync(join(bed.dir, 'job.end'), '41 3\n');
  r = bed.run('status');
  assert.is(r.json.state, 'FAILED');
  assert.is(r.json.exitCode, '3');
  // an end file of another job says nothing about this one
  writeFileSync(join(bed.dir, 'job.end'), '40 0\n');
  assert.is(bed.run('status').json.state, 'VANISHED');
  // the id now names somebody else's job: ours is gone
  bed.set('squeue.out', 'RUNNING|None|N/A|gpu7|0:01|9:00|10:00|someone-elses-job\n');
  bed.set('squeue.rc', '0');
  assert.is(bed.run('status').json.state, 'VANISHED');
});

s('stop cancels the job, waits for it to end, and removes the connection file and the job id', () => {
  const bed = makeBed(slurm);
  bed.run('start');
  bed.set('squeue.out', 'RUNNING|None|2030-01-02T03:04:05|gpu7|0:12|59:48|1:00:00|jupyter-q\n');
  bed.set('after-cancel.out', 'CANCELLED|None|2030-01-02T03:04:05|gpu7|0:13|0:00|1:00:00|jupyter-q\n');
  bed.set('after-cancel.end', '41 143\n');
  writeFileSync(join(bed.dir, 'connection.json'), '{"name":"q","jobId":"41","node":"gpu7","host":"gpu7","addr":"10.1.2.7","port":40123,"token":"tok","pid":9,"app":"lab","startedAt":"x"}\n');
  const r = bed.run('stop');
  assert.equal(r.json, { ok: true, name: 'q', scheduler: 'slurm', stopped: true, jobId: '41', was: 'RUNNING', state: 'CANCELLED', running: false });
  assert.ok(bed.calls().includes('scancel 41'));
  assert.not.ok(existsSync(join(bed.dir, 'connection.json')));
  assert.not.ok(existsSync(join(bed.dir, 'job.id')));
  assert.equal(bed.run('status').json, { ok: true, name: 'q', running: false });
  assert.equal(bed.run('stop').json, { ok: true, name: 'q', scheduler: 'slurm', stopped: false, running: false });
});

s('stop of a job that already ended cancels nothing', () => {
  const bed = makeBed(slurm);
  bed.run('start');
  bed.set('squeue.out', 'FAILED|NonZeroExitCode|N/A|gpu7|0:01|0:00|1:00:00|jupyter-q\n');
  const r = bed.run('stop');
  assert.is(r.json.stopped, false);
  assert.is(r.json.state, 'FAILED');
  assert.not.ok(bed.calls().some((c) => c.startsWith('scancel')));
});

s('a refused submission is reported with sbatch\'s message; a finished job makes room for a new one', () => {
  const bed = makeBed(slurm);
  bed.set('submit-fails', 'sbatch: error: invalid partition specified: nope\nsbatch: error: Batch job submission failed: Invalid partition name specified\n');
  const r = bed.run('start');
  assert.is(r.code, 8);
  assert.is(r.json.error, 'submit-failed');
  assert.match(String(r.json.message), 'invalid partition specified: nope');
  assert.not.ok(existsSync(join(bed.dir, 'job.id')));
  rmSync(join(bed.fake, 'submit-fails'));
  bed.run('start');
  bed.set('squeue.out', 'COMPLETED|None|N/A|gpu7|0:01|0:00|1:00:00|jupyter-q\n');
  bed.set('next-id', '42\n');
  const again = bed.run('start');
  assert.is(again.json.jobId, '42');
  assert.is(again.json.reused, false);
});

const tokenOf = (bed: Bed) => readFileSync(join(bed.dir, 'token'), 'utf8').trim();

s('the token: kept 0600 on the login node at the first submit, the same for the next job', () => {
  const bed = makeBed(slurm);
  bed.run('start');
  const token = tokenOf(bed);
  assert.match(token, /^[0-9a-f]{48}$/);
  assert.is(statSync(join(bed.dir, 'token')).mode & 0o777, 0o600);
  // The job that ends and the one after it: the same token, read from the file (not from argv: no call names it).
  bed.set('squeue.out', 'COMPLETED|None|N/A|gpu7|0:01|0:00|1:00:00|jupyter-q\n');
  bed.set('next-id', '42\n');
  assert.is(bed.run('start').json.jobId, '42');
  assert.is(tokenOf(bed), token);
  assert.not.ok(bed.calls().some((c) => c.includes(token)));
  assert.match(readFileSync(join(bed.fake, 'submitted.sh'), 'utf8'), 'jss_load_token keep');
});

s('start with JSS_NEW_TOKEN=1 (--new-token): a queued job with the old token is cancelled, a new token and job', () => {
  const bed = makeBed(slurm);
  bed.run('start');
  const old = tokenOf(bed);
  bed.set('squeue.out', 'PENDING|Priority|N/A||0:00|1:00:00|1:00:00|jupyter-q\n');
  bed.set('after-cancel.out', 'CANCELLED|None|N/A||0:00|0:00|1:00:00|jupyter-q\n');
  bed.set('next-id', '42\n');
  const r = bed.run('start', { JSS_NEW_TOKEN: '1' });
  assert.is(r.code, 0, r.stderr);
  assert.equal([r.json.jobId, r.json.reused], ['42', false]);
  assert.ok(bed.calls().includes('scancel 41'), bed.calls().join('\n'));
  assert.match(tokenOf(bed), /^[0-9a-f]{48}$/);
  assert.is.not(tokenOf(bed), old);
});

s('a malformed token file is replaced by a fresh token', () => {
  const bed = makeBed(slurm);
  mkdirSync(bed.dir, { recursive: true });
  writeFileSync(join(bed.dir, 'token'), 'not a token\n');
  bed.run('start');
  assert.match(tokenOf(bed), /^[0-9a-f]{48}$/);
});

s('no sbatch on the login node: a clear error, and check (doctor) says the same', () => {
  const bed = makeBed(slurm, false);
  const r = bed.run('start');
  assert.is(r.json.error, 'scheduler-not-found');
  assert.match(String(r.json.message), 'sbatch is not on PATH');
  assert.is(bed.run('check').json.error, 'scheduler-not-found');
});

s('check names the scheduler and where sbatch is', () => {
  const bed = makeBed(slurm);
  const r = bed.run('check');
  assert.is(r.json.ok, true);
  assert.is(r.json.scheduler, 'slurm');
  assert.is(r.json.submit, join(bed.bin, 'sbatch'));
});

s.run();

// ---------------------------------------------------------------- PBS

const p = suite('batch launch script: PBS');

const torqueQueued = `Job Id: 123.pbs.example.edu
    Job_Name = jupyter-q
    Job_Owner = erin@login.example.edu
    job_state = Q
    queue = batch
    comment = Not Running: Insufficient amount of resource: ncpus
    Resource_List.walltime = 01:00:00
`;
const torqueRunning = `Job Id: 123.pbs.example.edu
    Job_Name = jupyter-q
    job_state = R
    queue = batch
    exec_host = node017/0+node017/1
    resources_used.walltime = 00:05:00
    Resource_List.walltime = 01:00:00
`;
const pbsProFinished = `Job Id: 123.pbs.example.edu
    Job_Name = jupyter-q
    job_state = F
    queue = workq
    exec_host = cn042/0*2
    Exit_status = 1
    Resource_List.walltime = 01:00:00
`;

p('start submits with qsub -N, the log under ~/.jupyter-ssh-setup/NAME, joined output, umask 077', () => {
  const bed = makeBed(pbs);
  bed.set('next-id', '123.pbs.example.edu\n');
  const r = bed.run('start');
  assert.is(r.json.jobId, '123.pbs.example.edu');
  // qstat -help first: is this qsub Grid Engine's? (then a PBS target refuses it)
  assert.equal(bed.calls(), ['qstat -help', `qsub -N jupyter-q -o .jupyter-ssh-setup/q/job.log -j oe -W umask=077 ${bed.dir}/job.sh`]);
  assert.is(readFileSync(join(bed.fake, 'submit-cwd'), 'utf8').trim(), bed.home);
  assert.match(readFileSync(join(bed.fake, 'submitted.sh'), 'utf8'), '#PBS -l walltime=01:00:00\n#PBS -l nodes=1:ppn=2\n');
});

p('status from qstat -f (Torque): queued with its comment, running with node from exec_host and time left', () => {
  const bed = makeBed(pbs);
  bed.set('next-id', '123.pbs.example.edu\n');
  bed.run('start');
  bed.set('qstat.out', torqueQueued);
  let r = bed.run('status');
  assert.is(r.json.state, 'PENDING');
  assert.is(r.json.reason, 'Not Running: Insufficient amount of resource: ncpus');
  assert.ok(bed.calls().includes('qstat -f 123.pbs.example.edu'));
  bed.set('qstat.out', torqueRunning);
  r = bed.run('status', {});
  assert.is(r.json.state, 'RUNNING');
  assert.is(r.json.host, 'node017');
  assert.is(r.json.elapsed, '00:05:00');
  assert.is(r.json.timeLeft, '0:55:00');
  assert.is(r.json.timeLimit, '01:00:00');
});

p('PBS Pro F with Exit_status is FAILED; Slurm\'s wrapper C is judged by the end file; an unknown job is gone', () => {
  const bed = makeBed(pbs);
  bed.run('start');
  bed.set('qstat.out', pbsProFinished.replace('123.pbs.example.edu', '41'));
  let r = bed.run('status');
  assert.is(r.json.state, 'FAILED');
  assert.is(r.json.exitCode, '1');
  assert.is(r.json.final, true);
  // Slurm's qstat: "C" and nothing else
  bed.set('qstat.out', 'Job Id:\t41\n\tJob_Name = jupyter-q\n\tjob_state = C\n\texec_host = gpu/1\n');
  assert.is(bed.run('status').json.state, 'ENDED');
  writeFileSync(join(bed.dir, 'job.end'), '41 4\n');
  r = bed.run('status');
  assert.is(r.json.state, 'FAILED');
  assert.is(r.json.exitCode, '4');
  // Torque: Unknown Job Id; Slurm's wrapper: nothing at all (exit 153)
  rmSync(join(bed.dir, 'job.end'));
  bed.set('qstat.out', 'qstat: Unknown Job Id Error 41.pbs\n');
  bed.set('qstat.rc', '153');
  assert.is(bed.run('status').json.state, 'VANISHED');
  bed.set('qstat.out', '');
  assert.is(bed.run('status').json.state, 'VANISHED');
});

p('qstat that cannot reach the server is transient', () => {
  const bed = makeBed(pbs);
  bed.run('start');
  bed.set('qstat.out', 'Problem loading jobs.\n');
  bed.set('qstat.rc', '255');
  const r = bed.run('status');
  assert.is(r.json.transient, true);
  assert.is(r.json.final, false);
});

p('stop: qdel, then CANCELLED once the job has left its end file', () => {
  const bed = makeBed(pbs);
  bed.run('start');
  bed.set('qstat.out', torqueRunning.replace('123.pbs.example.edu', '41'));
  bed.set('after-cancel.out', 'Job Id:\t41\n\tJob_Name = jupyter-q\n\tjob_state = C\n');
  bed.set('after-cancel.end', '41 143\n');
  const r = bed.run('stop');
  assert.is(r.json.stopped, true);
  assert.is(r.json.was, 'RUNNING');
  assert.is(r.json.state, 'CANCELLED');
  assert.ok(bed.calls().includes('qdel 41'));
});

p.after(() => {
  removeBeds();
});

p.run();
