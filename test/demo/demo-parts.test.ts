/** The demo's parts that need no sshd: finding the tools, and the websocket frames. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chooseApp, findDemoTools, parseJupyterVersions } from '../../src/io/demo-tools.js';
import { decodeFrames, encodeTextFrame } from '../../src/io/demo-kernel.js';
import { jupyterServerOnly } from '../helpers/debian-jupyter-server.js';
import { needing } from '../helpers/tools.js';

const DEBIAN_12 = `Selected Jupyter core packages...
IPython          : 8.5.0
ipykernel        : 6.17.0
jupyter_server   : 1.23.3
jupyterlab       : not installed
notebook         : 6.4.12
`;

test('jupyter --version: "not installed" is left out', () => {
  const v = parseJupyterVersions(DEBIAN_12);
  assert.is(v.get('jupyter_server'), '1.23.3');
  assert.not.ok(v.has('jupyterlab'));
});

const app = (text: string) => chooseApp(parseJupyterVersions(text))?.app;
test('app: Debian 12 (no lab) runs jupyter server', () => assert.is(app(DEBIAN_12), 'server'));
test('app: lab when installed', () => assert.is(app(DEBIAN_12 + 'jupyterlab : 4.2.0\n'), 'lab'));
test('app: only the classic notebook', () => assert.is(app('ipykernel : 6.1\nnotebook : 6.4.12\n'), 'notebook'));
test('app: no kernel, no demo', () => assert.is(app('jupyter_server : 2.0\n'), undefined));

/** A PATH of stand-ins: each named program a script that prints what it is given. */
function fakePath(programs: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'jss-demo-tools-'));
  for (const [name, body] of Object.entries(programs)) {
    writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(dir, name), 0o755);
  }
  return dir;
}
const none = { bin: [], sbin: [], jupyter: [] };

async function failure(programs: Record<string, string>): Promise<string> {
  const dir = fakePath(programs);
  try {
    const e = await findDemoTools({ PATH: dir }, none).then(() => undefined, (error: Error & { hint?: string }) => error);
    assert.ok(e, 'findDemoTools should fail');
    return `${e.message}\n${e.hint}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('no sshd: one line and the fix', async () => {
  assert.is(
    await failure({ ssh: 'exit 0', 'ssh-keygen': 'exit 0' }),
    'the demo needs the OpenSSH server binary (sshd), which is not installed\nDebian/Ubuntu: sudo apt-get install openssh-client openssh-server (the demo starts an sshd of its own; the system service is not needed). Fedora: sudo dnf install openssh-server openssh-clients.',
  );
});

test('no jupyter: one line and the fix, naming the package of the jupyter command too', async () => {
  assert.is(
    await failure({ ssh: 'exit 0', 'ssh-keygen': 'exit 0', sshd: 'exit 0' }),
    'the demo needs Jupyter, which is not installed (no jupyter, jupyter-lab, jupyter-server or jupyter-notebook on PATH)\nDebian/Ubuntu: sudo apt-get install jupyter-core jupyter-server python3-ipykernel (or pip install jupyterlab in a venv and put its bin/ on PATH).',
  );
});

// Issue 22, item 2: Debian's jupyter-server package has jupyter-server, not jupyter (jupyter-core's).
needing(test, 'jupyter-server')("no jupyter, only Debian's jupyter-server and ipykernel: the demo runs jupyter-server itself", async () => {
  const only = jupyterServerOnly();
  const fakes = fakePath({ ssh: 'exit 0', 'ssh-keygen': 'exit 0', sshd: 'exit 0' });
  try {
    const tools = await findDemoTools({ PATH: `${fakes}:${only.bin}` }, none);
    assert.is(tools.jupyter, join(only.bin, 'jupyter-server'));
    assert.is(tools.app, 'server');
    assert.match(tools.jupyterVersion, /^jupyter_server \d+\.\d+/);
  } finally {
    only.remove();
    rmSync(fakes, { recursive: true, force: true });
  }
});

test('no jupyter, and a jupyter-server whose Python has no ipykernel: it is named', async () => {
  const msg = await failure({ ssh: 'exit 0', 'ssh-keygen': 'exit 0', sshd: 'exit 0', 'jupyter-server': 'echo 2.1.0' });
  assert.match(msg, /^the demo needs Jupyter Server \(or notebook, or lab\) and ipykernel; \/.*\/jupyter-server has not both\n/);
});

test('a jupyter without a kernel (or a broken shim) is named', async () => {
  const msg = await failure({ ssh: 'exit 0', 'ssh-keygen': 'exit 0', sshd: 'exit 0', jupyter: 'echo "jupyter_server : 2.1"' });
  assert.match(msg, /^the demo needs Jupyter Server \(or notebook, or lab\) and ipykernel; \/.*\/jupyter has not both\n/);
});

test('a jupyter shim that fails is passed over for one that works', async () => {
  const broken = fakePath({ jupyter: 'exit 1' });
  const good = fakePath({ ssh: 'exit 0', 'ssh-keygen': 'exit 0', sshd: 'exit 0', jupyter: `printf '%s\\n' 'ipykernel : 6.17.0' 'jupyter_server : 1.23.3'` });
  try {
    const tools = await findDemoTools({ PATH: `${broken}:${good}` }, none);
    assert.is(tools.jupyter, join(good, 'jupyter'));
    assert.is(tools.app, 'server');
    assert.is(tools.jupyterVersion, 'jupyter_server 1.23.3');
  } finally {
    rmSync(broken, { recursive: true, force: true });
    rmSync(good, { recursive: true, force: true });
  }
});

/** A server frame (unmasked), for the decoder. */
function serverFrame(payload: Buffer, opcode = 1, fin = true): Buffer {
  const n = payload.length;
  const head = n < 126 ? Buffer.from([(fin ? 0x80 : 0) | opcode, n]) : n < 65536 ? Buffer.from([(fin ? 0x80 : 0) | opcode, 126, n >> 8, n & 255]) : Buffer.concat([Buffer.from([(fin ? 0x80 : 0) | opcode, 127]), Buffer.from([0, 0, 0, 0, n >>> 24, (n >> 16) & 255, (n >> 8) & 255, n & 255])]);
  return Buffer.concat([head, payload]);
}

for (const size of [0, 5, 125, 126, 65535, 65536, 200_000]) {
  test(`websocket frames: ${size} bytes, split anywhere`, () => {
    const payload = Buffer.alloc(size, 'x');
    const wire = Buffer.concat([serverFrame(payload), serverFrame(Buffer.from('end'))]);
    const cut = Math.floor(wire.length / 3);
    const first = decodeFrames(wire.subarray(0, cut));
    const second = decodeFrames(Buffer.concat([first.rest, wire.subarray(cut)]));
    const frames = [...first.frames, ...second.frames];
    assert.equal(frames.map((f) => f.payload.length), [size, 3]);
    assert.is(second.rest.length, 0);
  });
}

test('websocket: a client frame is masked and carries the text', () => {
  const frame = encodeTextFrame('{"a":1}');
  assert.is(frame[0], 0x81);
  assert.is(frame[1]! & 0x80, 0x80);
  const len = frame[1]! & 0x7f;
  const mask = frame.subarray(2, 6);
  const text = Buffer.from(frame.subarray(6).map((b, i) => b ^ mask[i % 4]!)).toString();
  assert.is(len, 7);
  assert.is(text, '{"a":1}');
  assert.is(encodeTextFrame('x'.repeat(70_000))[1]! & 0x7f, 127);
  assert.is(encodeTextFrame('x'.repeat(300))[1]! & 0x7f, 126);
});

test.run();
