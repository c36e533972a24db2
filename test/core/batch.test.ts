import { test, suite } from 'uvu';
import * as assert from 'uvu/assert';
import { validateProfile, type ProfileInput } from '../../src/core/profile.js';
import { sbatchDirectives, pbsDirectives, pbsWalltime, pbsMemory, gpuDirective, nextPollDelay, jobName, explainFinalState, FINAL_STATES } from '../../src/core/batch.js';
import { describeJob } from '../../src/commands/batch-status.js';
import { sgeDirectives } from '../../src/core/sge.js';
import { clockSeconds, jobEndsAt } from '../../src/core/job-clock.js';
import { ValidationError } from '../../src/errors.js';

const base: ProfileInput = { name: 'hpc', host: 'login.hpc.edu' };

test('SLURM time limits become PBS walltime (a bare number is minutes, not seconds)', () => {
  const cases: [string, string][] = [
    ['90', '01:30:00'],
    ['5', '00:05:00'],
    ['10:30', '00:10:30'],
    ['2:00:00', '02:00:00'],
    ['01:30:00', '01:30:00'],
    ['1-0', '24:00:00'],
    ['1-12', '36:00:00'],
    ['2-03:04', '51:04:00'],
    ['1-00:00:01', '24:00:01'],
    ['100:00:00', '100:00:00'],
  ];
  for (const [slurm, pbs] of cases) assert.is(pbsWalltime(slurm), pbs, slurm);
});

test('memory sizes become PBS units', () => {
  assert.is(pbsMemory('16G'), '16gb');
  assert.is(pbsMemory('4000M'), '4000mb');
  assert.is(pbsMemory('512'), '512mb');
  assert.is(pbsMemory('8gb'), '8gb');
  assert.is(pbsMemory('1T'), '1tb');
});

test('GPUs: gres style for gpu:..., --gpus otherwise', () => {
  assert.is(gpuDirective('2'), '--gpus=2');
  assert.is(gpuDirective('a100:1'), '--gpus=a100:1');
  assert.is(gpuDirective('gpu:1'), '--gres=gpu:1');
  assert.is(gpuDirective('gpu:a100:2'), '--gres=gpu:a100:2');
});

test('sbatch directives: the job name from the alias, the log under ~/.jupyter-ssh-setup/NAME, every field in order', () => {
  const p = validateProfile({ ...base, launcher: 'slurm', partition: 'gpu', time: '2:00:00', account: 'proj', qos: 'high', mem: '16G', cpus: '4', gpus: 'gpu:a100:1', directive: ['--constraint=a100', '#SBATCH --exclusive', '  --mail-type=END  '] });
  assert.equal(sbatchDirectives(p), [
    '--job-name=jupyter-hpc',
    '--output=.jupyter-ssh-setup/hpc/job.log',
    '--nodes=1',
    '--ntasks=1',
    '--partition=gpu',
    '--time=2:00:00',
    '--account=proj',
    '--qos=high',
    '--mem=16G',
    '--cpus-per-task=4',
    '--gres=gpu:a100:1',
    '--constraint=a100',
    '--exclusive',
    '--mail-type=END',
  ]);
  assert.is(jobName(p), 'jupyter-hpc');
});

test('sbatch directives of a minimal profile leave the rest to the site', () => {
  const p = validateProfile({ ...base, launcher: 'slurm' });
  assert.equal(sbatchDirectives(p), ['--job-name=jupyter-hpc', '--output=.jupyter-ssh-setup/hpc/job.log', '--nodes=1', '--ntasks=1']);
});

test('PBS directives: -N, -o/-j, -q, -A, walltime, nodes:ppn(:gpus), mem, raw lines', () => {
  const p = validateProfile({ ...base, launcher: 'pbs', partition: 'batch', account: 'proj', time: '90', cpus: '8', gpus: 'a100:2', mem: '32G', directive: ['#PBS -l feature=skylake', '-m abe'] });
  assert.equal(pbsDirectives(p), [
    '-N jupyter-hpc',
    '-o .jupyter-ssh-setup/hpc/job.log',
    '-j oe',
    '-q batch',
    '-A proj',
    '-l walltime=01:30:00',
    '-l nodes=1:ppn=8:gpus=2',
    '-l mem=32gb',
    '-l feature=skylake',
    '-m abe',
  ]);
  assert.equal(pbsDirectives(validateProfile({ ...base, launcher: 'pbs' })), ['-N jupyter-hpc', '-o .jupyter-ssh-setup/hpc/job.log', '-j oe', '-l nodes=1:ppn=1']);
});

