/**
 * The wizard, run in-process through `run(argv, ctx)` with a temp HOME and a
 * scripted Prompter in place of the terminal. The real `ssh -G` checks every plan.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Readable, Writable } from 'node:stream';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../src/cli.js';
import type { Context, Prompter } from '../src/context.js';
import { explainSshFailure } from '../src/core/explain-ssh.js';
import { validateProfile } from '../src/core/profile.js';

// ---------------------------------------------------------------- a scripted prompter

const CANCEL = Symbol('Ctrl+C');
type Answer = string | boolean | typeof CANCEL;
/** [a fragment of the question, the answer]; questions not in the script take their default (Enter). */
type Script = [string, Answer][];

interface Asked {
  kind: 'input' | 'select' | 'confirm';
  message: string;
  default?: string | boolean;
  choices?: string[];
}

/**
 * Answers like a person at inquirer: an empty input takes the default, a
 * `validate` that returns a message re-asks (the next script entry for the
 * same question is the retry), Ctrl+C throws inquirer's ExitPromptError.
 */
function scripted(script: Script) {
  const queue = [...script];
  const asked: Asked[] = [];
  const errors: { message: string; error: string }[] = [];
  const next = (message: string): Answer | undefined => {
    if (queue.length && message.includes(queue[0]![0])) return queue.shift()![1];
    return undefined;
  };
  const exit = () => Object.assign(new Error('User force closed the prompt with SIGINT'), { name: 'ExitPromptError' });
  const prompter: Prompter = {
    async input(q) {
      asked.push({ kind: 'input', message: q.message, default: q.default });
      for (;;) {
        const a = next(q.message);
        if (a === CANCEL) throw exit();
        if (typeof a === 'boolean') throw new Error(`boolean answer for input "${q.message}"`);
        const value = a === undefined || a === '' ? q.default ?? '' : a;
        if (a === undefined && q.default === undefined && !q.validate) return '';
        const ok = q.validate ? q.validate(value) : true;
        if (ok === true) return value;
        errors.push({ message: q.message, error: ok });
        if (a === undefined) throw new Error(`"${q.message}": the default ${JSON.stringify(value)} fails: ${ok}`);
      }
    },
    async confirm(q) {
      asked.push({ kind: 'confirm', message: q.message, default: q.default });
      const a = next(q.message);
      if (a === CANCEL) throw exit();
      if (a === undefined) return q.default ?? false;
      if (typeof a !== 'boolean') throw new Error(`non-boolean answer for confirm "${q.message}"`);
      return a;
    },
    async select(q) {
      asked.push({ kind: 'select', message: q.message, default: q.default, choices: q.choices.map((c) => c.value) });
      const a = next(q.message);
      if (a === CANCEL) throw exit();
      const value = a === undefined ? q.default ?? q.choices[0]!.value : a;
      const choice = q.choices.find((c) => c.value === value);
      if (!choice) throw new Error(`"${q.message}": ${String(value)} is not a choice (${q.choices.map((c) => c.value).join(', ')})`);
      return choice.value;
    },
  };
  return { prompter, asked, errors, left: () => queue.map(([m]) => m) };
}

// ---------------------------------------------------------------- running the CLI in-process

class Capture extends Writable {
  readonly isTTY = false;
  text = '';
  override _write(chunk: Buffer | string, _e: BufferEncoding, done: () => void): void {
    this.text += String(chunk);
    done();
  }
}

function makeHome(sshConfig?: string): string {
  const home = mkdtempSync(join(tmpdir(), 'jss-wizard-'));
  if (sshConfig !== undefined) {
    mkdirSync(join(home, '.ssh'), { mode: 0o700 });
    writeFileSync(join(home, '.ssh', 'config'), sshConfig, { mode: 0o600 });
  }
  return home;
}
const homes: string[] = [];
test.after(() => homes.forEach((h) => rmSync(h, { recursive: true, force: true })));

/**
 * The wizard in-process. It logs in after the jump question: these hosts are
 * made up, so --offline unless `online` (then only to this machine's loopback).
 */
