import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { promises as fs } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import fse from 'fs-extra';
import { writeFileAtomic, applyChanges, withLock, backupName, readTextIfExists, ConcurrentEditError } from '../../src/io/files.js';
import type { FileChange } from '../../src/core/plan.js';
import { RuntimeFailure } from '../../src/errors.js';
import { tempHome } from '../helpers/cli.js';

const t = tempHome('jss-files-');
let n = 0;
/** A fresh directory per test. */
async function dir(): Promise<string> {
  const d = join(t.home, `case-${++n}`);
  await fse.ensureDir(d);
  return d;
}

const modeOf = async (path: string) => (await fs.stat(path)).mode & 0o7777;
const change = (path: string, before: string | null, after: string | null, mode = 0o600): FileChange => ({ path, before, after, mode, label: 'test' });

test('readTextIfExists: null for a missing file', async () => {
  const d = await dir();
  assert.is(await readTextIfExists(join(d, 'nope')), null);
  await fs.writeFile(join(d, 'yes'), 'x');
  assert.is(await readTextIfExists(join(d, 'yes')), 'x');
});

test('writeFileAtomic: a new file gets the given mode, an existing one keeps its own', async () => {
  const d = await dir();
  const fresh = join(d, 'fresh');
  await writeFileAtomic(fresh, 'new\n', 0o600);
  assert.is(await fs.readFile(fresh, 'utf8'), 'new\n');
  assert.is(await modeOf(fresh), 0o600);
  const existing = join(d, 'existing');
  await fs.writeFile(existing, 'old\n');
  await fs.chmod(existing, 0o640);
  await writeFileAtomic(existing, 'replaced\n', 0o600);
  assert.is(await fs.readFile(existing, 'utf8'), 'replaced\n');
  assert.is(await modeOf(existing), 0o640);
  await fs.chmod(existing, 0o755);
  await writeFileAtomic(existing, 'again\n', 0o600);
  assert.is(await modeOf(existing), 0o755);
  assert.equal((await fs.readdir(d)).sort(), ['existing', 'fresh'], 'no temp file left behind');
});

test('writeFileAtomic: keeps the owner of the file it replaces (as root)', async () => {
  if (process.getuid?.() !== 0) return;
  const d = await dir();
  const file = join(d, 'owned');
  await fs.writeFile(file, 'x');
  await fs.chown(file, 1, 1);
  await writeFileAtomic(file, 'y', 0o600);
  const st = await fs.stat(file);
  assert.equal([st.uid, st.gid], [1, 1]);
});

test('writeFileAtomic: writes through a symlink, relative or absolute, and keeps the link', async () => {
  const d = await dir();
  await fse.ensureDir(join(d, 'dotfiles'));
  const target = join(d, 'dotfiles', 'bashrc');
  await fs.writeFile(target, 'old\n', { mode: 0o644 });
  const relLink = join(d, '.bashrc');
  await fs.symlink('dotfiles/bashrc', relLink);
  await writeFileAtomic(relLink, 'via relative link\n', 0o600);
  assert.ok((await fs.lstat(relLink)).isSymbolicLink());
  assert.is(await fs.readlink(relLink), 'dotfiles/bashrc');
  assert.is(await fs.readFile(target, 'utf8'), 'via relative link\n');
  assert.is(await modeOf(target), 0o644);
  // A chain of links ends at the same file.
  const chain = join(d, 'chain');
  await fs.symlink(relLink, chain);
  await writeFileAtomic(chain, 'via a chain\n', 0o600);
  assert.ok((await fs.lstat(chain)).isSymbolicLink());
  assert.is(await fs.readFile(target, 'utf8'), 'via a chain\n');
  // A dangling link: the file is created where it points.
  const dangling = join(d, 'dangling');
  await fs.symlink('dotfiles/not-yet', dangling);
  await writeFileAtomic(dangling, 'created\n', 0o600);
  assert.ok((await fs.lstat(dangling)).isSymbolicLink());
  assert.is(await fs.readFile(join(d, 'dotfiles', 'not-yet'), 'utf8'), 'created\n');
});

