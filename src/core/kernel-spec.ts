import { join as posixJoin } from 'node:path/posix';
import { join as winJoin } from 'node:path/win32';
import type { Profile } from './profile-types.js';
import { formatHop } from './fields.js';

/**
 * The kernelspec a target gets in the user's local Jupyter (issue 21): a
 * directory `jss-NAME` whose kernel.json starts our own launcher. Pure:
 * paths and JSON as data; io/kernel-specs.ts reads and writes them.
 */

/** The kernelspec directory's name for a target. */
export function kernelSpecName(name: string): string {
  return `jss-${name}`;
}

/** The mark in kernel.json's metadata that says a kernelspec is ours (remove touches no other). */
export const SPEC_MARK = 'jupyter_ssh_setup';

export interface KernelSpec {
  argv: string[];
  display_name: string;
  language: string;
  interrupt_mode: 'message';
  metadata: { [SPEC_MARK]: { target: string }; debugger: false };
}

/**
 * Jupyter's user data directory, as jupyter_core's jupyter_data_dir() finds it:
 * JUPYTER_DATA_DIR, else per platform ($XDG_DATA_HOME/jupyter or
 * ~/.local/share/jupyter on Linux, ~/Library/Jupyter on macOS,
 * %APPDATA%\jupyter on Windows). Kernelspecs go in its `kernels` directory.
 */
export function jupyterDataDir(env: NodeJS.ProcessEnv, home: string, platform: string): string {
  if (env.JUPYTER_DATA_DIR) return env.JUPYTER_DATA_DIR;
  if (platform === 'darwin') return posixJoin(home, 'Library', 'Jupyter');
  if (platform === 'win32') return winJoin(env.APPDATA || winJoin(home, 'AppData', 'Roaming'), 'jupyter');
  return posixJoin(env.XDG_DATA_HOME || posixJoin(home, '.local', 'share'), 'jupyter');
}

/** Where a target runs, for the kernel picker: "gpu (10.0.0.5 via login)", "hpc (a SLURM job from login.hpc.edu)". */
export function describeWhere(profile: Pick<Profile, 'name' | 'host' | 'jump' | 'launcher'>): string {
  if (profile.launcher !== 'plain') return `${profile.name} (a ${profile.launcher.toUpperCase()} job from ${profile.host})`;
  const via = profile.jump.length ? ` via ${profile.jump.map(formatHop).join(', ')}` : '';
  return `${profile.name} (${profile.host}${via})`;
}

/**
 * kernel.json for a target. `launcher` is our own executable as an argv
 * prefix with absolute paths (node and dist/bin.js): VS Code rewrites only a
 * python argv[0], Jupyter runs it as it is.
 */
export function buildKernelSpec(profile: Pick<Profile, 'name' | 'host' | 'jump' | 'launcher'>, launcher: string[]): KernelSpec {
  return {
    argv: [...launcher, 'kernel', 'launch', profile.name, '{connection_file}'],
    display_name: `Python 3 on ${describeWhere(profile)}`,
    language: 'python',
    interrupt_mode: 'message',
    metadata: { [SPEC_MARK]: { target: profile.name }, debugger: false },
  };
}

export function renderKernelSpec(spec: KernelSpec): string {
  return JSON.stringify(spec, null, 2) + '\n';
}

/** The target a kernel.json text belongs to, when it is ours; undefined otherwise. */
export function ourSpecTarget(text: string): string | undefined {
  try {
    const spec = JSON.parse(text) as { metadata?: Record<string, { target?: unknown }> };
    const target = spec.metadata?.[SPEC_MARK]?.target;
    return typeof target === 'string' ? target : undefined;
  } catch {
    return undefined;
  }
}
