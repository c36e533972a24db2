import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { upsertBlock, removeBlock, findBlock, detectEol, renderBlock, MarkerError, BEGIN_MARK, END_MARK } from '../../src/core/marked-block.js';

const body = ['Include /home/alice/.ssh/jupyter-ssh-setup.conf'];
const other = ['echo changed', 'echo twice'];

/** Setup then remove must give the text back exactly, and setup twice must be setup once. */
function roundTrip(text: string, position: 'top' | 'bottom'): string {
  const added = upsertBlock(text, body, position);
  assert.is(upsertBlock(added, body, position), added, 'a second upsert changes nothing');
  assert.is(removeBlock(added), text, 'remove gives the original back');
  const changed = upsertBlock(added, other, position);
  assert.is(removeBlock(changed), text, 'remove after a changed body gives the original back');
  assert.equal(findBlock(changed)?.body, other);
  return added;
}

test('markers are the documented lines', () => {
  assert.is(BEGIN_MARK, '# >>> jupyter-ssh-setup >>>');
  assert.is(END_MARK, '# <<< jupyter-ssh-setup <<<');
});

test('top: the block goes before the first line', () => {
  const text = 'Host *\n  User bob\n';
  const added = roundTrip(text, 'top');
  assert.is(added, `${BEGIN_MARK}\n${body[0]}\n${END_MARK}\nHost *\n  User bob\n`);
});

test('bottom: the block goes after the last line', () => {
  const text = 'export A=1\n';
  const added = roundTrip(text, 'bottom');
  assert.is(added, `export A=1\n${BEGIN_MARK}\n${body[0]}\n${END_MARK}\n`);
});

test('an empty or missing file gets just the block', () => {
  assert.is(roundTrip('', 'top'), `${BEGIN_MARK}\n${body[0]}\n${END_MARK}\n`);
  assert.is(roundTrip('', 'bottom'), `${BEGIN_MARK}\n${body[0]}\n${END_MARK}\n`);
});

test('CRLF files get a CRLF block, top and bottom', () => {
  const text = 'Host a\r\n  HostName a.example\r\n';
  const top = roundTrip(text, 'top');
  assert.is(top, `${BEGIN_MARK}\r\n${body[0]}\r\n${END_MARK}\r\n${text}`);
  const bottom = roundTrip(text, 'bottom');
  assert.is(bottom, `${text}${BEGIN_MARK}\r\n${body[0]}\r\n${END_MARK}\r\n`);
  assert.not.match(bottom.replace(/\r\n/g, ''), /\n/, 'no bare LF');
});

test('a file without a final newline keeps it missing', () => {
  const lf = roundTrip('alias ll="ls -l"', 'bottom');
  assert.is(lf, `alias ll="ls -l"\n${BEGIN_MARK}\n${body[0]}\n${END_MARK}`);
  const crlf = roundTrip('a\r\nb', 'bottom');
  assert.is(crlf, `a\r\nb\r\n${BEGIN_MARK}\r\n${body[0]}\r\n${END_MARK}`);
  const top = roundTrip('Host x\n  User y', 'top');
  assert.ok(top.endsWith('  User y'));
});

test('the line ending is the one most lines use', () => {
  assert.is(detectEol(''), '\n');
  assert.is(detectEol('a\nb\n'), '\n');
  assert.is(detectEol('a\r\nb\r\n'), '\r\n');
  assert.is(detectEol('a\r\nb\nc\n'), '\n');
  assert.is(detectEol('a\r\nb\r\nc\n'), '\r\n');
  assert.is(renderBlock(['x'], '\r\n', false), `${BEGIN_MARK}\r\nx\r\n${END_MARK}`);
});

test('an existing block is replaced where it is, even when the user moved it', () => {
  const text = `before\n${BEGIN_MARK}\nold\n${END_MARK}\nafter\n`;
  assert.is(upsertBlock(text, ['new'], 'top'), `before\n${BEGIN_MARK}\nnew\n${END_MARK}\nafter\n`);
  assert.is(upsertBlock(text, ['new'], 'bottom'), `before\n${BEGIN_MARK}\nnew\n${END_MARK}\nafter\n`);
  assert.is(removeBlock(text), 'before\nafter\n');
  assert.equal(findBlock(text)?.body, ['old']);
});

test('marker-like lines that are not exactly the markers are the user\'s text', () => {
  const text = `  ${BEGIN_MARK}\n${BEGIN_MARK} \n# >>> jupyter-ssh-setup\n`;
  assert.is(findBlock(text), undefined);
  assert.is(removeBlock(text), text);
  assert.is(removeBlock('no block here\n'), 'no block here\n');
});

test('unbalanced markers throw MarkerError rather than guess', () => {
  const cases = [
    `a\n${BEGIN_MARK}\nx\n`,
    `a\n${END_MARK}\nx\n`,
    `${END_MARK}\n${BEGIN_MARK}\n`,
    `${BEGIN_MARK}\n${BEGIN_MARK}\n${END_MARK}\n`,
    `${BEGIN_MARK}\na\n${END_MARK}\n${BEGIN_MARK}\nb\n${END_MARK}\n`,
    `${BEGIN_MARK}\r\nx\r\n`,
  ];
  for (const text of cases) {
    assert.throws(() => findBlock(text), (e: unknown) => e instanceof MarkerError, JSON.stringify(text));
    assert.throws(() => upsertBlock(text, body, 'top'), (e: unknown) => e instanceof MarkerError);
    assert.throws(() => removeBlock(text), (e: unknown) => e instanceof MarkerError);
  }
  // The line it names is 1-based; core/plan.ts puts the file's name in front.
  assert.throws(() => findBlock(`a\nb\n${BEGIN_MARK}\nc\n`), (e: unknown) => e instanceof MarkerError && e.line === 3);
  assert.throws(() => findBlock(`${BEGIN_MARK}\n`), (e: unknown) => (e as Error).message === `line 1: "${BEGIN_MARK}" without its "${END_MARK}" line; delete that line (and what is left of our block after it), or put the end line back, then run again`);
});

test('unicode and long lines outside the block are untouched', () => {
  const text = '# ünïcödé ✓ — 日本語\n' + 'x'.repeat(5000) + '\n';
  roundTrip(text, 'top');
  roundTrip(text, 'bottom');
});

test.run();
