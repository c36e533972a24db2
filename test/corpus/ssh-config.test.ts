/**
 * Setup and remove on every real-world SSH config of the corpus
 * (fixtures/corpus/ssh-config, see fixtures/corpus/README.md), checked with the
 * real OpenSSH: every other alias resolves exactly as before, ours resolves to
 * what we asked for, not a byte outside our block changes, a second run is a
 * no-op and remove --all gives the original back.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { promises as fs, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import fse from 'fs-extra';
import { readKnownAliases } from '../../src/io/read-ssh-config.js';
import { runCli, runProgram, tempHome, sshG, sshGValues, mapLimit, snapshotTree, cutMarkedBlock, type ProcessResult, type CliResult } from '../helpers/cli.js';

const root = new URL('../..', import.meta.url).pathname;
const corpusDir = join(root, 'fixtures/corpus/ssh-config');
const files = readdirSync(corpusDir).filter((f) => f.endsWith('.conf')).sort();

// `Match exec "gpg-connect-agent ..."` in one corpus file: let it fail fast
// instead of starting a gpg-agent somewhere.
process.env.GNUPGHOME = join(tmpdir(), 'jss-test-no-gnupg');
// Two corpus files use ${XDG_RUNTIME_DIR}; like SSH-VALIDATION.tsv, resolve them without it.
delete process.env.XDG_RUNTIME_DIR;

/** SSH-VALIDATION.tsv: how ssh -G of the corpus author's OpenSSH 9.2 treated each file. */
const validation = new Map<string, Record<string, string>>();
{
  const [header, ...rows] = readFileSync(join(root, 'fixtures/corpus/SSH-VALIDATION.tsv'), 'utf8').trimEnd().split('\n');
  const cols = header!.split('\t');
  for (const row of rows) {
    const cells = row.split('\t');
    validation.set(cells[0]!, Object.fromEntries(cols.map((c, i) => [c, cells[i] ?? ''])));
  }
}

/** SSH-VALIDATION.tsv was made with OpenSSH 9.2; another version may accept or reject other options. */
const sameOpenSshAsTsv = /OpenSSH_9\.2/.test(spawnSync('ssh', ['-V'], { encoding: 'utf8' }).stderr);

const NAME = 'jsstarget';
const UNLISTED = 'jss-unlisted-name.example';
const SSH_CONCURRENCY = 4;

function setupArgs(config: string, rc: string, extra: string[] = []): string[] {
  return [
    'setup', '--name', NAME, '--host', '10.9.8.7', '--user', 'jssuser', '--port', '2222',
    '--jump', 'jumpuser@bastion.example:2200', '--yes', '--ssh-config', config, '--rc', rc, ...extra,
  ];
}

function show(r: CliResult): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

/** An error from ssh -G without what moves when our 3 lines go on top: line numbers and paths. */
function normalizeError(r: ProcessResult): string {
  return r.stderr.replace(/line \d+/g, 'line N').replace(/\/tmp\/[^\s:]+/g, 'PATH').replace(/\r/g, '');
}

/** What sharing the connection sets on our own hop alias: everything else must resolve as the hop itself would. */
const SHARING_KEYS = /^(host|controlmaster|controlpath|controlpersist|serveraliveinterval|serveralivecountmax) /;

/**
 * Our alias resolves to exactly what setup was asked for. Its jump host is a
 * hop alias of ours (one shared login) only where the user's config has no
 * settings for that host, and that alias then resolves exactly as
 * `ssh -l jumpuser -p 2200 bastion.example` does in their config.
 */
