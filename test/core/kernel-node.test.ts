/**
 * Issue 21, item 4: `ssh NAME-node` for batch targets. The Host block is valid
 * for OpenSSH itself (ssh -G); its ProxyCommand is plain sh that sources our
 * functions file (no Node), every word shell-quoted; plain targets get none.
 * The proxy's logic runs here against a stand-in ssh that answers the launch
 * script's status as a login node would; the bed's e2e (kernel.test.ts) runs
 * it for real on SLURM.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
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

test('the ProxyCommand: sh sourcing our functions file, shell-quoted and %-escaped, then %p', () => {
  assert.equal(nodeHostBlock('hpc', "/home/a b/it's 100%/.config/jupyter-ssh-setup/functions.sh"), {
    proxyCommand: `sh -c '. "$0" && _jss_node_proxy "$1" "$2"' '/home/a b/it'\\''s 100%%/.config/jupyter-ssh-setup/functions.sh' hpc %p`,
    knownHosts: '~/.ssh/jss-known-hpc-node',
  });
});

test('NAME-node for a batch target only, and OpenSSH reads it as meant', () => {
  const text = renderSshHosts([hpc, gpu], { sshHasSessionType: true, nodeProxy: '/home/alice/.config/jupyter-ssh-setup/functions.sh' });
  assert.match(text, 'Host hpc-node\n');
  assert.not.match(text, 'Host gpu-node');
  assert.not.match(renderSshHosts([hpc], { sshHasSessionType: true }), 'hpc-node');
  if (!installed('ssh')) return reportMissing('ssh');
  const dir = mkdtempSync(join(tmpdir(), 'jss-node-'));
  try {
    writeFileSync(join(dir, 'config'), text);
    const g = spawnSync('ssh', ['-G', '-F', join(dir, 'config'), 'hpc-node'], { encoding: 'utf8' });
    assert.is(g.status, 0, g.stderr);
    assert.match(g.stdout, /^proxycommand sh -c '\. "\$0" && _jss_node_proxy "\$1" "\$2"' \/home\/alice\/\.config\/jupyter-ssh-setup\/functions\.sh hpc %p$/m);
    assert.match(g.stdout, /^user alice$/m);
    assert.match(g.stdout, /^controlmaster false$/m);
    assert.not.match(g.stdout, /^controlpath /m);
    assert.match(g.stdout, /^stricthostkeychecking accept-new$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * Runs the ProxyCommand's program as ssh would (sh -c, our functions file,
 * NAME, PORT) with a stand-in ssh first on PATH: `-O` (no shared login here)
 * fails, the status command prints STATUS, `-W` prints its arguments.
 */
async function runProxy(status: string): Promise<{ code: number | null; stdout: string; stderr: string; home: string; known: boolean; last: string }> {
  return withTempHome(async (home) => {
    const r0 = await runCli(['setup', '--yes', '--name', 'hpc', '--host', 'login.hpc.edu', '--user', 'alice', '--launcher', 'slurm', '--shell', 'bash'], { home });
    assert.is(r0.code, 0, r0.stderr);
    const bin = join(home, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'ssh'), `#!/bin/sh\ncase " $* " in\n  *" -O "*) exit 255 ;;\n  *" -W "*) echo "ssh $*"; exit 0 ;;\n  *) cat "$HOME/status.json" ;;\nesac\n`);
    chmodSync(join(bin, 'ssh'), 0o755);
    writeFileSync(join(home, 'status.json'), status + '\n');
    mkdirSync(join(home, '.ssh'), { recursive: true });
    writeFileSync(join(home, '.ssh', 'jss-known-hpc-node'), 'old node key\n');
    const functions = join(home, '.config', 'jupyter-ssh-setup', 'functions.sh');
    const { proxyCommand } = nodeHostBlock('hpc', functions);
    const r = spawnSync('sh', ['-c', `exec ${proxyCommand.replace(/%p$/, '22').replace(/%%/g, '%')}`], { encoding: 'utf8', env: { HOME: home, PATH: `${bin}:/usr/bin:/bin` } });
    const lastFile = join(home, '.config', 'jupyter-ssh-setup', 'state', 'hpc.node');
    return { code: r.status, stdout: r.stdout, stderr: r.stderr, home, known: existsSync(join(home, '.ssh', 'jss-known-hpc-node')), last: existsSync(lastFile) ? readFileSync(lastFile, 'utf8') : '' };
  });
}

test('the proxy: a running job -> ssh -W NODE:PORT through the target; a new node empties its known_hosts', async () => {
  const r = await runProxy('{"ok":true,"jobId":"42","state":"RUNNING","host":"gpu07","node":"10.1.0.7","final":false}');
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, 'ssh -W 10.1.0.7:22 -- hpc\n');
  assert.is(r.known, false, 'the old key of another node is gone');
  assert.is(r.last, '10.1.0.7\n');
});

test('the proxy: no job, a queued one, or an ended one -> one line naming start, exit 1, nothing on stdout', async () => {
  for (const [status, says] of [
    ['{"ok":true,"running":false}', 'jupyter-ssh-setup: no job of hpc runs: start one with jupyter-ssh-setup start hpc\n'],
    ['{"ok":true,"jobId":"42","state":"PENDING","final":false}', 'jupyter-ssh-setup: no job of hpc runs (its job is PENDING): start one with jupyter-ssh-setup start hpc\n'],
    ['{"ok":true,"jobId":"42","state":"CANCELLED","host":"gpu07","final":true}', 'jupyter-ssh-setup: no job of hpc runs: start one with jupyter-ssh-setup start hpc\n'],
  ] as const) {
    const r = await runProxy(status);
    assert.is(r.code, 1, status);
    assert.is(r.stdout, '');
    assert.is(r.stderr, says);
    assert.is(r.known, true, 'known_hosts untouched');
  }
});

test.run();
