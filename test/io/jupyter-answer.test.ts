/**
 * Issue 12, item 2: what answers our token. A real Jupyter server (Debian's,
 * token set through the environment), a real other program (python's
 * http.server) and a closed port, asked the way start, status and doctor ask.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { askJupyter, waitForJupyter } from '../../src/io/remote.js';
import { judgeAnswer } from '../../src/core/jupyter-answer.js';
import { freePort } from '../helpers/ports.js';
import { installed, needing } from '../helpers/tools.js';

const TOKEN = 'a'.repeat(48);
const OTHER = 'b'.repeat(48);

// Debian's jupyter-server package gives jupyter-server (`jupyter` is jupyter-core's).
const hasJupyter = installed('jupyter-server');
const withJupyter = needing(test, 'jupyter-server');
const children: ChildProcess[] = [];
/** Starts a helper process; one that cannot start fails the test that needs it, not the whole file. */
function start(program: string, args: string[], options: Parameters<typeof spawn>[2]): void {
  const child = spawn(program, args, options);
  child.on('error', (e) => process.stdout.write(`could not start ${program}: ${e.message}\n`));
  children.push(child);
}
const dir = mkdtempSync(join(tmpdir(), 'jss-answer-'));
let jupyterPort = 0;
let httpPort = 0;

test.before(async () => {
  jupyterPort = await freePort();
  httpPort = await freePort();
  const env = { PATH: '/usr/bin:/bin', HOME: dir, JUPYTER_TOKEN: TOKEN, JUPYTER_RUNTIME_DIR: join(dir, 'rt'), JUPYTER_CONFIG_DIR: join(dir, 'cfg'), JUPYTER_DATA_DIR: join(dir, 'data') };
  const root = process.getuid?.() === 0 ? ['--allow-root'] : [];
  start('python3', ['-m', 'http.server', String(httpPort), '--bind', '127.0.0.1'], { cwd: dir, stdio: 'ignore' });
  if (hasJupyter) {
    start('jupyter-server', ['--no-browser', '--ip=127.0.0.1', `--port=${jupyterPort}`, '--port-retries=0', ...root], { env, cwd: dir, stdio: 'ignore' });
    const answered = await waitForJupyter(jupyterPort, TOKEN, 30_000);
    assert.is(answered?.status, 200, 'the real Jupyter came up');
  }
  for (let i = 0; i < 100 && !(await askJupyter(httpPort, TOKEN, 500)); i++) await new Promise((r) => setTimeout(r, 50));
});

test.after(() => {
  for (const c of children) c.kill();
  rmSync(dir, { recursive: true, force: true });
});

withJupyter('our token: Jupyter answers it', async () => {
  assert.equal(judgeAnswer(await askJupyter(jupyterPort, TOKEN, 3000), 'local port 1'), { kind: 'ok', detail: 'Jupyter answers our token on local port 1' });
});

withJupyter('another token: Jupyter rejects ours, and the waiter stops early instead of waiting it out', async () => {
  assert.equal(judgeAnswer(await askJupyter(jupyterPort, OTHER, 3000), 'local port 1'), {
    kind: 'other-token',
    detail: 'Jupyter on local port 1 rejects our token (HTTP 403): it runs with another token',
  });
  const started = Date.now();
  const last = await waitForJupyter(jupyterPort, OTHER, 30_000);
  assert.is(last?.status, 403);
  assert.ok(Date.now() - started < 10_000, `${Date.now() - started} ms (it would wait 30 s)`);
});

test('another program on the port', async () => {
  const verdict = judgeAnswer(await askJupyter(httpPort, TOKEN, 3000), 'local port 1');
  assert.is(verdict.kind, 'other-program');
  assert.match(verdict.detail, /^another program answers on local port 1 \(HTTP 404, Server: SimpleHTTP\/[0-9.]+ Python\/[0-9.]+\), not our Jupyter$/);
});

test('nothing on the port', async () => {
  assert.equal(judgeAnswer(await askJupyter(await freePort(), TOKEN, 3000), 'local port 1'), { kind: 'nothing', detail: 'nothing answers on local port 1' });
});

/** A child process that relays its stdin/stdout to 127.0.0.1:PORT, as `ssh -W 127.0.0.1:PORT host` does. */
const RELAY = `import socket, sys, threading
try:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
except OSError as e:
    sys.exit("channel 0: open failed: connect failed: %s" % e)
def pump():
    while True:
        d = s.recv(65536)
        if not d:
            break
        sys.stdout.buffer.write(d)
        sys.stdout.flush()
threading.Thread(target=pump, daemon=True).start()
while True:
    d = sys.stdin.buffer.read1(65536)
    if not d:
        break
    s.sendall(d)
`;

withJupyter('over a stream (as doctor asks through ssh -W): our token, and nothing at the other end', async () => {
  const ask = async (port: number, token: string) => {
    const child = spawn('python3', ['-c', RELAY, String(port)], { stdio: ['pipe', 'pipe', 'ignore'] });
    try {
      return await askJupyter(0, token, 5000, () => Duplex.from({ readable: child.stdout!, writable: child.stdin! }));
    } finally {
      child.kill();
    }
  };
  assert.is(judgeAnswer(await ask(jupyterPort, TOKEN), 'gpu port 1').kind, 'ok');
  assert.is(judgeAnswer(await ask(jupyterPort, OTHER), 'gpu port 1').kind, 'other-token');
  assert.is(judgeAnswer(await ask(await freePort(), TOKEN), 'gpu port 1').detail, 'nothing answers on gpu port 1');
});

test('table: what counts as our Jupyter', () => {
  const cases: [Parameters<typeof judgeAnswer>[0], string][] = [
    [{ status: 200, server: 'TornadoServer/6.2', body: '{"connections":0,"kernels":0,"last_activity":"x","started":"y"}' }, 'ok'],
    [{ status: 200, server: 'nginx', body: '<html>hello</html>' }, 'other-program'],
    [{ status: 403, server: 'nginx', body: 'Forbidden' }, 'other-program'],
    [{ status: 401, server: 'TornadoServer/6.2', body: '' }, 'other-token'],
    [{ status: 502, server: undefined, body: '' }, 'other-program'],
    [undefined, 'nothing'],
  ];
  for (const [answer, kind] of cases) assert.is(judgeAnswer(answer, 'x').kind, kind, JSON.stringify(answer));
});

test.run();