async function wizard(home: string, script: Script, argv: string[] = [], online = false) {
  homes.push(home);
  if (!online) argv = [...(argv.length ? argv : ['setup']), '--offline'];
  const s = scripted(script);
  const stdout = new Capture();
  const stderr = new Capture();
  const stdin = Readable.from([]) as Readable & { isTTY?: boolean };
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, SHELL: '/bin/bash', USER: 'tester', NO_COLOR: '1' };
  delete env.XDG_CONFIG_HOME;
  const ctx: Context = { argv, env, home, cwd: home, stdout, stderr, stdin, prompter: s.prompter, now: () => new Date('2025-01-02T03:04:05Z') };
  const code = await run(argv, ctx);
  return { code, stdout: stdout.text, stderr: stderr.text, ...s };
}

async function flagsOnly(home: string, argv: string[]) {
  const stdout = new Capture();
  const stderr = new Capture();
  const stdin = Readable.from([]) as Readable & { isTTY?: boolean };
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, SHELL: '/bin/bash', USER: 'tester', NO_COLOR: '1' };
  delete env.XDG_CONFIG_HOME;
  const code = await run(argv, { argv, env, home, cwd: home, stdout, stderr, stdin, now: () => new Date() });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

const include = (home: string) => readFileSync(join(home, '.ssh', 'jupyter-ssh-setup.conf'), 'utf8');
const stored = (home: string, name: string) => JSON.parse(readFileSync(join(home, '.config', 'jupyter-ssh-setup', 'profiles', `${name}.json`), 'utf8'));
const messages = (asked: Asked[]) => asked.map((a) => a.message).join('\n');

const BASTION = 'Host bastion\n  HostName bastion.example.org\n  User bob\n';

// ---------------------------------------------------------------- the targets

test('plain two-hop: an alias from the config, then a typed hop', async () => {
  const home = makeHome(BASTION);
  const r = await wizard(home, [
    ['Name for this target', 'gpu'],
    ['Which machine', 'new'],
    ['Hostname or IP', '10.0.0.5'],
    ['Login name', 'alice'],
    ['jump host', 'alias'],
    ['First jump host', 'bastion'],
    ['Add another jump host after bastion', 'type'],
    ['Jump host 2', 'carol@login2.example.org:2222'],
    ['Write these changes?', true],
    ['Test the connection', false],
  ]);
  assert.is(r.code, 0, r.stderr);
  assert.equal(r.left(), []);
  const conf = include(home);
  assert.match(conf, /HostName 10\.0\.0\.5/);
  assert.match(conf, /User alice/);
  assert.match(conf, /ProxyJump bastion,carol@login2\.example\.org:2222/);
  const p = stored(home, 'gpu');
  assert.is(p.launcher, 'plain');
  assert.is(p.remotePort, 8888);
  assert.is(p.localPort, 8888);
  assert.is(p.port, 22);
  assert.not.ok('identity' in p);
  // Only a plain launcher's questions, no batch or container-image ones.
  assert.not.match(messages(r.asked), /partition|Time limit|Image/);
  assert.match(r.stdout, /Summary/);
  assert.match(r.stdout, /via bastion -> carol@login2\.example\.org:2222/);
  assert.match(r.stdout, /remote_notebook_start gpu/);
});

test('the login persistence: asked after the hops, 4h by default; a typed time is validated like --persist', async () => {
  const home = makeHome();
  const r = await wizard(home, [
    ['Name for this target', 'gpu'],
    ['Hostname or IP', '10.0.0.5'],
    ['Login name', 'alice'],
    ['how long should the shared SSH login stay up', 'type'],
    ['How long', 'forever'],
    ['How long', '8h'],
    ['Write these changes?', true],
    ['Test the connection', false],
  ]);
  assert.is(r.code, 0, r.stderr);
  const q = r.asked.find((a) => a.message.includes('how long should the shared SSH login stay up'))!;
  assert.is(q.default, '4h');
  assert.equal(r.errors.map((e) => e.error), ['invalid --persist "forever": how long the login stays up after its last use: a time like 10m, 4h or 1h30m, or no']);
  assert.is(stored(home, 'gpu').persist, '8h');
  assert.match(include(home), /ControlPersist 8h/);
  // --persist as a flag: the question is not asked.
  const again = await wizard(makeHome(), [['Name for this target', 'box'], ['Hostname or IP', 'h'], ['Login name', 'a'], ['Write these changes?', true], ['Test the connection', false]], ['setup', '--persist', '10m']);
  assert.is(again.code, 0, again.stderr);
  assert.not.ok(again.asked.some((a) => a.message.includes('shared SSH login')));
});

