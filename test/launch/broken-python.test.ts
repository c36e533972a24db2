/**
 * Issue 12, item 5: a venv whose python3 cannot be executed. jupyter and
 * jupyter-server are there (every `command -v` passes) but their interpreter
 * fails with "Permission denied": start and check must say which interpreter,
 * its path and the shell's message, at once, not "did not answer within 60s".
 * Real launch scripts run by the real sh, in a temp HOME.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, mkdirSync, writeFileSync, chmodSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { renderLaunchScript } from '../../src/core/plan.js';
import { validateProfile } from '../../src/core/profile.js';

/** A temp HOME with ~/badvenv: bin/activate, bin/jupyter(-server) naming bin/python3, which is mode 0644. */
function badVenv(): { home: string; venv: string } {
  const home = mkdtempSync(join(tmpdir(), 'jss-badpy-'));
  const venv = join(home, 'badvenv');
  mkdirSync(join(venv, 'bin'), { recursive: true });
  writeFileSync(join(venv, 'bin/activate'), `PATH="${venv}/bin:$PATH"\nexport PATH\n`);
  for (const name of ['jupyter', 'jupyter-server']) {
    writeFileSync(join(venv, 'bin', name), `#!${venv}/bin/python3\nimport sys\n`);
    chmodSync(join(venv, 'bin', name), 0o755);
  }
  writeFileSync(join(venv, 'bin/python3'), '');
  chmodSync(join(venv, 'bin/python3'), 0o644);
  return { home, venv };
}

function runLaunch(home: string, action: string) {
  const profile = validateProfile({ name: 'gpu', host: 'gpu.example.org', user: 'u', app: 'server', env: ['venv:~/badvenv'], shell: 'bash' });
  const script = join(home, 'launch.sh');
  writeFileSync(script, renderLaunchScript(profile));
  const started = Date.now();
  const r = spawnSync('sh', [script, action], { env: { PATH: '/usr/bin:/bin', HOME: home }, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, reply: JSON.parse(r.stdout.trim().split('\n').at(-1) ?? 'null'), ms: Date.now() - started };
}

test('start: the Python of the venv cannot be executed: named with its path and the reason, exit 3, at once', () => {
  const { home, venv } = badVenv();
  try {
    const r = runLaunch(home, 'start');
    assert.equal(r.reply, {
      ok: false,
      name: 'gpu',
      error: 'python-failed',
      message: `cannot run ${venv}/bin/python3 on ${hostname()}, the Python that runs jupyter-server (first line of ${venv}/bin/jupyter-server): Permission denied (exit 126)`,
    });
    assert.is(r.code, 3);
    assert.ok(r.ms < 10_000, `${r.ms} ms`);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('check (doctor): the same, instead of reporting the jupyter it found as fine', () => {
  const { home, venv } = badVenv();
  try {
    const r = runLaunch(home, 'check');
    assert.is(r.reply.ok, false);
    assert.is(r.reply.error, 'python-failed');
    assert.is(r.reply.message, `cannot run ${venv}/bin/python3 on ${hostname()}, the Python that runs jupyter-server (first line of ${venv}/bin/jupyter-server): Permission denied (exit 126)`);
    assert.is(r.code, 3);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test.run();
