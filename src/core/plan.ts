import { join } from 'node:path';
import type { Profile } from './profile.js';
import { bindOf, formatHop, persistOf } from './profile.js';
import { CONTROL_PATH, planHops, type HopFacts } from './connection.js';
import { renderTemplate } from './render.js';
import { sshPercent, sshConfigValue } from './quote.js';
import { createHash } from 'node:crypto';
import { upsertBlock, removeBlock, MarkerError } from './marked-block.js';
import { UsageError } from '../errors.js';
import { buildRemoteCommand, urlPath } from './remote.js';
import { renderBatchLaunchScript } from './batch.js';
import { containerData } from './container.js';

/** One file as it is and as it will be; `after: null` deletes it. */
export interface FileChange {
  path: string;
  before: string | null;
  after: string | null;
  /** Mode for a file we create; an existing file keeps its own. */
  mode: number;
  /** What the file is, for the summary. */
  label: string;
}

/** Every path setup and remove read or write, derived from home and the flags. */
export interface Paths {
  home: string;
  configDir: string;
  sshConfig: string;
  sshInclude: string;
  /** The rc file that gets our block; for fish, the functions directory. */
  rc: string;
  shell?: 'bash' | 'zsh' | 'fish';
}

/** The names of the shell functions we generate (also fish's autoload file names). */
export const FUNCTION_NAMES = ['remote_notebook_start', 'remote_notebook_stop', 'remote_notebook_status', 'remote_notebook_url', 'remote_notebook_disconnect', 'jptt', 'port_forward'] as const;

/** For fish: the POSIX functions file the fish wrappers run with bash, and the wrappers. */
export function fishFiles(paths: Paths): { functionsSh: string; wrappers: string[] } {
  return {
    functionsSh: join(paths.configDir, 'functions.sh'),
    wrappers: FUNCTION_NAMES.map((name) => join(paths.rc, `${name}.fish`)),
  };
}

export function renderFishFunction(name: string, functionsSh: string): string {
  return renderTemplate('function.fish.ejs', { name, functionsSh }, 'sh');
}

export function profileJsonPath(paths: Paths, name: string): string {
  return join(paths.configDir, 'profiles', `${name}.json`);
}
export function profileShellPath(paths: Paths, name: string): string {
  return join(paths.configDir, 'profiles', `${name}.sh`);
}
export function launchScriptPath(paths: Paths, name: string): string {
  return join(paths.configDir, 'profiles', `${name}.launch.sh`);
}

export interface RenderOptions {
  /** The local OpenSSH understands SessionType and ForkAfterAuthentication (8.7+). */
  sshHasSessionType: boolean;
  /** Connection sharing exists (not on Windows' OpenSSH): write ControlMaster lines. */
  multiplex?: boolean;
  /** ControlPath of every block (core/connection.ts controlPathFor); default ~/.ssh/jss-%C. */
  controlPath?: string;
  /** Which jump hops the user's own config sets up (left as written). */
  hops?: HopFacts;
  /** setup --force: overwrite our Host file even when it was edited by hand. */
  overwriteHandEdits?: boolean;
}

/** A ControlPath keeps its own %C; only a literal % elsewhere (in HOME) is escaped. */
function sshPercentKeepTokens(path: string): string {
  return path.endsWith('/jss-%C') ? sshPercent(path.slice(0, -'/jss-%C'.length)) + '/jss-%C' : sshPercent(path);
}

/** A path under home as ~/..., for messages. */
export function tildify(path: string, home: string): string {
  return path === home ? '~' : path.startsWith(home + '/') ? '~' + path.slice(home.length) : path;
}

const SEAL_PREFIX = '# jupyter-ssh-setup checksum: sha256:';

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Our Host file with a last line holding the checksum of the rest: a later run can tell a hand edit. */
export function sealHostFile(text: string): string {
  return `${text}${SEAL_PREFIX}${sha256(text)} (setup refuses to overwrite hand edits; --force does)\n`;
}

/**
 * Throws a usage error when our Host file was edited since we wrote it: its
 * checksum line no longer matches. A file without that line (written before
 * there was one) counts as ours. `expected` is what the stored profiles
 * render to now, to point at the first line that differs.
 */
