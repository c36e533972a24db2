/**
 * Issue 22, item 2: Debian's jupyter-server package ships `jupyter-server` but
 * not `jupyter` (that is jupyter-core), and remotes look like this too. The
 * real launch script, run by the real sh with a PATH that has jupyter-server
 * and no jupyter: start (socket and tcp), check, stop and jpt all work; with
 * neither, the error names both commands.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { renderLaunchScript } from '../../src/core/plan.js';
import { validateProfile } from '../../src/core/profile.js';
import { freePort } from '../helpers/ports.js';
import { jupyterServerOnly, type JupyterServerOnly } from '../helpers/debian-jupyter-server.js';
import { installed, needing } from '../helpers/tools.js';

const it = needing(test, 'jupyter-server');
let path: JupyterServerOnly | undefined;
test.before(() => {
  if (installed('jupyter-server')) path = jupyterServerOnly();
});
test.after(() => path?.remove());

function writeScript(home: string, bind = 'socket'): string {
  const profile = validateProfile({ name: 'gpu', host: 'gpu.example.org', user: 'u', app: 'server', shell: 'bash', remotePort: 'auto', bind });
  const script = join(home, 'launch.sh');
  writeFileSync(script, renderLaunchScript(profile));
  return script;
}

function launch(home: string, action: string, bind = 'socket', bin = path!.bin) {
  const r = spawnSync('sh', [writeScript(home, bind), action], { env: { PATH: bin, HOME: home }, cwd: home, encoding: 'utf8', timeout: 90_000 });
  return { code: r.status, reply: JSON.parse(r.stdout.trim().split('\n').at(-1) || 'null') as Record<string, unknown> };
}

for (const bind of ['socket', 'tcp']) {
  it(`--bind ${bind}: start, check and stop run jupyter-server itself`, async () => {
    const home = mkdtempSync(join(tmpdir(), 'jss-jsonly-'));
    try {
      const r = launch(home, 'start', bind).reply;
      assert.is(r.ok, true, JSON.stringify(r));
      assert.is(r.bind, bind, JSON.stringify(r));
      const check = launch(home, 'check', bind).reply;
      assert.is(check.ok, true, JSON.stringify(check));
      assert.is(check.jupyter, join(path!.bin, 'jupyter-server'));
      assert.match(String(check.version), /^\d+\.\d+/);
      const stop = launch(home, 'stop', bind).reply;
      assert.is(stop.stopped, true, JSON.stringify(stop));
    } finally {
      launch(home, 'stop', bind);
      rmSync(home, { recursive: true, force: true });
    }
  });
}

it('jpt: Jupyter in the foreground answers on the port and with the token it prints', async () => {
  const home = mkdtempSync(join(tmpdir(), 'jss-jsonly-'));
  const port = await freePort();
  const child = spawn('sh', [writeScript(home, 'tcp'), 'jpt', String(port)], { env: { PATH: path!.bin, HOME: home }, cwd: home, detached: true });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise((r) => child.on('close', r));
  let gone = false;
  void exited.then(() => (gone = true));
  try {
    let status = 0;
    for (let i = 0; i < 600 && status !== 200 && !gone; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const url = /open (http:\S+)/.exec(out)?.[1];
      if (url) status = await fetch(url.replace('/?', '/api/status?')).then((r) => r.status, () => 0);
    }
    assert.match(out, `open http://127.0.0.1:${port}/?token=`);
    assert.is(status, 200, out);
  } finally {
    if (!gone) process.kill(-child.pid!, 'SIGTERM');
    await exited;
    rmSync(home, { recursive: true, force: true });
  }
});

test('neither jupyter nor jupyter-server: the error names both, exit 3', () => {
  const none = jupyterServerOnly([]);
  const home = mkdtempSync(join(tmpdir(), 'jss-jsonly-'));
  try {
    const r = launch(home, 'start', 'socket', none.bin);
    assert.is(r.code, 3);
    assert.is(r.reply.error, 'jupyter-not-found');
    assert.match(String(r.reply.message), `neither jupyter nor jupyter-server is on PATH on ${hostname()}`);
  } finally {
    none.remove();
    rmSync(home, { recursive: true, force: true });
  }
});

test.run();
