/** The jump hosts (bastion, login node), in order. */
import { parseHop } from '../core/profile.js';
import { commaList, messageOf } from './answers.js';
import { describeAlias } from './host.js';
import type { Asking, WizardState } from './state.js';

export async function askJump(w: Asking & Pick<WizardState, 'aliases'>): Promise<void> {
  if (w.flags.jump !== undefined) {
    w.answers.jump = w.flags.jump;
    return;
  }
  const current = commaList(w.defaults.jump);
  const aliases = w.aliases.filter((a) => a.alias !== w.answers.name);
  const ways = (last?: string) => [
    {
      name: last ? `No, ${last} is the last hop` : 'No, connect directly',
      value: 'none',
      description: last ? undefined : 'this machine reaches the host itself',
    },
    ...(aliases.length ? [{ name: 'Yes, a host from your SSH config', value: 'alias' }] : []),
    { name: 'Yes, type it: [user@]host[:port]', value: 'type' },
  ];
  const first = [...(current.length ? [{ name: `Keep: ${current.join(' -> ')}`, value: 'keep' }] : []), ...ways()];
  let way = await w.prompter.select({
    message: `Does ssh go through a jump host (bastion, login node) to reach ${w.answers.host}?`,
    choices: first,
    default: first[0]!.value,
  });
  if (way === 'keep') {
    w.answers.jump = current;
    return;
  }
  const hops: string[] = [];
  while (way !== 'none') {
    const which = hops.length === 0 ? 'First jump host (the one this machine connects to)' : `Jump host ${hops.length + 1} (reached from ${hops[hops.length - 1]})`;
    if (way === 'alias') {
      hops.push(
        await w.prompter.select({
          message: which,
          choices: aliases.map((a) => ({ name: a.alias, value: a.alias, description: describeAlias(a) })),
        }),
      );
    } else {
      const typed = await w.prompter.input({ message: `${which}: [user@]host[:port]`, validate: messageOf((v) => parseHop(v.trim())) });
      hops.push(typed.trim());
    }
    way = await w.prompter.select({ message: `Add another jump host after ${hops[hops.length - 1]}?`, choices: ways(hops[hops.length - 1]), default: 'none' });
  }
  w.answers.jump = hops;
}
