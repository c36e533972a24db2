/** The socket path a target will use there (as jss_sock_path chooses it), and which learned paths fit a profile. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { predictSocketPath, socketFitsProfile, isForwardableSocket } from '../../src/core/remote-facts.js';
import { validateProfile } from '../../src/core/profile.js';

const plain = validateProfile({ name: 'gpu', host: 'h' });
const docker = validateProfile({ name: 'gpu', host: 'h', container: 'docker', image: 'img' });
const tcp = validateProfile({ name: 'gpu', host: 'h', bind: 'tcp' });
const slurm = validateProfile({ name: 'gpu', host: 'h', launcher: 'slurm' });
const long = `/home/${'x'.repeat(80)}`;

const cases: [string, Parameters<typeof predictSocketPath>, string | undefined][] = [
  ['the state directory', [plain, { home: '/home/alice' }], '/home/alice/.jupyter-ssh-setup/gpu/jupyter.sock'],
  ['a trailing slash in HOME', [plain, { home: '/home/alice/' }], '/home/alice/.jupyter-ssh-setup/gpu/jupyter.sock'],
  ['a long home: XDG_RUNTIME_DIR', [plain, { home: long, xdgRuntimeDir: '/run/user/1000', uid: 1000 }], '/run/user/1000/jupyter-ssh-setup/gpu-jupyter.sock'],
  ['a long home, no XDG_RUNTIME_DIR: /tmp/jss-UID', [plain, { home: long, uid: 1000 }], '/tmp/jss-1000/gpu-jupyter.sock'],
  ['a home with a space: the fallback', [plain, { home: '/home/al ice', uid: 7 }], '/tmp/jss-7/gpu-jupyter.sock'],
  ['a docker container: its mounted directory', [docker, { home: '/home/alice' }], '/home/alice/.jupyter-ssh-setup/gpu/container/jupyter.sock'],
  ['a docker container, long home: tcp (no fallback)', [docker, { home: long, uid: 1 }], undefined],
  ['--bind tcp', [tcp, { home: '/home/alice' }], undefined],
  ['a batch job', [slurm, { home: '/home/alice' }], undefined],
];
for (const [name, args, want] of cases) test(`predict: ${name}`, () => assert.is(predictSocketPath(...args), want));

const fits: [string, Parameters<typeof socketFitsProfile>, boolean][] = [
  ['plain, state dir', [plain, '/home/a/.jupyter-ssh-setup/gpu/jupyter.sock'], true],
  ['plain, fallback', [plain, '/tmp/jss-1/gpu-jupyter.sock'], true],
  ['plain, another name', [plain, '/home/a/.jupyter-ssh-setup/gpu2/jupyter.sock'], false],
  ['plain, a container path', [plain, '/home/a/.jupyter-ssh-setup/gpu/container/jupyter.sock'], false],
  ['docker, container path', [docker, '/home/a/.jupyter-ssh-setup/gpu/container/jupyter.sock'], true],
  ['docker, plain path', [docker, '/home/a/.jupyter-ssh-setup/gpu/jupyter.sock'], false],
];
for (const [name, args, want] of fits) test(`fits: ${name}`, () => assert.is(socketFitsProfile(...args), want));

test('forwardable: absolute, short, plain characters only', () => {
  assert.ok(isForwardableSocket('/a/b.sock'));
  for (const bad of [undefined, 'a.sock', '/a b.sock', '/a:b.sock', '/a/../b.sock', `/${'x'.repeat(107)}`]) assert.not.ok(isForwardableSocket(bad), String(bad));
});

test.run();
