/**
 * Grid Engine's parser (jss_sge_state in templates/launch-batch.sh.ejs, the one
 * the launch script and so the shell functions run), fed with output recorded
 * from Son of Grid Engine 8.1.9 on the test bed (fixtures/batch/recorded/sge-8.1.9):
 * a job's line of `qstat` and its `qstat -j` -> state|reason|node|limit|name.
 * Then the whole query (jss_query) against stand-in qstat commands that answer
 * with the same recordings, for the cases that need the scheduler's exit code.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { renderLaunchScript } from '../../src/core/plan.js';
import { validateProfile } from '../../src/core/profile.js';

const root = new URL('../..', import.meta.url).pathname;
const recorded = (file: string) => readFileSync(join(root, 'fixtures/batch/recorded/sge-8.1.9', file), 'utf8');
const scratch = mkdtempSync(join(tmpdir(), 'jss-sge-parser-'));
const launch = join(scratch, 'launch.sh');
writeFileSync(launch, renderLaunchScript(validateProfile({ name: 'rec', host: 'login', launcher: 'sge', time: '10:00' })));

/** The line of job ID in a recorded `qstat`. */
const lineOf = (qstat: string, id: string) => qstat.split('\n').find((l) => l.trim().split(/\s+/)[0] === id)!;

/** Runs jss_sge_state on a qstat line and a qstat -j text; "state|reason|node|limit|name". */
function parse(line: string, detail: string): string {
  const r = spawnSync('sh', ['-c', `jss_a=$1 jss_b=$2; set -- status; . "$0" >/dev/null; jss_sge_state "$jss_a" "$jss_b"; printf '%s|%s|%s|%s|%s' "$jss_state" "$jss_reason" "$jss_node" "$jss_limit" "$jss_name_seen"`, launch, line, detail], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: scratch },
  });
  assert.is(r.status, 0, r.stderr);
  return r.stdout;
}
const _ = (qstat: string, id: string, detail: string, expected: string) => () => assert.is(parse(lineOf(recorded(qstat), id), recorded(detail)), expected);

const t = suite('Grid Engine parser: recorded qstat / qstat -j -> one state');
t('r on all.q@gpu, h_rt=600', _('qstat.txt', '2', 'qstat-j-running.txt', 'RUNNING||gpu|600|jupyter-rec'));
t('hqw: pending, held', _('qstat.txt', '3', 'qstat-j-held.txt', 'PENDING|Job is in hold state|||held'));
t('Eqw: the error state, with its error reason', _('qstat.txt', '4', 'qstat-j-error.txt', `ERROR|12/02/2026 00:07:55 [1003:20596]: error: can't open output file "/nonexistent/dir/x.out": No such file or directory|||bad`));
t('qw in a disabled queue: pending with the scheduling info', _('qstat-waiting.txt', '1', 'qstat-j-waiting.txt', 'PENDING|queue instance "all.q@gpu" dropped because it is disabled||3600|jupyter-wait'));
t('dr (being deleted) is still active', () => assert.is(parse(lineOf(recorded('qstat.txt'), '2').replace(' r ', ' dr'), recorded('qstat-j-running.txt')).split('|')[0], 'COMPLETING'));
t('the recording with scheduler job info turned off (as many sites run): no reason, not that sentence', () =>
  assert.is(parse(lineOf(recorded('qstat-waiting.txt'), '1'), recorded('qstat-j-waiting.txt').replace(/scheduling info:[\s\S]*/, 'scheduling info:            (Collecting of scheduler job information is turned off)\n')), 'PENDING|||3600|jupyter-wait'));
t.run();

/** jss_query against stand-in qstat answering with recordings (and exit codes). */
function query(listing: string, listingRc: number, detail: string, detailRc: number, started = ''): Record<string, string> {
  const dir = mkdtempSync(join(scratch, 'q-'));
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(join(dir, 'list'), listing);
  writeFileSync(join(dir, 'detail'), detail);
  writeFileSync(join(bin, 'qstat'), `#!/bin/sh\nif [ "$1" = -j ]; then cat "${dir}/detail"; exit ${detailRc}; fi\ncat "${dir}/list"; exit ${listingRc}\n`);
  chmodSync(join(bin, 'qstat'), 0o755);
  const home = join(dir, 'home');
  mkdirSync(join(home, '.jupyter-ssh-setup/rec'), { recursive: true });
  if (started) writeFileSync(join(home, '.jupyter-ssh-setup/rec/job.started'), started);
  const r = spawnSync('sh', ['-c', `jss_a=$1; set -- status; . "$0" >/dev/null; jss_query "$jss_a"; printf 'state=%s\\nnode=%s\\nelapsed=%s\\nleft=%s\\nlimit=%s\\ntransient=%s\\nmessage=%s\\n' "$jss_state" "$jss_node" "$jss_elapsed" "$jss_left" "$jss_limit" "$jss_transient" "$jss_message"`, launch, '2'], {
    encoding: 'utf8',
    env: { PATH: `${bin}:${process.env.PATH}`, HOME: home, USER: 'jssbed' },
  });
  assert.is(r.status, 0, r.stderr);
  return Object.fromEntries(r.stdout.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

const q = suite('Grid Engine query: the exit code decides, the name must be ours, the clock from the start mark');
q('running, started 65 s ago with h_rt=600: elapsed 1:05, left 8:55, limit 10:00', () => {
  const now = Math.floor(Date.now() / 1000);
  // (the recorded job is named jupyter-rec, as this profile's job)
  const r = query(recorded('qstat.txt'), 0, recorded('qstat-j-running.txt'), 0, `2 gpu ${now - 65}\n`);
  assert.is(r.state, 'RUNNING');
  assert.is(r.node, 'gpu');
  assert.ok(['1:05', '1:06'].includes(r.elapsed!), r.elapsed);
  assert.ok(['8:55', '8:54'].includes(r.left!), r.left);
  assert.is(r.limit, '10:00');
});
q('a client that fails with nothing on stdout (sge_gethostbyname failed) is transient, not "gone"', () => {
  const r = query('', 1, '', 1);
  assert.is(r.transient, '1');
  assert.is(r.state, 'UNKNOWN');
});
q('gone from qstat: ended (VANISHED without an end mark)', () => assert.is(query(recorded('qstat-waiting.txt').replace(/^\s+1 .*$/m, ''), 0, recorded('qstat-j-gone.txt'), 1).state, 'VANISHED'));
q('an id now carrying another job\'s name is not ours: ended', () => assert.is(query(recorded('qstat.txt'), 0, recorded('qstat-j-running.txt').replace('jupyter-rec', 'someone-else'), 0).state, 'VANISHED'));
q.run();
