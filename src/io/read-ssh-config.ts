import { promises as fs } from 'node:fs';
import { dirname, join, basename, isAbsolute } from 'node:path';

/** A Host alias found in the user's SSH config, with what its block says directly. */
export interface KnownAlias {
  alias: string;
  file: string;
  hostName?: string;
  user?: string;
  port?: string;
}

type Line = { type: number; param?: string; value?: unknown; config?: Line[] };

function values(value: unknown): string[] {
  if (Array.isArray(value)) return value.map((v) => String((v as { val: string }).val));
  return typeof value === 'string' ? value.split(/\s+/).filter(Boolean) : [];
}

function expandHome(path: string, home: string): string {
  return path === '~' ? home : path.startsWith('~/') ? join(home, path.slice(2)) : path;
}

async function expandGlob(pattern: string): Promise<string[]> {
  const dir = dirname(pattern);
  const base = basename(pattern);
  if (!/[*?[]/.test(base)) return [pattern];
  const re = new RegExp('^' + base.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
  try {
    return (await fs.readdir(dir)).filter((f) => re.test(f)).sort().map((f) => join(dir, f));
  } catch {
    return [];
  }
}

/**
 * Reads the Host aliases of an SSH config and the files it Includes (ssh-config
 * parses; we never write the user's file through it). `Match exec` is never run.
 * Aliases with wildcards or negations are skipped: they are patterns, not names.
 */
export async function readKnownAliases(configPath: string, home: string, skip: string[] = []): Promise<KnownAlias[]> {
  const { default: SSHConfig } = await import('ssh-config');
  const seen = new Set<string>();
  const found: KnownAlias[] = [];
  const sshDir = join(home, '.ssh');

  async function readOne(file: string, depth: number): Promise<void> {
    if (depth > 16 || seen.has(file) || skip.includes(file)) return;
    seen.add(file);
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch {
      return;
    }
    let parsed: Line[];
    try {
      parsed = SSHConfig.parse(text) as unknown as Line[];
    } catch {
      return;
    }
    const walk = async (lines: Line[]): Promise<void> => {
      for (const line of lines) {
        if (line.type !== 1 || !line.param) continue;
        const param = line.param.toLowerCase();
        if (param === 'include') {
          for (const raw of values(line.value)) {
            const path = expandHome(raw, home);
            for (const f of await expandGlob(isAbsolute(path) ? path : join(sshDir, path))) await readOne(f, depth + 1);
          }
        } else if (param === 'host') {
          const get = (key: string) => {
            const hit = line.config?.find((l) => l.type === 1 && l.param?.toLowerCase() === key);
            return hit ? values(hit.value)[0] : undefined;
          };
          for (const alias of values(line.value)) {
            if (/[*?!]/.test(alias)) continue;
            found.push({ alias, file, hostName: get('hostname'), user: get('user'), port: get('port') });
          }
          if (line.config) await walk(line.config);
        } else if (line.config) {
          await walk(line.config);
        }
      }
    };
    await walk(parsed);
  }

  await readOne(configPath, 0);
  return found;
}
