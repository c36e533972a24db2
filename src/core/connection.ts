import { createHash } from 'node:crypto';
import type { Hop, Profile } from './profile.js';
import { formatHop, persistOf } from './profile.js';

/**
 * One login per hop: how our Host blocks share connections.
 *
 * Every Host block we write has `ControlMaster auto` and the same
 * `ControlPath ~/.ssh/jss-%C`, so whichever ssh comes first (the user's own
 * `ssh gpu`, `start`, a shell function) opens the connection and every later
 * one rides on it. `%C` hashes the local host, HostName, Port and User (and,
 * in newer OpenSSH, the ProxyJump), so two of our aliases for the same
 * machine and account share one master too: the `lgn` target and the hop
 * alias that `gpu` jumps through are one login.
 *
 * A jump hop written as `[user@]host[:port]` becomes a generated alias
 * (`jss-hop-...`) with a ControlMaster of its own, and ProxyJump names that
 * alias: then `gpu` and `hpc` behind the same login node authenticate to it
 * once. A hop that the user's own ssh config configures (a Host block that
 * matches its name) is left as written, so their settings keep applying;
 * a hop that is one of our targets already shares through its own block.
 */

/** The ControlPath every Host block of ours uses. */
export const CONTROL_PATH = '~/.ssh/jss-%C';

/**
 * The ControlPath for a HOME: `~/...` when it is the password database's home
 * (ssh expands `~` from there, not from $HOME), else the same under this HOME.
 */
export function controlPathFor(home: string, passwdHome: string): string {
  return home === passwdHome ? CONTROL_PATH : `${home.replace(/\/+$/, '')}/.ssh/jss-%C`;
}

/**
 * Unix socket paths are limited to 104 bytes on macOS and the BSDs (108 on
 * Linux); ssh binds PATH plus 17 characters while it sets up a master.
 */
export const SOCKET_PATH_LIMIT = 104;

/** What the I/O layer found out about each hop (by formatHop text). */
export interface HopFacts {
  /** Hops the user's own ssh config has settings for: left as written. */
  userConfigured: ReadonlySet<string>;
}

export interface HopAlias {
  alias: string;
  hop: Hop;
  /** ProxyJump of the alias itself: the hop before it (an alias or as written). */
  proxyJump?: string;
  /** The targets that jump through it, for the comment. */
  usedBy: string[];
  persist: string;
}

/** Seconds of an ssh time (`4h`, `1h30m`, `90`); 0 for `no`. */
export function persistSeconds(persist: string): number {
  if (persist === 'no') return 0;
  const units: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
  let total = 0;
  for (const [, n, u] of persist.matchAll(/([0-9]+)([smhdw]?)/g)) total += Number(n) * (units[u || 's'] ?? 1);
  return total;
}

/** `4h` -> "4 hours", for messages. */
export function describePersist(persist: string): string {
  if (persist === 'no') return 'only while in use';
  const s = persistSeconds(persist);
  if (s % 3600 === 0) return `${s / 3600} hour${s === 3600 ? '' : 's'}`;
  if (s % 60 === 0) return `${s / 60} minute${s === 60 ? '' : 's'}`;
  return `${s} seconds`;
}

function safeWord(text: string): string {
  return text.replace(/[^A-Za-z0-9.-]/g, '_');
}

/** The generated alias for hop `index` of a chain: readable, and unique per chain. */
export function hopAliasName(chain: Hop[], index: number): string {
  const hop = chain[index]!;
  const base = `jss-hop-${safeWord(hop.host)}${hop.user ? '-' + safeWord(hop.user) : ''}${hop.port ? '-' + hop.port : ''}`;
  if (index === 0) return base;
  const via = createHash('sha1').update(chain.slice(0, index).map(formatHop).join(',')).digest('hex').slice(0, 8);
  return `${base}-via-${via}`;
}

/**
 * The ProxyJump value of each profile and the hop aliases to write. Pure:
 * `facts` says which hops the user configures, `multiplex` false (Windows)
 * writes hops as given.
 */
export function planHops(profiles: Profile[], facts: HopFacts | undefined, multiplex: boolean): { proxyJump: Map<string, string | undefined>; aliases: HopAlias[] } {
  const names = new Set(profiles.map((p) => p.name));
  const aliases = new Map<string, HopAlias>();
  const proxyJump = new Map<string, string | undefined>();
  for (const profile of profiles) {
    if (!profile.jump.length) {
      proxyJump.set(profile.name, undefined);
      continue;
    }
    const written: string[] = [];
    // The chain's hops as ProxyJump names them; once a hop is left as written,
    // the ones after it are too (an alias of ours cannot jump through a
    // comma list), which is what ssh does with them anyway.
    let previous: string | undefined;
    let shared = multiplex;
    profile.jump.forEach((hop, i) => {
      const text = formatHop(hop);
      const ours = !hop.user && !hop.port && names.has(hop.host);
      if (!shared || ours || facts?.userConfigured.has(text)) {
        if (!ours) shared = false;
        written.push(text);
        previous = ours && shared ? text : undefined;
        return;
      }
      const alias = hopAliasName(profile.jump, i);
      const existing = aliases.get(alias);
      const persist = persistOf(profile);
      if (existing) {
        existing.usedBy.push(profile.name);
        if (persistSeconds(persist) > persistSeconds(existing.persist)) existing.persist = persist;
      } else {
        aliases.set(alias, { alias, hop, ...(previous ? { proxyJump: previous } : {}), usedBy: [profile.name], persist });
      }
      previous = alias;
      written.length = 0;
      written.push(alias);
    });
    proxyJump.set(profile.name, written.join(','));
  }
  return { proxyJump, aliases: [...aliases.values()].sort((a, b) => a.alias.localeCompare(b.alias)) };
}