test('applyChanges: creates, updates and deletes; private dirs are 0700', async () => {
  const d = await dir();
  const keep = join(d, 'keep');
  const gone = join(d, 'gone');
  await fs.writeFile(keep, 'before\n', { mode: 0o644 });
  await fs.writeFile(gone, 'bye\n');
  const privateDir = join(d, 'home', '.ssh');
  const created = join(privateDir, 'config');
  const written = await applyChanges(
    [change(keep, 'before\n', 'after\n'), change(gone, 'bye\n', null), change(created, null, 'new\n')],
    { backupDir: join(d, 'backups'), now: new Date('2026-01-02T03:04:05Z'), privateDirs: [privateDir] },
  );
  assert.equal(written, [keep, gone, created]);
  assert.is(await fs.readFile(keep, 'utf8'), 'after\n');
  assert.is(await modeOf(keep), 0o644);
  assert.not.ok(await fse.pathExists(gone));
  assert.is(await fs.readFile(created, 'utf8'), 'new\n');
  assert.is(await modeOf(created), 0o600);
  assert.is(await modeOf(privateDir), 0o700);
  assert.is(await modeOf(join(d, 'backups')), 0o700);
  const backups = (await fs.readdir(join(d, 'backups'))).sort();
  assert.equal(backups, [backupName(gone, new Date('2026-01-02T03:04:05Z')), backupName(keep, new Date('2026-01-02T03:04:05Z'))].sort());
  assert.is(await fs.readFile(join(d, 'backups', backupName(keep, new Date('2026-01-02T03:04:05Z'))), 'utf8'), 'before\n');
});

test('applyChanges: one backup per file, the state before the latest change', async () => {
  const d = await dir();
  const file = join(d, 'config');
  const sibling = join(d, 'config.local');
  const backupDir = join(d, 'backups');
  await fs.writeFile(file, 'v1\n');
  await fs.writeFile(sibling, 's1\n');
  await applyChanges([change(sibling, 's1\n', 's2\n')], { backupDir, now: new Date('2026-01-01T00:00:00Z'), privateDirs: [] });
  await applyChanges([change(file, 'v1\n', 'v2\n')], { backupDir, now: new Date('2026-01-01T00:00:01Z'), privateDirs: [] });
  await applyChanges([change(file, 'v2\n', 'v3\n')], { backupDir, now: new Date('2026-01-01T00:00:02Z'), privateDirs: [] });
  const names = (await fs.readdir(backupDir)).sort();
  const prefix = backupName(file, new Date(0)).replace(/[^.]*$/, '');
  const ofFile = names.filter((x) => x.startsWith(prefix) && /^\d{8}T\d{6}Z$/.test(x.slice(prefix.length)));
  assert.equal(ofFile, [backupName(file, new Date('2026-01-01T00:00:02Z'))], 'one backup of the file');
  assert.is(await fs.readFile(join(backupDir, ofFile[0]!), 'utf8'), 'v2\n');
  // The backup of another file whose name starts the same is not touched.
  assert.ok(names.includes(backupName(sibling, new Date('2026-01-01T00:00:00Z'))), 'the backup of config.local survives a backup of config');
  assert.is(names.length, 2);
});

test('applyChanges: a file changed since planning stops everything, nothing is written', async () => {
  const d = await dir();
  const a = join(d, 'a');
  const b = join(d, 'b');
  const c = join(d, 'c');
  await fs.writeFile(a, 'planned\n');
  await fs.writeFile(b, 'planned\n');
  const plan = [change(a, 'planned\n', 'ours\n'), change(b, 'planned\n', 'ours\n'), change(c, null, 'ours\n')];
  await fs.writeFile(b, 'the user edited this meanwhile\n');
  const backupDir = join(d, 'backups');
  try {
    await applyChanges(plan, { backupDir, now: new Date(), privateDirs: [join(d, 'private')] });
    assert.unreachable('should have thrown');
  } catch (error) {
    assert.instance(error, ConcurrentEditError);
    assert.instance(error, RuntimeFailure);
    assert.is((error as ConcurrentEditError).path, b);
  }
  assert.is(await fs.readFile(a, 'utf8'), 'planned\n', 'the file before it is not written either');
  assert.is(await fs.readFile(b, 'utf8'), 'the user edited this meanwhile\n', 'the user edit is kept');
  assert.not.ok(await fse.pathExists(c), 'no file created');
  assert.not.ok(await fse.pathExists(backupDir), 'no backup written');
  assert.not.ok(await fse.pathExists(join(d, 'private')), 'no directory created');
  // A file that appeared meanwhile counts too, and so does one that went away.
  await fs.writeFile(c, 'appeared\n');
  try {
    await applyChanges([change(c, null, 'ours\n')], { backupDir, now: new Date(), privateDirs: [] });
    assert.unreachable('should have thrown');
  } catch (error) {
    assert.instance(error, ConcurrentEditError);
  }
  assert.is(await fs.readFile(c, 'utf8'), 'appeared\n');
  await fs.rm(a);
  try {
    await applyChanges([change(a, 'planned\n', 'ours\n')], { backupDir, now: new Date(), privateDirs: [] });
    assert.unreachable('should have thrown');
  } catch (error) {
    assert.instance(error, ConcurrentEditError);
  }
  assert.not.ok(await fse.pathExists(a));
});

