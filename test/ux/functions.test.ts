/**
 * Issue 12, item 1: the shell functions without a name take the one target
 * there is. The target list comes from the profiles directory, which also
 * holds each target's launch script (NAME.launch.sh): that is not a target.
 * Run in the real shells the functions are written for (bash, zsh, sh).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { runCli, withTempHome } from '../helpers/cli.js';
import { installedOf } from '../helpers/tools.js';

const setupArgs = (name: string) => ['setup', '--yes', '--name', name, '--host', `${name}.example.org`, '--user', 'u'];

/** Sources the rc file setup wrote in SHELL and runs SCRIPT; returns exit code, stdout and stderr. */
function inShell(shell: string, home: string, script: string): { code: number; stdout: string; stderr: string } {
  try {
    const stdout = execFileSync(shell, ['-c', `. "$HOME/.bashrc"; ${script}`], { env: { PATH: process.env.PATH, HOME: home }, encoding: 'utf8', stdio: 'pipe' });
    return { code: 0, stdout, stderr: '' };
  } catch (error) {
    const e = error as { status: number; stdout: string; stderr: string };
    return { code: e.status, stdout: e.stdout, stderr: e.stderr };
  }
}

test('one target: the functions without a name pick it (bash, zsh, sh)', async () => {
  await withTempHome(async (home) => {
    assert.is((await runCli(setupArgs('gpu'), { home })).code, 0);
    for (const shell of installedOf(['bash', 'zsh', 'sh'])) {
      assert.equal(inShell(shell, home, '_jss_pick ""'), { code: 0, stdout: 'gpu\n', stderr: '' }, shell);
      assert.equal(inShell(shell, home, '_jss_names'), { code: 0, stdout: 'gpu\n', stderr: '' }, shell);
      // The launch script is no target of its own.
      const launch = inShell(shell, home, '_jss_pick gpu.launch');
      assert.is(launch.code, 2, shell);
      assert.is(launch.stderr, 'jupyter-ssh-setup: no target named "gpu.launch" (known: gpu)\n', shell);
    }
  });
});

test('two targets: the functions without a name ask for one, naming only targets', async () => {
  await withTempHome(async (home) => {
    assert.is((await runCli(setupArgs('gpu'), { home })).code, 0);
    assert.is((await runCli(setupArgs('box'), { home })).code, 0);
    const r = inShell('sh', home, '_jss_pick ""');
    assert.is(r.code, 2);
    assert.is(r.stderr, 'jupyter-ssh-setup: several targets (box gpu): name one\n');
    assert.equal(inShell('bash', home, '_jss_pick box'), { code: 0, stdout: 'box\n', stderr: '' });
  });
});

test('no target: the functions say how to set one up', async () => {
  await withTempHome(async (home) => {
    assert.is((await runCli(setupArgs('gpu'), { home })).code, 0);
    execFileSync('rm', ['-f', ...['gpu.json', 'gpu.sh', 'gpu.launch.sh'].map((f) => join(home, '.config/jupyter-ssh-setup/profiles', f))]);
    const r = inShell('bash', home, 'remote_notebook_start');
    assert.is(r.code, 2);
    assert.is(r.stderr, 'jupyter-ssh-setup: no targets yet; set one up with: npx jupyter-ssh-setup\n');
  });
});

test('the walltime clock in the functions: scheduler clocks as seconds, when the job ends, a notice under 10 minutes (bash, zsh, sh)', async () => {
  await withTempHome(async (home) => {
    assert.is((await runCli(setupArgs('gpu'), { home })).code, 0);
    for (const shell of installedOf(['bash', 'zsh', 'sh'])) {
      assert.is(inShell(shell, home, 'for c in 45 9:58 1:02:03 2-00:00:00 UNLIMITED ""; do printf "%s," "$(_jss_secs "$c")"; done').stdout, '45,598,3723,172800,,,', shell);
      const long = inShell(shell, home, `_jss_job_clock hpc '{"ok":true,"timeLeft":"59:30"}' ends`);
      assert.match(long.stdout, /^ {2}the job ends in 59:30 \(at \d\d:\d\d\): its time limit; Jupyter stops with it\n$/, shell);
      const short = inShell(shell, home, `_jss_job_clock hpc '{"ok":true,"timeLeft":"7:05"}'`);
      assert.is(short.stdout, "  only 7:05 left before the job's time limit ends it, and Jupyter with it: save your work, or get a fresh job now with jupyter-ssh-setup restart hpc (the URL stays the same)\n", shell);
      assert.is(inShell(shell, home, `_jss_job_clock hpc '{"ok":true,"timeLeft":""}' ends`).stdout, '', shell);
    }
  });
});

test.run();
