#!/usr/bin/env node
// Runs every test file with uvu (TypeScript through tsx), unit files two at a
// time and end-to-end files (test/e2e, on the real test bed) one after the
// other, then prints one summary line: "N passed, N failed, N skipped".
import { spawn } from 'node:child_process';
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

function runFile(file) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', file], { cwd: root, env: { ...process.env, FORCE_COLOR: '0' } });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (code) => {
      const text = strip(output);
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
const unitResults = await pool(unit, 2);
// Tear down only a bed this run brought up: one that was up before belongs to someone else.
const bed = e2e.length && root0 ? claimBed(join(root, 'test/bed/bed.sh')) : undefined;
const e2eResults = await pool(e2e, 1);
bed?.release();
const results = [...unitResults, ...e2eResults];
const sum = (k) => results.reduce((n, r) => n + r[k], 0);
const failed = sum('failed');
console.log(`${sum('passed')} passed, ${failed} failed, ${sum('skipped')} skipped`);
process.exitCode = failed ? 1 : 0;
