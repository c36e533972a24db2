/**
 * Our SSH config: the Host blocks of every profile (templates/ssh-hosts.conf.ejs),
 * sealed with a checksum line so that setup can tell a hand edit, and the
 * Include line that our marked block in the user's ssh config holds.
 */
import { createHash } from 'node:crypto';
import type { Profile } from './profile.js';
import { bindOf, formatHop, persistOf } from './profile.js';
import { CONTROL_PATH, planHops, type HopFacts } from './connection.js';
import { renderTemplate } from './render.js';
import { sshPercent, sshConfigValue } from './quote.js';
import { UsageError } from '../errors.js';
import { isForwardableSocket, socketFitsProfile, type RemoteFacts } from './remote-facts.js';
import { nodeHostBlock } from './kernel-node.js';

export interface RenderOptions {
  /** The local OpenSSH understands SessionType and ForkAfterAuthentication (8.7+). */
  sshHasSessionType: boolean;
  /** Connection sharing exists (not on Windows' OpenSSH): write ControlMaster lines. */
  multiplex?: boolean;
  /** ControlPath of every block (core/connection.ts controlPathFor); default ~/.ssh/jss-%C. */
  controlPath?: string;
  /** Which jump hops the user's own config sets up (left as written). */
  hops?: HopFacts;
  /** setup --force: overwrite our Host file even when it was edited by hand. */
  overwriteHandEdits?: boolean;
  /** What logging in told us of each target's remote (by name): a socket target's tunnel alias needs its socket path. */
  remoteFacts?: ReadonlyMap<string, RemoteFacts>;
  /** Our functions file (functions.sh): a batch target gets `NAME-node`, whose ProxyCommand sources it (core/kernel-node.ts). */
  nodeProxy?: string;
}

/** A ControlPath keeps its own %C; only a literal % elsewhere (in HOME) is escaped. */
function sshPercentKeepTokens(path: string): string {
  return path.endsWith('/jss-%C') ? sshPercent(path.slice(0, -'/jss-%C'.length)) + '/jss-%C' : sshPercent(path);
}

const SEAL_PREFIX = '# jupyter-ssh-setup checksum: sha256:';

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Our Host file with a last line holding the checksum of the rest: a later run can tell a hand edit. */
export function sealHostFile(text: string): string {
  return `${text}${SEAL_PREFIX}${sha256(text)} (setup refuses to overwrite hand edits; --force does)\n`;
}

/**
 * Throws a usage error when our Host file was edited since we wrote it: its
 * checksum line no longer matches. A file without that line (written before
 * there was one) counts as ours. `shownPath` names the file in the message. `expected` is what the stored profiles
 * render to now, to point at the first line that differs.
 */
export function checkHostFileUnedited(shownPath: string, text: string, expected: string): void {
  const lines = text.split('\n');
  const sealAt = lines.findIndex((l) => l.startsWith(SEAL_PREFIX));
  if (sealAt < 0) return;
  const body = lines.slice(0, sealAt).join('\n') + (sealAt > 0 ? '\n' : '');
  const sum = lines[sealAt]!.slice(SEAL_PREFIX.length, SEAL_PREFIX.length + 64);
  if (sum === sha256(body) && sealAt === lines.length - 2 && lines.at(-1) === '') return;
  const want = expected.split('\n');
  let at = lines.findIndex((l, i) => i !== sealAt && l !== want[i]);
  if (at < 0 || at >= sealAt) at = sealAt;
  const shown = JSON.stringify(lines[at]!.length > 60 ? lines[at]!.slice(0, 57) + '...' : lines[at]);
  throw new UsageError(
    `${shownPath} line ${at + 1}: changed by hand since setup wrote it (${shown}); put your own settings in your ssh config instead and undo the edit, or run setup with --force to overwrite it`,
  );
}

/** The ssh_config text of our own file, holding every profile's Host blocks. */
export function renderSshHosts(profiles: Profile[], options: RenderOptions): string {
  const multiplex = options.multiplex !== false;
  const controlPath = multiplex ? sshPercentKeepTokens(options.controlPath ?? CONTROL_PATH) : undefined;
  const { proxyJump, aliases } = planHops(profiles, options.hops, multiplex);
  const hops = aliases.map((a) => ({
    name: a.alias,
    comment: `jump host ${formatHop(a.hop)} for ${a.usedBy.join(", ")}: one login, shared`,
    hostName: sshPercent(a.hop.host),
    user: a.hop.user,
    port: a.hop.port,
    proxyJump: a.proxyJump,
    controlPath,
    persist: a.persist,
  }));
  const hosts = [...profiles]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((p) => {
      const where = p.container.kind !== 'none' ? ` in ${p.container.kind}` : '';
      const via = p.jump.length ? ` via ${p.jump.map(formatHop).join(' -> ')}` : '';
      const how = p.launcher === 'plain' ? '' : ` as a ${p.launcher.toUpperCase()} job`;
      const tunnel = tunnelOf(p, options);
      return {
        name: p.name,
        comment: `${p.name}: Jupyter ${p.app} on ${p.host}${via}${how}${where}`,
        hostName: sshPercent(p.host),
        user: p.user,
        port: p.port,
        identity: p.identity ? sshPercent(p.identity) : undefined,
        proxyJump: proxyJump.get(p.name),
        controlPath,
        persist: persistOf(p),
        tunnel: tunnel && { listen: `127.0.0.1:${p.localPort}`, target: tunnel, background: options.sshHasSessionType },
        // A socket target without its socket's path yet says why it has no tunnel alias.
        tunnelMissing: !tunnel && p.launcher === 'plain' && bindOf(p) === 'socket',
        node: p.launcher !== 'plain' && options.nodeProxy ? nodeHostBlock(p.name, options.nodeProxy) : undefined,
      };
    });
  return renderTemplate('ssh-hosts.conf.ejs', { hosts, hops }, 'ssh');
}

/**
 * Where `NAME-tunnel` forwards to: a fixed TCP port, or the absolute path of
 * the socket the remote uses (known once we logged in there); undefined when
 * there is no fixed place (auto port, a batch job's node, a socket not known yet).
 */
function tunnelOf(p: Profile, options: RenderOptions): string | undefined {
  if (p.launcher !== 'plain') return undefined;
  if (bindOf(p) === 'tcp') return p.remotePort === 'auto' ? undefined : `127.0.0.1:${p.remotePort}`;
  const socket = options.remoteFacts?.get(p.name)?.socket;
  return isForwardableSocket(socket) && socketFitsProfile(p, socket) ? socket : undefined;
}

/**
 * Our Host file rendered anew (after a start learned a socket's path): the
 * sealed text to write, or undefined when it is unchanged, missing (setup
 * writes it), or edited by hand (left alone: setup reports that).
 */
export function planHostFileRefresh(current: string | null, profiles: Profile[], options: RenderOptions): string | undefined {
  if (current === null || profiles.length === 0) return undefined;
  try {
    checkHostFileUnedited('', current, '');
  } catch {
    return undefined;
  }
  const after = sealHostFile(renderSshHosts(profiles, options));
  return after === current ? undefined : after;
}

/** The body of our marked block in the user's ssh config: one Include line. */
export function sshIncludeBody(includePath: string): string[] {
  return [`Include ${sshConfigValue(includePath)}`];
}
