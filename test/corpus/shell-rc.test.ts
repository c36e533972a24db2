/**
 * Setup and remove on every real-world shell rc file of the corpus
 * (fixtures/corpus/shell-rc: .bashrc and .zshrc files, see
 * fixtures/corpus/README.md): the file still parses in its shell, not a byte
 * outside our block changes, a second run is a no-op, and remove --all gives
 * the original back. Our block itself (a few lines that source our functions
 * file) passes bash -n, zsh -n and shellcheck, and defines the functions.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { promises as fs, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fse from 'fs-extra';
import { runCli, tempHome, runProgram, snapshotTree, cutMarkedBlock, type CliResult, type ProcessResult } from '../helpers/cli.js';
import { installed, needing, reportMissing } from '../helpers/tools.js';

const root = new URL('../..', import.meta.url).pathname;
const corpusDir = join(root, 'fixtures/corpus/shell-rc');
const files = readdirSync(corpusDir).filter((f) => /\.(bashrc|zshrc)$/.test(f)).sort();

function shellOf(file: string): 'bash' | 'zsh' {
  return file.endsWith('.zshrc') ? 'zsh' : 'bash';
}

function setupArgs(rc: string, shell: 'bash' | 'zsh'): string[] {
  return [
    'setup', '--name', 'jsstarget', '--host', '10.9.8.7', '--user', 'jssuser', '--port', '2222',
    '--jump', 'jumpuser@bastion.example:2200', '--yes', '--rc', rc, ...(shell === 'zsh' ? ['--shell', 'zsh'] : []),
  ];
}

function show(r: CliResult): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

function ok(r: ProcessResult, what: string): void {
  assert.is(r.code, 0, `${what} failed:\n${r.stdout}${r.stderr}`);
}

/** `bash -n` / `zsh -n`: parses without running anything. */
function parses(shell: 'bash' | 'zsh', path: string): Promise<ProcessResult> {
  if (!installed(shell)) {
    reportMissing(shell, `${shell} -n checks`);
    return Promise.resolve({ code: 0, stdout: '', stderr: '' });
  }
  return runProgram(shell, ['-n', path], { env: { PATH: process.env.PATH, HOME: '/nonexistent' } });
}

async function checkRc(file: string): Promise<void> {
  const t = tempHome('jss-rc-');
  try {
    const home = t.home;
    const shell = shellOf(file);
    const rc = join(home, shell === 'zsh' ? '.zshrc' : '.bashrc');
    await fse.copy(join(corpusDir, file), rc);
    await fs.chmod(rc, 0o644);
    const original = await fs.readFile(rc);
    ok(await parses(shell, rc), `${shell} -n of the original`);

    const first = await runCli(setupArgs(rc, shell), { home });
    assert.is(first.code, 0, show(first));
    ok(await parses(shell, rc), `${shell} -n after setup`);

    const written = await fs.readFile(rc, 'utf8');
    const cut = cutMarkedBlock(written);
    assert.is(cut.count, 1, 'exactly one marked block');
    assert.ok(Buffer.from(cut.rest, 'utf8').equals(original), 'outside our block the rc file is byte-identical');
    assert.ok(written.endsWith(cut.block), 'our block is at the end');
    assert.is((await fs.stat(rc)).mode & 0o777, 0o644, 'the rc keeps its mode');

    // The block alone: a few lines that parse in bash and zsh, that shellcheck has nothing to say
    // about (but that it cannot follow $HOME: the golden test checks the functions file itself), and
    // that define the functions from our file when sourced.
    assert.ok(cut.block.split('\n').length - 1 <= 10, `our block has ${cut.block.split('\n').length - 1} lines`);
    const block = join(home, 'block.sh');
    await fs.writeFile(block, cut.block);
    const [b, z, sc] = await Promise.all([parses('bash', block), parses('zsh', block), installed('shellcheck') ? runProgram('shellcheck', ['-s', 'bash', '-e', 'SC1091', block]) : (reportMissing('shellcheck', 'shellcheck checks'), { code: 0, stdout: '', stderr: '' })]);
    ok(b, 'bash -n of our block');
    ok(z, 'zsh -n of our block');
    ok(sc, 'shellcheck -s bash of our block');
    ok(await runProgram(shell, ['-c', '. "$1" && command -v remote_notebook_start', shell, block], { env: { PATH: process.env.PATH, HOME: home } }), `${shell}: our block defines the functions`);

    // Idempotent.
    const snap = await snapshotTree(home, true);
    const second = await runCli(setupArgs(rc, shell), { home });
    assert.is(second.code, 0, show(second));
    assert.match(second.stdout, /Nothing to change/);
    assert.equal(await snapshotTree(home, true), snap, 'a second identical setup changed files');

    // remove --all: the rc is the original again, and the SSH config setup created is gone.
    const removed = await runCli(['remove', '--all'], { home });
    assert.is(removed.code, 0, show(removed));
    assert.ok((await fs.readFile(rc)).equals(original), 'remove --all restores the rc byte for byte');
    assert.is((await fs.stat(rc)).mode & 0o777, 0o644);
    assert.not.ok(await fse.pathExists(join(home, '.ssh', 'config')), 'the SSH config setup created is gone');
    assert.not.ok(await fse.pathExists(join(home, '.ssh', 'jupyter-ssh-setup.conf')));
    assert.not.ok(await fse.pathExists(join(home, '.config', 'jupyter-ssh-setup', 'functions.sh')), 'our functions file is gone');
  } finally {
    await t.cleanup();
  }
}

