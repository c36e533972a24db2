import type { Hop, Profile } from './profile.js';
import { formatHop } from './profile.js';

/** What an ssh failure needs to be explained: its stderr, exit code, and whether it timed out. */
export interface SshFailure {
  stderr: string;
  exitCode: number;
  timedOut: boolean;
}

/**
 * Says in words why `ssh -o BatchMode=yes NAME true` failed and what to do,
 * naming the jump host when the failure is at one. Pure: stderr in, lines out.
 */
export function explainSshFailure(result: SshFailure, profile: Pick<Profile, 'name' | 'host' | 'jump'>, aliasHostNames: Map<string, string> = new Map()): string[] {
  const err = result.stderr;
  const name = profile.name;
  /** The jump hop ssh named in its message, if it is one. */
  const hopOf = (host: string | undefined) => {
    const h = host?.replace(/^\[|\]$/g, '').toLowerCase();
    if (h === undefined || h === profile.host.toLowerCase()) return undefined;
    return profile.jump.find((j) => j.host.toLowerCase() === h || aliasHostNames.get(j.host)?.toLowerCase() === h);
  };
  /** "the jump host bastion" or "the target gpu.lab" for a host ssh named. */
  const who = (host: string | undefined): string => {
    const hop = hopOf(host);
    if (hop) return `the jump host ${formatHop(hop)}`;
    if (host === undefined || host.toLowerCase() === profile.host.toLowerCase()) return `the target ${profile.host}`;
    return host;
  };
  const lastLines = err.trim().split(/\r?\n/).filter(Boolean).slice(-3).map((l) => `  ${l}`);
  let m: RegExpExecArray | null;
  if ((m = /(?:([^\s@]+)@)?(\S+?): Permission denied \(([^)]*)\)/.exec(err))) {
    const hop = hopOf(m[2]);
    return [
      `${cap(who(m[2]))} refused your key (Permission denied: ${m[3]}): no key of yours is installed there${m[1] ? ` for ${m[1]}` : ''}.`,
      `Install it (asks for the password once): ssh-copy-id ${hop ? copyIdTarget(profile.jump, hop) : name}`,
      `No key yet? Create one first: ssh-keygen -t ed25519`,
    ];
  }
  if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/.test(err)) {
    const host = /host key (?:is )?known for (\S+)/i.exec(err)?.[1] ?? /Host key for (\S+) has changed/.exec(err)?.[1];
    if (/HAS CHANGED/.test(err)) {
      return [`The host key of ${who(host)} changed since you last connected. If that is expected (a reinstall), remove the old key: ssh-keygen -R ${host ?? profile.host}`, 'Otherwise, ask the admins before you connect.'];
    }
    return [
      `ssh does not know the host key of ${who(host)} yet, and a test cannot ask you.`,
      `Connect once by hand and accept it after checking the fingerprint: ssh ${name}`,
    ];
  }
  if ((m = /Could not resolve hostname (\S+?):/.exec(err))) {
    return [`Could not resolve hostname ${m[1]} (${who(m[1])}): check the spelling, and whether it needs a VPN or is only known on the inside of a jump host.`];
  }
  if ((m = /connect to host (\S+) port (\d+): (Connection timed out|Operation timed out|Connection refused|No route to host|Network is unreachable)/.exec(err))) {
    const target = who(m[1]);
    if (m[3] === 'Connection refused') {
      return [`${cap(target)} refused the connection on port ${m[2]}: nothing listens for SSH there. Check the port (ssh -p), or that sshd runs.`];
    }
    return [`${cap(target)} did not answer on port ${m[2]} (${m[3]}): a firewall, a VPN you are not on, or a wrong address or port.`];
  }
  if (result.timedOut || /timed out/i.test(err)) {
    return [`No answer in time. A host on the way is slow or unreachable; run ssh -v ${name} true to see where it stops.`];
  }
  if (/Connection closed|kex_exchange_identification|Connection reset/.test(err)) {
    return [`A host on the way closed the connection (often a jump host that refuses forwarding, or a rate limit):`, ...lastLines];
  }
  return [`ssh exited with ${result.exitCode}:`, ...lastLines];
}

/** ssh-copy-id's arguments for a jump host, through the hops before it. */
function copyIdTarget(jump: Hop[], hop: Hop): string {
  const before = jump.slice(0, jump.indexOf(hop));
  return [
    ...(before.length ? [`-o ProxyJump=${before.map(formatHop).join(',')}`] : []),
    ...(hop.port ? [`-p ${hop.port}`] : []),
    `${hop.user ? hop.user + '@' : ''}${hop.host}`,
  ].join(' ');
}

function cap(text: string): string {
  return text[0]!.toUpperCase() + text.slice(1);
}
