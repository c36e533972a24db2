/**
 * Issue 22, item 4: what setup adds to ~/.bashrc is a short marked block that
 * sources our functions file (the nvm/rustup/conda way), not the 539 lines of
 * the functions. A block written by an older version (the whole functions,
 * fixtures/rc-block/long-block.bashrc: Debian's /etc/skel/.bashrc after a
 * setup of 0.1.0 before this change) is replaced in place by the next setup;
 * remove gives back the original bytes and deletes our file with the last target.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, withTempHome, cutMarkedBlock, snapshotTree } from '../helpers/cli.js';
import { needing } from '../helpers/tools.js';

const fixture = (f: string) => readFileSync(new URL(`../../fixtures/rc-block/${f}`, import.meta.url), 'utf8');
const skel = fixture('skel.bashrc');
const longBlock = fixture('long-block.bashrc');
const setupArgs = (name: string, ...more: string[]) => ['setup', '--yes', '--name', name, '--host', `${name}.example.org`, '--user', 'u', ...more];
const lines = (text: string) => text.split('\n').length - 1;
const functionsFile = (home: string) => join(home, '.config', 'jupyter-ssh-setup', 'functions.sh');

/** An interactive bash (Debian's rc returns early for others) with this HOME: is remote_notebook_start there? */
function hasFunctions(shell: 'bash' | 'zsh', home: string): boolean {
  try {
    execFileSync(shell, ['-ic', 'command -v remote_notebook_start >/dev/null'], { env: { PATH: process.env.PATH, HOME: home }, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

test('the fixture is a long block as the previous version wrote it, after Debian\'s skeleton rc', () => {
  assert.ok(longBlock.startsWith(skel));
  assert.is(lines(longBlock) - lines(skel), 539);
});

test('setup adds at most 10 lines to ~/.bashrc; the functions come from our own file', async () => {
  await withTempHome(async (home) => {
    const rc = join(home, '.bashrc');
    writeFileSync(rc, skel);
    const r = await runCli(setupArgs('gpu'), { home });
    assert.is(r.code, 0, r.stderr);
    const written = readFileSync(rc, 'utf8');
    assert.ok(lines(written) - lines(skel) <= 10, `the rc gained ${lines(written) - lines(skel)} lines`);
    assert.is(cutMarkedBlock(written).rest, skel);
    assert.match(cutMarkedBlock(written).block, 'if [ -f "$HOME/.config/jupyter-ssh-setup/functions.sh" ]; then . "$HOME/.config/jupyter-ssh-setup/functions.sh"; fi\n');
    assert.match(readFileSync(functionsFile(home), 'utf8'), 'remote_notebook_start()');
    assert.ok(hasFunctions('bash', home), 'remote_notebook_start after an interactive bash read ~/.bashrc');
  });
});

needing(test, 'zsh')('zsh sources the same functions file from ~/.zshrc', async () => {
  await withTempHome(async (home) => {
    const r = await runCli(setupArgs('gpu', '--shell', 'zsh'), { home });
    assert.is(r.code, 0, r.stderr);
    assert.ok(lines(readFileSync(join(home, '.zshrc'), 'utf8')) <= 10);
    assert.ok(hasFunctions('zsh', home), 'remote_notebook_start in zsh');
  });
});

test('a long block of the previous version is migrated in place: every byte outside it kept; again: nothing; remove: the original', async () => {
  await withTempHome(async (home) => {
    const rc = join(home, '.bashrc');
    // The user added a line after our block since: it stays where it is.
    const after = 'alias ll="ls -l"\n';
    writeFileSync(rc, longBlock + after);
    const r = await runCli(setupArgs('gpu'), { home });
    assert.is(r.code, 0, r.stderr);
    const written = readFileSync(rc, 'utf8');
    const cut = cutMarkedBlock(written);
    assert.is(cut.count, 1);
    assert.is(cut.rest, skel + after);
    assert.ok(written.endsWith(cut.block + after), 'the block stays where it was');
    assert.ok(lines(written) - lines(skel + after) <= 10, `the block has ${lines(cut.block)} lines`);
    assert.ok(hasFunctions('bash', home));

    const snap = await snapshotTree(home, true);
    const again = await runCli(setupArgs('gpu'), { home });
    assert.match(again.stdout, 'Nothing to change');
    assert.equal(await snapshotTree(home, true), snap, 'a second setup changed files');

    const removed = await runCli(['remove', '--all'], { home });
    assert.is(removed.code, 0, removed.stderr);
    assert.is(readFileSync(rc, 'utf8'), skel + after);
    assert.not.ok(existsSync(functionsFile(home)), 'our functions file is gone');
  });
});

test('remove of one target keeps the block and our file; remove of the last gives back the original bytes', async () => {
  await withTempHome(async (home) => {
    const rc = join(home, '.bashrc');
    // CRLF and no final newline: kept as they are.
    const original = 'export EDITOR=vi\r\nalias ll="ls -l"';
    writeFileSync(rc, original);
    for (const name of ['gpu', 'box']) assert.is((await runCli(setupArgs(name), { home })).code, 0);
    const withBoth = readFileSync(rc, 'utf8');
    assert.is(cutMarkedBlock(withBoth).count, 1);
    assert.ok(lines(withBoth.replace(/\r/g, '')) - lines(original.replace(/\r/g, '')) <= 10);

    assert.is((await runCli(['remove', 'gpu'], { home })).code, 0);
    assert.is(readFileSync(rc, 'utf8'), withBoth, 'one target left: the block stays');
    assert.ok(existsSync(functionsFile(home)));

    const last = await runCli(['remove', 'box'], { home });
    assert.is(last.code, 0, last.stderr);
    assert.is(readFileSync(rc, 'utf8'), original);
    assert.not.ok(existsSync(functionsFile(home)), 'our functions file goes with the last target');
  });
});

test('targets set up with another --rc share our functions file: it stays until the last of them goes', async () => {
  await withTempHome(async (home) => {
    const other = join(home, 'other.bashrc');
    assert.is((await runCli(setupArgs('gpu'), { home })).code, 0);
    assert.is((await runCli(setupArgs('box', '--rc', other), { home })).code, 0);
    assert.is((await runCli(['remove', 'gpu'], { home })).code, 0);
    assert.ok(existsSync(functionsFile(home)), 'box still needs it');
    assert.match(readFileSync(other, 'utf8'), 'functions.sh');
    const all = await runCli(['remove', '--all'], { home });
    assert.is(all.code, 0, all.stderr);
    assert.not.ok(existsSync(functionsFile(home)));
    assert.not.ok(existsSync(other));
  });
});

test('--dry-run shows the short block and our file, and writes nothing', async () => {
  await withTempHome(async (home) => {
    const rc = join(home, '.bashrc');
    writeFileSync(rc, longBlock);
    const r = await runCli([...setupArgs('gpu'), '--dry-run'], { home });
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, /update ~\/\.bashrc +bash rc \(a block that sources the shell functions\)/);
    assert.match(r.stdout, /create ~\/\.config\/jupyter-ssh-setup\/functions\.sh +shell functions \(sourced by the block in ~\/\.bashrc\)/);
    assert.match(r.stdout, '\n+if [ -f "$HOME/.config/jupyter-ssh-setup/functions.sh" ]; then . "$HOME/.config/jupyter-ssh-setup/functions.sh"; fi\n');
    assert.match(r.stdout, '\n-_jss_dir=/home/alice/.config/jupyter-ssh-setup\n');
    assert.match(r.stdout, '\n+_jss_dir=');
    assert.is(readFileSync(rc, 'utf8'), longBlock);
    assert.not.ok(existsSync(functionsFile(home)));
  });
});

test('a config directory whose path needs quoting (XDG_CONFIG_HOME) is written quoted, and sourced', async () => {
  await withTempHome(async (home) => {
    const xdg = join(home, "it's $HOME `x`");
    const r = await runCli(setupArgs('gpu'), { home, env: { XDG_CONFIG_HOME: xdg } });
    assert.is(r.code, 0, r.stderr);
    const file = join(xdg, 'jupyter-ssh-setup', 'functions.sh');
    const quoted = `'${file.replace(/'/g, `'\\''`)}'`;
    assert.match(readFileSync(join(home, '.bashrc'), 'utf8'), `if [ -f ${quoted} ]; then . ${quoted}; fi\n`);
    assert.ok(hasFunctions('bash', home));
  });
});

test('README shows the block setup writes', async () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const shown = /\n(# >>> jupyter-ssh-setup >>>\n[\s\S]*?# <<< jupyter-ssh-setup <<<\n)/.exec(readme.slice(readme.indexOf('sources our functions file')))?.[1];
  await withTempHome(async (home) => {
    assert.is((await runCli(setupArgs('gpu'), { home })).code, 0);
    assert.is(shown, readFileSync(join(home, '.bashrc'), 'utf8'));
  });
  assert.match(readme, `one marked block of ${lines(shown ?? '')} lines`);
});

test('the early-return note counts only returns above our block: a block moved above the guard silences it', async () => {
  await withTempHome(async (home) => {
    const rc = join(home, '.bashrc');
    writeFileSync(rc, skel);
    const first = await runCli(setupArgs('gpu'), { home });
    assert.match(first.stderr, '~/.bashrc line 8 returns early (*) return;;); shells that stop there skip our block below it, which loads the functions.');
    // The user moves our block to the top.
    const cut = cutMarkedBlock(readFileSync(rc, 'utf8'));
    writeFileSync(rc, cut.block + cut.rest);
    const again = await runCli(setupArgs('gpu'), { home });
    assert.match(again.stdout, 'Nothing to change');
    assert.is.not(again.stderr.includes('returns early'), true);
    assert.ok(hasFunctions('bash', home));
    execFileSync('bash', ['-c', '. "$HOME/.bashrc"; command -v remote_notebook_start >/dev/null'], { env: { PATH: process.env.PATH, HOME: home } });
  });
});

test.run();
