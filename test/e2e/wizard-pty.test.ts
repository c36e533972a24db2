/**
 * The built CLI's wizard in a real pseudo-terminal (tmux), typed at as a person
 * would: wait for each question to show, then type the answer or move the
 * selection with the arrow keys and press Enter. Needs tmux. The made-up hosts
 * run with --offline (no network); the last test logs in to the test bed (root).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appRoot, bedUp, cli, asUser, countAccepted, isRoot, resetUser, type BedState } from '../helpers/bed.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const BIN = join(ROOT, 'dist', 'bin.js');
const SOCKET = `jss-wizard-${process.pid}`;
const hasTmux = spawnSync('tmux', ['-V']).status === 0;

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-L', SOCKET, '-f', '/dev/null', ...args], { encoding: 'utf8' });
}

const sh = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One tmux window running `node dist/bin.js ARGS; echo EXIT=$?` with HOME set to a temp dir. */
class Pane {
  private static count = 0;
  readonly id = `w${Pane.count++}`;
  /** Made-up hosts: --offline, so the wizard does not try to log in. */
  constructor(readonly home: string, args: string[] = [], command?: string) {
    const env = `HOME=${sh(home)} XDG_CONFIG_HOME= SHELL=/bin/bash USER=tester TERM=xterm-256color LANG=C.UTF-8`;
    const offline = [...(args.length ? args : ['setup']), '--offline'];
    command ??= `cd ${sh(home)} && env ${env} ${sh(process.execPath)} ${sh(BIN)} ${offline.map(sh).join(' ')}; echo EXIT=$?; sleep 600`;
    tmux('new-session', '-d', '-s', this.id, '-x', '120', '-y', '40', command);
  }
  /** The wizard as the test bed's user (ssh reads that user's ~/.ssh through the password database). */
  static asBedUser(bed: BedState, args: string[]): Pane {
    const env = `HOME=${sh(bed.home)} USER=${bed.user} LOGNAME=${bed.user} PATH=/usr/local/bin:/usr/bin:/bin SHELL=/bin/bash TERM=xterm-256color LANG=C.UTF-8`;
    const bin = join(appRoot, 'dist', 'bin.js');
    return new Pane(bed.home, args, `cd ${sh(bed.home)} && runuser -u ${bed.user} -- env -i ${env} ${sh(process.execPath)} ${sh(bin)} ${args.map(sh).join(' ')}; echo EXIT=$?; sleep 600`);
  }
  screen(): string {
    return tmux('capture-pane', '-p', '-J', '-S', '-', '-t', this.id);
  }
  /** Polls the screen until `re` shows (no fixed sleeps), or fails with what is on it. */
  async waitFor(re: RegExp, timeoutMs = 8000): Promise<RegExpExecArray> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const m = re.exec(this.screen());
      if (m) return m;
      if (Date.now() > end) throw new Error(`timed out waiting for ${re}; the screen:\n${this.screen()}`);
      await sleep(40);
    }
  }
  keys(...keys: string[]): void {
    tmux('send-keys', '-t', this.id, ...keys);
  }
  /** Waits for the question, types the text (if any) and presses Enter. */
  async type(question: string, text = ''): Promise<void> {
    await this.question(question);
    if (text) tmux('send-keys', '-t', this.id, '-l', text);
    this.keys('Enter');
  }
  /** Waits for a select, presses Down until the cursor is on `label`, then Enter. */
  async choose(question: string, label: string): Promise<void> {
    await this.question(question);
    for (let i = 0; i < 12; i++) {
      const cursor = this.cursorLine();
      if (cursor.startsWith(`❯ ${label}`)) {
        this.keys('Enter');
        return;
      }
      this.keys('Down');
      const end = Date.now() + 3000;
      while (this.cursorLine() === cursor && Date.now() < end) await sleep(20);
    }
    throw new Error(`no choice "${label}" in:\n${this.screen()}`);
  }
  /**
   * Before "Write these changes?": the kernel question, asked only where a
   * kernel can run (its default, No); then the confirmation.
   */
  async write(answer = ''): Promise<void> {
    const m = await this.waitFor(/^\? (Also use \S+ as a kernel|Write these changes\?)/m);
    if (m[1]!.startsWith('Also use')) {
      this.keys('Enter');
      await this.question('Write these changes?');
    }
    if (answer) tmux('send-keys', '-t', this.id, '-l', answer);
    this.keys('Enter');
  }
  /** Presses Enter on each question in turn: its default. */
  async defaults(...questions: string[]): Promise<void> {
    for (const q of questions) await this.type(q);
  }
  async exitCode(): Promise<number> {
    return Number((await this.waitFor(/^EXIT=(\d+)$/m, 12000))[1]);
  }
  private cursorLine(): string {
    const lines = this.screen().split('\n').filter((l) => l.startsWith('❯ '));
    return lines[lines.length - 1] ?? '';
  }
  private async question(question: string): Promise<void> {
    const escaped = question.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    await this.waitFor(new RegExp(`^\\? ${escaped}`, 'm'));
  }
}

