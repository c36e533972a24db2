import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, withTempHome } from '../helpers/cli.js';
import { installed, needing, reportMissing } from '../helpers/tools.js';

async function script(shell: string): Promise<string> {
  return withTempHome(async (home) => {
    const r = await runCli(['completion', shell], { home });
    assert.is(r.code, 0, r.stderr);
    return r.stdout;
  });
}

test('bash completion parses and passes shellcheck', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'jss-comp-'));
  writeFileSync(join(dir, 'c.bash'), await script('bash'));
  execFileSync('bash', ['-n', join(dir, 'c.bash')]);
  if (installed('shellcheck')) execFileSync('shellcheck', ['-s', 'bash', join(dir, 'c.bash')]);
  else reportMissing('shellcheck', 'shellcheck checks');
  rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
});

needing(test, 'zsh')('zsh completion parses', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'jss-comp-'));
  writeFileSync(join(dir, 'c.zsh'), await script('zsh'));
  execFileSync('zsh', ['-n', join(dir, 'c.zsh')]);
  rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
});

test('completion needs bash or zsh', async () => {
  await withTempHome(async (home) => {
    const r = await runCli(['completion', 'tcsh'], { home });
    assert.is(r.code, 2);
    assert.match(r.stderr, 'bash or zsh');
  });
});

needing(test, 'tmux')('TAB completes a target name in a real bash on a pseudo-terminal', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'jss-comp-'));
  const profiles = join(dir, 'cfg', 'jupyter-ssh-setup', 'profiles');
  mkdirSync(profiles, { recursive: true });
  writeFileSync(join(profiles, 'gpu-cluster.json'), '{}');
  writeFileSync(join(profiles, 'laptop.json'), '{}');
  writeFileSync(join(dir, 'c.bash'), await script('bash'));
  const sock = `jss-comp-${process.pid}`;
  const tmux = (...args: string[]) => spawnSync('tmux', ['-L', sock, ...args], { encoding: 'utf8' });
  try {
    tmux('new-session', '-d', '-x', '120', '-y', '20', 'env', '-i', `HOME=${dir}`, `XDG_CONFIG_HOME=${join(dir, 'cfg')}`, 'PATH=/usr/bin:/bin', 'TERM=xterm', 'HISTFILE=/dev/null', 'bash', '--norc', '--noprofile');
    tmux('send-keys', `source ${join(dir, 'c.bash')}; PS1='$ '`, 'Enter');
    tmux('send-keys', 'jupyter-ssh-setup start gp', 'Tab');
    let screen = '';
    for (let i = 0; i < 50 && !screen.includes('gpu-cluster'); i++) {
      await new Promise((r) => setTimeout(r, 50));
      screen = tmux('capture-pane', '-p').stdout;
    }
    assert.match(screen, 'jupyter-ssh-setup start gpu-cluster');
  } finally {
    tmux('kill-server');
    rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
  }
});

test.run();
