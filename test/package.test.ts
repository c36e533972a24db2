/** The published package works through npx from a packed tarball, and ships only dist and templates. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

test('npm pack, then npm exec --package=tarball -- jupyter-ssh-setup --help', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jss-pack-'));
  try {
    execFileSync('npm', ['pack', '--pack-destination', dir], { cwd: root, stdio: 'pipe' });
    const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'))!;
    const files = execFileSync('tar', ['tzf', join(dir, tarball)], { encoding: 'utf8' }).split('\n').filter(Boolean);
    assert.ok(files.includes('package/dist/bin.js'));
    assert.ok(files.includes('package/templates/launch.sh.ejs'));
    assert.not.ok(files.some((f) => f.startsWith('package/test/') || f.startsWith('package/src/') || f.startsWith('package/fixtures/')), 'only dist and templates');
    const help = execFileSync('npm', ['exec', '--yes', `--package=./${tarball}`, '--', 'jupyter-ssh-setup', '--help'], { cwd: dir, encoding: 'utf8', stdio: 'pipe' });
    assert.match(help, 'Usage: jupyter-ssh-setup');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
