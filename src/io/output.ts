import { createRequire } from 'node:module';
import type { Context } from '../context.js';
import type { FileChange, Paths } from '../core/plan.js';

import { tildify } from '../core/plan.js';

export { tildify };

/** Colours only on a terminal, and never with NO_COLOR. */
export function colors(ctx: Context): { red: (s: string) => string; green: (s: string) => string; bold: (s: string) => string; dim: (s: string) => string; cyan: (s: string) => string } {
  const on = Boolean(ctx.stdout.isTTY) && !('NO_COLOR' in ctx.env) && ctx.env.TERM !== 'dumb';
  const wrap = (open: number, close: number) => (s: string) => (on ? `\u001b[${open}m${s}\u001b[${close}m` : s);
  return { red: wrap(31, 39), green: wrap(32, 39), bold: wrap(1, 22), dim: wrap(2, 22), cyan: wrap(36, 39) };
}

/** The user's SSH config diff is always shown; the rest (long generated code) with --dry-run. */
function alwaysShown(change: FileChange, paths: Paths): boolean {
  return change.path === paths.sshConfig;
}

/**
 * Prints what will change: a line per file, then the unified diff of the
 * user's own files (all files with `full`, as --dry-run does).
 */
export function printPlan(changes: FileChange[], paths: Paths, ctx: Context, opts: { full: boolean; json: boolean }): void {
  if (opts.json || changes.length === 0) return;
  const c = colors(ctx);
  const out = ctx.stdout;
  out.write(c.bold(`Files to change (${changes.length}):\n`));
  const width = Math.max(...changes.map((ch) => tildify(ch.path, paths.home).length));
  for (const ch of changes) {
    const verb = ch.before === null ? 'create' : ch.after === null ? 'delete' : 'update';
    out.write(`  ${verb.padEnd(6)} ${tildify(ch.path, paths.home).padEnd(width)}  ${c.dim(ch.label)}\n`);
  }
  for (const ch of changes) {
    if (!opts.full && !alwaysShown(ch, paths)) continue;
    out.write('\n' + colorDiff(unifiedDiff(ch, paths), c));
  }
  if (!opts.full) out.write(c.dim('\n(--dry-run shows the diff of every file)\n'));
  out.write('\n');
}

export function unifiedDiff(change: FileChange, paths: Paths): string {
  // diff is only needed when a plan is shown: loaded here, not when start or doctor
  // import this module for colors. require keeps printPlan synchronous (as render.ts does for ejs).
  const { createPatch } = createRequire(import.meta.url)('diff') as typeof import('diff');
  const name = tildify(change.path, paths.home);
  const patch = createPatch(name, change.before ?? '', change.after ?? '', change.before === null ? '(new file)' : '', change.after === null ? '(deleted)' : '');
  // Drop the "Index:" and "====" lines: a git-style patch is what people read.
  return patch.split('\n').slice(2).join('\n');
}

function colorDiff(patch: string, c: ReturnType<typeof colors>): string {
  return patch
    .split('\n')
    .map((line) => (line.startsWith('+') && !line.startsWith('+++') ? c.green(line) : line.startsWith('-') && !line.startsWith('---') ? c.red(line) : line.startsWith('@@') ? c.cyan(line) : line))
    .join('\n');
}

/** Commands to type, each with its `# comment` in one column whatever the lengths (a target name may be long). */
export function alignComments(rows: [command: string, comment?: string][]): string {
  const width = Math.max(...rows.filter(([, note]) => note).map(([cmd]) => cmd.length));
  return rows.map(([cmd, note]) => (note ? `  ${cmd.padEnd(width)}  # ${note}\n` : `  ${cmd}\n`)).join('');
}
