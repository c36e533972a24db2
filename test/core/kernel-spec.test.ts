/**
 * Issue 21, item 1: kernelspecs of ours in the local Jupyter data directory.
 * The pure parts as table cases; `kernel add|remove|list`, `remove NAME` and
 * `setup --kernel` in-process with a temporary HOME and JUPYTER_DATA_DIR.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildKernelSpec, describeWhere, jupyterDataDir, ourSpecTarget, renderKernelSpec } from '../../src/core/kernel-spec.js';
import { validateProfile } from '../../src/core/profile.js';
import { isNpxCache, launcherArgv } from '../../src/io/kernel-specs.js';
import { Capture, runCli, testContext, withTempHome } from '../helpers/cli.js';
import { run } from '../../src/cli.js';
import type { Prompter } from '../../src/context.js';

test('the Jupyter data directory, as jupyter_core finds it', () => {
  const cases: [NodeJS.ProcessEnv, string, string][] = [
    [{ JUPYTER_DATA_DIR: '/x/jd' }, 'linux', '/x/jd'],
    [{ JUPYTER_DATA_DIR: '/x/jd' }, 'darwin', '/x/jd'],
    [{}, 'linux', '/home/a/.local/share/jupyter'],
    [{ XDG_DATA_HOME: '/xdg' }, 'linux', '/xdg/jupyter'],
    [{ XDG_DATA_HOME: '' }, 'linux', '/home/a/.local/share/jupyter'],
    [{ XDG_DATA_HOME: '/xdg' }, 'darwin', '/home/a/Library/Jupyter'],
    [{ APPDATA: 'C:\\Users\\a\\AppData\\Roaming' }, 'win32', 'C:\\Users\\a\\AppData\\Roaming\\jupyter'],
  ];
  for (const [env, platform, want] of cases) assert.is(jupyterDataDir(env, '/home/a', platform), want, `${platform} ${JSON.stringify(env)}`);
});

test('kernel.json: our launcher by absolute paths, message interrupts, python, a display name that says where', () => {
  const profile = validateProfile({ name: 'gpu', host: '10.0.0.5', jump: 'alice@login.example.org' });
  const spec = buildKernelSpec(profile, ['/usr/bin/node', '/opt/jss/dist/bin.js']);
  assert.equal(spec.argv, ['/usr/bin/node', '/opt/jss/dist/bin.js', 'kernel', 'launch', 'gpu', '{connection_file}']);
  assert.is(spec.display_name, 'Python 3 on gpu (10.0.0.5 via alice@login.example.org)');
  assert.is(spec.interrupt_mode, 'message');
  assert.is(spec.language, 'python');
  assert.is(ourSpecTarget(renderKernelSpec(spec)), 'gpu');
  assert.is(ourSpecTarget('{"argv":["python"],"display_name":"x"}'), undefined);
  assert.is(ourSpecTarget('not json'), undefined);
  assert.is(describeWhere(validateProfile({ name: 'hpc', host: 'login.hpc.edu', launcher: 'slurm' })), 'hpc (a SLURM job from login.hpc.edu)');
});

test('the launcher path: absolute, this Node, the built bin.js; npx cache paths are recognised', () => {
  const [node, bin] = launcherArgv();
  assert.is(node, process.execPath);
  assert.ok(bin!.startsWith('/') && bin!.endsWith('/dist/bin.js'), bin);
  assert.ok(isNpxCache('/home/a/.npm/_npx/1a2b/node_modules/jupyter-ssh-setup/dist/bin.js'));
  assert.not.ok(isNpxCache('/usr/lib/node_modules/jupyter-ssh-setup/dist/bin.js'));
});

const setupArgs = ['setup', '--yes', '--name', 'gpu', '--host', 'gpu.example.org', '--user', 'u'];

test('kernel add, list, remove: jss-NAME in JUPYTER_DATA_DIR; a second add changes nothing', async () => {
  await withTempHome(async (home) => {
    const env = { JUPYTER_DATA_DIR: join(home, 'jd') };
    assert.is((await runCli(setupArgs, { home, env })).code, 0);
    const add = await runCli(['kernel', 'add', 'gpu'], { home, env });
    assert.is(add.code, 0, add.stderr);
    const file = join(home, 'jd/kernels/jss-gpu/kernel.json');
    assert.match(add.stdout, 'Added the kernel jss-gpu');
    const spec = JSON.parse(readFileSync(file, 'utf8')) as { argv: string[]; interrupt_mode: string };
    assert.equal(spec.argv.slice(2), ['kernel', 'launch', 'gpu', '{connection_file}']);
    const again = await runCli(['kernel', 'add', 'gpu'], { home, env });
    assert.match(again.stdout, 'The kernel jss-gpu is up to date');
    const list = await runCli(['kernel', 'list', '--json'], { home, env });
    const rows = JSON.parse(list.stdout) as { name: string; kernel: string; problem: string | null; running: unknown[] }[];
    assert.equal(rows.map((r) => [r.name, r.kernel, r.problem, r.running.length]), [['gpu', 'jss-gpu', null, 0]]);
    const text = await runCli(['kernel', 'list'], { home, env });
    assert.match(text.stdout, /jss-gpu\s+Python 3 on gpu \(gpu.example.org\)\s+0\s+ok/);
    const rm = await runCli(['kernel', 'remove', 'gpu'], { home, env });
    assert.is(rm.code, 0, rm.stderr);
    assert.not.ok(existsSync(join(home, 'jd/kernels/jss-gpu')));
    assert.match((await runCli(['kernel', 'list'], { home, env })).stdout, 'No kernels of jupyter-ssh-setup');
  });
});

test('bad input exits 2 naming the value, and writes nothing', async () => {
  await withTempHome(async (home) => {
    const env = { JUPYTER_DATA_DIR: join(home, 'jd') };
    assert.is((await runCli(['setup', '--yes', '--name', 'pbs', '--host', 'login.example.org', '--launcher', 'pbs'], { home, env })).code, 0);
    assert.is((await runCli(['setup', '--yes', '--name', 'box', '--host', 'box.example.org', '--launcher', 'slurm', '--container', 'docker', '--image', 'jupyter/base-notebook'], { home, env })).code, 0);
    const cases: [string[], string][] = [
      [['kernel'], 'jupyter-ssh-setup: which kernel action? add, remove or list\n'],
      [['kernel', 'start', 'gpu'], 'jupyter-ssh-setup: unknown kernel action "start": add, remove or list\n'],
      [['kernel', 'add'], 'jupyter-ssh-setup: kernel add takes one target name\n'],
      [['kernel', 'add', 'nope'], 'jupyter-ssh-setup: no target named "nope"\n'],
      [['kernel', 'remove', 'nope'], `jupyter-ssh-setup: no kernel of jupyter-ssh-setup named "jss-nope" in ${join(home, 'jd/kernels')}\n`],
      [['kernel', 'list', 'gpu'], 'jupyter-ssh-setup: kernel list takes no name (got "gpu")\n'],
      [['kernel', 'add', 'pbs'], 'jupyter-ssh-setup: kernels of PBS targets are not supported yet ("pbs"): plain targets (also in a container) and SLURM targets without one are\n'],
      [['kernel', 'add', 'box'], 'jupyter-ssh-setup: kernels of SLURM targets with a docker container are not supported yet ("box"): plain targets (also in a container) and SLURM targets without one are\n'],
    ];
    for (const [argv, first] of cases) {
      const r = await runCli(argv, { home, env });
      assert.is(r.code, 2, argv.join(' '));
      assert.is(r.stderr.split('\n')[0] + '\n', first, argv.join(' '));
    }
    assert.not.ok(existsSync(join(home, 'jd')));
  });
});

test('a jss-NAME directory that is not ours is never touched', async () => {
  await withTempHome(async (home) => {
    const env = { JUPYTER_DATA_DIR: join(home, 'jd') };
    assert.is((await runCli(setupArgs, { home, env })).code, 0);
    const dir = join(home, 'jd/kernels/jss-gpu');
    mkdirSync(dir, { recursive: true });
    const theirs = '{"argv":["python3","-m","ipykernel_launcher","-f","{connection_file}"],"display_name":"mine"}\n';
    writeFileSync(join(dir, 'kernel.json'), theirs);
    const add = await runCli(['kernel', 'add', 'gpu'], { home, env });
    assert.is(add.code, 2);
    assert.match(add.stderr, `${join(dir, 'kernel.json')} exists and is not a kernel of jupyter-ssh-setup for "gpu"`);
    assert.is((await runCli(['kernel', 'remove', 'gpu'], { home, env })).code, 2);
    assert.is((await runCli(['remove', 'gpu'], { home, env })).code, 0);
    assert.is(readFileSync(join(dir, 'kernel.json'), 'utf8'), theirs);
  });
});

test('remove NAME takes the kernel out too; setup --kernel adds it; list and status show it', async () => {
  await withTempHome(async (home) => {
    const env = { JUPYTER_DATA_DIR: join(home, 'jd') };
    const s = await runCli([...setupArgs, '--kernel'], { home, env });
    assert.is(s.code, 0, s.stderr);
    assert.match(s.stdout, 'Added the kernel jss-gpu');
    assert.ok(existsSync(join(home, 'jd/kernels/jss-gpu/kernel.json')));
    const list = await runCli(['list'], { home, env });
    assert.match(list.stdout, 'gpu: a kernel in your local Jupyter, jss-gpu');
    const json = JSON.parse((await runCli(['list', '--json'], { home, env })).stdout) as { name: string; kernel?: string }[];
    assert.is(json[0]!.kernel, 'jss-gpu');
    const dry = await runCli(['remove', 'gpu', '--dry-run'], { home, env });
    assert.match(dry.stdout, 'remove the kernel jss-gpu');
    assert.ok(existsSync(join(home, 'jd/kernels/jss-gpu/kernel.json')));
    const rm = await runCli(['remove', 'gpu'], { home, env });
    assert.is(rm.code, 0, rm.stderr);
    assert.not.ok(existsSync(join(home, 'jd/kernels/jss-gpu')));
  });
});

test("the wizard's last question: also a kernel? yes writes jss-NAME; the default (no) writes none", async () => {
  for (const answer of [true, undefined]) {
    await withTempHome(async (home) => {
      const asked: string[] = [];
      const prompter: Prompter = {
        input: async (q) => q.default ?? '',
        select: async (q) => q.default ?? q.choices[0]!.value,
        confirm: async (q) => {
          asked.push(q.message);
          if (q.message.startsWith('Test the connection')) return false;
          if (q.message.startsWith('Also use gpu as a kernel')) return answer ?? q.default ?? false;
          return q.default ?? false;
        },
      };
      const argv = ['setup', '--name', 'gpu', '--host', 'gpu.example.org', '--user', 'u'];
      const out = new Capture();
      const err = new Capture();
      const ctx = { ...testContext(argv, { home, env: { JUPYTER_DATA_DIR: join(home, 'jd') } }, out, err), prompter };
      assert.is(await run(argv, ctx), 0, err.text());
      assert.ok(asked.includes('Also use gpu as a kernel in your local Jupyter and VS Code (jss-gpu)?'), asked.join('; '));
      assert.is(existsSync(join(home, 'jd/kernels/jss-gpu/kernel.json')), answer === true);
    });
  }
});

test.run();
