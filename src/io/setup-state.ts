/**
 * What setup and remove read before they plan: the files the plan depends on,
 * the stored profiles that share them, and what the local OpenSSH supports.
 */
import { userInfo } from 'node:os';
import type { Context } from '../context.js';
import type { Profile } from '../core/profile.js';
import { type CurrentState, type Paths, type RenderOptions, profileJsonPath, profileShellPath, launchScriptPath, functionsPath, fishWrappers } from '../core/plan.js';
import { canMultiplex } from '../core/ssh-args.js';
import { readTextIfExists } from './files.js';
import { readProfiles } from './store.js';
import { readSshVersion } from './ssh.js';
import { readHopFacts } from './hop-facts.js';
import { controlPathFor } from '../core/connection.js';
import { readRemoteFacts } from './remote-facts.js';

/** Reads everything the plan depends on. */
export async function readCurrentState(paths: Paths, names: string[]): Promise<CurrentState> {
  const files = new Map<string, string | null>();
  for (const name of names) {
    for (const path of [profileJsonPath(paths, name), profileShellPath(paths, name), launchScriptPath(paths, name)]) {
      files.set(path, await readTextIfExists(path));
    }
  }
  for (const path of [functionsPath(paths), ...(paths.shell === 'fish' ? fishWrappers(paths) : [])]) files.set(path, await readTextIfExists(path));
  const all = await readProfiles(paths);
  const profiles = sameFiles(all, paths);
  return {
    sshConfig: await readTextIfExists(paths.sshConfig),
    sshInclude: await readTextIfExists(paths.sshInclude),
    rc: paths.shell === 'fish' ? null : await readTextIfExists(paths.rc),
    files,
    profiles,
    othersRemain: all.size > profiles.size,
  };
}

/** The profiles that share these files (a profile set up with another --ssh-config lives elsewhere). */
function sameFiles(profiles: Map<string, Profile>, paths: Paths): Map<string, Profile> {
  return new Map(
    [...profiles].filter(([, p]) => !p.files || (p.files.sshConfig === paths.sshConfig && p.files.rc === paths.rc)),
  );
}

/** How this machine's OpenSSH wants the Host blocks written (its version; connection sharing or not). */
/**
 * What rendering needs to know of this machine: the OpenSSH version, whether
 * connections can be shared, where their sockets go, and which jump hops the
 * user's own config sets up (`profiles`: every profile the Host file will hold).
 */
export async function renderOptions(ctx: Context, paths: Paths, profiles: Profile[]): Promise<RenderOptions> {
  const multiplex = canMultiplex(process.platform, ctx.env);
  const [version, hops, remoteFacts] = await Promise.all([
    readSshVersion(),
    multiplex ? readHopFacts(paths.sshConfig, profiles) : undefined,
    readRemoteFacts(paths, profiles.map((p) => p.name)),
  ]);
  return {
    remoteFacts,
    sshHasSessionType: version !== undefined && (version[0] > 8 || (version[0] === 8 && version[1] >= 7)),
    multiplex,
    controlPath: controlPathFor(paths.home, userInfo().homedir),
    ...(hops ? { hops } : {}),
    nodeProxy: functionsPath(paths),
  };
}
