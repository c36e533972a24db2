/**
 * `jupyter-ssh-setup demo`, run for real as whoever runs the tests (no root
 * needed): a private sshd, setup, start, a kernel cell, stop. Afterwards no
 * process of it is left, its directory is gone, and neither HOME nor the
 * password database's ~/.ssh has changed.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { findDemoTools } from '../../src/io/demo-tools.js';
import { demoProcesses } from '../../src/io/demo-sshd.js';
import { waitFor } from '../helpers/bed.js';

const root = new URL('../..', import.meta.url).pathname;
const bin = join(root, 'dist/bin.js');

let missing = '';
try {
  await findDemoTools(process.env);
  if (/(nologin|false)$/.test(userInfo().shell ?? '')) missing = `this user's login shell is ${userInfo().shell}, so the demo cannot log in: run the tests as a user with a shell`;
} catch (error) {
  const e = error as Error & { hint?: string };
  missing = `${e.message}, the demo tests skipped: ${e.hint}`;
}
if (missing) process.stdout.write(`jss-skip: ${missing}\n`);
const it = missing ? test.skip : test;

/** What the demo must leave as it was: the real ~/.ssh (from the password database) and the HOME it ran with. */
function snapshot(dirs: string[]): string {
  const h = createHash('sha256');
  for (const dir of dirs) {
    if (!existsSync(dir)) {
      h.update(`${dir}: none\n`);
      continue;
    }
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      let body = '';
      try {
        body = readFileSync(path, 'utf8');
      } catch {
        body = '(not a file)';
      }
      h.update(`${path}\n${body}\n`);
    }
  }
  return h.digest('hex');
}

interface Demo {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function runDemo(args: string[], home: string, onOutput?: (all: string, child: ReturnType<typeof spawn>) => void): Promise<Demo> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, 'demo', ...args], { env: { ...process.env, HOME: home, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      onOutput?.(stdout + stderr, child);
    });
    child.stderr.on('data', (d) => {
      stderr += d;
      onOutput?.(stdout + stderr, child);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

const demoDirOf = (text: string) => /(\/\S*jss-demo-[A-Za-z0-9]+)/.exec(text)?.[1] ?? '';
/** OpenSSH's ~/.ssh: the password database's home, whatever HOME says. */
const realSsh = join(userInfo().homedir, '.ssh');

async function assertNothingLeft(dir: string): Promise<void> {
  assert.ok(dir.startsWith(tmpdir()), `the demo directory ${dir} is in ${tmpdir()}`);
  assert.not.ok(existsSync(dir), `${dir} is removed`);
  // A zombie is not a process left running (PID 1 here may reap late).
  const left = await waitFor(async () => (await demoProcesses(dir)).length === 0, 3000);
  assert.ok(left, `no process of the demo remains: ${await demoProcesses(dir)}`);
}

it('demo: setup -> start -> a kernel cell -> URL -> stop, in under a minute, leaving nothing behind', async () => {
  const home = mkdtempSync(join(tmpdir(), 'jss-newhome-'));
  const before = snapshot([realSsh, home]);
  try {
    const r = await runDemo([], home);
    assert.is(r.code, 0, r.stdout + r.stderr);
    assert.ok(r.ms < 60_000, `took ${r.ms} ms`);
    for (let n = 1; n <= 6; n++) assert.match(r.stdout, `[${n}/6] `);
    assert.match(r.stdout, /\[5\/6\] url: http:\/\/127\.0\.0\.1:\d+\/\S*\?token=[0-9a-f]{16,}/);
    assert.match(r.stdout, new RegExp(`hello from a kernel on \\S+ as ${userInfo().username}, python \\d`));
    assert.match(r.stdout, 'Now your server: npx jupyter-ssh-setup');
    assert.is(r.stderr, '');
    await assertNothingLeft(demoDirOf(r.stdout));
    assert.is(snapshot([realSsh, home]), before, '~/.ssh and HOME are unchanged');
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

it('demo --keep --json: stays up until Ctrl+C with the Host blocks shown; the URL answers; then cleans up', async () => {
  const home = mkdtempSync(join(tmpdir(), 'jss-newhome-'));
  const before = snapshot([realSsh, home]);
  let url = '';
  let status = 0;
  try {
    const r = await runDemo(['--keep', '--json'], home, (all, child) => {
      if (url || !all.includes('Press Ctrl+C')) return;
      url = /url: (\S+)/.exec(all)![1]!;
      const u = new URL(url);
      get({ host: u.hostname, port: u.port, path: `/api/status?token=${u.searchParams.get('token')}` }, (res) => {
        status = res.statusCode ?? 0;
        res.resume();
        child.kill('SIGINT');
      }).once('error', () => child.kill('SIGINT'));
    });
    assert.is(r.code, 0, r.stdout + r.stderr);
    assert.is(status, 200, 'the URL answered while the demo was kept up');
    assert.match(r.stderr, /Host jss-demo\n\s+HostName 127\.0\.0\.1\n/);
    assert.match(r.stderr, '[6/6] stop');
    const result = JSON.parse(r.stdout) as { ok: boolean; url: string; kernelOutput: string };
    assert.is(result.ok, true);
    assert.is(result.url, url);
    assert.match(result.kernelOutput, 'hello from a kernel');
    await assertNothingLeft(demoDirOf(r.stderr));
    assert.is(snapshot([realSsh, home]), before, '~/.ssh and HOME are unchanged');
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test.run();