test('SLURM target: flags skip their questions; only the launcher questions are asked', async () => {
  const home = makeHome();
  const r = await wizard(
    home,
    [
      ['jump host', 'type'],
      ['First jump host', 'login.hpc.edu'],
      ['How is Jupyter started?', 'slurm'],
      ['SLURM partition', 'gpu'],
      ['Time limit', '2:00:00'],
      ['CPUs', '8'],
      ['GPUs', 'a100:1'],
      ['Write these changes?', true],
      ['Test the connection', false],
    ],
    ['setup', '--name', 'hpc', '--host', 'node01.hpc.edu', '--user', 'alice'],
  );
  assert.is(r.code, 0, r.stderr);
  assert.equal(r.left(), []);
  const asked = messages(r.asked);
  assert.not.match(asked, /Name for this target|Hostname|Login name/);
  assert.match(asked, /Account to charge/);
  const p = stored(home, 'hpc');
  assert.is(p.launcher, 'slurm');
  assert.equal(p.scheduler, { partition: 'gpu', time: '2:00:00', cpus: 8, gpus: 'a100:1', directives: [] });
  assert.is(p.remotePort, 'auto', 'a batch job picks its port');
  assert.is(p.localPort, 8888);
  assert.match(include(home), /ProxyJump jss-hop-login\.hpc\.edu\n[\s\S]*Host jss-hop-login\.hpc\.edu\n {2}HostName login\.hpc\.edu\n|Host jss-hop-login\.hpc\.edu\n {2}HostName login\.hpc\.edu\n[\s\S]*ProxyJump jss-hop-login\.hpc\.edu\n/);
  // The remote-port question offered auto for a batch job.
  assert.is(r.asked.find((a) => a.message.startsWith("Jupyter's port"))!.default, 'auto');
});

test('LSF target: offered with the others; the queue question names LSF; memory is written with its unit', async () => {
  const home = makeHome();
  const r = await wizard(
    home,
    [
      ['How is Jupyter started?', 'lsf'],
      ['LSF queue (-q)', 'gpu'],
      ['Time limit', '1:30:00'],
      ['Memory', '16G'],
      ['GPUs', '1'],
      ['Write these changes?', true],
      ['Test the connection', false],
    ],
    ['setup', '--name', 'lab', '--host', 'login.lsf.edu', '--user', 'kai'],
  );
  assert.is(r.code, 0, r.stderr);
  assert.equal(r.left(), []);
  assert.equal(r.asked.find((a) => a.message === 'How is Jupyter started?')!.choices, ['plain', 'slurm', 'pbs', 'sge', 'lsf']);
  const p = stored(home, 'lab');
  assert.is(p.launcher, 'lsf');
  assert.equal(p.scheduler, { partition: 'gpu', time: '1:30:00', mem: '16G', gpus: '1', directives: [] });
});

