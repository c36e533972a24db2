import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, withTempHome } from '../helpers/cli.js';
import { needing } from '../helpers/tools.js';

needing(test, 'fish')('fish users get autoloaded functions that run the POSIX ones with bash; remove takes them out', async () => {
  await withTempHome(async (home) => {
    const r = await runCli(['setup', '--yes', '--name', 'gpu', '--host', 'gpu.example.org', '--user', 'u', '--shell', 'fish'], { home });
    assert.is(r.code, 0, r.stderr);
    const dir = join(home, '.config', 'fish', 'functions');
    assert.equal(readdirSync(dir).sort(), ['jptt.fish', 'port_forward.fish', 'remote_notebook_disconnect.fish', 'remote_notebook_start.fish', 'remote_notebook_status.fish', 'remote_notebook_stop.fish', 'remote_notebook_url.fish']);
    assert.not.ok(existsSync(join(home, '.bashrc')), 'no bash rc touched');
    assert.not.ok(existsSync(join(home, '.config', 'fish', 'config.fish')), 'no config.fish written');
    for (const f of readdirSync(dir)) execFileSync('fish', ['--no-execute', join(dir, f)]);
    // jptt without arguments prints its usage through bash: the wrapper and the functions file work.
    let out = '';
    try {
      execFileSync('fish', ['--no-config', '-c', `set fish_function_path ${dir} $fish_function_path; jptt`], { env: { ...process.env, HOME: home }, encoding: 'utf8', stdio: 'pipe' });
    } catch (error) {
      out = String((error as { stderr: string }).stderr);
      assert.is((error as { status: number }).status, 2);
    }
    assert.match(out, 'usage: jptt REMOTE_PORT|REMOTE_SOCKET LOCAL_PORT [NAME]');
    assert.match(readFileSync(join(home, '.config', 'jupyter-ssh-setup', 'functions.sh'), 'utf8'), 'remote_notebook_start()');
    const again = await runCli(['setup', '--yes', '--name', 'gpu', '--host', 'gpu.example.org', '--user', 'u', '--shell', 'fish'], { home });
    assert.match(again.stdout, 'Nothing to change');
    const rm = await runCli(['remove', '--all'], { home });
    assert.is(rm.code, 0, rm.stderr);
    assert.equal(readdirSync(dir), []);
    assert.not.ok(existsSync(join(home, '.config', 'jupyter-ssh-setup', 'functions.sh')), 'our functions file is gone');
  });
});

test.run();
