import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { findEarlyReturn, findReturnBeforeBlock } from '../../src/core/rc-check.js';

const corpus = (f: string) => readFileSync(new URL(`../../fixtures/corpus/shell-rc/${f}`, import.meta.url), 'utf8');

test('the usual non-interactive guards are found', () => {
  assert.equal(findEarlyReturn(corpus('001-andreiw-dotfiles.bashrc')), { line: 6, text: '[[ $- != *i* ]] && return' });
  assert.equal(findEarlyReturn('# rc\ncase $- in\n    *i*) ;;\n      *) return;;\nesac\nalias ll=ls\n')?.line, 4);
  assert.equal(findEarlyReturn('[ -z "$PS1" ] && return\n')?.line, 1);
});

test('a mid-file `|| return` at top level is found (zsh4humans)', () => {
  assert.equal(findEarlyReturn(corpus('006-deejayem-dotfiles.zshrc'))?.text, 'z4h install ohmyzsh/ohmyzsh || return');
});

test('return inside functions, either brace style, is not', () => {
  const rc = 'f() {\n  return 1\n}\nfunction g\n{\n  [ -n "$x" ] || return\n}\nh() { return 0; }\nalias x=y\n';
  assert.is(findEarlyReturn(rc), undefined);
});

test('with our block in the file, only a return above it counts', () => {
  const block = '# >>> jupyter-ssh-setup >>>\n. x\n# <<< jupyter-ssh-setup <<<\n';
  assert.equal(findReturnBeforeBlock(`[ -z "$PS1" ] && return\n${block}`), { line: 1, text: '[ -z "$PS1" ] && return' });
  assert.is(findReturnBeforeBlock(`${block}[ -z "$PS1" ] && return\n`), undefined);
  assert.equal(findReturnBeforeBlock('a=1\n[ -z "$PS1" ] && return\n')?.line, 2);
});

test('setup prints the note and still writes', async () => {
  const { runCli, withTempHome } = await import('../helpers/cli.js');
  const { writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  await withTempHome(async (home) => {
    writeFileSync(join(home, '.bashrc'), '[[ $- != *i* ]] && return\nalias ll=ls\n');
    const r = await runCli(['setup', '--yes', '--name', 'gpu', '--host', 'h', '--user', 'u'], { home });
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stderr, '~/.bashrc line 1 returns early');
  });
});

test.run();