test('container target: image, GPUs and two activation steps', async () => {
  const home = makeHome();
  const r = await wizard(home, [
    ['Name', 'box'],
    ['Hostname or IP', 'gpu.lab.example.org'],
    ['container', 'docker'],
    ['Image', ''],
    ["Give the container the host's GPUs", true],
    ['activated', 'conda'],
    ['Conda environment', 'ml'],
    ['Activate something else', 'module'],
    ['Modules to load', 'cuda/12 cudnn'],
    ['Which Jupyter?', 'notebook'],
    ['Directory Jupyter opens in', '~/work'],
    ['Port on this machine', '9999'],
    ['Write these changes?', true],
    ['Test the connection', false],
  ]);
  assert.is(r.code, 0, r.stderr);
  assert.equal(r.left(), []);
  const p = stored(home, 'box');
  assert.equal(p.container, { kind: 'docker', image: 'quay.io/jupyter/base-notebook', mounts: [], gpus: true });
  assert.equal(p.env, [
    { kind: 'conda', value: 'ml' },
    { kind: 'module', value: 'cuda/12 cudnn' },
  ]);
  assert.is(p.app, 'notebook');
  assert.is(p.notebookDir, '~/work');
  assert.is(p.localPort, 9999);
  assert.is(p.remotePort, 8888);
  // A docker target is on a Unix socket by default (issue 15): no -tunnel alias until the socket's path there is known.
  assert.is(p.bind, undefined);
  assert.not.match(include(home), /^Host box-tunnel$/m);
  assert.match(include(home), '# No `ssh box-tunnel` yet:');
});

test('an apptainer image has no default and is required, with the flag message', async () => {
  const home = makeHome();
  const r = await wizard(home, [
    ['Name', 'sif'],
    ['Hostname or IP', 'hpc.example.org'],
    ['container', 'apptainer'],
    ['.sif image', ''],
    ['.sif image', '~/images/jupyter.sif'],
    ['Write these changes?', false],
  ]);
  assert.is(r.code, 130);
  assert.equal(r.errors.map((e) => e.error), ['invalid --image "": an image is required with --container apptainer, e.g. --image ~/images/jupyter.sif']);
});

test('picking an existing alias fills HostName, User, Port and ProxyJump from ssh -G', async () => {
  const home = makeHome(`${BASTION}\nHost lab\n  HostName lab.example.org\n  User alice\n  Port 2200\n  ProxyJump bastion\n`);
  const r = await wizard(home, [
    ['Name', 'lab'],
    ['Name', 'labnb'],
    ['Which machine', 'alias:lab'],
    ['Write these changes?', true],
    ['Test the connection', false],
  ]);
  assert.is(r.code, 0, r.stderr);
  // "lab" is the user's own Host: refused with the message the flag gets.
  assert.equal(r.errors.map((e) => e.error), ['invalid --name "lab": already a Host in ~/.ssh/config; choose another name, or pass --force to let ours take precedence']);
  const ask = (m: string) => r.asked.find((a) => a.message.startsWith(m))!;
  assert.is(ask('Login name').default, 'alice');
  assert.is(ask('SSH port').default, '2200');
  assert.equal(ask('Does ssh go through').choices![0], 'keep');
  const conf = include(home);
  assert.match(conf, /HostName lab\.example\.org/);
  assert.match(conf, /Port 2200/);
  assert.match(conf, /ProxyJump bastion/);
});

test('keys with a .pub in ~/.ssh are offered; the picked one becomes IdentityFile', async () => {
  const home = makeHome('');
  writeFileSync(join(home, '.ssh', 'id_lab'), 'private\n', { mode: 0o600 });
  writeFileSync(join(home, '.ssh', 'id_lab.pub'), 'ssh-ed25519 AAAA test\n');
  writeFileSync(join(home, '.ssh', 'lonely'), 'no pub\n', { mode: 0o600 });
  const r = await wizard(home, [
    ['Name', 'gpu'],
    ['Hostname or IP', 'gpu.example.org'],
    ['Which SSH key?', 'key:~/.ssh/id_lab'],
    ['Write these changes?', true],
    ['Test the connection', false],
  ]);
  assert.is(r.code, 0, r.stderr);
  assert.equal(r.asked.find((a) => a.message === 'Which SSH key?')!.choices, ['none', 'key:~/.ssh/id_lab', 'other', 'password']);
  assert.match(include(home), /IdentityFile ~\/\.ssh\/id_lab/);
});

test('"I log in with a password" explains key setup and stores no password', async () => {
  const home = makeHome();
  const r = await wizard(home, [
    ['Name', 'gpu'],
    ['Hostname or IP', 'gpu.example.org'],
    ['Which SSH key?', 'password'],
    ['Write these changes?', true],
    ['Test the connection', false],
  ]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /never asks for or stores a password/);
  assert.match(r.stdout, /ssh-keygen -t ed25519/);
  assert.match(r.stdout, /ssh-copy-id gpu/);
  assert.not.ok(r.asked.some((a) => /password/i.test(a.message)), 'no question asks for a password');
  assert.not.ok('identity' in stored(home, 'gpu'));
});