async function assertOurTarget(r: ProcessResult, where: string, config: string): Promise<void> {
  assert.is(r.code, 0, `ssh -G ${NAME} fails on ${where}: ${r.stderr}`);
  const v = sshGValues(r.stdout);
  assert.is(v.get('hostname'), '10.9.8.7', `hostname of ${NAME} in ${where}`);
  assert.is(v.get('user'), 'jssuser', `user of ${NAME} in ${where}`);
  assert.is(v.get('port'), '2222', `port of ${NAME} in ${where}`);
  const jump = v.get('proxyjump');
  if (jump === 'jumpuser@bastion.example:2200') return;
  assert.is(jump, 'jss-hop-bastion.example-jumpuser-2200', `proxyjump of ${NAME} in ${where}`);
  const [alias, raw] = await Promise.all([sshG(config, jump!), runProgram('ssh', ['-G', '-F', config, '-l', 'jumpuser', '-p', '2200', '--', 'bastion.example'])]);
  const keep = (text: string) => text.split('\n').filter((l) => !SHARING_KEYS.test(l)).join('\n');
  assert.fixture(keep(alias.stdout), keep(raw.stdout), `the hop alias resolves as the hop itself in ${where}`);
  assert.is(sshGValues(alias.stdout).get('controlmaster'), 'auto');
}

interface Outcome {
  file: string;
  aliases: number;
  failsAsIs: boolean;
  failingAliases: number;
}
const outcomes: Outcome[] = [];

async function checkCorpusFile(file: string): Promise<void> {
  const t = tempHome('jss-corpus-');
  try {
    const home = t.home;
    const sshDir = join(home, '.ssh');
    const config = join(sshDir, 'config');
    const include = join(sshDir, 'jupyter-ssh-setup.conf');
    const rc = join(home, '.bashrc');
    await fs.mkdir(sshDir, { mode: 0o700 });
    await fse.copy(join(corpusDir, file), config);
    await fs.chmod(config, 0o600);
    const original = await fs.readFile(config);

    // Every plain alias of the file (and of what it Includes), plus a name it does not list.
    const known = await readKnownAliases(config, home);
    const aliases = [...new Set([...known.map((a) => a.alias), UNLISTED])];
    const row = validation.get(file);
    if (row?.first_alias) assert.ok(aliases.includes(row.first_alias), `readKnownAliases misses ${row.first_alias} (listed in SSH-VALIDATION.tsv)`);
    assert.not.ok(aliases.includes(NAME), `the corpus file already has ${NAME}`);

    const before = await mapLimit(aliases, SSH_CONCURRENCY, (a) => sshG(config, a));
    const failsAsIs = before[aliases.indexOf(UNLISTED)]!.code !== 0;
    if (row && sameOpenSshAsTsv) assert.is(failsAsIs, row.rc_someunknownhost !== '0', `ssh -G of an unknown name here disagrees with SSH-VALIDATION.tsv (${before[aliases.indexOf(UNLISTED)]!.stderr})`);

    const first = await runCli(setupArgs(config, rc), { home });
    assert.is(first.code, 0, show(first));
    if (failsAsIs) assert.match(first.stderr, /warning: your ~\/\.ssh\/config already fails on this OpenSSH/, show(first));
    else assert.is(first.stderr, '', show(first));
    assert.not.match(first.stderr, /\r/, 'no carriage return from ssh in our messages');

    // (a) Every other name resolves exactly as before (or fails exactly as before).
    const after = await mapLimit(aliases, SSH_CONCURRENCY, (a) => sshG(config, a));
    aliases.forEach((alias, i) => {
      const b = before[i]!;
      const a = after[i]!;
      assert.is(a.code, b.code, `ssh -G ${alias}: exit ${b.code} before, ${a.code} after (${a.stderr})`);
      if (b.code === 0) assert.fixture(a.stdout, b.stdout, `ssh -G ${alias} changed`);
      else assert.is(normalizeError(a), normalizeError(b), `ssh -G ${alias} fails differently`);
    });

    // (b) Ours gets our HostName, User, Port and ProxyJump, whatever Host * or global lines say.
    const ours = await sshG(config, NAME);
    if (ours.code === 0) await assertOurTarget(ours, `the user's config`, config);
    else assert.ok(failsAsIs, `ssh -G ${NAME} fails only after setup: ${ours.stderr}`);
    await assertOurTarget(await sshG(include, NAME), 'our own include file', include);

    // (c) Outside our block, not a byte changed.
    const written = await fs.readFile(config);
    const cut = cutMarkedBlock(written.toString('utf8'));
    assert.is(cut.count, 1, 'exactly one marked block');
    assert.ok(written.toString('utf8').startsWith(cut.block), 'our block is at the very top');
    assert.ok(Buffer.from(cut.rest, 'utf8').equals(original), 'the file outside our block is byte-identical to the original');
    assert.match(cut.block, new RegExp(`^# >>> jupyter-ssh-setup >>>\\r?\\nInclude ${include.replace(/[.]/g, '\\.')}\\r?\\n# <<< jupyter-ssh-setup <<<\\r?\\n$`));
    assert.is((await fs.stat(config)).mode & 0o777, 0o600, 'the config keeps mode 0600');

    // Idempotent: a second identical run has nothing to do and touches nothing.
    const snap = await snapshotTree(home, true);
    const second = await runCli(setupArgs(config, rc), { home });
    assert.is(second.code, 0, show(second));
    assert.match(second.stdout, /Nothing to change/, show(second));
    assert.equal(await snapshotTree(home, true), snap, 'a second identical setup changed files');

    // remove --all gives the original back, byte for byte, and takes our files away.
    const removed = await runCli(['remove', '--all'], { home });
    assert.is(removed.code, 0, show(removed));
    assert.ok((await fs.readFile(config)).equals(original), 'remove --all restores the config byte for byte');
    assert.is((await fs.stat(config)).mode & 0o777, 0o600);
    assert.not.ok(await fse.pathExists(include), 'the include file is gone');
    assert.not.ok(await fse.pathExists(rc), 'the rc file setup created is gone');
    assert.not.ok(await fse.pathExists(join(home, '.config/jupyter-ssh-setup/profiles')), 'no profiles left');

    outcomes.push({ file, aliases: aliases.length, failsAsIs, failingAliases: before.filter((r) => r.code !== 0).length });
  } finally {
    await t.cleanup();
  }
}

