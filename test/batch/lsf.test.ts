/**
 * The LSF launcher, replayed: there is no LSF to run (IBM's, not free
 * software; Debian has none). The launch script runs for real under sh against
 * stand-in bsub/bjobs/bkill/lsid (test/helpers/batch-bed.ts) that answer with
 * output recorded from real LSF clusters (fixtures/batch/recorded/lsf, each file
 * naming its source): the submit answers, the states and reasons of
 * `bjobs -o` (one-line table cases), the `bjobs -w` fallback of older LSF, a
 * silent or busy mbatchd, a purged job, bkill, and LSF's job report in the log.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderJobScript } from '../../src/core/batch.js';
import { validateProfile, type ProfileInput } from '../../src/core/profile.js';
import { makeBed, removeBeds, type Bed } from '../helpers/batch-bed.js';

const root = new URL('../..', import.meta.url).pathname;
/** A recording without its header (the lines up to `# ---`). */
const recorded = (file: string) => readFileSync(join(root, 'fixtures/batch/recorded/lsf', file), 'utf8').replace(/^[\s\S]*?^# ---\n/m, '');
const answers = recorded('bjobs-o.txt').trimEnd().split('\n');
const [pend, running20, runningPerSlot, suspended, held, done, exited, memLimit, runLimit, killed] = answers as [string, string, string, string, string, string, string, string, string, string];

const lsf: ProfileInput = { name: 'q', host: 'login', launcher: 'lsf', time: '1:00:00', cpus: '4', app: 'lab' };

/** A bed whose job 41 (jupyter-q) was submitted. */
function submitted(input: ProfileInput = lsf): Bed {
  const bed = makeBed(input);
  bed.set('next-id', recorded('bsub.txt').replace('542935', '41'));
  const r = bed.run('start');
  assert.is(r.json.jobId, '41', r.stderr);
  return bed;
}

/** status with bjobs answering `out` (and exit code rc). */
function statusWith(out: string, rc = 0, bed = submitted()): Record<string, unknown> {
  bed.set('bjobs.out', out);
  bed.set('bjobs.rc', String(rc));
  return bed.run('status').json;
}

const _ = (line: string, expected: Record<string, unknown>) => () => {
  const json = statusWith(`${line}\n`);
  for (const [key, value] of Object.entries(expected)) assert.equal(json[key], value, `${key} of ${line}`);
};

const t = suite('LSF parser: recorded bjobs -o answers -> one state');
t('PEND: pending, with its reason (without LSF\'s ";")', _(pend, { state: 'PENDING', reason: 'New job is waiting for scheduling', final: false, running: false, host: '' }));
t('RUN on 20*noderome113: running on noderome113, elapsed from run_time, time left from time_left (H:MM)', _(running20, { state: 'RUNNING', host: 'noderome113', elapsed: '1:05', timeLeft: '58:00', timeLimit: '1:00:00' }));
t('RUN with one host per slot: the first host', _(runningPerSlot, { state: 'RUNNING', host: 'summitdev-r0c1n12' }));
t('USUSP: suspended (still active)', _(suspended, { state: 'SUSPENDED', final: false }));
t('PSUSP: suspended while pending is held', _(held, { state: 'PENDING', reason: 'held' }));
t('DONE without an end mark: completed', _(done, { state: 'COMPLETED', final: true }));
t('EXIT with exit code 2: failed, with the code', _(exited, { state: 'FAILED', exitCode: '2', final: true }));
t('EXIT with TERM_MEMLIMIT: out of memory', _(memLimit, { state: 'OUT_OF_MEMORY', reason: 'TERM_MEMLIMIT: job killed after reaching LSF memory usage limit' }));
t('EXIT with TERM_RUNLIMIT: timeout', _(runLimit, { state: 'TIMEOUT' }));
t('EXIT with TERM_OWNER: cancelled', _(killed, { state: 'CANCELLED' }));
t('UNKWN: LSF lost the host; transient, not a verdict', _(running20.replace(/^RUN/, 'UNKWN'), { state: 'UNKNOWN', transient: true, final: false, message: "LSF lost contact with the job's host (UNKWN)" }));
t('ZOMBI: still being killed', _(running20.replace(/^RUN/, 'ZOMBI'), { state: 'COMPLETING', final: false }));
t('time_left as hh:mm:ss (LSB_HMS_TIME_FORMAT) and run_time as hh:mm:ss', _(running20.replace('65 second(s)|0:58 L', '00:01:05|00:58:55 L'), { elapsed: '1:05', timeLeft: '58:55' }));
t('no time_left: from --time and run_time', _(running20.replace('0:58 L', '-'), { timeLeft: '58:55' }));
t.run();

const q = suite('LSF query: end marks, the job\'s name, a purged job, a silent LSF, the bjobs -w fallback');

q('EXIT after bkill with the job\'s end mark 41 130: cancelled; DONE with 41 0: completed', () => {
  const bed = submitted();
  writeFileSync(join(bed.dir, 'job.end'), '41 130\n');
  assert.is(statusWith(`${exited.replace('|2|', '|130|')}\n`, 0, bed).state, 'CANCELLED');
  writeFileSync(join(bed.dir, 'job.end'), '41 0\n');
  assert.is(statusWith(`${done}\n`, 0, bed).state, 'COMPLETED');
});

q('the run limit\'s USR2 (end mark 41 140) with TERM_RUNLIMIT: timeout, not failed', () => {
  const bed = submitted();
  writeFileSync(join(bed.dir, 'job.end'), '41 140\n');
  assert.is(statusWith(`${runLimit}\n`, 0, bed).state, 'TIMEOUT');
});

q('"Job <41> is not found" (purged after CLEAN_PERIOD): the end mark decides, else vanished', () => {
  const bed = submitted();
  assert.is(statusWith(recorded('bjobs-gone.txt'), 255, bed).state, 'VANISHED');
  writeFileSync(join(bed.dir, 'job.end'), '41 4\n');
  const json = statusWith(recorded('bjobs-gone.txt'), 255, bed);
  assert.is(json.state, 'FAILED');
  assert.is(json.exitCode, '4');
});

q('an id now carrying another job\'s name is not ours: ended', () => assert.is(statusWith(`${running20.replace('jupyter-q', 'someone-else')}\n`).state, 'VANISHED'));

for (const line of recorded('lsf-silent.txt').trimEnd().split('\n')) {
  q(`a silent LSF is transient: "${line}"`, () => {
    const json = statusWith(`${line}\n`, 255);
    assert.is(json.transient, true);
    assert.is(json.message, line);
    assert.is(json.final, false);
  });
}

q('a busy mbatchd\'s notices before the answer are skipped; bjobs retries are bounded (LSB_NTRIES)', () => {
  const bed = submitted();
  const json = statusWith(`LSF is processing your request. Please wait ...\n${running20}\n`, 0, bed);
  assert.is(json.state, 'RUNNING');
  assert.ok(bed.calls().includes(`bjobs -noheader -o stat exec_host run_time time_left exit_code job_name exit_reason pend_reason delimiter='|' 41`), bed.calls().join('\n'));
});

/** A recorded -w line, as our job 41 (its name and id swapped in). */
const wideAs41 = (file: string, id: string) => {
  const text = recorded(file);
  const line = text.split('\n').find((l) => l.startsWith(`${id} `))!;
  const header = text.split('\n').find((l) => l.startsWith('JOBID'))!;
  const fields = line.split(/\s+/);
  const nameAt = fields.findIndex((f, i) => i >= 5 && (f.startsWith('/') || f.startsWith('*') || f.startsWith('nf-') || f.startsWith('run_')));
  fields[0] = '41';
  fields[nameAt] = 'jupyter-q';
  return `${text.slice(0, text.indexOf(header))}${header}\n${fields.join(' ')}\n`;
};

q('an LSF without these -o fields: bjobs -w (recorded at the Whitehead Institute and CERN) gives state and node', () => {
  const bed = submitted();
  bed.set('bjobs.out', 'bjobs: illegal option -- o\nUsage: bjobs [-h] [-V] [-w |-l] ...\n');
  bed.set('bjobs.rc', '255');
  const cases: [string, string, string, string][] = [
    ['bjobs-w.txt', '5085109', 'RUNNING', 'it-c01b11'],
    ['bjobs-w.txt', '5085703', 'RUNNING', 'it-r16u31'],
    ['bjobs-w.txt', '5085611', 'PENDING', 'it-c05b12'],
    ['bjobs-w.txt', '5085606', 'COMPLETED', 'it-c01b12'],
    ['bjobs-w.txt', '5085607', 'UNKNOWN', 'it-c01b07'],
    ['bjobs-pend-cern.txt', '811659815', 'PENDING', ''],
    ['bjobs-busy.txt', '5157393', 'RUNNING', 'it-c05b10'],
  ];
  for (const [file, id, state, host] of cases) {
    bed.set('bjobs-w.out', wideAs41(file, id));
    const json = bed.run('status').json;
    assert.is(json.state, state, `${file} ${id}`);
    assert.is(json.host, host, `${file} ${id}`);
  }
  assert.ok(bed.calls().includes('bjobs -w 41'));
  bed.set('bjobs-w.out', wideAs41('bjobs-w.txt', '5085109').replace('jupyter-q', 'someone-else'));
  assert.is(bed.run('status').json.state, 'VANISHED');
  bed.set('bjobs-w.out', recorded('bjobs-gone.txt'));
  assert.is(bed.run('status').json.state, 'VANISHED');
});
q.run();

const s = suite('LSF launch script: bsub < job.sh, bkill, lsid, the log without LSF\'s report');

for (const file of ['bsub.txt', 'bsub-default-queue.txt', 'bsub-project.txt']) {
  s(`start submits the job script on stdin from $HOME, umask 077, and takes the id from ${file}`, () => {
    const bed = makeBed(lsf);
    const answer = recorded(file);
    bed.set('next-id', answer);
    const r = bed.run('start');
    assert.is(r.code, 0, r.stderr);
    assert.is(r.json.jobId, /Job <(\d+)> is submitted/.exec(answer)![1]);
    assert.is(r.json.scheduler, 'lsf');
    assert.equal(bed.calls(), ['bsub']);
    assert.is(readFileSync(join(bed.fake, 'submit-cwd'), 'utf8').trim(), bed.home);
    assert.is(readFileSync(join(bed.fake, 'submit-umask'), 'utf8').trim(), '0077');
    assert.is(readFileSync(join(bed.fake, 'submitted.sh'), 'utf8'), renderJobScript(validateProfile(lsf)));
  });
}

s('bsub refusing the job: submit-failed with its words, nothing recorded as ours', () => {
  const bed = makeBed(lsf);
  bed.set('submit-fails', recorded('bsub-refused.txt'));
  const r = bed.run('start');
  assert.is(r.code, 8);
  assert.is(r.json.error, 'submit-failed');
  assert.is(r.json.message, 'bsub refused the job: Service class does not exist. Job not submitted.');
});

s('start reuses a pending job; a job that ended gets a fresh one', () => {
  const bed = submitted();
  bed.set('bjobs.out', `${pend}\n`);
  assert.is(bed.run('start').json.reused, true);
  bed.set('bjobs.out', `${exited}\n`);
  bed.set('next-id', 'Job <42> is submitted to queue <short>.\n');
  const r = bed.run('start');
  assert.is(r.json.jobId, '42');
  assert.is(r.json.reused, false);
});

s('no bsub on PATH: scheduler-not-found, saying how LSF\'s environment is set up', () => {
  const bed = makeBed(lsf, false);
  const r = bed.run('start');
  assert.is(r.code, 3);
  assert.is(r.json.error, 'scheduler-not-found');
  assert.match(String(r.json.message), "bsub is not on PATH on");
  assert.match(String(r.json.message), "setup --env 'cmd:. /etc/profile.d/lsf.sh'");
});

s('stop: bkill, then CANCELLED once the job has left its end file; a job bkill no longer finds is fine', () => {
  const bed = submitted();
  bed.set('bjobs.out', `${running20}\n`);
  bed.set('after-cancel.out', `${killed}\n`);
  bed.set('after-cancel.end', '41 130\n');
  const r = bed.run('stop');
  assert.is(r.json.stopped, true);
  assert.is(r.json.was, 'RUNNING');
  assert.is(r.json.state, 'CANCELLED');
  assert.ok(bed.calls().includes('bkill 41'));
});

s('a failed job\'s log: the job\'s own lines, not LSF\'s report with its copy of the script', () => {
  const bed = submitted();
  writeFileSync(join(bed.dir, 'job.log'), recorded('job-report.txt'));
  writeFileSync(join(bed.dir, 'job.end'), '41 4\n');
  const json = statusWith(`${exited.replace('|2|', '|4|')}\n`, 0, bed);
  assert.is(json.state, 'FAILED');
  const log = String(json.log);
  assert.match(log, 'jupyter-ssh-setup: environment: no virtualenv at /nonexistent');
  assert.not.match(log, 'LSF System');
  assert.not.match(log, 'LSBATCH');
  assert.not.match(log, 'Resource usage summary');
});

s('check: bsub, bjobs and bkill on PATH; the version from lsid\'s first line', () => {
  const bed = makeBed(lsf);
  bed.set('lsid.out', 'IBM Spectrum LSF Standard 10.1.0.13, Nov 10 2022\nCopyright International Business Machines Corp. 1992, 2016.\n');
  const r = bed.run('check');
  assert.is(r.code, 0, r.stderr);
  assert.is(r.json.scheduler, 'lsf');
  assert.is(r.json.version, 'IBM Spectrum LSF Standard 10.1.0.13, Nov 10 2022');
  assert.match(String(r.json.submit), /\/bsub$/);
  const none = makeBed(lsf, false).run('check');
  assert.is(none.json.error, 'scheduler-not-found');
});

s.after(() => removeBeds());
s.run();
