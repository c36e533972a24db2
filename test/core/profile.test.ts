import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validateProfile, parseHop, parseEnvSpec, formatHop, profileToInput, type ProfileInput } from '../../src/core/profile.js';
import { ValidationError } from '../../src/errors.js';

const base: ProfileInput = { name: 'gpu', host: 'gpu.example.org' };

test('a minimal profile gets the defaults', () => {
  const p = validateProfile(base);
  assert.is(p.launcher, 'plain');
  assert.is(p.app, 'lab');
  assert.is(p.remotePort, 8888);
  assert.is(p.localPort, 8888);
  assert.equal(p.jump, []);
  assert.is(p.container.kind, 'none');
});

test('batch launchers default to an auto remote port', () => {
  const p = validateProfile({ ...base, launcher: 'slurm', partition: 'gpu', time: '2:00:00', cpus: '4' });
  assert.is(p.remotePort, 'auto');
  assert.equal(p.scheduler, { partition: 'gpu', time: '2:00:00', cpus: 4, directives: [] });
});

test('hops parse in order, repeated or comma-separated', () => {
  const p = validateProfile({ ...base, jump: ['bastion', 'alice@login.hpc:2222,[fe80::1]:22'] });
  assert.equal(p.jump.map(formatHop), ['bastion', 'alice@login.hpc:2222', '[fe80::1]:22']);
});

test('a profile survives the round trip through its answers', () => {
  const p = validateProfile({ ...base, user: 'alice', port: '2222', jump: 'a,b', env: ['conda:ml', 'module:cuda/12'], launcher: 'slurm', partition: 'gpu' });
  assert.equal(validateProfile(profileToInput(p)), p);
});

// Each bad value: [field, input, a fragment the message must contain]
const bad: [string, ProfileInput, string][] = [
  ['--name', { ...base, name: 'my host' }, 'one word'],
  ['--name', { ...base, name: '-oProxyCommand=x' }, 'one word'],
  ['--name', { ...base, name: 'gpu;id' }, 'one word'],
  ['--name', { ...base, name: 'a*' }, 'one word'],
  ['--name', { ...base, name: 'gpu-tunnel' }, 'reserved'],
  ['--name', { ...base, name: 'x\ny' }, 'newlines'],
  ['--name', { ...base, name: '' }, 'required'],
  ['--host', { ...base, host: '-oProxyCommand=touch /tmp/x' }, 'cannot start with "-"'],
  ['--host', { ...base, host: 'a b' }, 'hostname'],
  ['--host', { ...base, host: '$(id)' }, 'hostname'],
  ['--host', { ...base, host: 'h\0' }, 'NUL'],
  ['--host', { ...base, host: 'h%h' }, 'hostname'],
  ['--user', { ...base, user: 'al ice' }, 'login name'],
  ['--user', { ...base, user: '-l' }, 'login name'],
  ['--port', { ...base, port: '0' }, '1 to 65535'],
  ['--port', { ...base, port: '65536' }, '1 to 65535'],
  ['--port', { ...base, port: '8888; id' }, '1 to 65535'],
  ['--port', { ...base, port: '22x' }, '1 to 65535'],
  ['--remote-port', { ...base, remotePort: 'car' }, '1 to 65535'],
  ['--local-port', { ...base, localPort: '-1' }, '1 to 65535'],
  ['--jump', { ...base, jump: 'a b' }, '[user@]host[:port]'],
  ['--jump', { ...base, jump: 'host:99999' }, '1 to 65535'],
  ['--jump', { ...base, jump: '-J' }, '[user@]host[:port]'],
  ['--jump', { ...base, jump: 'x`id`' }, '[user@]host[:port]'],
  ['--launcher', { ...base, launcher: 'condor' }, 'plain, slurm, pbs, sge, lsf'],
  ['--container', { ...base, container: 'lxc' }, 'none, docker, podman, apptainer'],
  ['--image', { ...base, container: 'docker' }, 'required'],
  ['--image', { ...base, container: 'docker', image: 'img; rm -rf ~' }, 'image reference'],
  ['--image', { ...base, image: 'x' }, 'needs --container'],
  ['--env', { ...base, env: 'pip:x' }, 'venv:PATH'],
  ['--env', { ...base, env: 'conda:' }, 'venv:PATH'],
  ['--env', { ...base, env: 'conda:a;b' }, 'conda environment'],
  ['--env', { ...base, env: 'module:$(id)' }, 'module names'],
  ['--env', { ...base, env: 'cmd:echo\nid' }, 'newlines'],
  ['--app', { ...base, app: 'vscode' }, 'lab, notebook, server'],
  ['--shell', { ...base, shell: 'tcsh' }, 'bash, zsh'],
  ['--notebook-dir', { ...base, notebookDir: '-rf' }, 'cannot start with "-"'],
  ['--identity', { ...base, identity: 'a"b' }, 'double quotes'],
  ['--cpus', { ...base, cpus: '0' }, 'whole number'],
  ['--time', { ...base, time: '1h; id' }, 'time limit'],
  ['--mem', { ...base, mem: 'lots' }, 'memory size'],
  ['--gpus', { ...base, gpus: 'all of them' }, 'GPU count'],
];

for (const [field, input, fragment] of bad) {
  test(`refuses ${field} ${JSON.stringify(Object.values(input).at(-1))}`, () => {
    try {
      validateProfile(input);
      assert.unreachable('should have thrown');
    } catch (error) {
      assert.instance(error, ValidationError);
      const e = error as ValidationError;
      assert.is(e.field, field);
      assert.ok(e.message.includes(fragment), `"${e.message}" should mention "${fragment}"`);
      assert.ok(!e.message.includes('\n'), 'one line');
      assert.is(e.exitCode, 2);
    }
  });
}

test('parseHop keeps the user and port', () => {
  assert.equal(parseHop('bob@jump.example.org:2022'), { host: 'jump.example.org', user: 'bob', port: 2022 });
  assert.equal(parseHop('jump'), { host: 'jump' });
});

test('parseEnvSpec takes the four kinds', () => {
  assert.equal(parseEnvSpec('venv:~/venvs/ml'), { kind: 'venv', value: '~/venvs/ml' });
  assert.equal(parseEnvSpec('cmd:source /opt/setup.sh && export X=1'), { kind: 'cmd', value: 'source /opt/setup.sh && export X=1' });
});

test.run();
