/**
 * A PATH like a remote's (or a fresh machine's) with only Debian's
 * jupyter-server package: every program of /usr/bin except jupyter-core's
 * `jupyter` and the other jupyter-* commands; jupyter-server itself is there.
 */
import { mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface JupyterServerOnly {
  /** The directory to use as the whole PATH. */
  bin: string;
  remove(): void;
}

/** A temp directory of symlinks to /usr/bin's programs, without any jupyter-* but those KEPT. */
export function jupyterServerOnly(kept: string[] = ['jupyter-server']): JupyterServerOnly {
  const bin = mkdtempSync(join(tmpdir(), 'jss-nojupyter-'));
  for (const name of readdirSync('/usr/bin')) {
    if ((name === 'jupyter' || name.startsWith('jupyter-')) && !kept.includes(name)) continue;
    symlinkSync(join('/usr/bin', name), join(bin, name));
  }
  return { bin, remove: () => rmSync(bin, { recursive: true, force: true }) };
}
