import type { ParsedArgs } from '../types.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { pickProfile, readProfiles, resolvePaths } from '../io/store.js';
import { disconnectTargets } from '../io/connection.js';
import { multiplexing } from '../io/remote.js';

export async function run(args: ParsedArgs, ctx: Context): Promise<number> {
  const all = Boolean(args.values.all);
  if (args.positionals.length > 1 || (all && args.positionals.length)) throw new UsageError('disconnect takes one target name, or --all', 'e.g. jupyter-ssh-setup disconnect gpu');
  const paths = resolvePaths(ctx);
  const profiles = [...(await readProfiles(paths)).values()];
  const targets = all ? profiles : [await pickProfile(paths, args.positionals[0])];
  if (!multiplexing(ctx)) {
    if (args.values.json) ctx.stdout.write(JSON.stringify(targets.map((t) => ({ name: t.name, closed: [], kept: [] }))) + '\n');
    else ctx.stdout.write('No shared connections here (no connection sharing on this ssh): nothing to close.\n');
    return 0;
  }
  const results = await disconnectTargets(targets, profiles, paths, ctx);
  if (args.values.json) {
    ctx.stdout.write(JSON.stringify(all ? results : results[0]) + '\n');
    return 0;
  }
  for (const r of results) {
    ctx.stdout.write(r.closed.length ? `Closed the login to ${r.closed.join(', ')}.\n` : `${r.name}: no login of ours was open.\n`);
    for (const k of r.kept) ctx.stdout.write(`  kept ${k.alias}: the connection of ${k.usedBy.join(', ')} goes through it (disconnect ${k.usedBy[0]} or --all to close it)\n`);
  }
  return 0;
}
