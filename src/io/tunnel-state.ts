import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import type { Paths } from '../core/plan.js';
import { readTextIfExists, writeFileAtomic, ensureDir } from './files.js';

/**
 * The forward that start opened for a target: "LOCALPORT HOST REMOTEPORT", or
 * "LOCALPORT /ABS/PATH.sock" for Jupyter on a Unix socket; one line, the same
 * file the generated shell functions read and write.
 */
export interface ForwardState {
  localPort: number;
  /** A host, or the absolute path of a Unix socket (then remotePort is 0). */
  host: string;
  remotePort: number;
}

/** One line of a forward state file, either form; undefined when it is neither. */
export function parseForwardLine(line: string): ForwardState | undefined {
  const tcp = /^(\d+) (\S+) (\d+)\s*$/.exec(line);
  if (tcp) return { localPort: Number(tcp[1]), host: tcp[2]!, remotePort: Number(tcp[3]) };
  const unix = /^(\d+) (\/\S+)\s*$/.exec(line);
  return unix ? { localPort: Number(unix[1]), host: unix[2]!, remotePort: 0 } : undefined;
}

/** The line parseForwardLine reads back. */
export function formatForwardLine(state: ForwardState): string {
  return state.host.startsWith('/') ? `${state.localPort} ${state.host}\n` : `${state.localPort} ${state.host} ${state.remotePort}\n`;
}

export function forwardStatePath(paths: Paths, name: string): string {
  return join(paths.configDir, 'state', `${name}.forward`);
}

export async function readForwardState(paths: Paths, name: string): Promise<ForwardState | undefined> {
  const text = await readTextIfExists(forwardStatePath(paths, name));
  return parseForwardLine((text ?? '').split('\n')[0]!);
}

export async function writeForwardState(paths: Paths, name: string, state: ForwardState): Promise<void> {
  await ensureDir(join(paths.configDir, 'state'), 0o700);
  await writeFileAtomic(forwardStatePath(paths, name), formatForwardLine(state), 0o600);
}

export async function clearForwardState(paths: Paths, name: string): Promise<void> {
  await rm(forwardStatePath(paths, name), { force: true });
}

/**
 * The forward of the last start, kept after stop (NAME.last): the next start
 * opens it again while Jupyter starts, since the target (the socket path or
 * port) is usually the same.
 */
export async function readLastForward(paths: Paths, name: string): Promise<ForwardState | undefined> {
  const text = await readTextIfExists(join(paths.configDir, 'state', `${name}.last`));
  return parseForwardLine((text ?? '').split('\n')[0]!);
}

export async function writeLastForward(paths: Paths, name: string, state: ForwardState): Promise<void> {
  await ensureDir(join(paths.configDir, 'state'), 0o700);
  await writeFileAtomic(join(paths.configDir, 'state', `${name}.last`), formatForwardLine(state), 0o600);
}
