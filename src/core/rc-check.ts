import { findBlock } from './marked-block.js';

/**
 * Finds a top-level `return` in an rc file (outside function bodies): the shell
 * stops reading there, so our block at the end is skipped whenever that line is
 * reached (the usual non-interactive guard, or `z4h init || return`).
 * A line-based approximation, good for warnings, never used to edit.
 */
export function findEarlyReturn(text: string): { line: number; text: string } | undefined {
  const lines = text.split(/\r?\n/);
  let depth = 0;
  let pendingFunction = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/(^|\s)#.*$/, '').trim();
    if (line === '') continue;
    if (/^(function\s+[\w:.-]+(\s*\(\))?|[\w:.-]+\s*\(\))\s*\{/.test(line) && !/\}\s*;?\s*$/.test(line)) {
      depth++;
      continue;
    }
    if (/^(function\s+[\w:.-]+(\s*\(\))?|[\w:.-]+\s*\(\))$/.test(line)) {
      pendingFunction = true;
      continue;
    }
    if (pendingFunction && line === '{') {
      depth++;
      pendingFunction = false;
      continue;
    }
    pendingFunction = false;
    if (/^\}\s*;?$/.test(line)) {
      depth = Math.max(0, depth - 1);
      continue;
    }
    if (depth === 0 && /(^|[;&|)]\s*|\bthen\s+|\belse\s+)return\b/.test(line)) return { line: i + 1, text: line };
  }
  return undefined;
}

/**
 * The early return that keeps a shell from reaching our block: one above the
 * block when the file has it (a user who moved our block above the guard is
 * done), anywhere when we are about to append it.
 */
export function findReturnBeforeBlock(text: string): { line: number; text: string } | undefined {
  const block = findBlock(text);
  return findEarlyReturn(block ? text.slice(0, block.start) : text);
}
