/**
 * Issue 15: the plain launch script puts Jupyter on a 0600 Unix socket. Real
 * launch scripts run by the real sh against Debian's Jupyter Server, in a temp
 * HOME: no TCP listener of the server, our token answers over the socket, a
 * HOME too long for sun_path gets a short 0700 directory, stop removes the socket.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, mkdirSync, rmSync, statSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { writeFileSync } from 'node:fs';
import { renderLaunchScript } from '../../src/core/plan.js';
import { validateProfile } from '../../src/core/profile.js';
import { installed, needing, reportMissing } from '../helpers/tools.js';

const it = needing(test, 'jupyter-server');

function launch(home: string, action: string, bind?: string) {
  const profile = validateProfile({ name: 'gpu', host: 'gpu.example.org', user: 'u', app: 'server', shell: 'bash', remotePort: 'auto', ...(bind ? { bind } : {}) });
  const script = join(home, 'launch.sh');
  writeFileSync(script, renderLaunchScript(profile));
  const r = spawnSync('sh', [script, action], { env: { PATH: '/usr/bin:/bin', HOME: home }, cwd: home, encoding: 'utf8', timeout: 60_000 });
  return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? 'null') as Record<string, unknown>;
}

/** GET /api/status over the Unix socket, with the token in a header. */
function askSocket(socketPath: string, token: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/api/status', headers: { Authorization: `token ${token}` } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.end();
  });
}

/** The TCP ports the process listens on (ss -ltnp); undefined without ss (the check is left out). */
function tcpListeners(pid: number): string[] | undefined {
  if (!installed('ss')) return void reportMissing('ss', 'checks of TCP listeners');
  const ss = spawnSync('ss', ['-Hltnp'], { encoding: 'utf8' });
  return ss.stdout.split('\n').filter((l) => l.includes(`pid=${pid},`));
}

it('start: Jupyter on a 0600 socket in the state directory, no TCP listener; check and stop', async () => {
  const home = mkdtempSync(join(tmpdir(), 'jss-sock-'));
  try {
    const r = launch(home, 'start');
    assert.is(r.ok, true, JSON.stringify(r));
    assert.is(r.bind, 'socket');
    const sock = `${home}/.jupyter-ssh-setup/gpu/jupyter.sock`;
    assert.is(r.sock, sock);
    assert.is(r.port, 0);
    assert.ok(statSync(sock).isSocket());
    assert.is(statSync(sock).mode & 0o777, 0o600);
    assert.equal(tcpListeners(r.pid as number) ?? [], []);
    assert.is(await askSocket(sock, r.token as string), 200);
    assert.is(await askSocket(sock, 'f'.repeat(48)), 403);
    const again = launch(home, 'start');
    assert.is(again.reused, true);
    assert.is(again.sock, sock);
    const check = launch(home, 'check');
    assert.is(check.bind, 'socket');
    assert.is(check.sockSupported, true);
    assert.is(check.sockPrivate, true);
    // Its mode and numeric owner (ls -ldn): ours, whoever runs the tests.
    assert.is(String(check.sockLs), `srw------- ${process.getuid?.() ?? 0}`);
    const stop = launch(home, 'stop');
    assert.is(stop.stopped, true);
    assert.not.ok(existsSync(sock), 'the socket is gone after stop');
  } finally {
    launch(home, 'stop');
    rmSync(home, { recursive: true, force: true });
  }
});

it('what this Jupyter supports is probed once and kept (jupyter.facts); a changed interpreter or app file asks again', async () => {
  const home = mkdtempSync(join(tmpdir(), 'jss-sock-'));
  const facts = join(home, '.jupyter-ssh-setup/gpu/jupyter.facts');
  try {
    assert.is(launch(home, 'start').bind, 'socket');
    const [key, answer] = readFileSync(facts, 'utf8').split('\n');
    assert.match(key!, '/usr/bin/jupyter-server');
    assert.is(answer, 'sock');
    launch(home, 'stop');
    // The kept answer is used as it is: a "tcp" under the same key gives TCP, no Python asked.
    writeFileSync(facts, `${key}\ntcp\n`);
    const tcp = launch(home, 'start');
    assert.is(tcp.bind, 'tcp');
    assert.match(String(tcp.bindFallback), 'cannot listen on a Unix socket');
    launch(home, 'stop');
    // Another key (an upgrade touched the files): probed again.
    writeFileSync(facts, 'someone else;\ntcp\n');
    assert.is(launch(home, 'start').bind, 'socket');
    assert.is(readFileSync(facts, 'utf8').split('\n')[1], 'sock');
  } finally {
    launch(home, 'stop');
    rmSync(home, { recursive: true, force: true });
  }
});

it('a HOME too long for sun_path: the socket goes to a 0700 directory of ours under /tmp', async () => {
  const home = join(mkdtempSync(join(tmpdir(), 'jss-sock-')), 'h'.repeat(90));
  mkdirSync(home);
  const uid = process.getuid!();
  try {
    const r = launch(home, 'start');
    assert.is(r.ok, true, JSON.stringify(r));
    assert.is(r.sock, `/tmp/jss-${uid}/gpu-jupyter.sock`);
    assert.is(statSync(`/tmp/jss-${uid}`).mode & 0o777, 0o700);
    assert.is(await askSocket(r.sock as string, r.token as string), 200);
    launch(home, 'stop');
    assert.not.ok(existsSync(r.sock as string));
  } finally {
    launch(home, 'stop');
    rmSync(join(home, '..'), { recursive: true, force: true });
  }
});

it('--bind tcp: 127.0.0.1 and a port, as before', async () => {
  const home = mkdtempSync(join(tmpdir(), 'jss-sock-'));
  try {
    const r = launch(home, 'start', 'tcp');
    assert.is(r.ok, true, JSON.stringify(r));
    assert.is(r.bind, 'tcp');
    assert.is(r.sock, undefined);
    assert.is(tcpListeners(r.pid as number)?.length ?? 1, 1);
  } finally {
    launch(home, 'stop', 'tcp');
    rmSync(home, { recursive: true, force: true });
  }
});

test.run();