test('PBS Pro: a select= directive replaces the Torque nodes=/mem= lines', () => {
  const p = validateProfile({ ...base, launcher: 'pbs', time: '1:00:00', cpus: '4', mem: '8G', directive: ['-l select=1:ncpus=4:mem=8gb:ngpus=1'] });
  assert.equal(pbsDirectives(p), ['-N jupyter-hpc', '-o .jupyter-ssh-setup/hpc/job.log', '-j oe', '-l walltime=01:00:00', '-l select=1:ncpus=4:mem=8gb:ngpus=1']);
});

test('polling backs off from 0.1 s, doubling, to a few seconds', () => {
  const seen: number[] = [];
  let d = 0;
  for (let i = 0; i < 8; i++) seen.push((d = nextPollDelay(d)));
  assert.equal(seen, [100, 200, 400, 800, 1600, 3200, 3200, 3200]);
});

test('every final state is explained', () => {
  for (const s of FINAL_STATES) assert.not.match(explainFinalState(s), /^the job ended \(/, s);
});

test('describeJob: pending with reason and expected start, running with times, transient', () => {
  assert.is(describeJob({ ok: true, state: 'PENDING', reason: 'Priority', startTime: '2030-01-01T10:00:00' }), 'pending (Priority), expected start 2030-01-01T10:00:00');
  assert.is(describeJob({ ok: true, state: 'PENDING', reason: '' }), 'pending');
  assert.is(describeJob({ ok: true, state: 'RUNNING', host: 'gpu', elapsed: '0:05', timeLeft: '9:55' }), 'running on gpu, elapsed 0:05, time left 9:55');
  assert.is(describeJob({ ok: true, state: 'RUNNING', host: 'gpu', timeLimit: '00:10:00' }), 'running on gpu, time limit 00:10:00');
  assert.match(describeJob({ ok: true, state: 'UNKNOWN', transient: true, message: 'slurm_load_jobs error: Socket timed out on send/recv operation' }), 'Socket timed out');
});

test.run();

const sge = suite('Grid Engine: directives and the one field it refuses');
sge('--qos with --launcher sge: exit 2, the field, the value and what is allowed, verbatim', () => {
  try {
    validateProfile({ name: 'g', host: 'login', launcher: 'sge', qos: 'normal' });
    assert.unreachable('accepted');
  } catch (error) {
    assert.instance(error, ValidationError);
    assert.is((error as ValidationError).exitCode, 2);
    assert.is((error as Error).message, 'invalid --qos "normal": Grid Engine (--launcher sge) has no QOS; leave --qos out, or give the site\'s option with --directive');
  }
});
sge('-pe smp N from --cpus; a --directive with -pe replaces it; h_rt from SLURM-style --time', () => {
  const d = (input: ProfileInput) => sgeDirectives(validateProfile({ name: 'g', host: 'login', launcher: 'sge', ...input }));
  assert.ok(d({ cpus: 4 }).includes('-pe smp 4'));
  assert.not.ok(d({ cpus: 4, directive: ['-pe mpi 4'] }).includes('-pe smp 4'));
  assert.ok(d({ cpus: 4, directive: ['#$ -pe mpi 4'] }).includes('-pe mpi 4'));
  assert.not.ok(d({ cpus: 1 }).some((l) => l.startsWith('-pe')));
  assert.ok(d({ time: '90' }).includes('-l h_rt=01:30:00'));
  assert.equal(d({}).slice(0, 4), ['-N jupyter-g', '-o .jupyter-ssh-setup/g/job.log', '-j y', '-S /bin/bash']);
});
sge.run();

const clock = suite('the job clock: scheduler time formats, and when the job ends');
const secs = (text: string, expected: number | undefined) => () => assert.is(clockSeconds(text), expected);
clock('M:SS (SGE, SLURM under an hour)', secs('9:58', 598));
clock('H:MM:SS', secs('1:02:03', 3723));
clock('D-HH:MM:SS (SLURM)', secs('2-00:00:01', 172801));
clock('seconds', secs('45', 45));
clock('UNLIMITED is no clock', secs('UNLIMITED', undefined));
clock('ends today: HH:MM; another day: with the date', () => {
  const now = new Date(2026, 0, 2, 10, 0, 0);
  assert.is(jobEndsAt(now, '9:58'), '10:09');
  assert.is(jobEndsAt(now, '1-00:00:00'), '2026-01-03 10:00');
  assert.is(jobEndsAt(now, ''), undefined);
});
clock.run();
