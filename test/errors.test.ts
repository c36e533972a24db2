/** The one place errors become messages and exit codes (cli.ts's report), one case per kind. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { report } from '../src/cli.js';
import { InternalError, UsageError } from '../src/errors.js';
import { shQuote } from '../src/core/quote.js';
import { Capture, testContext } from './helpers/cli.js';

function reported(error: unknown): { code: number; stderr: string } {
  const stderr = new Capture();
  const code = report(error, testContext([], { home: '/nonexistent' }, new Capture(), stderr));
  return { code, stderr: stderr.text() };
}

test('a UsageError: the message and the hint, exit 2', () => {
  const r = reported(new UsageError('start takes one target name', 'e.g. jupyter-ssh-setup start gpu'));
  assert.is(r.code, 2);
  assert.is(r.stderr, 'jupyter-ssh-setup: start takes one target name\n  e.g. jupyter-ssh-setup start gpu\n');
});

test('an InternalError is a bug: its stack, then a request to report it, exit 70', () => {
  const r = reported(new InternalError('template value is missing'));
  assert.is(r.code, 70);
  assert.match(r.stderr, /^jupyter-ssh-setup: internal error: InternalError: template value is missing\n {4}at /);
  assert.ok(r.stderr.endsWith('\n  This is a bug. Please report it with the output above.\n'));
});

test('anything else thrown is a bug too, exit 70', () => {
  const r = reported(new TypeError('x is undefined'));
  assert.is(r.code, 70);
  assert.match(r.stderr, 'internal error: TypeError: x is undefined');
  assert.match(r.stderr, 'This is a bug.');
});

test('a NUL byte that got past validation is an InternalError', () => {
  assert.throws(() => shQuote('a\0b'), (e: unknown) => e instanceof InternalError && e.message === 'NUL byte cannot be carried in a shell word');
});

test.run();
