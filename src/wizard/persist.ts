/** How long the shared login stays up: one login (and one 2FA code) per day, or less where sites say so. */
import { DEFAULT_PERSIST, validatePersist } from '../core/profile.js';
import { messageOf } from './answers.js';
import type { Asking } from './state.js';

export async function askPersist(w: Asking): Promise<void> {
  if (w.flags.persist !== undefined) {
    w.answers.persist = w.flags.persist;
    return;
  }
  const current = w.defaults.persist ?? DEFAULT_PERSIST;
  const choices = [
    { name: '4 hours (one login, one code, per working day)', value: '4h' },
    { name: '10 minutes (sites that limit reusing a connection)', value: '10m' },
    { name: 'no (the login ends with its last command; a tunnel gets a connection of its own)', value: 'no' },
    { name: 'another time: type it (e.g. 8h, 1h30m)', value: 'type' },
  ];
  const known = choices.some((c) => c.value === current);
  const way = await w.prompter.select({
    message: 'After its last use, how long should the shared SSH login stay up?',
    choices: known ? choices : [{ name: `Keep: ${current}`, value: current }, ...choices],
    default: current,
  });
  w.answers.persist =
    way === 'type' ? (await w.prompter.input({ message: 'How long (e.g. 8h, 1h30m, 45m)', validate: messageOf((v) => validatePersist(v.trim())) })).trim() : way;
}