for (const file of files) {
  test(`corpus ssh config ${file}`, () => checkCorpusFile(file));
}

test('the corpus is all there', () => {
  assert.is(files.length, 67);
  assert.is(outcomes.length, files.length, 'every corpus file passed');
  const broken = outcomes.filter((o) => o.failsAsIs).map((o) => o.file);
  // The files this OpenSSH already rejects as they are (SSH-VALIDATION.tsv): setup warned and checked ours alone.
  if (sameOpenSshAsTsv) assert.equal(broken, [...validation.values()].filter((r) => r.rc_someunknownhost !== '0').map((r) => r.file!));
  if (process.env.TEST_VERBOSE) {
    const total = outcomes.reduce((n, o) => n + o.aliases, 0);
    console.log(`${outcomes.length} files, ${total} aliases compared with ssh -G; failing as they are: ${broken.join(', ')}`);
  }
});

// ---------------------------------------------------------------------------
// Particular shapes of user files.

async function inHome(fn: (home: string) => Promise<void>): Promise<void> {
  const t = tempHome('jss-shape-');
  try {
    await fn(t.home);
  } finally {
    await t.cleanup();
  }
}

async function roundTrip(home: string, config: string, text: string | Buffer, extra: string[] = []): Promise<{ setup: CliResult; written: string }> {
  const original = Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8');
  const rc = join(home, '.bashrc');
  const setup = await runCli(setupArgs(config, rc, extra), { home });
  assert.is(setup.code, 0, show(setup));
  const written = await fs.readFile(config, 'utf8');
  assert.ok(Buffer.from(cutMarkedBlock(written).rest, 'utf8').equals(original), 'outside our block the file is unchanged');
  await assertOurTarget(await sshG(config, NAME), 'the config', config);
  const again = await runCli(setupArgs(config, rc, extra), { home });
  assert.is(again.code, 0, show(again));
  assert.match(again.stdout, /Nothing to change/);
  assert.is(await fs.readFile(config, 'utf8'), written);
  const removed = await runCli(['remove', '--all'], { home });
  assert.is(removed.code, 0, show(removed));
  assert.ok((await fs.readFile(config)).equals(original), 'remove --all restores the file byte for byte');
  return { setup, written };
}