// ---------------------------------------------------------------- re-running

test('a re-run offers the stored answers, and its plan changes only the one answer changed', async () => {
  const home = makeHome(BASTION);
  const first = await wizard(home, [
    ['Name', 'gpu'],
    ['Which machine', 'new'],
    ['Hostname or IP', '10.0.0.5'],
    ['Login name', 'alice'],
    ['jump host', 'alias'],
    ['First jump host', 'bastion'],
    ['activated', 'venv'],
    ['venv', '~/venvs/jupyter'],
    ['Write these changes?', true],
    ['Test the connection', false],
  ]);
  assert.is(first.code, 0, first.stderr);
  const before = stored(home, 'gpu');

  const second = await wizard(home, [
    ['Name', 'gpu'],
    ['Directory Jupyter opens in', 'work/notebooks'],
    ['Write these changes?', true],
    ['Test the connection', false],
  ]);
  assert.is(second.code, 0, second.stderr);
  assert.equal(second.left(), []);
  assert.match(second.stdout, /set up already: its current answers are the defaults/);
  const ask = (m: string) => second.asked.find((a) => a.message.startsWith(m))!;
  assert.is(ask('Which machine').default, 'keep');
  assert.is(ask('Login name').default, 'alice');
  assert.is(ask('Does ssh go through').default, 'keep');
  assert.is(ask('What must be activated').default, 'keep');
  // The plan: the profile and its launch script, not the SSH config, our Host file or the rc.
  const plan = second.stdout.slice(second.stdout.indexOf('Files to change'), second.stdout.indexOf('Set up "gpu"'));
  assert.match(plan, /Files to change \(2\)/);
  assert.match(plan, /profiles\/gpu\.json/);
  assert.match(plan, /profiles\/gpu\.launch\.sh/);
  assert.not.match(plan, /jupyter-ssh-setup\.conf|\.bashrc|\.ssh\/config/);
  const after = stored(home, 'gpu');
  assert.equal({ ...after, notebookDir: undefined }, { ...before, notebookDir: undefined });
  assert.is(after.notebookDir, 'work/notebooks');

  const third = await wizard(home, [['Name', 'gpu']]);
  assert.is(third.code, 0, third.stderr);
  assert.match(third.stdout, /Nothing to change: gpu is already set up like this/);
});

// ---------------------------------------------------------------- validation

test('answers are validated with the messages the flags get', async () => {
  const home = makeHome();
  const r = await wizard(home, [
    ['Name', 'my host'],
    ['Name', 'gpu-tunnel'],
    ['Name', 'gpu'],
    ['Hostname or IP', '-oProxyCommand=x'],
    ['Hostname or IP', 'gpu.example.org'],
    ['Login name', 'al ice'],
    ['Login name', 'alice'],
    ['SSH port', '0'],
    ['SSH port', '2222'],
    ['jump host', 'type'],
    ['First jump host', 'host:99999'],
    ['First jump host', 'login:22'],
    ['activated', 'conda'],
    ['Conda environment', 'a b'],
    ['Conda environment', 'ml'],
    ["Jupyter's port", 'car'],
    ["Jupyter's port", 'auto'],
    ['Write these changes?', false],
  ], ['setup', '--bind', 'tcp']);
  assert.is(r.code, 130);
  const flagError = async (...flags: string[]) => {
    const f = await flagsOnly(home, ['setup', '--name', 'x', '--host', 'h.example.org', ...flags, '--yes', '--dry-run']);
    assert.is(f.code, 2, f.stderr);
    return f.stderr.split('\n')[0]!.replace(/^jupyter-ssh-setup: /, '');
  };
  const expected = [
    await flagError('--name', 'my host'),
    await flagError('--name', 'gpu-tunnel'),
    await flagError('--host=-oProxyCommand=x'),
    await flagError('--user', 'al ice'),
    await flagError('--port', '0'),
    await flagError('--jump', 'host:99999'),
    await flagError('--env', 'conda:a b'),
    await flagError('--remote-port', 'car'),
  ];
  assert.equal(r.errors.map((e) => e.error), expected);
  assert.is(expected[4], 'invalid --port "0": a port number from 1 to 65535');
  assert.is(expected[0], 'invalid --name "my host": use one word of letters, digits, ".", "_" or "-", starting with a letter or digit (at most 63)');
  assert.not.ok(existsSync(join(home, '.ssh', 'jupyter-ssh-setup.conf')));
});

