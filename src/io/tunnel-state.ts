import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import type { Paths } from '../core/plan.js';
import { readTextIfExists, writeFileAtomic, ensureDir } from './files.js';

/**
 * The forward that start opened for a target: "LOCALPORT HOST REMOTEPORT",
 * one line, the same file the generated shell functions read and write.
 */
export interface ForwardState {
  localPort: number;
  host: string;
  remotePort: number;
}

export function forwardStatePath(paths: Paths, name: string): string {
  return join(paths.configDir, 'state', `${name}.forward`);
}

export async function readForwardState(paths: Paths, name: string): Promise<ForwardState | undefined> {
  const text = await readTextIfExists(forwardStatePath(paths, name));
  const m = /^(\d+) (\S+) (\d+)\s*$/.exec(text ?? '');
  return m ? { localPort: Number(m[1]), host: m[2]!, remotePort: Number(m[3]) } : undefined;
}

export async function writeForwardState(paths: Paths, name: string, state: ForwardState): Promise<void> {
  await ensureDir(join(paths.configDir, 'state'), 0o700);
  await writeFileAtomic(forwardStatePath(paths, name), `${state.localPort} ${state.host} ${state.remotePort}\n`, 0o600);
}

export async function clearForwardState(paths: Paths, name: string): Promise<void> {
  await rm(forwardStatePath(paths, name), { force: true });
}
