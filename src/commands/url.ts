/**
 * url NAME: the URL of a target's running notebook, for VS Code's "existing
 * Jupyter server" and for scripts. The same URL across stop and start,
 * restarts and resubmitted jobs (the remote keeps the token, the local port is
 * the profile's). One status call over the shared connection: like restart.ts,
 * it reuses status's orchestration rather than repeating it.
 */
import type { ParsedArgs } from '../types.js';
import type { Context } from '../context.js';
import { RuntimeFailure, UsageError } from '../errors.js';
import { endpointOf, explainNoUrl } from '../core/endpoint.js';
import { pickProfile, resolvePaths } from '../io/store.js';
import { statusOf } from './status.js';

export async function run(args: ParsedArgs, ctx: Context): Promise<number> {
  if (args.positionals.length > 1) throw new UsageError('url takes one target name', 'e.g. jupyter-ssh-setup url gpu');
  const paths = resolvePaths(ctx);
  const profile = await pickProfile(paths, args.positionals[0]);
  const row = await statusOf(profile, paths, ctx);
  const info = endpointOf(row);
  if (args.values.json) ctx.stdout.write(JSON.stringify(info) + '\n');
  if (!info.url) {
    const { message, hint } = explainNoUrl(row);
    throw new RuntimeFailure(message, hint);
  }
  if (!args.values.json) ctx.stdout.write(`${info.url}\n`);
  return 0;
}
