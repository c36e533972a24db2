/**
 * JSS_SSH_CONFIG: the one seam that points every ssh for a target at a config
 * file of its own (`ssh -F FILE`), since OpenSSH reads ~/.ssh/config from the
 * password database's home, not $HOME.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ssh, sshConfigArgs } from '../../src/io/remote.js';
import { Capture, testContext } from '../helpers/cli.js';

test('unset: no arguments', () => assert.equal(sshConfigArgs({}), []));
test('empty: no arguments', () => assert.equal(sshConfigArgs({ JSS_SSH_CONFIG: '' }), []));
test('set: -F FILE', () => assert.equal(sshConfigArgs({ JSS_SSH_CONFIG: '/tmp/d/ssh_config' }), ['-F', '/tmp/d/ssh_config']));

test('ssh() passes -F FILE first, and ssh reads that file', async () => {
  const stdout = new Capture();
  const stderr = new Capture();
  const ctx = testContext([], { home: '/nonexistent', env: { JSS_SSH_CONFIG: '/nonexistent/jss-seam.conf' } }, stdout, stderr);
  ctx.verbose = true;
  const r = await ssh(['-G', '--', 'somehost'], ctx, { timeoutMs: 10_000 });
  assert.match(stderr.text(), '$ ssh -F /nonexistent/jss-seam.conf -G -- somehost');
  assert.is(r.exitCode, 255);
  assert.match(r.stderr, '/nonexistent/jss-seam.conf');
});

test.run();
