/** The first question: the target's name, which is also its SSH alias. */
import { profileToInput } from '../core/profile.js';
import { checkName, messageOf } from './answers.js';
import type { Asking, WizardState } from './state.js';

export async function askName(w: Asking & Pick<WizardState, 'note' | 'profiles' | 'aliases' | 'options' | 'paths'>): Promise<void> {
  const check = (value: string) => checkName(value, w);
  if (w.flags.name !== undefined) w.answers.name = w.flags.name;
  else {
    const known = [...w.profiles.keys()];
    w.answers.name = await w.prompter.input({
      message: known.length ? `Name for this target, its SSH alias (set up already: ${known.join(', ')})` : 'Name for this target, its SSH alias',
      default: suggestName(w),
      validate: messageOf(check),
    });
  }
  const stored = w.profiles.get(w.answers.name);
  if (stored) {
    w.defaults = profileToInput(stored);
    w.note(`"${stored.name}" is set up already: its current answers are the defaults, and the plan will show only what changes.`);
  }
}

/** Names the wizard suggests: from the host, else "gpu", never one that clashes. */
function suggestName(w: Pick<WizardState, 'flags' | 'aliases' | 'profiles' | 'options' | 'paths'>): string {
  const host = w.flags.host;
  const fromHost = host && !/^[0-9.:[\]]+$/.test(host) ? host.split('.')[0]! : undefined;
  const candidates = [fromHost, 'gpu', 'jupyter', 'gpu-jupyter'].filter((n): n is string => n !== undefined);
  for (const name of candidates) {
    if (messageOf((v) => checkName(v, w))(name) === true) return name;
  }
  return 'gpu';
}
