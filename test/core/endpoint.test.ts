/** The stable endpoint (issue 17): the remote environment of start --new-token, what `url` says, the time-left notice. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildRemoteCommand, withRemoteEnv } from '../../src/core/remote.js';
import { buildRemoteActionArgs } from '../../src/core/ssh-args.js';
import { buildBatchStatusArgs } from '../../src/core/batch.js';
import { endpointOf, explainNoUrl } from '../../src/core/endpoint.js';
import { timeLeftNotice } from '../../src/core/job-clock.js';
import type { StatusRow } from '../../src/core/notebook.js';

const TOKEN = 'ab'.repeat(24);
const row = (over: Partial<StatusRow>): StatusRow => ({ name: 'gpu', launcher: 'plain', where: 'gpu', state: 'stopped', tunnel: 'none', url: null, localPort: null, remotePort: null, pid: null, ...over });

test('start --new-token: JSS_NEW_TOKEN=1 through env, so any login shell runs it; without it the command is as before', () => {
  const plain = buildRemoteActionArgs('gpu', 'start');
  assert.equal(plain, ['-o', 'ConnectTimeout=15', '--', 'gpu', buildRemoteCommand('gpu', 'start')]);
  const fresh = buildRemoteActionArgs('gpu', 'start', { newToken: true });
  assert.is(fresh.at(-1), `exec env JSS_NEW_TOKEN=1 ${buildRemoteCommand('gpu', 'start').slice('exec '.length)}`);
  assert.is(buildBatchStatusArgs('hpc', 400).at(-1), `exec env JSS_WAIT_MS=400 ${buildRemoteCommand('hpc', 'status').slice('exec '.length)}`);
});

test('withRemoteEnv refuses anything but one safe word per name and value', () => {
  assert.throws(() => withRemoteEnv('exec true', { JSS_X: '1; rm -rf ~' }), /unsafe/);
  assert.throws(() => withRemoteEnv('exec true', { 'a b': 1 }), /unsafe/);
  assert.throws(() => withRemoteEnv('true', { JSS_X: 1 }), /starts with exec/);
  assert.is(withRemoteEnv('exec true', {}), 'exec true');
});

test('url --json: the endpoint of a running row, and of one without a URL', () => {
  const url = `http://127.0.0.1:8888/lab?token=${TOKEN}`;
  assert.equal(endpointOf(row({ state: 'running', tunnel: 'open', url, localPort: 8888 })), { name: 'gpu', url, token: TOKEN, localPort: 8888, running: true });
  assert.equal(endpointOf(row({ state: 'running', tunnel: 'gone' })), { name: 'gpu', url: null, token: null, localPort: null, running: true });
  assert.equal(endpointOf(row({})), { name: 'gpu', url: null, token: null, localPort: null, running: false });
});

test('url: why there is no URL, and what to run, verbatim', () => {
  assert.equal(explainNoUrl(row({})), { message: 'Jupyter is not running on gpu', hint: 'Start it with: jupyter-ssh-setup start gpu (its URL stays the same from one start to the next).' });
  assert.equal(explainNoUrl(row({ state: 'running', tunnel: 'gone' })), { message: 'Jupyter runs on gpu, but no tunnel to it is open here', hint: 'jupyter-ssh-setup start gpu opens it again, at the same URL.' });
  assert.equal(explainNoUrl(row({ state: 'broken', error: 'nothing answers on local port 8888' })), { message: 'the URL of gpu does not work: nothing answers on local port 8888', hint: 'jupyter-ssh-setup doctor gpu checks each step.' });
  assert.equal(explainNoUrl(row({ state: 'unreachable', error: 'Connection refused' })), { message: 'cannot ask gpu: Connection refused', hint: 'jupyter-ssh-setup doctor gpu checks each hop.' });
  const job = { id: '41', scheduler: 'slurm', state: 'PENDING', reason: 'Priority', startTime: null, node: null, elapsed: null, timeLeft: null, timeLimit: null, exitCode: null, detail: 'pending (Priority)', notice: null };
  assert.equal(explainNoUrl(row({ name: 'hpc', state: 'pending', job })), { message: 'Jupyter does not answer on hpc yet: SLURM job 41 pending (Priority)', hint: 'jupyter-ssh-setup start hpc waits for it and opens the tunnel.' });
});

test('the time-left notice: under 10 minutes only', () => {
  assert.is(timeLeftNotice('hpc', '9:59'), "only 9:59 left before the job's time limit ends it, and Jupyter with it: save your work, or get a fresh job now with jupyter-ssh-setup restart hpc (the URL stays the same)");
  assert.ok(timeLeftNotice('hpc', '0:30'));
  assert.is(timeLeftNotice('hpc', '10:00'), undefined);
  assert.is(timeLeftNotice('hpc', '1-00:00:00'), undefined);
  assert.is(timeLeftNotice('hpc', ''), undefined);
  assert.is(timeLeftNotice('hpc', null), undefined);
  assert.is(timeLeftNotice('hpc', 'UNLIMITED'), undefined);
});

test.run();
