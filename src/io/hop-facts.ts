import type { Profile } from '../core/profile.js';
import { formatHop } from '../core/profile.js';
import type { HopFacts } from '../core/connection.js';
import { runProcess } from './ssh.js';
import { readTextIfExists } from './files.js';

/**
 * Which jump hops the user's own ssh config has settings for. A hop is
 * "configured" when `ssh -G` of its name differs from `ssh -G` of a name no
 * config mentions that is sent to the same HostName, User and Port: then a
 * Host or Match block of theirs applies to it, and we leave the hop as they
 * wrote it (a generated alias would lose those settings).
 */
export async function readHopFacts(sshConfig: string, profiles: Profile[]): Promise<HopFacts> {
  const userConfigured = new Set<string>();
  const hops = new Map(profiles.flatMap((p) => p.jump).map((h) => [formatHop(h), h]));
  if (hops.size === 0 || (await readTextIfExists(sshConfig)) === null) return { userConfigured };
  await Promise.all(
    [...hops].map(async ([text, hop]) => {
      const common = ['-G', '-F', sshConfig, ...(hop.user ? ['-o', `User=${hop.user}`] : []), ...(hop.port ? ['-o', `Port=${hop.port}`] : [])];
      const [named, probe] = await Promise.all([
        runProcess('ssh', [...common, '--', hop.host], { timeoutMs: 10_000 }),
        runProcess('ssh', [...common, '-o', `HostName=${hop.host}`, '--', 'jupyter-ssh-setup-hop-probe.invalid'], { timeoutMs: 10_000 }),
      ]);
      if (named.exitCode !== 0 || probe.exitCode !== 0 || withoutHostLine(named.stdout) !== withoutHostLine(probe.stdout)) userConfigured.add(text);
    }),
  );
  return { userConfigured };
}

/** `ssh -G` prints the name it was given first (`host NAME`); the rest is what counts. */
function withoutHostLine(text: string): string {
  return text.replace(/^host .*\n/, '');
}
