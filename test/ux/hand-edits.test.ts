/**
 * Issue 12, item 4: a user who edited our marked block (or our own Host file)
 * by hand gets one line naming the file and the line, what is wrong and how to
 * fix it, exit 2, and nothing written. Never a stack trace.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, withTempHome } from '../helpers/cli.js';

const BEGIN = '# >>> jupyter-ssh-setup >>>';
const END = '# <<< jupyter-ssh-setup <<<';
const setupArgs = (name: string) => ['setup', '--yes', '--name', name, '--host', `${name}.example.org`, '--user', 'u'];

/** Every file under dir with its content: to show that nothing was written. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else out[path] = readFileSync(path, 'utf8');
    }
  };
  walk(dir);
  return out;
}

/** Runs the command and checks: exit 2, exactly this one line on stderr, nothing on disk changed. */
async function refused(home: string, argv: string[], line: string): Promise<void> {
  const before = snapshot(home);
  const r = await runCli(argv, { home });
  assert.is(r.stderr, `jupyter-ssh-setup: ${line}\n`);
  assert.is(r.code, 2);
  assert.not.match(r.stderr, 'This is a bug');
  assert.equal(snapshot(home), before, 'nothing written');
}

test('~/.bashrc with our begin marker and no end marker: setup and remove say which line, exit 2, write nothing', async () => {
  await withTempHome(async (home) => {
    assert.is((await runCli(setupArgs('gpu'), { home })).code, 0);
    const rc = join(home, '.bashrc');
    // The user deleted the second half of our block, end marker included.
    const text = readFileSync(rc, 'utf8');
    writeFileSync(rc, `export A=1\n${text.slice(0, text.indexOf('if [ -f'))}`);
    const line = `~/.bashrc line 2: "${BEGIN}" without its "${END}" line; delete that line (and what is left of our block after it), or put the end line back, then run again`;
    await refused(home, setupArgs('box'), line);
    await refused(home, ['remove', '--all'], line);
  });
});

test('~/.bashrc with an end marker and no begin marker, or our block twice', async () => {
  await withTempHome(async (home) => {
    const rc = join(home, '.bashrc');
    writeFileSync(rc, `export A=1\n\n${END}\n`);
    await refused(home, setupArgs('gpu'), `~/.bashrc line 3: "${END}" without a "${BEGIN}" line before it; delete that line, or put the begin line back above it, then run again`);
    writeFileSync(rc, `${BEGIN}\na\n${END}\n${BEGIN}\nb\n${END}\n`);
    await refused(home, setupArgs('gpu'), `~/.bashrc line 4: a second "${BEGIN}" line; delete one of our two blocks (from its begin line to its end line), then run again`);
  });
});

test("~/.ssh/config with our Include line's begin marker and no end marker", async () => {
  await withTempHome(async (home) => {
    assert.is((await runCli(setupArgs('gpu'), { home })).code, 0);
    const config = join(home, '.ssh', 'config');
    writeFileSync(config, readFileSync(config, 'utf8').replace(`${END}\n`, ''));
    const line = `~/.ssh/config line 1: "${BEGIN}" without its "${END}" line; delete that line (and what is left of our block after it), or put the end line back, then run again`;
    await refused(home, setupArgs('box'), line);
    await refused(home, ['remove', 'gpu'], line);
  });
});

test('our Host file edited by hand: setup names the line and stops; --force overwrites; unedited it is rewritten', async () => {
  await withTempHome(async (home) => {
    assert.is((await runCli(setupArgs('gpu'), { home })).code, 0);
    const hosts = join(home, '.ssh', 'jupyter-ssh-setup.conf');
    const ours = readFileSync(hosts, 'utf8');
    assert.match(ours, /\n# jupyter-ssh-setup checksum: sha256:[0-9a-f]{64} \(setup refuses to overwrite hand edits; --force does\)\n$/);
    // Unedited: a second target rewrites it without a word.
    assert.is((await runCli(setupArgs('box'), { home })).code, 0);
    const both = readFileSync(hosts, 'utf8');
    assert.match(both, 'Host box\n');
    const lines = both.split('\n');
    const at = lines.indexOf('  HostName gpu.example.org');
    lines[at] = '  HostName gpu.internal';
    writeFileSync(hosts, lines.join('\n'));
    const line = `~/.ssh/jupyter-ssh-setup.conf line ${at + 1}: changed by hand since setup wrote it ("  HostName gpu.internal"); put your own settings in your ssh config instead and undo the edit, or run setup with --force to overwrite it`;
    await refused(home, setupArgs('third'), line);
    await refused(home, ['remove', 'box'], line);
    const forced = await runCli([...setupArgs('third'), '--force'], { home });
    assert.is(forced.code, 0, forced.stderr);
    assert.match(readFileSync(hosts, 'utf8'), '  HostName gpu.example.org\n');
    assert.is((await runCli(['remove', '--all'], { home })).code, 0);
  });
});

test('a Host file from before the checksum line counts as ours', async () => {
  await withTempHome(async (home) => {
    assert.is((await runCli(setupArgs('gpu'), { home })).code, 0);
    const hosts = join(home, '.ssh', 'jupyter-ssh-setup.conf');
    writeFileSync(hosts, readFileSync(hosts, 'utf8').replace(/# jupyter-ssh-setup checksum: .*\n$/, ''));
    const r = await runCli(setupArgs('box'), { home });
    assert.is(r.code, 0, r.stderr);
    assert.match(readFileSync(hosts, 'utf8'), /# jupyter-ssh-setup checksum: sha256:[0-9a-f]{64} /);
  });
});

test.run();
