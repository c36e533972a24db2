import type { ParsedArgs } from '../types.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { pickProfile, resolvePaths } from '../io/store.js';
import { openUrl } from '../io/browser.js';
import { startNotebook } from './start.js';

export async function run(args: ParsedArgs, ctx: Context): Promise<number> {
  if (args.positionals.length > 1) throw new UsageError('open takes one target name', 'e.g. jupyter-ssh-setup open gpu');
  const paths = resolvePaths(ctx);
  const profile = await pickProfile(paths, args.positionals[0]);
  const result = await startNotebook(profile, paths, ctx, false);
  ctx.stdout.write(`${result.url}\n`);
  await openUrl(result.url, ctx);
  return 0;
}