const homes: string[] = [];
function makeHome(sshConfig?: string): string {
  const home = mkdtempSync(join(tmpdir(), 'jss-pty-'));
  homes.push(home);
  if (sshConfig !== undefined) {
    mkdirSync(join(home, '.ssh'), { mode: 0o700 });
    writeFileSync(join(home, '.ssh', 'config'), sshConfig, { mode: 0o600 });
  }
  return home;
}

test.before(() => {
  // `npm test` builds first; a lone run of this file builds when dist is missing or stale.
  const newest = (dir: string): number =>
    Math.max(...readdirSync(dir).map((f) => (statSync(join(dir, f)).isDirectory() ? newest(join(dir, f)) : statSync(join(dir, f)).mtimeMs)));
  if (hasTmux && (!existsSync(BIN) || statSync(join(ROOT, 'dist', 'wizard', 'index.js')).mtimeMs < newest(join(ROOT, 'src')))) {
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.json')], { stdio: 'inherit' });
  }
});

test.after(() => {
  if (hasTmux) {
    const socket = spawnSync('tmux', ['-L', SOCKET, 'display-message', '-p', '#{socket_path}'], { encoding: 'utf8' }).stdout.trim();
    spawnSync('tmux', ['-L', SOCKET, 'kill-server']);
    if (socket) rmSync(socket, { force: true });
  }
  for (const h of homes) rmSync(h, { recursive: true, force: true });
});

const BASTION = 'Host bastion\n  HostName bastion.example.org\n  User bob\n';
const REST = [
  'After its last use, how long',
  'How is Jupyter started?',
  'Run Jupyter inside a container?',
  'What must be activated before Jupyter starts?',
  'Which Jupyter?',
  'Directory Jupyter opens in',
  // (no "Jupyter's port on the remote": a plain or docker target listens on a socket)
  'Port on this machine',
  'Which shell gets',
];

const maybe = (name: string, fn: () => Promise<void>) => test(name, async () => {
  if (!hasTmux) {
    console.log(`  skipped (no tmux): ${name}`);
    return;
  }
  await fn();
});

maybe('plain two-hop target: an alias from the config, then a typed hop', async () => {
  const home = makeHome(BASTION);
  const pane = new Pane(home);
  await pane.type('Name for this target', 'gpu');
  await pane.choose('Which machine does Jupyter run on?', 'Type a hostname or IP address');
  await pane.type('Hostname or IP address', '10.0.0.5');
  await pane.type('Login name on 10.0.0.5', 'alice');
  // A bad port is refused as typed, with the flag's message; fix it and go on.
  await pane.type('SSH port of 10.0.0.5', '0');
  await pane.waitFor(/invalid --port "0": a port number from 1 to 65535/);
  pane.keys('BSpace', 'Enter');
  await pane.type('Which SSH key?');
  await pane.choose('Does ssh go through a jump host', 'Yes, a host from your SSH config');
  await pane.choose('First jump host', 'bastion');
  await pane.choose('Add another jump host after bastion?', 'Yes, type it');
  await pane.type('Jump host 2', 'carol@login2.example.org:2222');
  await pane.choose('Add another jump host after carol@login2.example.org:2222?', 'No');
  await pane.defaults(...REST);
  await pane.waitFor(/via bastion -> carol@login2\.example\.org:2222/);
  await pane.write();
  await pane.type('Test the connection now', 'n');
  assert.is(await pane.exitCode(), 0, pane.screen());
  const conf = readFileSync(join(home, '.ssh', 'jupyter-ssh-setup.conf'), 'utf8');
  assert.match(conf, /HostName 10\.0\.0\.5/);
  assert.match(conf, /User alice/);
  assert.match(conf, /Port 22/);
  assert.match(conf, /ProxyJump bastion,carol@login2\.example\.org:2222/);
  assert.match(pane.screen(), /remote_notebook_start gpu/);
});

