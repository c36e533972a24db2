/**
 * Answers as profile input: validators turned into prompt checks, and the
 * list and flag handling every step shares.
 */
import { join } from 'node:path';
import { statSync } from 'node:fs';
import { validateProfile, validateName, type ProfileInput } from '../core/profile.js';
import { ValidationError } from '../errors.js';
import { tildify } from '../io/output.js';
import type { WizardState } from './state.js';

/** Turns a validator that throws ValidationError into an inquirer `validate`: true, or the flag's message. */
export function messageOf(check: (value: string) => unknown): (value: string) => true | string {
  return (value) => {
    try {
      check(value);
      return true;
    } catch (error) {
      if (error instanceof ValidationError) return error.message;
      throw error;
    }
  };
}

/** A valid profile but for the fields under test, so validateProfile judges just those. */
export function probe(patch: ProfileInput): ProfileInput {
  return { name: 'x', host: 'x', ...patch };
}

/** The name rules of --name, and (unless --force) not a Host the user already has. */
export function checkName(value: string, w: Pick<WizardState, 'aliases' | 'profiles' | 'options' | 'paths'>): void {
  validateName(value);
  if (w.options.force || w.profiles.has(value)) return;
  const clash = w.aliases.find((a) => a.alias === value || a.alias === `${value}-tunnel`);
  if (clash) {
    // The message checkAgainstSystem gives for the flag.
    throw new ValidationError('--name', value, `already a Host in ${tildify(clash.file, w.paths.home)}; choose another name, or pass --force to let ours take precedence`);
  }
}

/** The path rules of --identity and, as for the flag, an existing file. */
export function checkIdentity(value: string, home: string): void {
  validateProfile(probe({ identity: value }));
  const path = value.startsWith('~/') ? join(home, value.slice(2)) : value;
  let exists = false;
  try {
    exists = statSync(path).isFile();
  } catch {
    exists = false;
  }
  if (!exists) {
    throw new ValidationError('--identity', value, 'no such file; give the path of an existing private key (e.g. ~/.ssh/id_ed25519), or create one with ssh-keygen -t ed25519');
  }
}

/**
 * Fails on a bad flag before the first question, with the message the flag
 * gets without the wizard, rather than after every question is answered.
 */
export function checkGivenFlags(w: Pick<WizardState, 'flags' | 'aliases' | 'profiles' | 'options' | 'paths'>): void {
  const f = w.flags;
  if (f.name !== undefined) checkName(f.name, w);
  const container = f.container ?? (f.image !== undefined ? 'docker' : undefined);
  const needsImage = container !== undefined && container !== 'none' && f.image === undefined;
  validateProfile({ ...f, name: f.name ?? 'x', host: f.host ?? 'x', container, image: needsImage ? 'x' : f.image });
  if (f.identity !== undefined) checkIdentity(f.identity, w.paths.home);
}

export interface Choice {
  name: string;
  value: string;
  description?: string;
}

/**
 * The choices of a question about what the remote has: when the login found
 * out, those it has (and `always`, and the stored answer), then one choice
 * that shows the rest; else all of them. Returns the answer.
 */
export async function selectFound(
  w: Pick<WizardState, 'prompter'>,
  q: { message: string; choices: Choice[]; found?: string[]; always?: string[]; default?: string; where: string },
): Promise<string> {
  if (q.found === undefined) return w.prompter.select({ message: q.message, choices: q.choices, default: q.default });
  const keep = new Set([...q.found, ...(q.always ?? []), ...(q.default !== undefined ? [q.default] : [])]);
  const offered = q.choices.filter((c) => keep.has(c.value));
  const rest = q.choices.filter((c) => !keep.has(c.value));
  if (rest.length === 0) return w.prompter.select({ message: q.message, choices: offered, default: q.default });
  const other = { name: `Other (not found on ${q.where})`, value: '(other)', description: rest.map((c) => c.name).join(', ') };
  const answer = await w.prompter.select({ message: q.message, choices: [...offered, other], default: q.default ?? offered[0]?.value });
  return answer === other.value ? w.prompter.select({ message: q.message, choices: rest, default: rest[0]!.value }) : answer;
}

export function commaList(value: string | string[] | undefined): string[] {
  return listOf(value)
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
}

export function listOf(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

export function stripEmpty(input: ProfileInput): ProfileInput {
  return Object.fromEntries(
    Object.entries(input).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0)),
  ) as ProfileInput;
}

/** The answers, plus what only flags set (mounts, QOS, directives) carried over from a stored profile. */
export function finalInput(w: Pick<WizardState, 'answers' | 'defaults' | 'flags'>): ProfileInput {
  const a: ProfileInput = { ...w.answers };
  // Asked by no question: a flag, else the stored profile's.
  a.bind = w.flags.bind ?? w.defaults.bind;
  a.reconnect = w.flags.reconnect ?? w.defaults.reconnect;
  if (a.launcher !== 'plain') {
    a.qos = w.flags.qos ?? w.defaults.qos;
    a.directive = w.flags.directive ?? w.defaults.directive;
  } else {
    a.qos = w.flags.qos;
    a.directive = w.flags.directive;
  }
  return stripEmpty(a);
}
