import type { ParsedArgs } from '../types.js';
import type { Context } from '../context.js';
import { RuntimeFailure, UsageError } from '../errors.js';
import { validatePort } from '../core/profile.js';
import { buildControlArgs, buildLoginArgs, forwardSpec } from '../core/ssh-args.js';
import { pickProfile, resolvePaths } from '../io/store.js';
import { ssh, multiplexing, isLocalPortFree, explainSshFailure } from '../io/remote.js';
import { checkMaster, readExtraForwards, writeExtraForwards, sshToTarget } from '../io/connection.js';
import { readForwardState } from '../io/tunnel-state.js';

/** forward NAME REMOTE_PORT [LOCAL_PORT]: one more -L on the live shared connection, no new login. */
export async function run(args: ParsedArgs, ctx: Context): Promise<number> {
  const [name, remoteText, localText, ...rest] = args.positionals;
  if (!name || !remoteText || rest.length) throw new UsageError('forward takes NAME REMOTE_PORT [LOCAL_PORT]', 'e.g. jupyter-ssh-setup forward gpu 6006');
  const remotePort = validatePort(remoteText, 'REMOTE_PORT')!;
  const wanted = validatePort(localText, 'LOCAL_PORT');
  const paths = resolvePaths(ctx);
  const profile = await pickProfile(paths, name);
  if (!multiplexing(ctx)) {
    throw new RuntimeFailure('forward needs ssh connection sharing, which this ssh lacks', `Forward it with a connection of its own: ssh -N -L 127.0.0.1:${wanted ?? remotePort}:127.0.0.1:${remotePort} ${profile.name}`);
  }
  // A batch job's services run on its compute node, where the notebook's forward goes.
  const notebook = await readForwardState(paths, profile.name);
  const host = profile.launcher !== 'plain' && notebook ? notebook.host : '127.0.0.1';
  if (!(await checkMaster(profile.name, ctx)).open) {
    const login = await sshToTarget(profile.name, buildLoginArgs(profile.name), ctx, { timeoutMs: 60_000 });
    if (login.exitCode !== 0) throw explainSshFailure(login, profile);
  }
  const existing = await readExtraForwards(paths, profile.name);
  const same = existing.find((f) => f.host === host && f.remotePort === remotePort && (wanted === undefined || f.localPort === wanted));
  let localPort: number | undefined;
  if (same && (await ssh(buildControlArgs(profile.name, 'forward', forwardSpec(same.localPort, host, remotePort)), ctx)).exitCode === 0) localPort = same.localPort;
  const first = wanted ?? remotePort;
  const last = wanted ?? Math.min(65535, remotePort + 49);
  for (let p = first; localPort === undefined && p <= last; p++) {
    if (!(await isLocalPortFree(p))) continue;
    const r = await ssh(buildControlArgs(profile.name, 'forward', forwardSpec(p, host, remotePort)), ctx);
    if (r.exitCode === 0) localPort = p;
    else if (!/forwarding request failed|Port forwarding failed/.test(r.stderr)) throw explainSshFailure(r, profile);
  }
  if (localPort === undefined) {
    throw new RuntimeFailure(
      wanted ? `local port ${wanted} is in use` : `no free local port from ${first} to ${last}`,
      `Choose another: jupyter-ssh-setup forward ${profile.name} ${remotePort} LOCAL_PORT`,
    );
  }
  const forward = { localPort, host, remotePort };
  await writeExtraForwards(paths, profile.name, [...existing.filter((f) => f.localPort !== localPort), forward]);
  if (args.values.json) ctx.stdout.write(JSON.stringify({ name: profile.name, ...forward, url: `http://127.0.0.1:${localPort}/` }) + '\n');
  else {
    if (wanted === undefined && localPort !== remotePort) ctx.stderr.write(`Local port ${remotePort} is taken; using ${localPort}.\n`);
    ctx.stdout.write(`Forwarding http://127.0.0.1:${localPort}/ -> ${host === '127.0.0.1' ? profile.name : host} port ${remotePort} (over the shared login; stop ${profile.name} closes it)\n`);
  }
  return 0;
}
