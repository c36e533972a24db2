import { promises as fs, constants } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import type { FileChange } from '../core/plan.js';
import { RuntimeFailure } from '../errors.js';

/** Reads a text file, or null when it does not exist. */
export async function readTextIfExists(path: string): Promise<string | null> {
  try {
    return await fs.readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'EACCES' || code === 'EISDIR' || code === 'EPERM') {
      throw new RuntimeFailure(`cannot read ${path}: ${code === 'EISDIR' ? 'it is a directory' : 'permission denied'}`, 'Nothing was written. Fix its owner or mode (ls -l it), then run again.');
    }
    throw error;
  }
}

/** The file a symlink finally points at (dotfile managers link ~/.bashrc and ~/.ssh/config). */
async function resolveTarget(path: string): Promise<string> {
  try {
    return await fs.realpath(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    // A dangling symlink: write where it points.
    try {
      const link = await fs.readlink(path);
      return link.startsWith('/') ? link : join(dirname(path), link);
    } catch {
      return path;
    }
  }
}

/**
 * Writes atomically: a temp file in the same directory, fsync, rename. Keeps
 * the mode and owner of the file it replaces, and writes through a symlink
 * rather than replacing the link.
 */
export async function writeFileAtomic(path: string, text: string, modeForNew: number): Promise<void> {
  const target = await resolveTarget(path);
  const dir = dirname(target);
  let mode = modeForNew;
  let owner: { uid: number; gid: number } | undefined;
  try {
    const st = await fs.stat(target);
    mode = st.mode & 0o7777;
    owner = { uid: st.uid, gid: st.gid };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const temp = join(dir, `.${basename(target)}.jss-${process.pid}-${Date.now()}.tmp`);
  const handle = await fs.open(temp, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.chmod(mode);
    if (owner && process.getuid?.() === 0) await handle.chown(owner.uid, owner.gid);
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => {});
    await fs.rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await fs.rename(temp, target);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
  await syncDir(dir);
}

async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await fs.open(dir, 'r');
    await handle.sync().catch(() => {});
    await handle.close();
  } catch {
    // Some filesystems refuse to open a directory for syncing; the rename is still atomic.
  }
}

/** Creates the directories a file needs; ~/.ssh and our own state directories are 0700. */
export async function ensureDir(path: string, mode: number): Promise<void> {
  try {
    await fs.mkdir(path, { recursive: true, mode });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

/** A name for the backup of a file: its path made flat, and a timestamp. */
export function backupName(path: string, now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${path.replace(/^\/+/, '').replace(/[/]/g, '%')}.${stamp}`;
}

export interface ApplyOptions {
  backupDir: string;
  now: Date;
  /** Directories to create 0700 (e.g. ~/.ssh) before writing. */
  privateDirs: string[];
}

export class ConcurrentEditError extends RuntimeFailure {
  constructor(readonly path: string) {
    super(`${path} changed while we were planning`, 'Run the command again; your edit was kept.');
  }
}

/**
 * Applies planned changes. Every file must still hold what the plan read
 * (otherwise someone edited it meanwhile and nothing more is written). Each
 * replaced file leaves one timestamped backup. Returns the paths written.
 */
export async function applyChanges(changes: FileChange[], options: ApplyOptions): Promise<string[]> {
  for (const c of changes) {
    const now = await readTextIfExists(c.path);
    if (now !== c.before) throw new ConcurrentEditError(c.path);
  }
  for (const dir of options.privateDirs) await ensureDir(dir, 0o700);
  const written: string[] = [];
  for (const c of changes) {
    if (c.before !== null) await writeBackup(c.path, c.before, options);
    if (c.after === null) {
      await fs.rm(c.path, { force: true });
    } else {
      await ensureDir(dirname(c.path), 0o700);
      await writeFileAtomic(c.path, c.after, c.mode);
    }
    written.push(c.path);
  }
  return written;
}

async function writeBackup(path: string, text: string, options: ApplyOptions): Promise<void> {
  await ensureDir(options.backupDir, 0o700);
  const name = backupName(path, options.now);
  const prefix = name.slice(0, name.lastIndexOf('.') + 1);
  // One backup per file: the state before the latest change.
  for (const old of await fs.readdir(options.backupDir)) {
    // Only this file's backups: "config.local.<stamp>" also starts with "config.".
    if (old.startsWith(prefix) && old !== name && /^\d{8}T\d{6}Z$/.test(old.slice(prefix.length))) await fs.rm(join(options.backupDir, old), { force: true });
  }
  await writeFileAtomic(join(options.backupDir, name), text, 0o600);
}

/**
 * A lock file with stale-lock recovery, so two setups never interleave their
 * writes. A lock whose process is gone is taken over.
 */
export async function withLock<T>(lockPath: string, fn: () => Promise<T>, waitMs = 15000): Promise<T> {
  await ensureDir(dirname(lockPath), 0o700);
  const deadline = Date.now() + waitMs;
  let delay = 10;
  for (;;) {
    try {
      await createLock(lockPath);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number((await readTextIfExists(lockPath)) ?? '');
      if (!Number.isInteger(holder) || holder <= 0 || !processAlive(holder)) {
        await fs.rm(lockPath, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new RuntimeFailure(`another jupyter-ssh-setup (pid ${holder}) is changing your files`, `Wait for it to finish, or remove ${lockPath} if it is gone.`);
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 200);
    }
  }
  try {
    return await fn();
  } finally {
    await fs.rm(lockPath, { force: true });
  }
}

let lockSerial = 0;
/**
 * Creates the lock file with our PID already in it (written aside, then
 * hard-linked to its name, which fails with EEXIST when it is there): another
 * holder never reads it empty between the create and the write, takes it for
 * garbage and breaks it. A file system without hard links gets open('wx').
 */
async function createLock(lockPath: string): Promise<void> {
  const aside = `${lockPath}.${process.pid}.${++lockSerial}`;
  await fs.writeFile(aside, String(process.pid), { mode: 0o600 });
  try {
    await fs.link(aside, lockPath);
  } catch (error) {
    if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
    const handle = await fs.open(lockPath, 'wx', 0o600);
    await handle.writeFile(String(process.pid)).finally(() => handle.close());
  } finally {
    await fs.rm(aside, { force: true });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
