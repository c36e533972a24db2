/** Output conventions: --json shapes, exit codes, NO_COLOR, plain progress lines off a terminal. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PassThrough } from 'node:stream';
import { runCli, withTempHome } from '../helpers/cli.js';
import { createProgress } from '../../src/io/progress.js';
import { colors } from '../../src/io/output.js';
import type { Context } from '../../src/context.js';

const setupArgs = ['setup', '--yes', '--name', 'gpu', '--host', 'gpu.example.org', '--user', 'u', '--jump', 'bob@login.example.org:2222'];

test('setup --json, list --json and remove --json have stable shapes', async () => {
  await withTempHome(async (home) => {
    const s = await runCli([...setupArgs, '--json'], { home });
    assert.is(s.code, 0, s.stderr);
    const setup = JSON.parse(s.stdout);
    assert.equal(Object.keys(setup).sort(), ['changed', 'dryRun', 'name']);
    assert.is(setup.dryRun, false);
    const l = await runCli(['list', '--json'], { home });
    const [p] = JSON.parse(l.stdout);
    for (const key of ['name', 'host', 'user', 'port', 'jump', 'launcher', 'container', 'env', 'app', 'remotePort', 'localPort', 'shell', 'scheduler']) assert.ok(key in p, key);
    assert.equal(p.jump, [{ host: 'login.example.org', user: 'bob', port: 2222 }]);
    const r = await runCli(['remove', 'gpu', '--json'], { home });
    const removed = JSON.parse(r.stdout);
    assert.equal(removed.removed, ['gpu']);
    assert.ok(Array.isArray(removed.changed));
  });
});

test('list prints an aligned table; status with no targets says how to start', async () => {
  await withTempHome(async (home) => {
    await runCli(setupArgs, { home });
    await runCli(['setup', '--yes', '--name', 'hpc-login', '--host', 'login.hpc.edu', '--user', 'u', '--launcher', 'slurm'], { home });
    const l = await runCli(['list'], { home });
    const lines = l.stdout.trim().split('\n');
    assert.is(lines.length, 3);
    assert.is(lines[0]!.indexOf('HOST'), lines[1]!.indexOf('u@'), 'columns line up');
    const empty = await withTempHome((h2) => runCli(['status'], { home: h2 }));
    assert.match(empty.stdout, 'npx jupyter-ssh-setup');
  });
});

test('exit codes: 2 for bad usage, with a hint line', async () => {
  await withTempHome(async (home) => {
    for (const argv of [['frobnicate'], ['start', 'a', 'b'], ['setup', '--nope'], ['remove'], ['start', 'missing']]) {
      const r = await runCli(argv, { home });
      assert.is(r.code, 2, argv.join(' '));
      const lines = r.stderr.trim().split('\n');
      assert.is(lines.length, 2, `one line what, one line what to do: ${r.stderr}`);
    }
  });
});

test('--help on every command shows examples and the exit codes', async () => {
  await withTempHome(async (home) => {
    for (const cmd of ['setup', 'start', 'stop', 'status', 'list', 'open', 'doctor', 'remove', 'completion']) {
      const r = await runCli([cmd, '--help'], { home });
      assert.is(r.code, 0);
      assert.match(r.stdout, 'Examples:');
      assert.match(r.stdout, 'Exit codes: 0 ok, 1 runtime failure, 2 bad usage');
    }
    const v = await runCli(['--version'], { home });
    assert.match(v.stdout, /^\d+\.\d+\.\d+\n$/);
  });
});

function fakeContext(env: Record<string, string>, tty: boolean): { ctx: Context; out: () => string } {
  const stream = new PassThrough() as PassThrough & { isTTY?: boolean };
  stream.isTTY = tty;
  let text = '';
  stream.on('data', (d) => (text += d));
  const ctx = { env, stdout: stream, stderr: stream } as unknown as Context;
  return { ctx, out: () => text };
}

test('colours only on a terminal and never with NO_COLOR', () => {
  assert.is(colors(fakeContext({}, true).ctx).green('x'), '\u001b[32mx\u001b[39m');
  assert.is(colors(fakeContext({ NO_COLOR: '1' }, true).ctx).green('x'), 'x');
  assert.is(colors(fakeContext({}, false).ctx).green('x'), 'x');
});

test('progress: plain lines off a terminal, a spinner on one', async () => {
  const plain = fakeContext({}, false);
  const p1 = createProgress(plain.ctx);
  p1.phase('Connecting to gpu...');
  p1.done();
  await new Promise((r) => setImmediate(r));
  assert.is(plain.out(), 'Connecting to gpu...\n');
  const tty = fakeContext({}, true);
  const p2 = createProgress(tty.ctx);
  p2.phase('Connecting to gpu...');
  p2.done();
  await new Promise((r) => setImmediate(r));
  // eslint-disable-next-line no-control-regex -- the spinner's ANSI escape is what is checked
  assert.match(tty.out(), /\r\u001b\[2K. Connecting to gpu\.\.\. \d+\.\ds/);
});

test.run();
