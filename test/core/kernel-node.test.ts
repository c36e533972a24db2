/**
 * Issue 21, item 4: `ssh NAME-node` for batch targets. The Host block is valid
 * for OpenSSH itself (ssh -G), its ProxyCommand is our `kernel proxy NAME %p`
 * with every word shell-quoted, and plain targets get none.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { renderSshHosts } from '../../src/core/plan.js';
import { nodeHostBlock } from '../../src/core/kernel-node.js';
import { validateProfile } from '../../src/core/profile.js';
import { installed, reportMissing } from '../helpers/tools.js';
import { runCli, withTempHome } from '../helpers/cli.js';

const hpc = validateProfile({ name: 'hpc', host: 'login.hpc.edu', user: 'alice', launcher: 'slurm' });
const gpu = validateProfile({ name: 'gpu', host: 'gpu.lab' });

test('the ProxyCommand: our launcher, shell-quoted and %-escaped, then %p', () => {
  assert.equal(nodeHostBlock('hpc', ['/usr/bin/node', "/home/a b/it's 100%/dist/bin.js"]), {
    proxyCommand: `/usr/bin/node '/home/a b/it'\\''s 100%%/dist/bin.js' kernel proxy hpc %p`,
    knownHosts: '~/.ssh/jss-known-hpc-node',
  });
});

test('NAME-node for a batch target only, and OpenSSH reads it as meant', () => {
  const text = renderSshHosts([hpc, gpu], { sshHasSessionType: true, nodeProxy: ['/usr/bin/node', '/opt/jss/dist/bin.js'] });
  assert.match(text, 'Host hpc-node\n');
  assert.not.match(text, 'Host gpu-node');
  assert.not.match(renderSshHosts([hpc], { sshHasSessionType: true }), 'hpc-node');
  if (!installed('ssh')) return reportMissing('ssh');
  const dir = mkdtempSync(join(tmpdir(), 'jss-node-'));
  try {
    writeFileSync(join(dir, 'config'), text);
    const g = spawnSync('ssh', ['-G', '-F', join(dir, 'config'), 'hpc-node'], { encoding: 'utf8' });
    assert.is(g.status, 0, g.stderr);
    assert.match(g.stdout, /^proxycommand \/usr\/bin\/node \/opt\/jss\/dist\/bin\.js kernel proxy hpc %p$/m);
    assert.match(g.stdout, /^user alice$/m);
    assert.match(g.stdout, /^controlmaster false$/m);
    assert.not.match(g.stdout, /^controlpath /m);
    assert.match(g.stdout, /^stricthostkeychecking accept-new$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('kernel proxy: a plain target, or a bad port, exits 2', async () => {
  await withTempHome(async (home) => {
    assert.is((await runCli(['setup', '--yes', '--name', 'gpu', '--host', 'gpu.lab', '--user', 'u'], { home })).code, 0);
    const plain = await runCli(['kernel', 'proxy', 'gpu', '22'], { home });
    assert.is(plain.code, 2);
    assert.match(plain.stderr, 'jupyter-ssh-setup: gpu is not a batch target: ssh gpu reaches it');
    const port = await runCli(['kernel', 'proxy', 'gpu', 'x'], { home });
    assert.is(port.code, 2);
    assert.match(port.stderr, 'kernel proxy takes NAME and a port');
  });
});

test.run();
