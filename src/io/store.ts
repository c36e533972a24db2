import { promises as fs } from 'node:fs';
import { join, dirname } from 'node:path';
import { userInfo } from 'node:os';
import type { Context } from '../context.js';
import type { Paths } from '../core/plan.js';
import type { Profile } from '../core/profile.js';
import { SHELLS } from '../core/profile.js';
import { RuntimeFailure, UsageError } from '../errors.js';

/** Where everything lives, from the context (never from process.env at load time). */
export function resolvePaths(ctx: Context, flags: { sshConfig?: string; rc?: string; shell?: string } = {}): Paths {
  const home = ctx.home;
  const abs = (p: string) => (p.startsWith('~/') ? join(home, p.slice(2)) : p.startsWith('/') ? p : join(ctx.cwd, p));
  const xdg = ctx.env.XDG_CONFIG_HOME && ctx.env.XDG_CONFIG_HOME.startsWith('/') ? ctx.env.XDG_CONFIG_HOME : join(home, '.config');
  const sshConfig = abs(flags.sshConfig ?? join(home, '.ssh', 'config'));
  const shell = flags.shell ?? defaultShell(ctx);
  return {
    home,
    configDir: join(xdg, 'jupyter-ssh-setup'),
    sshConfig,
    sshInclude: join(dirname(sshConfig), 'jupyter-ssh-setup.conf'),
    // fish: our functions go to fish's autoload directory, one file each.
    rc: abs(flags.rc ?? (shell === 'fish' ? join(xdg, 'fish', 'functions') : join(home, shell === 'zsh' ? '.zshrc' : '.bashrc'))),
    shell: shell === 'fish' || shell === 'zsh' ? shell : 'bash',
  };
}

/** bash unless $SHELL says zsh or fish. */
export function defaultShell(ctx: Context): (typeof SHELLS)[number] {
  const shell = ctx.env.SHELL ?? '';
  return /zsh$/.test(shell) ? 'zsh' : /fish$/.test(shell) ? 'fish' : 'bash';
}

/** The local login name: the default --user. */
export function localUser(ctx: Context): string {
  return ctx.env.USER || ctx.env.LOGNAME || userInfo().username;
}

/** Every stored profile, by name. A profile file that does not parse is reported, not skipped. */
export async function readProfiles(paths: Paths): Promise<Map<string, Profile>> {
  const dir = join(paths.configDir, 'profiles');
  const result = new Map<string, Profile>();
  let names: string[];
  try {
    names = (await fs.readdir(dir)).filter((f) => f.endsWith('.json')).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return result;
    throw error;
  }
  for (const file of names) {
    const path = join(dir, file);
    try {
      const profile = JSON.parse(await fs.readFile(path, 'utf8')) as Profile;
      if (profile.version !== 1 || typeof profile.name !== 'string') throw new Error('not a version 1 profile');
      result.set(profile.name, profile);
    } catch (error) {
      throw new RuntimeFailure(`cannot read the profile ${path}: ${(error as Error).message}`, `Fix or delete that file, then run again.`);
    }
  }
  return result;
}

/** The profile NAME, or the only one when NAME is left out. */
export async function pickProfile(paths: Paths, name: string | undefined): Promise<Profile> {
  const profiles = await readProfiles(paths);
  if (name !== undefined) {
    const found = profiles.get(name);
    if (!found) {
      const known = [...profiles.keys()];
      throw new UsageError(
        `no target named "${name}"`,
        known.length ? `Known targets: ${known.join(', ')}.` : 'Set one up first: npx jupyter-ssh-setup',
      );
    }
    return found;
  }
  if (profiles.size === 1) return [...profiles.values()][0]!;
  if (profiles.size === 0) throw new UsageError('no targets are set up yet', 'Set one up first: npx jupyter-ssh-setup');
  throw new UsageError(`several targets are set up (${[...profiles.keys()].join(', ')})`, 'Name the one you mean, e.g. jupyter-ssh-setup start NAME.');
}
