import type { Context } from '../context.js';

/** An aligned table; the last column is left unpadded (URLs are long). */
export function printTable(ctx: Context, header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd();
  ctx.stdout.write([line(header), ...rows.map(line)].join('\n') + '\n');
}
