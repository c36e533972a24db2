/** restart's usage: its message verbatim, exit 2, nothing run; its help has examples. (The real restart: test/e2e/sge.test.ts.) */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli, withTempHome } from '../helpers/cli.js';

test('restart with two names: exit 2, the message and the example, verbatim', () =>
  withTempHome(async (home) => {
    const r = await runCli(['restart', 'a', 'b'], { home });
    assert.is(r.code, 2);
    assert.is(r.stderr, 'jupyter-ssh-setup: restart takes one target name\n  e.g. jupyter-ssh-setup restart hpc\n');
    assert.is(r.stdout, '');
  }));

test('restart --help says what it does, with examples', () =>
  withTempHome(async (home) => {
    const r = await runCli(['restart', '--help'], { home });
    assert.is(r.code, 0);
    assert.match(r.stdout, 'a fresh job is submitted and the local port');
    assert.match(r.stdout, 'jupyter-ssh-setup restart hpc');
  }));

test.run();
