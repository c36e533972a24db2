import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import type { Context } from '../context.js';
import type { FileChange, Paths } from '../core/plan.js';
import { sshIncludeBody } from '../core/plan.js';
import type { Profile } from '../core/profile.js';
import { RuntimeFailure } from '../errors.js';
import { readTextIfExists } from './files.js';
import { resolveWithSsh, withTempDir } from './ssh.js';
import { tildify } from './output.js';

/**
 * Validates the planned SSH config with the real `ssh -G` before anything is
 * written: refuses a plan that OpenSSH rejects where the current file passes.
 * When the user's file already fails here (macOS-only options, removed
 * ciphers), says so and checks our own file alone.
 */
export async function checkSshPlan(changes: FileChange[], paths: Paths, profile: Profile, ctx: Context): Promise<void> {
  const planned = (path: string, current: Promise<string | null>) =>
    changes.find((c) => c.path === path)?.after ?? current;
  const userAfter = (await planned(paths.sshConfig, readTextIfExists(paths.sshConfig))) ?? '';
  const includeAfter = (await planned(paths.sshInclude, readTextIfExists(paths.sshInclude))) ?? '';
  await withTempDir(async (dir) => {
    const include = join(dir, 'jupyter-ssh-setup.conf');
    const config = join(dir, 'config');
    await writeFile(include, includeAfter);
    const realLine = sshIncludeBody(paths.sshInclude)[0]!;
    await writeFile(config, userAfter.split(realLine).join(sshIncludeBody(include)[0]!));
    const after = await resolveWithSsh(config, profile.name);
    let options = after.options;
    if (!after.ok) {
      const userBefore = await readTextIfExists(paths.sshConfig);
      const before = userBefore === null ? { ok: true, error: '' } : await resolveWithSsh(paths.sshConfig, 'jupyter-ssh-setup-probe.invalid');
      if (before.ok) {
        throw new RuntimeFailure(`OpenSSH rejects the planned SSH config: ${after.error.split(dir).join('~/.ssh').split(/\r?\n/)[0]}`, 'Nothing was written. Please report this with the output of --dry-run.');
      }
      ctx.stderr.write(
        `warning: your ${tildify(paths.sshConfig, paths.home)} already fails on this OpenSSH (${before.error.split(/\r?\n/)[0]}); checked our own Host blocks alone.\n`,
      );
      const alone = await resolveWithSsh(include, profile.name);
      if (!alone.ok) throw new RuntimeFailure(`OpenSSH rejects our Host block: ${alone.error.split(/\r?\n/)[0]}`, 'Nothing was written. Please report this.');
      options = alone.options;
    }
    const got = (key: string) => options.get(key)?.[0];
    const want: [string, string | undefined][] = [
      ['hostname', profile.host.toLowerCase()],
      ['user', profile.user],
      ['port', profile.port ? String(profile.port) : undefined],
    ];
    for (const [key, value] of want) {
      if (value !== undefined && got(key)?.toLowerCase() !== value.toLowerCase()) {
        throw new RuntimeFailure(
          `after setup, ssh would use ${key} ${got(key)} for ${profile.name}, not ${value}: an earlier line of your SSH config takes precedence`,
          'Nothing was written. Choose another --name, or look for a Match or Host * block before the Include line.',
        );
      }
    }
  });
}
