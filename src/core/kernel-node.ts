import { shQuote, sshPercent } from './quote.js';
import { InternalError } from '../errors.js';

/**
 * `ssh NAME-node` for a batch target (issue 21): a Host block whose
 * ProxyCommand is our own `kernel proxy NAME %p`, which asks the launch script
 * on the login node where the job runs and becomes `ssh -W NODE:PORT NAME`
 * over the shared login. No ControlMaster: a kept connection would outlive the
 * job and land on its old node. Its own known_hosts file, which `kernel proxy`
 * empties when the job moved to another node (each node's key is then taken
 * on first use, as for any new host without a prompt).
 */
export interface NodeHostBlock {
  /** The ProxyCommand line: shell words, %-escaped for ssh_config, %p left for ssh. */
  proxyCommand: string;
  knownHosts: string;
}

export function nodeKnownHostsFile(name: string): string {
  return `~/.ssh/jss-known-${name}-node`;
}

export function nodeHostBlock(name: string, launcher: string[]): NodeHostBlock {
  const words = [...launcher, 'kernel', 'proxy', name];
  if (words.some((w) => /[\n\r\0]/.test(w))) throw new InternalError('a ProxyCommand word cannot hold a line break');
  return { proxyCommand: `${words.map((w) => sshPercent(shQuote(w))).join(' ')} %p`, knownHosts: sshPercent(nodeKnownHostsFile(name)) };
}
