/** How to log in: user, port, key (never a password). */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { validateUser, validatePort } from '../core/profile.js';
import { localUser } from '../io/store.js';
import { checkIdentity, messageOf } from './answers.js';
import type { Asking, WizardState } from './state.js';

export async function askUser(w: Asking & Pick<WizardState, 'ctx'>): Promise<void> {
  if (w.flags.user !== undefined) {
    w.answers.user = w.flags.user;
    return;
  }
  const user = await w.prompter.input({
    message: `Login name on ${w.answers.host}`,
    default: w.defaults.user ?? localUser(w.ctx),
    validate: messageOf((v) => validateUser(v.trim())),
  });
  w.answers.user = user.trim() || localUser(w.ctx);
}

export async function askPort(w: Asking): Promise<void> {
  if (w.flags.port !== undefined) {
    w.answers.port = w.flags.port;
    return;
  }
  const port = await w.prompter.input({
    message: `SSH port of ${w.answers.host}`,
    default: String(w.defaults.port ?? 22),
    validate: messageOf((v) => validatePort(v, '--port')),
  });
  w.answers.port = port.trim() || 22;
}

export async function askIdentity(w: Asking & Pick<WizardState, 'note' | 'paths'>): Promise<void> {
  if (w.flags.identity !== undefined) {
    w.answers.identity = w.flags.identity;
    return;
  }
  const keys = findKeys(w.paths.home);
  const current = w.defaults.identity;
  if (current && !keys.includes(current)) keys.unshift(current);
  if (keys.length === 0) {
    w.note(`No SSH key found in ~/.ssh. To log in without a password, create one: ssh-keygen -t ed25519`);
  }
  const choices = [
    { name: "ssh's defaults", value: 'none', description: 'whichever of ~/.ssh/id_ed25519, id_ecdsa, id_rsa exist, and your ssh-agent' },
    ...keys.map((k) => ({ name: k, value: `key:${k}` })),
    { name: 'Another key file', value: 'other', description: 'type the path of a private key' },
    { name: 'I log in with a password', value: 'password', description: 'how to set up a key instead (this tool never stores passwords)' },
  ];
  const answer = await w.prompter.select({ message: 'Which SSH key?', choices, default: current ? `key:${current}` : 'none' });
  if (answer.startsWith('key:')) w.answers.identity = answer.slice(4);
  else if (answer === 'other') {
    w.answers.identity = await w.prompter.input({
      message: 'Path of the private key (e.g. ~/.ssh/id_lab)',
      validate: messageOf((v) => checkIdentity(v, w.paths.home)),
    });
  } else {
    w.answers.identity = undefined;
    if (answer === 'password') w.note(passwordNote(w));
  }
}

/** Private keys in ~/.ssh: files with a matching .pub, as ~/.ssh/NAME. */
export function findKeys(home: string): string[] {
  const dir = join(home, '.ssh');
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => names.includes(`${n}.pub`))
    .filter((n) => {
      try {
        return statSync(join(dir, n)).isFile();
      } catch {
        return false;
      }
    })
    .sort()
    .map((n) => `~/.ssh/${n}`);
}

function passwordNote(w: Pick<WizardState, 'answers'>): string {
  const name = w.answers.name!;
  return [
    'This tool never asks for or stores a password. Jupyter over SSH opens several',
    'connections, so log in with a key instead; once, on this machine:',
    '  ssh-keygen -t ed25519      # Enter for the defaults; a passphrase is fine (ssh-agent)',
    `  ssh-copy-id ${name}${' '.repeat(Math.max(1, 14 - name.length))}# after this wizard: installs the key, through the jump hosts too`,
    "Continuing with ssh's default keys.",
  ].join('\n');
}