test('a bad flag fails before the first question, exit 2, with the flag message', async () => {
  const home = makeHome();
  const r = await wizard(home, [], ['setup', '--port', '0']);
  assert.is(r.code, 2);
  assert.equal(r.asked, []);
  assert.match(r.stderr, /invalid --port "0": a port number from 1 to 65535/);
});

// ---------------------------------------------------------------- cancelling

test('Ctrl+C halfway: exit 130, "Cancelled, nothing written.", no file created', async () => {
  const home = makeHome();
  const r = await wizard(home, [
    ['Name', 'gpu'],
    ['Hostname or IP', 'gpu.example.org'],
    ['Login name', 'alice'],
    ['jump host', CANCEL],
  ]);
  assert.is(r.code, 130);
  assert.match(r.stderr, /Cancelled, nothing written\./);
  assert.equal(readdirSync(home), [], 'the home is as empty as before');
});

test('Ctrl+C at "Write these changes?" writes nothing either', async () => {
  const home = makeHome(BASTION);
  const r = await wizard(home, [
    ['Name', 'gpu'],
    ['Which machine', 'new'],
    ['Hostname or IP', 'gpu.example.org'],
    ['Write these changes?', CANCEL],
  ]);
  assert.is(r.code, 130);
  assert.match(r.stderr, /Cancelled, nothing written\./);
  assert.match(r.stdout, /Files to change/);
  assert.equal(readdirSync(home), ['.ssh']);
  assert.equal(readdirSync(join(home, '.ssh')), ['config']);
  assert.is(readFileSync(join(home, '.ssh', 'config'), 'utf8'), BASTION);
});

test('Ctrl+C after the writes, at "Test the connection", exits 0 and claims nothing false', async () => {
  const home = makeHome();
  const r = await wizard(home, [
    ['Name', 'gpu'],
    ['Hostname or IP', 'gpu.example.org'],
    ['Write these changes?', true],
    ['Test the connection', CANCEL],
  ]);
  assert.is(r.code, 0, r.stderr);
  assert.not.match(r.stderr, /nothing written/);
  assert.ok(existsSync(join(home, '.ssh', 'jupyter-ssh-setup.conf')));
});

// ---------------------------------------------------------------- the connection test

test('the connection test runs ssh -o BatchMode=yes NAME true and explains a refusal', async () => {
  const home = makeHome();
  const r = await wizard(home, [
    ['Name', 'local'],
    ['Hostname or IP', '127.0.0.1'],
    ['SSH port', '1'],
    ['Write these changes?', true],
    ['Test the connection', true],
  ]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /Running: ssh -F \S+ -o BatchMode=yes -o ConnectTimeout=10 -- local true/);
  assert.match(r.stdout, /ssh local failed/);
  assert.match(r.stdout, /The target 127\.0\.0\.1 refused the connection on port 1/);
  assert.match(r.stdout, /When ssh local true works, type:\n {2}source ~\/\.bashrc +# or open a new terminal\n {2}remote_notebook_start local {2}# or: npx jupyter-ssh-setup start local\n/);
});

test('the login after the jump question: refused, it says so and asks as offline, then tests the connection last', async () => {
  const home = makeHome();
  const r = await wizard(home, [
    ['Name', 'local'],
    ['Hostname or IP', '127.0.0.1'],
    ['SSH port', '1'],
    ['Write these changes?', true],
    ['Test the connection', false],
  ], [], true);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /Logging in to local to see what it has/);
  assert.match(r.stdout, /Could not ask local: The target 127\.0\.0\.1 refused the connection on port 1/);
  assert.match(r.stdout, /Going on without knowing what it has \(every choice is offered\)/);
  // Offline, every app is offered, lab first, and a socket target is not asked for a port there.
  const app = r.asked.find((a) => a.message === 'Which Jupyter?')!;
  assert.equal(app.choices, ['lab', 'notebook', 'server']);
  assert.not.match(messages(r.asked), "Jupyter's port on the remote");
  assert.match(messages(r.asked), 'Test the connection now');
});

