import { shQuote, sshPercent } from './quote.js';
import { InternalError } from '../errors.js';

/**
 * `ssh NAME-node` for a batch target (issue 21): a Host block whose
 * ProxyCommand is plain sh: it sources our functions file and runs
 * `_jss_node_proxy NAME %p`, which asks the launch script on the login node
 * (through the shared login) where the job runs and becomes `ssh -W NODE:PORT
 * NAME`. No Node: plain `ssh`, `scp`, `rsync` and VS Code's Remote-SSH use it
 * as they are. No ControlMaster: a kept connection would outlive the job and
 * land on its old node. Its own known_hosts file, which the proxy empties when
 * the job moved to another node (that node's key is then taken on first use,
 * as for any new host, without a prompt).
 */
export interface NodeHostBlock {
  /** The ProxyCommand line: shell words, %-escaped for ssh_config, %p left for ssh. */
  proxyCommand: string;
  knownHosts: string;
}

export function nodeKnownHostsFile(name: string): string {
  return `~/.ssh/jss-known-${name}-node`;
}

/** The sh program of the ProxyCommand: $0 our functions file, $1 the target, $2 the port. */
export const NODE_PROXY_SCRIPT = '. "$0" && _jss_node_proxy "$1" "$2"';

export function nodeHostBlock(name: string, functionsFile: string): NodeHostBlock {
  const words = ['sh', '-c', NODE_PROXY_SCRIPT, functionsFile, name];
  if (words.some((w) => /[\n\r\0]/.test(w))) throw new InternalError('a ProxyCommand word cannot hold a line break');
  return { proxyCommand: `${words.map((w) => sshPercent(shQuote(w))).join(' ')} %p`, knownHosts: sshPercent(nodeKnownHostsFile(name)) };
}