maybe('SLURM target: only the batch questions of the chosen launcher', async () => {
  const home = makeHome();
  const pane = new Pane(home, ['setup', '--name', 'hpc', '--user', 'alice']);
  await pane.type('Hostname or IP address', 'login.hpc.example.edu');
  await pane.defaults('SSH port', 'Which SSH key?', 'Does ssh go through', 'After its last use, how long');
  await pane.choose('How is Jupyter started?', 'SLURM job');
  await pane.type('SLURM partition', 'gpu');
  await pane.type('Time limit', '2:00:00');
  await pane.defaults('Account to charge');
  await pane.type('CPUs', '8');
  await pane.type('Memory', '32G');
  await pane.type('GPUs', '1');
  await pane.defaults(...REST.slice(2, 6));
  // A job listens on TCP on its node: its port there is asked.
  await pane.type("Jupyter's port on the remote");
  await pane.defaults(...REST.slice(6));
  await pane.write();
  await pane.type('Test the connection now', 'n');
  assert.is(await pane.exitCode(), 0, pane.screen());
  const p = JSON.parse(readFileSync(join(home, '.config', 'jupyter-ssh-setup', 'profiles', 'hpc.json'), 'utf8'));
  assert.is(p.launcher, 'slurm');
  assert.equal(p.scheduler, { partition: 'gpu', time: '2:00:00', cpus: 8, mem: '32G', gpus: '1', directives: [] });
  assert.is(p.remotePort, 'auto');
  assert.not.match(pane.screen(), /Name for this target/, '--name skipped its question');
});

maybe('container target: docker with the default image and GPUs', async () => {
  const home = makeHome();
  const pane = new Pane(home, ['setup', '--name', 'box', '--host', 'gpu.lab.example.org']);
  await pane.defaults('Login name', 'SSH port', 'Which SSH key?', 'Does ssh go through', 'After its last use, how long', 'How is Jupyter started?');
  await pane.choose('Run Jupyter inside a container?', 'Docker');
  await pane.type('Image');
  await pane.type("Give the container the host's GPUs", 'y');
  await pane.defaults(...REST.slice(3));
  await pane.write();
  await pane.type('Test the connection now', 'n');
  assert.is(await pane.exitCode(), 0, pane.screen());
  const p = JSON.parse(readFileSync(join(home, '.config', 'jupyter-ssh-setup', 'profiles', 'box.json'), 'utf8'));
  assert.equal(p.container, { kind: 'docker', image: 'quay.io/jupyter/base-notebook', mounts: [], gpus: true });
});

maybe('a re-run that changes one answer shows only that change', async () => {
  const home = makeHome();
  const first = spawnSync(process.execPath, [BIN, 'setup', '--name', 'gpu', '--host', 'gpu.example.org', '--user', 'alice', '--jump', 'login.example.org', '--yes'], {
    env: { ...process.env, HOME: home, SHELL: '/bin/bash', XDG_CONFIG_HOME: '' },
    encoding: 'utf8',
  });
  assert.is(first.status, 0, first.stderr);
  const pane = new Pane(home);
  await pane.type('Name for this target', 'gpu');
  await pane.waitFor(/set up already: its current answers are the defaults/);
  await pane.defaults('Hostname or IP address', 'Login name on gpu.example.org', 'SSH port', 'Which SSH key?');
  await pane.waitFor(/^❯ Keep: login\.example\.org$/m);
  await pane.defaults('Does ssh go through', ...REST.slice(0, 5));
  await pane.type('Directory Jupyter opens in', 'work');
  await pane.defaults(...REST.slice(6));
  await pane.type('Also use gpu as a kernel');
  const plan = (await pane.waitFor(/Files to change \((\d+)\):\n((?: {2}.*\n)+)/))[0];
  await pane.write();
  await pane.type('Test the connection now', 'n');
  assert.is(await pane.exitCode(), 0, pane.screen());
  assert.match(plan, /Files to change \(2\)/);
  assert.match(plan, /update ~\/\.config\/jupyter-ssh-setup\/profiles\/gpu\.json/);
  assert.match(plan, /update ~\/\.config\/jupyter-ssh-setup\/profiles\/gpu\.launch\.sh/);
  const p = JSON.parse(readFileSync(join(home, '.config', 'jupyter-ssh-setup', 'profiles', 'gpu.json'), 'utf8'));
  assert.is(p.notebookDir, 'work');
  assert.equal(p.jump, [{ host: 'login.example.org' }]);
});

maybe('Ctrl+C halfway: exit 130, nothing written', async () => {
  const home = makeHome(BASTION);
  const pane = new Pane(home);
  await pane.type('Name for this target', 'gpu');
  await pane.choose('Which machine does Jupyter run on?', 'Type a hostname or IP address');
  await pane.type('Hostname or IP address', 'gpu.example.org');
  await pane.type('Login name on gpu.example.org', 'alice');
  await pane.type('SSH port');
  await pane.waitFor(/^\? Which SSH key\?/m);
  pane.keys('C-c');
  assert.is(await pane.exitCode(), 130, pane.screen());
  assert.match(pane.screen(), /Cancelled, nothing written\./);
  assert.equal(readdirSync(home), ['.ssh']);
  assert.equal(readdirSync(join(home, '.ssh')), ['config']);
  assert.is(readFileSync(join(home, '.ssh', 'config'), 'utf8'), BASTION);
});

