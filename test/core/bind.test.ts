/**
 * Issue 15: Jupyter on a Unix socket. The pure parts: the --bind field, the
 * forward spec and state-file lines for a socket (old three-field lines still
 * read), and doctor's verdict on the socket's mode and owner.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validateProfile, bindOf } from '../../src/core/profile.js';
import { forwardSpec } from '../../src/core/ssh-args.js';
import { parseForwardLine, formatForwardLine } from '../../src/io/tunnel-state.js';
import { judgeBind, describeBind } from '../../src/core/bind.js';
import { runCli, withTempHome } from '../helpers/cli.js';
import { readdirSync } from 'node:fs';

const base = { name: 'gpu', host: 'gpu.example.org', user: 'u', shell: 'bash' };

test('--bind: socket by default, docker/podman too; tcp stored only when asked; apptainer and jobs listen on tcp', () => {
  assert.is(validateProfile(base).bind, undefined);
  assert.is(bindOf(validateProfile(base)), 'socket');
  assert.is(validateProfile({ ...base, bind: 'tcp' }).bind, 'tcp');
  assert.is(bindOf(validateProfile({ ...base, bind: 'tcp' })), 'tcp');
  assert.is(bindOf(validateProfile({ ...base, container: 'podman', image: 'img' })), 'socket');
  assert.is(bindOf(validateProfile({ ...base, container: 'docker', image: 'img', bind: 'tcp' })), 'tcp');
  assert.is(bindOf(validateProfile({ ...base, container: 'apptainer', image: 'x.sif' })), 'tcp');
  assert.is(bindOf(validateProfile({ ...base, launcher: 'slurm' })), 'tcp');
});

test('setup --bind with a bad value: the field, the value and what is allowed, exit 2, nothing written', async () => {
  await withTempHome(async (home) => {
    const r = await runCli(['setup', '--yes', '--name', 'gpu', '--host', 'gpu.example.org', '--bind', 'unix'], { home });
    assert.is(r.code, 2);
    assert.match(r.stderr, 'invalid --bind "unix": one of socket, tcp');
    assert.equal(readdirSync(home), []);
  });
});

const forwards: [string, string, ReturnType<typeof parseForwardLine>][] = [
  ['tcp, as before', '8888 127.0.0.1 8888', { localPort: 8888, host: '127.0.0.1', remotePort: 8888 }],
  ['a job node', '18888 gpu 50637\n', { localPort: 18888, host: 'gpu', remotePort: 50637 }],
  ['a socket', '8888 /home/u/.jupyter-ssh-setup/gpu/jupyter.sock', { localPort: 8888, host: '/home/u/.jupyter-ssh-setup/gpu/jupyter.sock', remotePort: 0 }],
  ['a relative path is not a socket', '8888 jupyter.sock', undefined],
  ['garbage', 'x y z', undefined],
];
for (const [what, line, state] of forwards) {
  test(`forward state line: ${what}`, () => {
    assert.equal(parseForwardLine(line), state);
    if (state) assert.is(formatForwardLine(state), line.endsWith('\n') ? line : `${line}\n`);
  });
}

test('forward spec: host:port, [v6]:port, or the remote socket path', () => {
  assert.is(forwardSpec(8888, '127.0.0.1', 8888), '127.0.0.1:8888:127.0.0.1:8888');
  assert.is(forwardSpec(8888, 'fe80::1', 9), '127.0.0.1:8888:[fe80::1]:9');
  assert.is(forwardSpec(8889, '/tmp/jss-1000/gpu-jupyter.sock', 0), '127.0.0.1:8889:/tmp/jss-1000/gpu-jupyter.sock');
});

const plain = validateProfile(base);
const verdicts: [string, Parameters<typeof judgeBind>, ReturnType<typeof judgeBind>][] = [
  ['socket, not running', [plain, { sockSupported: true }], { ok: true, detail: 'socket (0600 in ~/.jupyter-ssh-setup, made when Jupyter starts)' }],
  ['socket, running, private', [plain, { sockSupported: true, sockLs: 'srw------- 1000', sockPrivate: true }], { ok: true, detail: 'socket, srw------- 1000 (mode 0600, owned by you)' }],
  [
    'socket, running, open to others',
    [plain, { sockSupported: true, sockLs: 'srwxrwxrwx 1000', sockPrivate: false }],
    { ok: false, detail: 'the socket of the running Jupyter is "srwxrwxrwx 1000", not a socket of mode 0600 owned by you', hint: 'Restart it: jupyter-ssh-setup stop gpu && jupyter-ssh-setup start gpu.' },
  ],
  ['no --sock in that Jupyter', [plain, { sockSupported: false }], { ok: true, detail: 'socket asked, but jupyter lab there cannot listen on a Unix socket: start falls back to tcp' }],
  [
    'tcp',
    [validateProfile({ ...base, bind: 'tcp' }), { sockSupported: true }],
    { ok: true, detail: 'tcp (127.0.0.1:8888): every user of gpu.example.org can connect; the token guards it (setup --bind socket makes it yours only)' },
  ],
  ['a batch job', [validateProfile({ ...base, launcher: 'slurm' }), { scheduler: 'slurm' }], { ok: true, detail: "tcp (node not reachable by ssh): a batch job listens on its node's address, which the login node forwards to" }],
];
for (const [what, args, verdict] of verdicts) {
  test(`doctor's bind check: ${what}`, () => assert.equal(judgeBind(...args), verdict));
}

test('status line for the bind mode', () => {
  assert.is(describeBind({ bind: 'socket', socket: '/h/.jupyter-ssh-setup/gpu/jupyter.sock', remotePort: 0 }), 'listens on the Unix socket /h/.jupyter-ssh-setup/gpu/jupyter.sock (0600: only you can connect)');
  assert.is(describeBind({ bind: 'tcp', remotePort: 8888 }), 'listens on TCP 127.0.0.1:8888 (every local user can connect; the token guards it)');
  assert.is(describeBind({ bind: 'tcp (node not reachable by ssh)', remotePort: 50637 }), 'listens on tcp (node not reachable by ssh)');
});

test.run();
