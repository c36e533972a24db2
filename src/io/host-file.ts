/**
 * Our Host file rewritten after a login learned something it depends on (the
 * path of a socket target's Unix socket, for its `NAME-tunnel` alias).
 */
import { join } from 'node:path';
import type { Context } from '../context.js';
import type { Profile } from '../core/profile.js';
import { planHostFileRefresh } from '../core/ssh-hosts.js';
import type { RemoteFacts } from '../core/remote-facts.js';
import { applyChanges, withLock } from './files.js';
import { resolvePaths } from './store.js';
import { readCurrentState, renderOptions } from './setup-state.js';
import { readRemoteFacts, writeRemoteFacts } from './remote-facts.js';

/**
 * Stores what was learned of `profile`'s remote and, when that changes our
 * Host file, rewrites it (under setup's lock, with a backup). A file edited by
 * hand is left alone (setup reports it). Returns true when the file changed.
 */
export async function learnRemoteFacts(profile: Profile, learned: RemoteFacts, ctx: Context): Promise<boolean> {
  const paths = resolvePaths(ctx, { sshConfig: profile.files?.sshConfig, rc: profile.files?.rc });
  const before = (await readRemoteFacts(paths, [profile.name])).get(profile.name) ?? {};
  const facts = { ...before, ...learned };
  if (facts.home === before.home && facts.socket === before.socket) return false;
  return withLock(join(paths.configDir, '.lock'), async () => {
    await writeRemoteFacts(paths, profile.name, facts);
    const current = await readCurrentState(paths, []);
    const profiles = [...current.profiles.values()];
    if (!current.profiles.has(profile.name)) return false;
    const after = planHostFileRefresh(current.sshInclude, profiles, await renderOptions(ctx, paths, profiles));
    if (after === undefined) return false;
    await applyChanges([{ path: paths.sshInclude, before: current.sshInclude, after, mode: 0o600, label: 'SSH Host blocks' }], {
      backupDir: join(paths.configDir, 'backups'),
      now: ctx.now(),
      privateDirs: [],
    });
    return true;
  });
}