/**
 * Issue 22 part 6, on the bed: gpu (behind login) has Jupyter Notebook 6 and
 * Jupyter Server, no JupyterLab (Debian 12). Once the jump host is answered,
 * the wizard logs in, says what it found, offers notebook and server (not lab),
 * asks no port on the remote (the target listens on a socket), writes the
 * `gpu-tunnel` alias with the socket's path there, and the first start logs in
 * nowhere again: it rides on the wizard's login.
 */
test('on the bed: the wizard logs in after the jump question and offers what gpu has', async () => {
  if (!hasTmux || !isRoot) {
    console.log(`  jss-skip: the bed test of the wizard needs ${hasTmux ? 'root (sudo node scripts/run-tests.mjs test/e2e/wizard-pty)' : 'tmux (apt install tmux)'}`);
    return;
  }
  const bed = (await bedUp())!;
  await resetUser(bed);
  try {
    const pane = Pane.asBedUser(bed, ['setup']);
    await pane.type('Name for this target', 'gpu');
    await pane.type('Hostname or IP address', bed.hosts.gpu.addr);
    await pane.defaults(`Login name on ${bed.hosts.gpu.addr}`, 'SSH port', 'Which SSH key?');
    await pane.choose('Does ssh go through a jump host', 'Yes, type it');
    await pane.type('First jump host', `${bed.user}@${bed.hosts.login.addr}`);
    await pane.choose(`Add another jump host after ${bed.user}@${bed.hosts.login.addr}?`, 'No');
    await pane.type('After its last use, how long');
    const asked = Date.now();
    const found = (await pane.waitFor(/^ *gpu \(gpu\) has: (.*)$/m, 60_000))[1]!;
    console.log(`  the login and the question took ${((Date.now() - asked) / 1000).toFixed(1)} s: gpu has: ${found}`);
    assert.match(found, /jupyter notebook 6\.4\.\d+, server 1\.\d+\.\d+ \(no JupyterLab\)/);
    assert.match(found, `home ${bed.home}`);
    await pane.defaults('How is Jupyter started?', 'Run Jupyter inside a container?', 'What must be activated before Jupyter starts?');
    await pane.waitFor(/^\? Which Jupyter\?/m);
    const choices = pane.screen().split(/^\? Which Jupyter\?.*$/m).at(-1)!;
    assert.match(choices, /^❯ Jupyter Notebook 6\.4\.\d+$/m, 'notebook, found, is the default');
    assert.match(choices, /^ {2}Jupyter Server only 1\.\d+\.\d+$/m);
    assert.not.match(choices, /^(❯| ) JupyterLab/m, 'JupyterLab is not offered as if it were there');
    await pane.type('Which Jupyter?');
    await pane.type('Directory Jupyter opens in');
    await pane.type('Port on this machine', '18873');
    await pane.type('Which shell gets');
    await pane.write();
    assert.is(await pane.exitCode(), 0, pane.screen());
    const screen = pane.screen();
    assert.not.match(screen, "Jupyter's port on the remote", 'a socket target has no port there to ask');
    assert.not.match(screen, 'Test the connection now', 'the login already was the test');
    assert.match(screen, /Ready: ssh gpu worked when the wizard asked what it has. Its login stays up: the first start of gpu reuses it./);
    const profile = JSON.parse(readFileSync(join(bed.home, '.config', 'jupyter-ssh-setup', 'profiles', 'gpu.json'), 'utf8'));
    assert.is(profile.app, 'notebook');
    // Part 5 through the wizard: the login learned the home, so gpu-tunnel is there at once.
    const g = await asUser(bed, ['ssh', '-G', 'gpu-tunnel']);
    assert.match(g.stdout, `localforward [127.0.0.1]:18873 ${bed.home}/.jupyter-ssh-setup/gpu/jupyter.sock`);
    // The first start rides on the wizard's login: no new login on either host.
    const logins = [countAccepted(bed, 'login'), countAccepted(bed, 'gpu')];
    const start = await cli(bed, ['start', 'gpu', '--json']);
    assert.is(start.code, 0, start.stderr);
    const info = JSON.parse(start.stdout) as { url: string; localPort: number; token: string };
    assert.is((await fetch(`http://127.0.0.1:${info.localPort}/api/status?token=${info.token}`)).status, 200);
    assert.equal([countAccepted(bed, 'login'), countAccepted(bed, 'gpu')], logins, 'start logged in nowhere: the wizard\'s login served');
  } finally {
    await cli(bed, ['stop', 'gpu']);
    await cli(bed, ['disconnect', 'gpu']);
    await resetUser(bed);
  }
});

test.run();
