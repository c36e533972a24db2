/**
 * Issue 12, item 6: a run that brings the shared test bed up takes it down at
 * exit (also when it fails), and leaves alone a bed that was up before it.
 * Against a stand-in bed.sh that keeps its state in a temp dir and logs each action.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const owner = new URL('../../scripts/bed-owner.mjs', import.meta.url).pathname;
const bench = new URL('../../bench/run.mjs', import.meta.url).pathname;

function standIn(): { dir: string; script: string; log: () => string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'jss-bed-owner-'));
  const script = join(dir, 'bed.sh');
  writeFileSync(
    script,
    `echo "$1" >> "${dir}/log"\ncase "$1" in\n  status) [ -e "${dir}/up" ] ;;\n  up) : > "${dir}/up" ;;\n  down) rm -f "${dir}/up" ;;\nesac\n`,
  );
  return { dir, script, log: () => readFileSync(join(dir, 'log'), 'utf8').trim().split('\n') };
}

/** A run that claims the bed and then ends as `end` says. */
function runClaiming(script: string, end: string, env: Record<string, string> = {}) {
  const code = `import { claimBed } from ${JSON.stringify(owner)};\nconst bed = claimBed(${JSON.stringify(script)});\nif (bed.up !== 0) process.exit(9);\n${end}\n`;
  return spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', env: { ...process.env, KEEP_BED: '', ...env } });
}

test('a bed this run brought up goes down at exit: on success and on a failure', () => {
  for (const end of ['', "throw new Error('a bench row failed')", 'process.exit(3)']) {
    const bed = standIn();
    try {
      runClaiming(bed.script, end);
      assert.equal(bed.log(), ['status', 'up', 'down'], end);
      assert.not.ok(existsSync(join(bed.dir, 'up')), 'the bed is down');
    } finally {
      rmSync(bed.dir, { recursive: true, force: true });
    }
  }
});

test('a bed that was up before (someone else is using it) stays up; so does one with KEEP_BED=1', () => {
  const bed = standIn();
  try {
    writeFileSync(join(bed.dir, 'up'), '');
    runClaiming(bed.script, '');
    assert.equal(bed.log(), ['status', 'up']);
    rmSync(join(bed.dir, 'up'));
    runClaiming(bed.script, '', { KEEP_BED: '1' });
    assert.equal(bed.log(), ['status', 'up', 'status', 'up']);
    assert.ok(existsSync(join(bed.dir, 'up')));
  } finally {
    rmSync(bed.dir, { recursive: true, force: true });
  }
});

test('npm run bench and npm test claim the bed this way', () => {
  assert.match(readFileSync(bench, 'utf8'), "claimBed(join(root, 'test/bed/bed.sh'))");
  assert.match(readFileSync(new URL('../../scripts/run-tests.mjs', import.meta.url).pathname, 'utf8'), "claimBed(join(root, 'test/bed/bed.sh'))");
});

test.run();
