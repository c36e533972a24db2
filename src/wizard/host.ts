/** Which machine: typed, or picked from the user's SSH config (then `ssh -G` gives the defaults). */
import { validateHost, validateUser, validatePort, parseHop, type ProfileInput } from '../core/profile.js';
import type { KnownAlias } from '../io/read-ssh-config.js';
import { resolveWithSsh } from '../io/ssh.js';
import { tildify } from '../io/output.js';
import { commaList, messageOf } from './answers.js';
import type { Asking, WizardState } from './state.js';

export async function askHost(w: Asking & Pick<WizardState, 'aliases' | 'paths' | 'note'>): Promise<void> {
  if (w.flags.host !== undefined) {
    w.answers.host = w.flags.host;
    return;
  }
  const aliases = w.aliases.filter((a) => a.alias !== w.answers.name);
  let picked: KnownAlias | undefined;
  if (aliases.length) {
    const choices: { name: string; value: string; description?: string }[] = [];
    if (w.defaults.host) choices.push({ name: `${w.defaults.host} (as now)`, value: 'keep' });
    choices.push({ name: 'Type a hostname or IP address', value: 'new' });
    for (const a of aliases) {
      choices.push({ name: a.alias, value: `alias:${a.alias}`, description: `${describeAlias(a)}, from ${tildify(a.file, w.paths.home)}` });
    }
    const answer = await w.prompter.select({ message: 'Which machine does Jupyter run on?', choices, default: choices[0]!.value });
    if (answer === 'keep') {
      w.answers.host = w.defaults.host;
      return;
    }
    picked = answer.startsWith('alias:') ? aliases.find((a) => `alias:${a.alias}` === answer) : undefined;
  }
  if (!picked) {
    const typed = await w.prompter.input({
      message: 'Hostname or IP address of the machine Jupyter runs on',
      default: w.defaults.host,
      validate: messageOf((v) => validateHost(v.trim())),
    });
    // A name from the user's config means that alias, not a DNS name.
    picked = aliases.find((a) => a.alias === typed.trim());
    if (!picked) {
      w.answers.host = typed.trim();
      return;
    }
  }
  const fromAlias = await readAliasDefaults(picked, w);
  w.defaults = { ...w.defaults, ...fromAlias };
  w.answers.host = fromAlias.host;
}

export function describeAlias(a: KnownAlias): string {
  const host = a.hostName ?? a.alias;
  return `${a.user ? a.user + '@' : ''}${host}${a.port ? ':' + a.port : ''}`;
}

/**
 * What OpenSSH itself makes of a picked alias (`ssh -G`): its HostName, User,
 * Port, and the IdentityFile and ProxyJump it sets beyond ssh's defaults (told
 * apart by resolving a name no Host block matches).
 */
async function readAliasDefaults(alias: KnownAlias, w: Pick<WizardState, 'note' | 'paths'>): Promise<ProfileInput> {
  const [resolved, plain] = await Promise.all([
    resolveWithSsh(w.paths.sshConfig, alias.alias),
    resolveWithSsh(w.paths.sshConfig, 'jupyter-ssh-setup-probe.invalid'),
  ]);
  const get = (key: string) => resolved.options.get(key)?.[0];
  const result: ProfileInput = {};
  const hostName = (resolved.ok ? get('hostname') : undefined) ?? alias.hostName ?? alias.alias;
  result.host = messageOf((v) => validateHost(v))(hostName) === true ? hostName : alias.alias;
  const user = (resolved.ok ? get('user') : undefined) ?? alias.user;
  if (user && messageOf((v) => validateUser(v))(user) === true) result.user = user;
  const port = (resolved.ok ? get('port') : undefined) ?? alias.port;
  if (port && validPort(port)) result.port = port;
  if (resolved.ok) {
    const ids = resolved.options.get('identityfile') ?? [];
    const defaultIds = plain.options.get('identityfile') ?? [];
    if (ids.length === 1 && ids.join('\n') !== defaultIds.join('\n')) result.identity = ids[0];
    const jump = get('proxyjump');
    if (jump && jump !== 'none') {
      const hops = jump.split(',');
      if (hops.every((h) => messageOf((v) => parseHop(v))(h) === true)) result.jump = hops;
    }
    const command = get('proxycommand');
    if (command && command !== 'none' && command !== plain.options.get('proxycommand')?.[0]) {
      w.note(`${alias.alias} uses a ProxyCommand, which is not copied: give its jump hosts below instead.`);
    }
  }
  const via = result.jump ? ` via ${commaList(result.jump).join(' -> ')}` : '';
  w.note(`${alias.alias} is ${result.user ? result.user + '@' : ''}${result.host}:${result.port ?? 22}${via} (ssh -G ${alias.alias}); those are the defaults below.`);
  return result;
}

function validPort(value: string): boolean {
  return messageOf((v) => validatePort(v, '--port'))(value) === true;
}