test('the next steps line up whatever the length of the name', async () => {
  for (const name of ['g', 'a-very-long-target-name-indeed']) {
    const home = makeHome();
    const r = await flagsOnly(home, ['setup', '--name', name, '--host', 'gpu.example.org', '--yes']);
    assert.is(r.code, 0, r.stderr);
    const hashes = r.stdout.split('\n').filter((l) => /^ {2}\S.*# /.test(l)).map((l) => l.indexOf('#'));
    assert.is(hashes.length, 3, r.stdout);
    assert.is(new Set(hashes).size, 1, `one column of comments for ${name}:\n${r.stdout}`);
  }
});

test('a failure inside a ProxyJump is found hop by hop and names the jump host', async () => {
  const home = makeHome();
  const r = await wizard(home, [
    ['Name', 'far'],
    ['Hostname or IP', 'target.invalid'],
    ['jump host', 'type'],
    ['First jump host', '127.0.0.1:1'],
    ['Write these changes?', true],
    ['Test the connection', true],
  ]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /Checking the jump host 127\.0\.0\.1:1: ssh -F \S+ -o BatchMode=yes -o ConnectTimeout=10 -p 1 -- 127\.0\.0\.1 true/);
  assert.match(r.stdout, /The jump host 127\.0\.0\.1:1 refused the connection on port 1/);
});

const profile = validateProfile({ name: 'gpu', host: 'node.hpc', user: 'alice', jump: ['bastion', 'bob@login.hpc:2222'] });
const explain = (stderr: string, timedOut = false) => explainSshFailure({ stderr, exitCode: 255, timedOut }, profile, new Map([['bastion', 'bastion.example.org']])).join('\n');

const failures: [string, string, RegExp][] = [
  ['no key on the target', 'alice@node.hpc: Permission denied (publickey).\r\n', /The target node\.hpc refused your key[^]*ssh-copy-id gpu/],
  ['no key on a jump host', 'bob@login.hpc: Permission denied (publickey,password).\r\n', /The jump host bob@login\.hpc:2222 refused your key[^]*ssh-copy-id -o ProxyJump=bastion -p 2222 bob@login\.hpc/],
  ['unknown host key', 'No ED25519 host key is known for node.hpc and you have requested strict checking.\r\nHost key verification failed.\r\n', /host key of the target node\.hpc[^]*Connect once by hand[^]*ssh gpu/],
  ['changed host key', '@@@ WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! @@@\nHost key for node.hpc has changed and you have requested strict checking.\nHost key verification failed.\n', /ssh-keygen -R node\.hpc/],
  ['unresolvable jump host', 'ssh: Could not resolve hostname bastion.example.org: Name or service not known\r\n', /Could not resolve hostname bastion\.example\.org \(the jump host bastion\)/],
  ['jump host refuses', 'ssh: connect to host bastion.example.org port 22: Connection refused\r\nConnection closed by UNKNOWN port 65535\r\n', /The jump host bastion refused the connection on port 22/],
  ['target times out', 'ssh: connect to host node.hpc port 22: Connection timed out\r\n', /The target node\.hpc did not answer on port 22 \(Connection timed out\)/],
  ['our own timeout', '', /No answer in time/],
  ['anything else', 'something odd\n', /ssh exited with 255:\n {2}something odd/],
];
for (const [what, stderr, expected] of failures) {
  test(`explains a failed connection test: ${what}`, () => {
    assert.match(explain(stderr, what === 'our own timeout'), expected);
  });
}

test.run();
