/** The state the wizard's steps share, and the part of it most steps need. */
import type { Context, Prompter } from '../context.js';
import type { Paths } from '../core/plan.js';
import type { Profile, ProfileInput } from '../core/profile.js';
import type { KnownAlias } from '../io/read-ssh-config.js';
import type { SetupOptions } from '../types.js';
import type { RemoteProbe } from '../core/remote-probe.js';

/** What every step shares; each step takes only the part of it that it reads or sets. */
export interface WizardState {
  ctx: Context;
  options: SetupOptions;
  prompter: Prompter;
  paths: Paths;
  /** Given as flags: never asked. */
  flags: ProfileInput;
  /** Offered as defaults: the stored profile of that name, then what a picked alias says. */
  defaults: ProfileInput;
  answers: ProfileInput;
  /** Host aliases of the user's own SSH config (ours left out). */
  aliases: KnownAlias[];
  profiles: Map<string, Profile>;
  note: (text: string) => void;
  /** What the login after the jump question found there; undefined when offline. */
  remote?: RemoteProbe;
}

/** A step asks its question(s) unless a flag answered them, and records the answer. */
export type Step = (w: WizardState) => Promise<void>;

/** What a step that asks one question reads and sets: the flags win, then the defaults offered, then the answer. */
export type Asking = Pick<WizardState, 'prompter' | 'flags' | 'defaults' | 'answers'>;
/** A step that offers what the remote has, when the login found out. */
export type AskingRemote = Asking & Pick<WizardState, 'remote'>;
