import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { Paths } from '../core/plan.js';
import { ensureDir, writeFileAtomic } from './files.js';

/**
 * What a running kernel launcher added to a target's shared connection: one
 * file per launcher, state/kernels/NAME-PID.json. The launcher removes it when
 * it ends; a launcher killed with -9 cannot, so the next launch (and
 * `kernel list`) cancels the forwards of records whose launcher is gone.
 */
export interface KernelRecord {
  name: string;
  pid: number;
  ports: number[];
  forwards: string[];
  dir: string;
  started: string;
  remotePid?: number;
  node?: string;
  /** A batch job's node: the ssh destination and options of its connection (absent: the target's). */
  via?: { dest: string; options: string[] };
  jobId?: string;
  /** A batch target's launcher still waiting for the job to run: what it waits for. */
  waiting?: string;
}

function recordsDir(paths: Paths): string {
  return join(paths.configDir, 'state', 'kernels');
}

function recordPath(paths: Paths, name: string, pid: number): string {
  return join(recordsDir(paths), `${name}-${pid}.json`);
}

export async function writeKernelRecord(paths: Paths, record: KernelRecord): Promise<void> {
  await ensureDir(recordsDir(paths), 0o700);
  await writeFileAtomic(recordPath(paths, record.name, record.pid), JSON.stringify(record) + '\n', 0o600);
}

export async function removeKernelRecord(paths: Paths, name: string, pid: number): Promise<void> {
  await fs.rm(recordPath(paths, name, pid), { force: true });
  await fs.rmdir(recordsDir(paths)).catch(() => {});
}

/** The records of one target (every target's when name is undefined), each with whether its launcher lives. */
export async function readKernelRecords(paths: Paths, name?: string): Promise<(KernelRecord & { alive: boolean })[]> {
  let files: string[];
  try {
    files = await fs.readdir(recordsDir(paths));
  } catch {
    return [];
  }
  const records: (KernelRecord & { alive: boolean })[] = [];
  for (const file of files.filter((f) => f.endsWith('.json')).sort()) {
    try {
      const r = JSON.parse(await fs.readFile(join(recordsDir(paths), file), 'utf8')) as KernelRecord;
      if (name !== undefined && r.name !== name) continue;
      records.push({ ...r, alive: await isLauncherAlive(r.pid) });
    } catch {
      // a record half written by a launcher killed at that moment: nothing to go by
    }
  }
  return records;
}

/** A live launcher process: not a zombie (PID 1 may reap late) and still our `kernel launch`. */
export async function isLauncherAlive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  if (process.platform !== 'linux') return true;
  try {
    const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
    if (/^\d+ \(.*\) Z/.test(stat)) return false;
    const cmdline = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('\0kernel\0launch\0');
  } catch {
    return false;
  }
}