for (const file of files) {
  needing(test, shellOf(file))(`corpus rc ${file}`, () => checkRc(file));
}

test('the rc corpus is all there, bash and zsh', () => {
  assert.is(files.length, 16);
  assert.ok(files.some((f) => shellOf(f) === 'zsh'));
  assert.ok(files.some((f) => shellOf(f) === 'bash'));
});

test('an rc without a final newline keeps it missing', async () => {
  const t = tempHome('jss-rc-');
  try {
    const rc = join(t.home, '.bashrc');
    const text = 'export EDITOR=vi\nalias ll="ls -l"';
    await fs.writeFile(rc, text);
    const first = await runCli(setupArgs(rc, 'bash'), { home: t.home });
    assert.is(first.code, 0, show(first));
    const written = await fs.readFile(rc, 'utf8');
    assert.ok(written.startsWith(text + '\n# >>> jupyter-ssh-setup >>>\n'), 'our block starts on a line of its own');
    assert.ok(written.endsWith('# <<< jupyter-ssh-setup <<<'), 'and ends without a newline, like the file did');
    ok(await parses('bash', rc), 'bash -n');
    const removed = await runCli(['remove', '--all'], { home: t.home });
    assert.is(removed.code, 0, show(removed));
    assert.is(await fs.readFile(rc, 'utf8'), text);
  } finally {
    await t.cleanup();
  }
});

needing(test, 'zsh')('an rc that is a symlink (a dotfile manager) stays a link', async () => {
  const t = tempHome('jss-rc-');
  try {
    const target = join(t.home, 'dotfiles', 'zshrc');
    await fse.outputFile(target, 'setopt autocd\n');
    const rc = join(t.home, '.zshrc');
    await fs.symlink(target, rc);
    const first = await runCli(setupArgs(rc, 'zsh'), { home: t.home });
    assert.is(first.code, 0, show(first));
    assert.ok((await fs.lstat(rc)).isSymbolicLink());
    assert.match(await fs.readFile(target, 'utf8'), /^setopt autocd\n# >>> jupyter-ssh-setup >>>\n/);
    ok(await parses('zsh', rc), 'zsh -n');
    const removed = await runCli(['remove', '--all'], { home: t.home });
    assert.is(removed.code, 0, show(removed));
    assert.ok((await fs.lstat(rc)).isSymbolicLink());
    assert.is(await fs.readFile(target, 'utf8'), 'setopt autocd\n');
  } finally {
    await t.cleanup();
  }
});

test('SHELL=zsh picks ~/.zshrc when --rc is not given', async () => {
  const t = tempHome('jss-rc-');
  try {
    const r = await runCli(['setup', '--name', 'jsstarget', '--host', '10.9.8.7', '--yes'], { home: t.home, env: { SHELL: '/usr/bin/zsh' } });
    assert.is(r.code, 0, show(r));
    assert.ok(await fse.pathExists(join(t.home, '.zshrc')));
    assert.not.ok(await fse.pathExists(join(t.home, '.bashrc')));
    ok(await parses('zsh', join(t.home, '.zshrc')), 'zsh -n');
  } finally {
    await t.cleanup();
  }
});

test.run();
