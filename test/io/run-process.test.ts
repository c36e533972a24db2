/**
 * io/ssh.ts runProcess: a process that was ended (timeout or abort) counts as
 * done when it exits, even while something else still holds its pipes, as a
 * connection-sharing master holds the stdio of the ssh clients it serves.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { runProcess } from '../../src/io/ssh.js';
import { buildMasterProbeArgs } from '../../src/core/ssh-args.js';

// A grandchild keeps stdout and stderr open for 60 s after its parent is killed.
const holder = ['-c', 'sleep 60 & echo started; exec sleep 61'];
const cleanup = () => spawnSync('pkill', ['-f', '^sleep 6[01]$']);

test('a timed-out process whose pipes live on in another process: done when it exits', async () => {
  try {
    const t0 = Date.now();
    const r = await runProcess('sh', holder, { timeoutMs: 500, killSignal: 'SIGKILL' });
    assert.ok(Date.now() - t0 < 30_000, 'did not wait for the pipes');
    assert.is(r.timedOut, true);
    assert.is(r.exitCode, 124);
  } finally {
    cleanup();
  }
});

test('an aborted process: done when it exits, timedOut set', async () => {
  try {
    const abort = new AbortController();
    const t0 = Date.now();
    setTimeout(() => abort.abort(), 300);
    const r = await runProcess('sh', holder, { signal: abort.signal, killSignal: 'SIGKILL' });
    assert.ok(Date.now() - t0 < 30_000, 'did not wait for the pipes');
    assert.is(r.timedOut, true);
  } finally {
    cleanup();
  }
});

test('a process that ends by itself is unaffected: its whole output', async () => {
  const r = await runProcess('sh', ['-c', 'echo out; echo err >&2; exit 3'], { timeoutMs: 30_000 });
  assert.equal([r.exitCode, r.stdout, r.stderr, r.timedOut], [3, 'out\n', 'err\n', false]);
});

test('the stale-login probe: a stdio forward to port 1 through the shared login, never a shell or a prompt', () => {
  assert.equal(buildMasterProbeArgs('gpu'), ['-o', 'ControlMaster=no', '-o', 'BatchMode=yes', '-W', '127.0.0.1:1', '--', 'gpu']);
});

test.run();