export function checkHostFileUnedited(path: string, text: string, expected: string, home: string): void {
  const lines = text.split('\n');
  const sealAt = lines.findIndex((l) => l.startsWith(SEAL_PREFIX));
  if (sealAt < 0) return;
  const body = lines.slice(0, sealAt).join('\n') + (sealAt > 0 ? '\n' : '');
  const sum = lines[sealAt]!.slice(SEAL_PREFIX.length, SEAL_PREFIX.length + 64);
  if (sum === sha256(body) && sealAt === lines.length - 2 && lines.at(-1) === '') return;
  const want = expected.split('\n');
  let at = lines.findIndex((l, i) => i !== sealAt && l !== want[i]);
  if (at < 0 || at >= sealAt) at = sealAt;
  const shown = JSON.stringify(lines[at]!.length > 60 ? lines[at]!.slice(0, 57) + '...' : lines[at]);
  throw new UsageError(
    `${tildify(path, home)} line ${at + 1}: changed by hand since setup wrote it (${shown}); put your own settings in your ssh config instead and undo the edit, or run setup with --force to overwrite it`,
  );
}

/** upsertBlock/removeBlock on a user's file: markers we cannot pair are a usage error naming the file and line. */
function editMarked(path: string, home: string, edit: () => string): string {
  try {
    return edit();
  } catch (error) {
    if (error instanceof MarkerError) throw new UsageError(`${tildify(path, home)} ${error.message}`);
    throw error;
  }
}

/** The ssh_config text of our own file, holding every profile's Host blocks. */
export function renderSshHosts(profiles: Profile[], options: RenderOptions): string {
  const multiplex = options.multiplex !== false;
  const controlPath = multiplex ? sshPercentKeepTokens(options.controlPath ?? CONTROL_PATH) : undefined;
  const { proxyJump, aliases } = planHops(profiles, options.hops, multiplex);
  const hops = aliases.map((a) => ({
    name: a.alias,
    comment: `jump host ${formatHop(a.hop)} for ${a.usedBy.join(", ")}: one login, shared`,
    hostName: sshPercent(a.hop.host),
    user: a.hop.user,
    port: a.hop.port,
    proxyJump: a.proxyJump,
    controlPath,
    persist: a.persist,
  }));
  const hosts = [...profiles]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((p) => {
      const where = p.container.kind !== 'none' ? ` in ${p.container.kind}` : '';
      const via = p.jump.length ? ` via ${p.jump.map(formatHop).join(' -> ')}` : '';
      const how = p.launcher === 'plain' ? '' : ` as a ${p.launcher.toUpperCase()} job`;
      // A socket's absolute path is known only on the remote: no fixed LocalForward to it.
      const fixedForward = p.launcher === 'plain' && p.remotePort !== 'auto' && bindOf(p) === 'tcp';
      return {
        name: p.name,
        comment: `${p.name}: Jupyter ${p.app} on ${p.host}${via}${how}${where}`,
        hostName: sshPercent(p.host),
        user: p.user,
        port: p.port,
        identity: p.identity ? sshPercent(p.identity) : undefined,
        proxyJump: proxyJump.get(p.name),
        controlPath,
        persist: persistOf(p),
        tunnel: fixedForward
          ? {
              listen: `127.0.0.1:${p.localPort}`,
              target: `127.0.0.1:${p.remotePort}`,
              background: options.sshHasSessionType,
            }
          : undefined,
      };
    });
  return renderTemplate('ssh-hosts.conf.ejs', { hosts, hops }, 'ssh');
}

/** The body of our marked block in the user's ssh config: one Include line. */
export function sshIncludeBody(includePath: string): string[] {
  return [`Include ${sshConfigValue(includePath)}`];
}

export function renderFunctions(paths: Paths): string {
  return renderTemplate('functions.sh.ejs', { configDir: paths.configDir }, 'sh');
}

export function renderProfileShell(profile: Profile): string {
  return renderTemplate(
    'profile.sh.ejs',
    {
      name: profile.name,
      localPort: profile.localPort,
      remotePort: profile.remotePort,
      launcher: profile.launcher,
      persist: persistOf(profile),
      urlPath: urlPath(profile),
      remoteStart: buildRemoteCommand(profile.name, 'start'),
      remoteStop: buildRemoteCommand(profile.name, 'stop'),
      remoteStatus: buildRemoteCommand(profile.name, 'status'),
    },
    'sh',
  );
}

/** The remote launch script: the plain one, or for slurm/pbs the one that submits a job. */
export function renderLaunchScript(profile: Profile): string {
  if (profile.launcher !== 'plain') return renderBatchLaunchScript(profile);
  return renderTemplate(
    'launch.sh.ejs',
    {
      name: profile.name,
      app: profile.app,
      port: profile.remotePort,
      notebookDir: profile.notebookDir ?? '',
      env: profile.env,
      waitSeconds: 60,
      bind: bindOf(profile),
      container: containerData(profile),
    },
    'sh',
  );
}

export function renderProfileJson(profile: Profile): string {
  return JSON.stringify(profile, null, 2) + '\n';
}