async function writeConfig(home: string, text: string, mode = 0o600): Promise<string> {
  const dir = join(home, '.ssh');
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const config = join(dir, 'config');
  await fs.writeFile(config, text);
  await fs.chmod(config, mode);
  return config;
}

test('a CRLF config gets a CRLF block and keeps every CRLF', () =>
  inHome(async (home) => {
    const text = 'Host *\r\n  User someoneelse\r\n  Port 2200\r\n\r\nHost work\r\n  HostName work.example\r\n';
    const config = await writeConfig(home, text);
    const { written } = await roundTrip(home, config, text);
    assert.not.match(written.replace(/\r\n/g, ''), /\n/, 'no bare LF anywhere');
  }));

test('the CRLF configs of the corpus keep their CRLF', () =>
  inHome(async (home) => {
    for (const file of ['007-KevinNitroG-windows-dotfiles.conf', '049-scottbilas-dotfiles.conf']) {
      const text = await fs.readFile(join(corpusDir, file));
      assert.ok(text.includes('\r\n'), `${file} is CRLF`);
      const config = await writeConfig(home, text.toString('utf8'));
      const { written } = await roundTrip(home, config, text);
      assert.match(written, /^# >>> jupyter-ssh-setup >>>\r\nInclude [^\r\n]+\r\n# <<< jupyter-ssh-setup <<<\r\n/);
    }
  }));

test('a config without a final newline keeps it missing', () =>
  inHome(async (home) => {
    const text = 'Host *\n  User someoneelse\n  ServerAliveInterval 10';
    const config = await writeConfig(home, text);
    const { written } = await roundTrip(home, config, text);
    assert.ok(written.endsWith('ServerAliveInterval 10'));
  }));

test('a config that is a symlink stays a link, and its target gets the change', () =>
  inHome(async (home) => {
    const text = 'Host *\n  User someoneelse\n';
    const dotfiles = join(home, 'dotfiles');
    await fs.mkdir(dotfiles);
    const target = join(dotfiles, 'ssh_config');
    await fs.writeFile(target, text, { mode: 0o600 });
    await fs.mkdir(join(home, '.ssh'), { mode: 0o700 });
    const config = join(home, '.ssh', 'config');
    await fs.symlink('../dotfiles/ssh_config', config);
    const rc = join(home, '.bashrc');
    const setup = await runCli(setupArgs(config, rc), { home });
    assert.is(setup.code, 0, show(setup));
    assert.ok((await fs.lstat(config)).isSymbolicLink(), 'still a symlink');
    assert.is(await fs.readlink(config), '../dotfiles/ssh_config', 'pointing where it pointed');
    const written = await fs.readFile(target, 'utf8');
    assert.match(written, /^# >>> jupyter-ssh-setup >>>\nInclude /);
    assert.is(cutMarkedBlock(written).rest, text);
    // Our own file sits beside the link, in ~/.ssh, not beside its target.
    assert.ok(await fse.pathExists(join(home, '.ssh', 'jupyter-ssh-setup.conf')));
    await assertOurTarget(await sshG(config, NAME), 'the linked config', config);
    const removed = await runCli(['remove', '--all'], { home });
    assert.is(removed.code, 0, show(removed));
    assert.ok((await fs.lstat(config)).isSymbolicLink(), 'still a symlink after remove');
    assert.is(await fs.readFile(target, 'utf8'), text);
  }));

test('a config with mode 0644 keeps 0644', () =>
  inHome(async (home) => {
    const text = 'Host work\n  HostName work.example\n';
    const config = await writeConfig(home, text, 0o644);
    const rc = join(home, '.bashrc');
    const setup = await runCli(setupArgs(config, rc), { home });
    assert.is(setup.code, 0, show(setup));
    assert.is((await fs.stat(config)).mode & 0o777, 0o644);
    assert.is((await fs.stat(join(home, '.ssh', 'jupyter-ssh-setup.conf'))).mode & 0o777, 0o600, 'our own file is 0600');
    const removed = await runCli(['remove', '--all'], { home });
    assert.is(removed.code, 0, show(removed));
    assert.is((await fs.stat(config)).mode & 0o777, 0o644);
    assert.is(await fs.readFile(config, 'utf8'), text);
  }));

test('a missing ~/.ssh is created 0700 and the config 0600 (the default paths)', () =>
  inHome(async (home) => {
    const setup = await runCli(['setup', '--name', NAME, '--host', '10.9.8.7', '--user', 'jssuser', '--port', '2222', '--jump', 'jumpuser@bastion.example:2200', '--yes'], { home });
    assert.is(setup.code, 0, show(setup));
    const sshDir = join(home, '.ssh');
    assert.is((await fs.stat(sshDir)).mode & 0o777, 0o700);
    assert.is((await fs.stat(join(sshDir, 'config'))).mode & 0o777, 0o600);
    assert.is((await fs.stat(join(sshDir, 'jupyter-ssh-setup.conf'))).mode & 0o777, 0o600);
    assert.ok(await fse.pathExists(join(home, '.bashrc')), 'the default rc is ~/.bashrc');
    await assertOurTarget(await sshG(join(sshDir, 'config'), NAME), 'the new config', join(sshDir, 'config'));
    const removed = await runCli(['remove', '--all'], { home });
    assert.is(removed.code, 0, show(removed));
    assert.not.ok(await fse.pathExists(join(sshDir, 'config')), 'the config setup created is gone');
    assert.not.ok(await fse.pathExists(join(sshDir, 'jupyter-ssh-setup.conf')));
  }));

test('an alias the user already has is refused with exit 2 and nothing written, unless --force', () =>
  inHome(async (home) => {
    const text = `Host ${NAME}\n  HostName old.example\n  User olduser\n  Port 22\n`;
    const config = await writeConfig(home, text);
    const snap = await snapshotTree(home, true);
    const refused = await runCli(setupArgs(config, join(home, '.bashrc')), { home });
    assert.is(refused.code, 2, show(refused));
    assert.match(refused.stderr, /--name/);
    assert.match(refused.stderr, /already a Host in ~\/\.ssh\/config/);
    assert.match(refused.stderr, /--force/);
    assert.equal(await snapshotTree(home, true), snap, 'nothing written');
    // The tunnel alias counts too.
    await fs.writeFile(config, `Host ${NAME}-tunnel\n  HostName old.example\n`);
    const refusedTunnel = await runCli(setupArgs(config, join(home, '.bashrc')), { home });
    assert.is(refusedTunnel.code, 2, show(refusedTunnel));
    await fs.writeFile(config, text);
    // With --force ours comes first and wins.
    await roundTrip(home, config, text, ['--force']);
  }));

test('an existing alias in a file the config Includes is found too', () =>
  inHome(async (home) => {
    const sshDir = join(home, '.ssh');
    await fs.mkdir(join(sshDir, 'config.d'), { recursive: true, mode: 0o700 });
    await fs.writeFile(join(sshDir, 'config.d', 'work'), `Host ${NAME}\n  HostName old.example\n`);
    const config = await writeConfig(home, `Include ${join(sshDir, 'config.d', '*')}\n`);
    const refused = await runCli(setupArgs(config, join(home, '.bashrc')), { home });
    assert.is(refused.code, 2, show(refused));
    assert.match(refused.stderr, /config\.d\/work/);
  }));

test('a corpus file with Include lines: the includes keep working, relative and absolute', () =>
  inHome(async (home) => {
    // 040 starts with "Include config.d/*" and has no final newline; make what it
    // includes real, in an absolute path so that ssh -G (which expands through
    // the password database's home, not $HOME) finds it.
    const source = await fs.readFile(join(corpusDir, '040-snowdreamtech-configs.conf'), 'utf8');
    assert.match(source, /^Include config\.d\/\*/m);
    const sshDir = join(home, '.ssh');
    await fs.mkdir(join(sshDir, 'config.d'), { recursive: true, mode: 0o700 });
    await fs.writeFile(join(sshDir, 'config.d', 'lab'), 'Host lab-included\n  HostName lab.example\n  User labuser\n  Port 2022\n');
    const text = source.replace(/^Include config\.d\/\*/m, `Include ${join(sshDir, 'config.d')}/*`);
    const config = await writeConfig(home, text);
    const before = await sshG(config, 'lab-included');
    assert.is(before.code, 0, before.stderr);
    assert.is(sshGValues(before.stdout).get('user'), 'labuser');
    const rc = join(home, '.bashrc');
    const setup = await runCli(setupArgs(config, rc), { home });
    assert.is(setup.code, 0, show(setup));
    const after = await sshG(config, 'lab-included');
    assert.fixture(after.stdout, before.stdout);
    await assertOurTarget(await sshG(config, NAME), 'the config with Include lines', config);
    assert.is(cutMarkedBlock(await fs.readFile(config, 'utf8')).rest, text);
    const removed = await runCli(['remove', '--all'], { home });
    assert.is(removed.code, 0, show(removed));
    assert.is(await fs.readFile(config, 'utf8'), text);
  }));

test('a HOME with a space in it: the Include line is quoted and still works', async () => {
  const t = tempHome('jss home with space-');
  try {
    const text = 'Host *\n  User other\n';
    const config = await writeConfig(t.home, text);
    const { written } = await roundTrip(t.home, config, text);
    assert.match(written, /^# >>> jupyter-ssh-setup >>>\nInclude "\/[^"\n]* [^"\n]*\/\.ssh\/jupyter-ssh-setup\.conf"\n/);
  } finally {
    await t.cleanup();
  }
});

test('two targets, removed one at a time: the block stays until the last one goes', () =>
  inHome(async (home) => {
    const source = await fs.readFile(join(corpusDir, '001-007-dotfiles.conf'), 'utf8');
    const config = await writeConfig(home, source);
    const rc = join(home, '.bashrc');
    const include = join(home, '.ssh', 'jupyter-ssh-setup.conf');
    assert.is((await runCli(setupArgs(config, rc), { home })).code, 0);
    const other = await runCli(['setup', '--name', 'second', '--host', '10.1.1.1', '--user', 'u2', '--port', '22', '--yes', '--ssh-config', config, '--rc', rc], { home });
    assert.is(other.code, 0, show(other));
    const withBoth = await fs.readFile(config, 'utf8');
    assert.is(cutMarkedBlock(withBoth).count, 1, 'still one block for two targets');
    assert.is(sshGValues((await sshG(config, 'second')).stdout).get('user'), 'u2');
    const one = await runCli(['remove', NAME], { home });
    assert.is(one.code, 0, show(one));
    assert.is(await fs.readFile(config, 'utf8'), withBoth, 'the Include line stays while a target is left');
    assert.not.match(await fs.readFile(include, 'utf8'), new RegExp(`Host ${NAME}\\b`));
    assert.is(sshGValues((await sshG(config, 'second')).stdout).get('user'), 'u2');
    assert.is(sshGValues((await sshG(config, NAME)).stdout).get('hostname'), NAME, 'the removed alias no longer resolves to our host');
    const last = await runCli(['remove', 'second'], { home });
    assert.is(last.code, 0, show(last));
    assert.is(await fs.readFile(config, 'utf8'), source);
    assert.not.ok(await fse.pathExists(include));
    assert.not.ok(await fse.pathExists(rc));
  }));

test('--dry-run writes nothing and shows the diff of the user\'s config', () =>
  inHome(async (home) => {
    const text = 'Host work\n  HostName work.example\n';
    const config = await writeConfig(home, text);
    const snap = await snapshotTree(home, true);
    const r = await runCli([...setupArgs(config, join(home, '.bashrc')), '--dry-run'], { home });
    assert.is(r.code, 0, show(r));
    assert.match(r.stdout, /\+# >>> jupyter-ssh-setup >>>/);
    assert.match(r.stdout, /Dry run: nothing written/);
    assert.equal(await snapshotTree(home, true), snap);
  }));

test('Host * with User and Port before everything does not capture our alias', () =>
  inHome(async (home) => {
    const text = 'User globaluser\nPort 2022\nProxyJump globalhop\n\nHost *\n  User staruser\n  Port 2023\n  HostName star.example\n';
    const config = await writeConfig(home, text);
    await roundTrip(home, config, text);
  }));

test.run();