test('withLock: runs the function and removes the lock, also when it throws', async () => {
  const d = await dir();
  const lock = join(d, 'state', '.lock');
  assert.is(await withLock(lock, async () => (await fs.readFile(lock, 'utf8')) === String(process.pid)), true, 'the lock holds our pid while we run');
  assert.not.ok(await fse.pathExists(lock));
  try {
    await withLock(lock, async () => {
      throw new Error('boom');
    });
    assert.unreachable('should have thrown');
  } catch (error) {
    assert.is((error as Error).message, 'boom');
  }
  assert.not.ok(await fse.pathExists(lock));
});

test('withLock: waits for a live holder, then takes the lock', async () => {
  const d = await dir();
  const lock = join(d, '.lock');
  // A lock held by a live process (this one, standing in for another setup).
  await fs.writeFile(lock, String(process.pid));
  const started = Date.now();
  setTimeout(() => void fs.rm(lock, { force: true }), 300);
  let ranAt = 0;
  await withLock(lock, async () => {
    ranAt = Date.now();
  });
  assert.ok(ranAt - started >= 280, `waited for the holder (${ranAt - started} ms)`);
  assert.not.ok(await fse.pathExists(lock));
});

test('withLock: gives up after waitMs with a message naming the holder', async () => {
  const d = await dir();
  const lock = join(d, '.lock');
  await fs.writeFile(lock, String(process.pid));
  let ran = false;
  try {
    await withLock(lock, async () => {
      ran = true;
    }, 150);
    assert.unreachable('should have thrown');
  } catch (error) {
    assert.instance(error, RuntimeFailure);
    assert.match((error as Error).message, new RegExp(`another jupyter-ssh-setup \\(pid ${process.pid}\\)`));
  }
  assert.not.ok(ran);
  assert.is(await fs.readFile(lock, 'utf8'), String(process.pid), 'a live lock is never broken');
});

test('withLock: a stale lock (its process is gone, or it holds garbage) is taken over', async () => {
  const d = await dir();
  const lock = join(d, '.lock');
  const dead = spawnSync('true').pid!;
  for (const content of [String(dead), 'not a pid', '', '-1']) {
    await fs.writeFile(lock, content);
    const started = Date.now();
    const result = await withLock(lock, async () => 'ran', 30_000);
    assert.is(result, 'ran', `stale lock ${JSON.stringify(content)}`);
    // A bound far below the deadline, and generous for a loaded machine.
    assert.ok(Date.now() - started < 10_000, 'without waiting for the deadline');
    assert.not.ok(await fse.pathExists(lock));
  }
});

test('withLock: two holders in turn never overlap', async () => {
  const d = await dir();
  const lock = join(d, '.lock');
  const events: string[] = [];
  const holder = (name: string) =>
    withLock(lock, async () => {
      events.push(`${name} in`);
      await new Promise((r) => setTimeout(r, 50));
      events.push(`${name} out`);
    });
  await Promise.all([holder('a'), holder('b')]);
  assert.is(events.length, 4);
  assert.ok(events[0]!.endsWith('in') && events[1]!.endsWith('out') && events[0]!.split(' ')[0] === events[1]!.split(' ')[0], events.join(', '));
});

test('withLock: many holders at once never overlap (a lock file is never seen empty by another holder)', async () => {
  const d = await dir();
  const lock = join(d, '.lock');
  for (let round = 0; round < 20; round++) {
    let inside = 0;
    let most = 0;
    const holder = () =>
      withLock(lock, async () => {
        most = Math.max(most, ++inside);
        await new Promise((r) => setTimeout(r, 1));
        inside--;
      });
    await Promise.all(Array.from({ length: 8 }, holder));
    assert.is(most, 1, `round ${round}: ${most} holders at once`);
  }
});

test.after(() => t.cleanup());

test.run();
