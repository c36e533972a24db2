/**
 * Hostile input, every field: each value is refused with one line naming the
 * field (exit 2, nothing written), or carried literally into every generated
 * file (those runs are on the bed: test/e2e/hardening.test.ts).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, withTempHome } from '../helpers/cli.js';
import { renderFunctions, renderLaunchScript, renderProfileShell, renderSshHosts } from '../../src/core/plan.js';
import { validateProfile } from '../../src/core/profile.js';
import { buildControlArgs, buildProbeArgs, buildRemoteActionArgs } from '../../src/core/ssh-args.js';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';

const hostile = ['a b', "it's", 'say "hi"', '$(touch /tmp/jss-canary)', '`touch /tmp/jss-canary`', 'x;id', 'x|id', 'x&id', 'x\ny', 'x\0y', '-oProxyCommand=touch /tmp/jss-canary', '%h%p', '~root', 'ünï', 'x'.repeat(5000)];
const fields: [string, (v: string) => string[]][] = [
  ['--name', (v) => ['--name', v, '--host', 'h']],
  ['--host', (v) => ['--name', 'n', '--host', v]],
  ['--user', (v) => ['--name', 'n', '--host', 'h', '--user', v]],
  ['--port', (v) => ['--name', 'n', '--host', 'h', '--port', v]],
  ['--remote-port', (v) => ['--name', 'n', '--host', 'h', '--remote-port', v]],
  ['--local-port', (v) => ['--name', 'n', '--host', 'h', '--local-port', v]],
  ['--jump', (v) => ['--name', 'n', '--host', 'h', '--jump', v]],
  ['--image', (v) => ['--name', 'n', '--host', 'h', '--container', 'docker', '--image', v]],
  ['--partition', (v) => ['--name', 'n', '--host', 'h', '--launcher', 'slurm', '--partition', v]],
  ['--account', (v) => ['--name', 'n', '--host', 'h', '--launcher', 'slurm', '--account', v]],
  // LSF: the values go on #BSUB lines that bsub parses with quotes, so none may carry one.
  ...(['--partition', '--account', '--time', '--mem', '--gpus'] as const).map((flag): [string, (v: string) => string[]] => [`${flag} (lsf)`, (v) => ['--name', 'n', '--host', 'h', '--launcher', 'lsf', flag, v]]),
];

for (const [field, argsFor] of fields) {
  test(`${field}: every hostile value is refused with its name, nothing written`, async () => {
    await withTempHome(async (home) => {
      for (const value of hostile) {
        if (value.includes('\0')) continue; // argv cannot carry NUL; the validator is unit-tested for it
        const r = await runCli(['setup', '--yes', ...argsFor(value)], { home });
        if (r.code === 0) assert.unreachable(`${field} ${JSON.stringify(value.slice(0, 60))} was accepted`);
        assert.is(r.code, 2, `${field} ${JSON.stringify(value.slice(0, 60))}: ${r.stderr.slice(0, 300)}`);
        const first = r.stderr.split('\n')[0]!;
        assert.ok(first.includes(field.split(' ')[0]!), `message names the field: ${first}`);
        assert.equal(readdirSync(home), [], 'nothing written');
      }
    });
  });
}

test('ports 0, 65536 and "8888; id" are refused for every port field', async () => {
  await withTempHome(async (home) => {
    for (const flag of ['--port', '--remote-port', '--local-port']) {
      for (const value of ['0', '65536', '8888; id']) {
        const r = await runCli(['setup', '--yes', '--name', 'n', '--host', 'h', flag, value], { home });
        assert.is(r.code, 2);
        assert.match(r.stderr, `invalid ${flag} "${value}": a port number from 1 to 65535`);
      }
    }
    assert.equal(readdirSync(home), []);
  });
});

// Values we accept although they contain shell and ssh_config metacharacters.
const carried = {
  name: 'lab-1',
  host: 'gpu.example.org',
  notebookDir: `/data/my notebooks/it's "here" $(touch /tmp/jss-canary) \`touch /tmp/jss-canary\`; touch /tmp/jss-canary | & ~`,
  identity: '/home/u/.ssh/my key %h',
  env: ["venv:/opt/envs/a b $(touch /tmp/jss-canary)", "cmd:export JSS_X='$(touch /tmp/jss-canary)'", 'module:cuda/12.1 gcc'],
  jump: ['bob@[fe80::1]:2222', 'alice@login.example.org'],
};

test('accepted values with metacharacters render into files that parse and never run them', () => {
  const profile = validateProfile(carried);
  const dir = mkdtempSync(join(tmpdir(), 'jss-hostile-'));
  const paths = { home: '/home/u', configDir: '/home/u/.config/jupyter-ssh-setup', sshConfig: '/home/u/.ssh/config', sshInclude: '/home/u/.ssh/jupyter-ssh-setup.conf', rc: '/home/u/.bashrc' };
  const files = {
    'launch.sh': renderLaunchScript(profile),
    'profile.sh': renderProfileShell(profile),
    'functions.sh': renderFunctions(paths),
    'hosts.conf': renderSshHosts([profile], { sshHasSessionType: true }),
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  for (const sh of ['launch.sh', 'profile.sh', 'functions.sh']) {
    execFileSync('bash', ['-n', join(dir, sh)]);
    execFileSync('sh', ['-n', join(dir, sh)]);
  }
  // Sourcing the profile data runs nothing and gives back the exact values.
  execFileSync('sh', ['-c', `. "${join(dir, 'profile.sh')}"`]);
  assert.not.ok(existsSync('/tmp/jss-canary'));
  const g = execFileSync('ssh', ['-G', '-F', join(dir, 'hosts.conf'), 'lab-1'], { encoding: 'utf8' });
  // ssh -G shows the escaped form; ssh expands %% to a literal % when it opens the key.
  assert.match(g, 'identityfile /home/u/.ssh/my key %%h');
  // The jump hosts, each behind a hop alias of ours that shares its login, keep their exact values.
  const hop = (alias: string) => execFileSync('ssh', ['-G', '-F', join(dir, 'hosts.conf'), alias], { encoding: 'utf8' });
  const last = /^proxyjump (.*)$/m.exec(g)![1]!;
  assert.match(hop(last), /^hostname login\.example\.org$/m);
  assert.match(hop(last), /^user alice$/m);
  const first = /^proxyjump (.*)$/m.exec(hop(last))![1]!;
  assert.match(hop(first), /^hostname fe80::1$/m);
  assert.match(hop(first), /^user bob$/m);
  assert.match(hop(first), /^port 2222$/m);
  // The notebook dir is one literal word in the script.
  const launch = readFileSync(join(dir, 'launch.sh'), 'utf8');
  const line = launch.split('\n').find((l) => l.startsWith('JSS_NOTEBOOK_DIR='))!;
  const value = execFileSync('sh', ['-c', `${line}; printf %s "$JSS_NOTEBOOK_DIR"`], { encoding: 'utf8' });
  assert.is(value, carried.notebookDir);
  assert.not.ok(existsSync('/tmp/jss-canary'));
});

test('a host or hop can never become an ssh option: the destination follows --', () => {
  for (const args of [buildRemoteActionArgs('gpu', 'start'), buildControlArgs('gpu', 'exit'), buildProbeArgs('login', [], 5)]) {
    const dd = args.indexOf('--');
    assert.ok(dd > 0, 'has --');
    assert.ok(['gpu', 'login'].includes(args[dd + 1]!), 'the destination follows --');
  }
});

test('an SSH config other users can write is refused, as OpenSSH would, and nothing is written', async () => {
  await withTempHome(async (home) => {
    const { mkdirSync, writeFileSync, chmodSync } = await import('node:fs');
    mkdirSync(join(home, '.ssh'), { mode: 0o700 });
    writeFileSync(join(home, '.ssh', 'config'), 'Host x\n  HostName y\n');
    chmodSync(join(home, '.ssh', 'config'), 0o666);
    const r = await runCli(['setup', '--yes', '--name', 'gpu', '--host', 'h', '--user', 'u'], { home });
    assert.is(r.code, 2);
    assert.match(r.stderr, 'writable by other users');
    assert.equal(readdirSync(join(home, '.ssh')), ['config']);
    assert.is(readFileSync(join(home, '.ssh', 'config'), 'utf8'), 'Host x\n  HostName y\n');
  });
});

test.run();
