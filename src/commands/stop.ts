import type { ParsedArgs } from '../cli.js';
import type { Context } from '../context.js';
import { RuntimeFailure } from '../errors.js';

export async function run(_args: ParsedArgs, _ctx: Context): Promise<number> {
  throw new RuntimeFailure('stop is not implemented yet');
}
