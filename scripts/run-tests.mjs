#!/usr/bin/env node
// Runs every test file with uvu (TypeScript through tsx), unit files two at a
// time and end-to-end files (test/e2e, on the real test bed) one after the
// other, then prints one summary line: "N passed, N failed, N skipped".
// As root it first installs the Debian packages the tests use
// (test/bed/install.sh: instant when they are there; JSS_NO_INSTALL=1 skips it).
// Without root, or without a package, tests are skipped and one line each says
// what enables them; the summary line stays the last line printed (CI reads it).
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { claimBed } from './bed-owner.mjs';

const root = new URL('..', import.meta.url).pathname;
const filter = process.argv.slice(2);

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...findTests(path));
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const all = findTests(join(root, 'test')).filter((f) => filter.length === 0 || filter.some((x) => f.includes(x)));
const e2e = all.filter((f) => f.includes('/test/e2e/'));
const unit = all.filter((f) => !e2e.includes(f));

// eslint-disable-next-line no-control-regex
const strip = (s) => s.replace(/\u001b\[[0-9;]*m/g, '');

/** `jss-skip: ...` lines the test files print (test/helpers/tools.ts), each once. */
const skipReasons = new Set();

function runFile(file) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', file], { cwd: root, env: { ...process.env, FORCE_COLOR: '0' } });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (code) => {
      const text = strip(output);
      for (const m of text.matchAll(/^jss-skip: (.*)$/gm)) skipReasons.add(m[1]);
      const num = (label) => {
        const m = new RegExp(`${label}:\\s+(\\d+)`).exec(text);
        return m ? Number(m[1]) : undefined;
      };
      const total = num('Total');
      const passed = num('Passed');
      const skipped = num('Skipped') ?? 0;
      let result;
      if (total === undefined || passed === undefined) result = { passed: 0, failed: 1, skipped: 0 };
      else result = { passed, failed: Math.max(0, total - passed - skipped) + (code !== 0 && total - passed - skipped === 0 ? 1 : 0), skipped };
      const name = relative(root, file);
      const secs = ((Date.now() - started) / 1000).toFixed(1);
      process.stdout.write(`${result.failed ? 'FAIL' : 'ok  '} ${name} (${result.passed} passed, ${result.failed} failed, ${result.skipped} skipped, ${secs}s)\n`);
      if (result.failed || process.env.TEST_VERBOSE) process.stdout.write(text.replace(/^/gm, '    ') + '\n');
      resolve(result);
    });
  });
}

async function pool(files, size) {
  const results = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(size, files.length) }, async () => {
      while (next < files.length) results.push(await runFile(files[next++]));
    }),
  );
  return results;
}

// The bed is brought up once for all end-to-end files and torn down at the end
// (each file also calls bed.sh up, which is instant when it is up already).
const root0 = process.getuid?.() === 0;
function finish(results) {
  const sum = (k) => results.reduce((n, r) => n + r[k], 0);
  for (const reason of skipReasons) console.log(`skipped: ${reason}`);
  const failed = sum('failed');
  console.log(`${sum('passed')} passed, ${failed} failed, ${sum('skipped')} skipped`);
  process.exitCode = failed ? 1 : 0;
}

if (root0 && process.env.JSS_NO_INSTALL !== '1') {
  const r = spawnSync('bash', [join(root, 'test/bed/install.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) {
    console.log('test/bed/install.sh could not install the packages the tests need (see above); JSS_NO_INSTALL=1 npm test runs without them');
    finish([{ passed: 0, failed: 1, skipped: 0 }]);
    process.exit();
  }
}
// The OpenSSH client is the one program the unit tests cannot do without (setup checks every config with ssh -G).
if (spawnSync('ssh', ['-V'], { stdio: 'ignore' }).error) {
  console.log('the tests need the OpenSSH client (ssh): sudo apt-get install openssh-client, or run npm test as root to install everything');
  finish([{ passed: 0, failed: 1, skipped: 0 }]);
  process.exit();
}
if (e2e.length && !root0) skipReasons.add(`not root, so the ${e2e.length} end-to-end files on the test bed (network namespaces, sshd, SLURM, podman) are skipped: sudo npm test installs what they need and runs them`);

const unitResults = await pool(unit, 2);
// Tear down only a bed this run brought up: one that was up before belongs to someone else.
const bed = e2e.length && root0 ? claimBed(join(root, 'test/bed/bed.sh')) : undefined;
const e2eResults = await pool(e2e, 1);
bed?.release();
finish([...unitResults, ...e2eResults]);
