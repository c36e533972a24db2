/**
 * Every command README.md shows is run: setup, list, remove and completion
 * for real in a temp home; the commands that need a remote (start, stop, ...)
 * with --help appended, which still checks that each flag they show exists.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { runCli, withTempHome } from '../helpers/cli.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const blocks = [...readme.matchAll(/```(?:sh|bash)?\n([\s\S]*?)```/g)].map((m) => m[1]!);
const commands = blocks
  .flatMap((b) => b.split('\n'))
  .map((l) => l.replace(/\s+#.*$/, '').trim())
  .filter((l) => /^(npx )?jupyter-ssh-setup\b/.test(l));

function words(line: string): string[] {
  return line.replace(/^npx /, '').split(/\s+/).slice(1);
}

test('README shows how to run the tool and the tests', () => {
  assert.ok(commands.some((c) => c.startsWith('npx jupyter-ssh-setup')));
  assert.match(readme, 'npm ci && npm test');
  assert.ok(commands.length >= 5, `found ${commands.length} commands`);
});

for (const line of commands) {
  test(`README: ${line}`, async () => {
    await withTempHome(async (home) => {
      let argv = words(line);
      // demo runs for real in test/demo/demo.test.ts.
      const needsRemote = ['start', 'stop', 'status', 'open', 'doctor', 'demo', 'forward', 'disconnect', 'url', 'restart', 'kernel'].includes(argv[0] ?? '');
      if (argv.length === 0) argv = ['--help']; // the wizard: no terminal here
      if (needsRemote) argv = [...argv, '--help'];
      if (argv[0] === 'remove' && !argv.includes('--dry-run')) {
        // Something to remove first.
        const s = await runCli(['setup', '--yes', '--name', 'gpu', '--host', 'gpu.example.org', '--user', 'u'], { home });
        assert.is(s.code, 0, s.stderr);
      }
      const r = await runCli(argv, { home });
      assert.is(r.code, 0, `${argv.join(' ')}\n${r.stdout}\n${r.stderr}`);
    });
  });
}

test.run();
