/**
 * What logging in taught us of each target's remote (core/remote-facts.ts):
 * state/NAME.remote.json, one small file per target, removed with it.
 */
import { join } from 'node:path';
import type { Paths } from '../core/plan.js';
import type { RemoteFacts } from '../core/remote-facts.js';
import { readTextIfExists, writeFileAtomic, ensureDir } from './files.js';

export function remoteFactsPath(paths: Pick<Paths, 'configDir'>, name: string): string {
  return join(paths.configDir, 'state', `${name}.remote.json`);
}

/** The facts of these targets; a missing or unreadable file is no facts (they are learned again). */
export async function readRemoteFacts(paths: Pick<Paths, 'configDir'>, names: string[]): Promise<Map<string, RemoteFacts>> {
  const result = new Map<string, RemoteFacts>();
  for (const name of names) {
    const text = await readTextIfExists(remoteFactsPath(paths, name));
    if (text === null) continue;
    try {
      const value = JSON.parse(text) as Record<string, unknown>;
      const facts: RemoteFacts = {};
      if (typeof value.home === 'string') facts.home = value.home;
      if (typeof value.socket === 'string') facts.socket = value.socket;
      result.set(name, facts);
    } catch {
      // Written atomically by us: a file that does not parse is someone's edit; learn it again.
    }
  }
  return result;
}

export async function writeRemoteFacts(paths: Pick<Paths, 'configDir'>, name: string, facts: RemoteFacts): Promise<void> {
  await ensureDir(join(paths.configDir, 'state'), 0o700);
  await writeFileAtomic(remoteFactsPath(paths, name), JSON.stringify(facts) + '\n', 0o600);
}
