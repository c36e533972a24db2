import { promises as fs, realpathSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context } from '../context.js';
import { jupyterDataDir, kernelSpecName, ourSpecTarget, renderKernelSpec, type KernelSpec } from '../core/kernel-spec.js';
import { UsageError } from '../errors.js';
import { ensureDir, readTextIfExists, writeFileAtomic } from './files.js';

/**
 * The kernelspecs of ours in the local Jupyter data directory: kernels/jss-NAME/kernel.json,
 * marked as ours in its metadata. Another directory of that name is never touched.
 */

export function kernelsDir(ctx: Context): string {
  return join(jupyterDataDir(ctx.env, ctx.home, process.platform), 'kernels');
}

export function kernelSpecDir(ctx: Context, name: string): string {
  return join(kernelsDir(ctx), kernelSpecName(name));
}

/**
 * Our own executable as an argv prefix of absolute paths: this Node and the
 * real path of dist/bin.js (npx's cache, a global install or a clone). From
 * the sources (tests under tsx) it is the build's dist/bin.js.
 */
export function launcherArgv(): string[] {
  const here = fileURLToPath(import.meta.url);
  const bin = here.endsWith('.ts') ? fileURLToPath(new URL('../../dist/bin.js', import.meta.url)) : fileURLToPath(new URL('../bin.js', import.meta.url));
  return [process.execPath, existsSync(bin) ? realpathSync(bin) : bin];
}

/** True when the path is inside npx's cache, which `npm cache clean` or a newer npx may remove. */
export function isNpxCache(path: string): boolean {
  return /[\\/]_npx[\\/]/.test(path);
}

export interface SpecFile {
  dir: string;
  file: string;
  /** The text there now, or null. */
  before: string | null;
}

async function specFile(ctx: Context, name: string): Promise<SpecFile> {
  const dir = kernelSpecDir(ctx, name);
  const file = join(dir, 'kernel.json');
  return { dir, file, before: await readTextIfExists(file) };
}

/** Writes kernel.json (atomically); false when it already says the same. Refuses a jss-NAME that is not ours. */
export async function writeKernelSpec(ctx: Context, name: string, spec: KernelSpec): Promise<{ file: string; changed: boolean }> {
  const { dir, file, before } = await specFile(ctx, name);
  if (before === null && existsSync(dir) && (await fs.readdir(dir)).length > 0) {
    throw new UsageError(`${dir} exists and is not a kernel of jupyter-ssh-setup`, 'Nothing was written. Move it away, or name the target differently.');
  }
  if (before !== null && ourSpecTarget(before) !== name) {
    throw new UsageError(`${file} exists and is not a kernel of jupyter-ssh-setup for "${name}"`, 'Nothing was written. Move that directory away, then run again.');
  }
  const after = renderKernelSpec(spec);
  if (before === after) return { file, changed: false };
  await ensureDir(dir, 0o755);
  await writeFileAtomic(file, after, 0o644);
  return { file, changed: true };
}

/** Removes our kernelspec of NAME: the path removed, or undefined when there is none of ours. */
export async function removeKernelSpec(ctx: Context, name: string, dryRun = false): Promise<string | undefined> {
  const { dir, file, before } = await specFile(ctx, name);
  if (before === null || ourSpecTarget(before) !== name) return undefined;
  if (!dryRun) {
    await fs.rm(file, { force: true });
    await fs.rmdir(dir).catch(() => {});
  }
  return dir;
}

export interface InstalledKernel {
  name: string;
  kernel: string;
  displayName: string;
  dir: string;
  argv: string[];
  /** The launcher the argv names still exists. */
  launcherFound: boolean;
}

/** Every kernelspec of ours in the data directory. */
export async function listKernelSpecs(ctx: Context): Promise<InstalledKernel[]> {
  let entries: string[];
  try {
    entries = (await fs.readdir(kernelsDir(ctx))).filter((e) => e.startsWith('jss-')).sort();
  } catch {
    return [];
  }
  const found: InstalledKernel[] = [];
  for (const entry of entries) {
    const dir = join(kernelsDir(ctx), entry);
    const text = await readTextIfExists(join(dir, 'kernel.json')).catch(() => null);
    const target = text ? ourSpecTarget(text) : undefined;
    if (!text || !target || entry !== kernelSpecName(target)) continue;
    const spec = JSON.parse(text) as Partial<KernelSpec>;
    const argv = Array.isArray(spec.argv) ? spec.argv.map(String) : [];
    found.push({ name: target, kernel: entry, displayName: String(spec.display_name ?? entry), dir, argv, launcherFound: argv.slice(0, 2).every((p) => existsSync(p)) });
  }
  return found;
}
