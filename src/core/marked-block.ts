/**
 * Our marked region inside a user's file. Everything outside it is kept byte
 * for byte: line endings (LF or CRLF) and a missing final newline included.
 */

export const BEGIN_MARK = '# >>> jupyter-ssh-setup >>>';
export const END_MARK = '# <<< jupyter-ssh-setup <<<';

export interface BlockSpan {
  /** Index of the first character we own (the begin marker, or the newline we added before it). */
  start: number;
  /** Index just past the last character we own. */
  end: number;
  /** The lines between the markers, without line endings. */
  body: string[];
}

/** The line ending the file already uses: CRLF when most of its lines end that way. */
export function detectEol(text: string): '\n' | '\r\n' {
  const crlf = text.split('\r\n').length - 1;
  const lf = text.split('\n').length - 1;
  return crlf > 0 && crlf * 2 >= lf ? '\r\n' : '\n';
}

/**
 * Finds our block. Throws when markers are unbalanced (a begin without an end,
 * or two blocks): we would rather stop than guess which bytes are ours.
 */
export function findBlock(text: string): BlockSpan | undefined {
  const lines = splitKeepingEnds(text);
  let offset = 0;
  let beginAt = -1;
  let beginLine = -1;
  let found: BlockSpan | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const bare = line.replace(/\r?\n$/, '');
    if (bare === BEGIN_MARK) {
      if (beginAt >= 0 || found) throw new MarkerError(i + 1, `a second "${BEGIN_MARK}" line`, 'delete one of our two blocks (from its begin line to its end line)');
      beginAt = offset;
      beginLine = i;
    } else if (bare === END_MARK) {
      if (beginAt < 0) throw new MarkerError(i + 1, `"${END_MARK}" without a "${BEGIN_MARK}" line before it`, 'delete that line, or put the begin line back above it');
      let start = beginAt;
      const end = offset + line.length;
      // A block that ends the file without a newline was appended after a
      // newline we added; own that newline too so removal restores the file.
      if (!line.endsWith('\n') && start > 0) {
        start -= text.slice(0, start).endsWith('\r\n') ? 2 : 1;
      }
      found = {
        start,
        end,
        body: lines.slice(beginLine + 1, i).map((l) => l.replace(/\r?\n$/, '')),
      };
      beginAt = -1;
    }
    offset += line.length;
  }
  if (beginAt >= 0) throw new MarkerError(beginLine + 1, `"${BEGIN_MARK}" without its "${END_MARK}" line`, 'delete that line (and what is left of our block after it), or put the end line back');
  return found;
}

/**
 * Markers we cannot pair: the user edited our block by hand. Carries the line
 * (1-based) and what to do; core/plan.ts adds the file's name and makes it a
 * usage error (exit 2, nothing written).
 */
export class MarkerError extends Error {
  readonly line: number;
  readonly problem: string;
  readonly fix: string;
  constructor(line: number, problem: string, fix: string) {
    super(`line ${line}: ${problem}; ${fix}, then run again`);
    this.line = line;
    this.problem = problem;
    this.fix = fix;
  }
}

function splitKeepingEnds(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/** Renders our block in the file's own line-ending style. */
export function renderBlock(body: string[], eol: string, withFinalNewline: boolean): string {
  const text = [BEGIN_MARK, ...body, END_MARK].join(eol);
  return withFinalNewline ? text + eol : text;
}

/**
 * Puts `body` into our block: replaces an existing block in place, or adds one
 * at the top or the bottom of the file. Returns the new text.
 */
export function upsertBlock(text: string, body: string[], position: 'top' | 'bottom'): string {
  const eol = detectEol(text);
  const existing = findBlock(text);
  if (existing) {
    const ownsNewlineBefore = text.slice(existing.start, existing.end).startsWith(eol) || text.slice(existing.start, existing.end).startsWith('\n');
    const endsWithNewline = /\n$/.test(text.slice(existing.start, existing.end));
    const lead = ownsNewlineBefore ? text.slice(existing.start, existing.start + (text.startsWith('\r\n', existing.start) ? 2 : 1)) : '';
    return text.slice(0, existing.start) + lead + renderBlock(body, eol, endsWithNewline) + text.slice(existing.end);
  }
  if (position === 'top') return renderBlock(body, eol, true) + text;
  if (text === '') return renderBlock(body, eol, true);
  if (/\n$/.test(text)) return text + renderBlock(body, eol, true);
  // Keep the missing final newline missing: add one before our block instead.
  return text + eol + renderBlock(body, eol, false);
}

/** Takes our block out, giving back exactly the text from before it was added. */
export function removeBlock(text: string): string {
  const existing = findBlock(text);
  if (!existing) return text;
  return text.slice(0, existing.start) + text.slice(existing.end);
}
