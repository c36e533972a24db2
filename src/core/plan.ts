import { join } from 'node:path';
import type { Profile } from './profile.js';
import { bindOf, persistOf } from './profile.js';
import { renderTemplate } from './render.js';
import { shQuote } from './quote.js';
import { upsertBlock, removeBlock, MarkerError } from './marked-block.js';
import { UsageError } from '../errors.js';
import { buildRemoteCommand, urlPath } from './remote.js';
import { renderBatchLaunchScript } from './batch.js';
import { containerData } from './container.js';
import { checkHostFileUnedited, renderSshHosts, sealHostFile, sshIncludeBody, type RenderOptions } from './ssh-hosts.js';

export { renderSshHosts, sshIncludeBody, type RenderOptions };

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
  /** The rc file that gets our short block (it sources functionsPath); for fish, fish's functions directory. */
  rc: string;
  shell?: 'bash' | 'zsh' | 'fish';
}

/** The names of the shell functions we generate (also fish's autoload file names). */
export const FUNCTION_NAMES = ['remote_notebook_start', 'remote_notebook_stop', 'remote_notebook_status', 'remote_notebook_url', 'remote_notebook_disconnect', 'jptt', 'port_forward'] as const;

/**
 * Our POSIX functions file: bash and zsh source it from the block in their rc
 * file, fish's wrappers run it with bash. Ours alone, so every setup replaces it.
 */
export function functionsPath(paths: Paths): string {
  return join(paths.configDir, 'functions.sh');
}

/** For fish: the autoloaded wrappers, one file per function in fish's functions directory. */
export function fishWrappers(paths: Paths): string[] {
  return FUNCTION_NAMES.map((name) => join(paths.rc, `${name}.fish`));
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

/** A path under home as ~/..., for messages. */
export function tildify(path: string, home: string): string {
  return path === home ? '~' : path.startsWith(home + '/') ? '~' + path.slice(home.length) : path;
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

export function renderFunctions(paths: Paths): string {
  return renderTemplate('functions.sh.ejs', { configDir: paths.configDir }, 'sh');
}

/**
 * The lines between our markers in ~/.bashrc or ~/.zshrc: a pointer to the
 * functions file (as nvm, rustup and conda do), not the functions. Under home
 * the path is written from $HOME, so an rc file shared between machines works.
 */
export function renderRcBlockBody(paths: Paths): string[] {
  const file = functionsPath(paths);
  const rest = file.startsWith(paths.home + '/') ? file.slice(paths.home.length + 1) : undefined;
  // Only a rest that needs no quoting goes inside "$HOME/...": nothing in it can expand.
  const word = rest && shQuote(rest) === rest ? `"$HOME/${rest}"` : shQuote(file);
  return [
    '# Jupyter over SSH (remote_notebook_start NAME and friends): the functions live in the file',
    '# below, which every setup replaces. `jupyter-ssh-setup remove --all` takes this block out.',
    `if [ -f ${word} ]; then . ${word}; fi`,
  ];
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
  /** Profile JSON/shell/launch files of the profiles being changed, and our shell files, by path. */
  files: Map<string, string | null>;
  /** Every stored profile that uses these files, by name. */
  profiles: Map<string, Profile>;
  /**
   * Profiles written to another ssh config or rc file (`--ssh-config`, `--rc`)
   * that stay: they share our functions file, so it stays too.
   */
  othersRemain: boolean;
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
    checkHostFileUnedited(tildify(paths.sshInclude, paths.home), current.sshInclude, sealHostFile(renderSshHosts([...current.profiles.values()], options)));
  }
  changes.push(change(paths.sshInclude, current.sshInclude, none ? null : sealHostFile(renderSshHosts(all, options)), 0o600, 'SSH Host blocks'));
  // Our functions file: written whole (before the rc block that sources it), deleted whole.
  const functionsSh = functionsPath(paths);
  const functionsAfter = none && !current.othersRemain ? null : renderFunctions(paths);
  changes.push(change(functionsSh, current.files.get(functionsSh) ?? null, functionsAfter, 0o644, `shell functions (${paths.shell === 'fish' ? 'run by the fish wrappers' : `sourced by the block in ${tildify(paths.rc, paths.home)}`})`));
  if (paths.shell === 'fish') {
    fishWrappers(paths).forEach((path, i) => {
      changes.push(change(path, current.files.get(path) ?? null, none ? null : renderFishFunction(FUNCTION_NAMES[i]!, functionsSh), 0o644, 'fish function'));
    });
  } else {
    // A block of an older version (the functions themselves, 539 lines) is replaced in place by the short one.
    const rcBefore = current.rc;
    const rcAfter = editMarked(paths.rc, paths.home, () => (none ? removeBlock(rcBefore ?? '') : upsertBlock(rcBefore ?? '', renderRcBlockBody(paths), 'bottom')));
    changes.push(change(paths.rc, rcBefore, emptiedToNull(rcBefore, rcAfter), 0o644, `${paths.shell} rc (a block that sources the shell functions)`));
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