/** What is on disk now, as setup and remove need it. `null` text: the file does not exist. */
export interface CurrentState {
  sshConfig: string | null;
  sshInclude: string | null;
  rc: string | null;
  /** Profile JSON/shell/launch files of the profiles being changed, by path. */
  files: Map<string, string | null>;
  /** Every stored profile, by name. */
  profiles: Map<string, Profile>;
}

function change(path: string, before: string | null, after: string | null, mode: number, label: string): FileChange {
  return { path, before, after, mode, label };
}

/**
 * Plans setup for one profile: every file it creates or changes, as data.
 * Pure: the caller reads `current` and applies the result.
 */
export function planSetup(profile: Profile, paths: Paths, current: CurrentState, options: RenderOptions): FileChange[] {
  const profiles = new Map(current.profiles);
  profiles.set(profile.name, profile);
  return planAll([...profiles.values()], [profile], [], paths, current, options);
}

/** Plans taking profiles out; with none left, our blocks and files go too. */
export function planRemove(names: string[], paths: Paths, current: CurrentState, options: RenderOptions): FileChange[] {
  const profiles = new Map(current.profiles);
  for (const name of names) profiles.delete(name);
  return planAll([...profiles.values()], [], names, paths, current, options);
}

/**
 * A user file that holds nothing once our block is out was created by setup
 * (or was empty before it): delete it, so remove --all leaves no empty
 * ~/.bashrc or ~/.ssh/config behind. An already empty file is left alone.
 */
function emptiedToNull(before: string | null, after: string): string | null {
  return after === '' && before !== '' ? null : after;
}

function planAll(
  all: Profile[],
  changed: Profile[],
  removed: string[],
  paths: Paths,
  current: CurrentState,
  options: RenderOptions,
): FileChange[] {
  const changes: FileChange[] = [];
  const none = all.length === 0;
  const sshConfigBefore = current.sshConfig;
  const sshConfigAfter = editMarked(paths.sshConfig, paths.home, () =>
    none ? removeBlock(sshConfigBefore ?? '') : upsertBlock(sshConfigBefore ?? '', sshIncludeBody(paths.sshInclude), 'top'),
  );
  changes.push(change(paths.sshConfig, sshConfigBefore, emptiedToNull(sshConfigBefore, sshConfigAfter), 0o600, 'SSH config (one Include line)'));
  if (current.sshInclude !== null && !options.overwriteHandEdits) {
    checkHostFileUnedited(paths.sshInclude, current.sshInclude, sealHostFile(renderSshHosts([...current.profiles.values()], options)), paths.home);
  }
  changes.push(change(paths.sshInclude, current.sshInclude, none ? null : sealHostFile(renderSshHosts(all, options)), 0o600, 'SSH Host blocks'));
  if (paths.shell === 'fish') {
    // Files of our own: written whole, deleted whole.
    const fish = fishFiles(paths);
    changes.push(change(fish.functionsSh, current.files.get(fish.functionsSh) ?? null, none ? null : renderFunctions(paths), 0o644, 'shell functions (run by the fish wrappers)'));
    FUNCTION_NAMES.forEach((name, i) => {
      const path = fish.wrappers[i]!;
      changes.push(change(path, current.files.get(path) ?? null, none ? null : renderFishFunction(name, fish.functionsSh), 0o644, 'fish function'));
    });
  } else {
    const rcBefore = current.rc;
    const rcAfter = editMarked(paths.rc, paths.home, () =>
      none ? removeBlock(rcBefore ?? '') : upsertBlock(rcBefore ?? '', renderFunctions(paths).replace(/\n$/, '').split('\n'), 'bottom'),
    );
    changes.push(change(paths.rc, rcBefore, emptiedToNull(rcBefore, rcAfter), 0o644, 'shell functions'));
  }
  for (const profile of changed) {
    const files: [string, string, number, string][] = [
      [profileJsonPath(paths, profile.name), renderProfileJson(profile), 0o600, 'profile'],
      [profileShellPath(paths, profile.name), renderProfileShell(profile), 0o600, 'profile for the shell functions'],
      [launchScriptPath(paths, profile.name), renderLaunchScript(profile), 0o600, 'remote launch script (installed on the remote at start)'],
    ];
    for (const [path, after, mode, label] of files) changes.push(change(path, current.files.get(path) ?? null, after, mode, label));
  }
  for (const name of removed) {
    for (const path of [profileJsonPath(paths, name), profileShellPath(paths, name), launchScriptPath(paths, name)]) {
      changes.push(change(path, current.files.get(path) ?? null, null, 0o600, 'profile file'));
    }
  }
  return changes.filter((c) => c.before !== c.after);
}
