/**
 * The interactive wizard (create-astro style): a list of steps sharing one
 * state. A flag given on the command line wins and skips its question; every
 * question has a default (the stored profile on a re-run, what `ssh -G` says
 * about a picked alias, or the same default --yes takes). Answers are
 * validated as they are typed, by the same functions and with the same
 * messages as the flags. The wizard writes nothing: commands/setup.ts applies
 * the profile it returns, after its confirmation.
 */
import type { Context, Prompter } from '../context.js';
import { validateProfile, type Profile, type ProfileInput } from '../core/profile.js';
import { CancelledError } from '../errors.js';
import { readKnownAliases } from '../io/read-ssh-config.js';
import { readProfiles, resolvePaths } from '../io/store.js';
import { isPromptCancel, createPrompter } from '../io/prompts.js';
import { colors } from '../io/output.js';
import type { SetupOptions } from '../types.js';
import type { Step, WizardState } from './state.js';
import { checkGivenFlags, finalInput, stripEmpty } from './answers.js';
import { askName } from './name.js';
import { askHost } from './host.js';
import { askUser, askPort, askIdentity } from './login.js';
import { askJump } from './jump.js';
import { askPersist } from './persist.js';
import { askLauncher, askScheduler } from './launcher.js';
import { askContainer } from './container.js';
import { askEnv } from './environment.js';
import { askApp, askNotebookDir, askRemotePort, askLocalPort } from './jupyter.js';
import { askShell } from './shell.js';
import { summarize } from './summary.js';
import { offerConnectionTest } from './connection-test.js';
import { probeRemote, learnedFacts } from './probe.js';
import type { RemoteFacts } from '../core/remote-facts.js';

/** The questions, in the order they are asked. */
export const steps: Step[] = [
  askName,
  askHost,
  askUser,
  askPort,
  askIdentity,
  askJump,
  askPersist,
  probeRemote,
  askLauncher,
  askScheduler,
  askContainer,
  askEnv,
  askApp,
  askNotebookDir,
  askRemotePort,
  askLocalPort,
  askShell,
];

/** What the wizard hands to setup: the profile, and its questions around the writes. */
export interface WizardResult {
  profile: Profile;
  /** "Write these changes?", asked once the plan is shown. */
  confirm: () => Promise<boolean>;
  /** After the files are written: offers the connection test (unless the login worked) and says what to type next. */
  afterWrite: () => Promise<void>;
  /** What the login learned of the remote, for setup to store (the socket path of `NAME-tunnel`). */
  learned?: RemoteFacts;
}

/** Asks every question not answered by a flag; writes nothing (commands/setup.ts does). */
export async function runWizard(input: ProfileInput, options: SetupOptions, ctx: Context): Promise<WizardResult> {
  const prompter = guardCancel(ctx.prompter ?? (await createPrompter(ctx)));
  const paths = resolvePaths(ctx, { sshConfig: options.sshConfig, rc: options.rc });
  const c = colors(ctx);
  const w: WizardState = {
    ctx,
    options,
    prompter,
    paths,
    flags: stripEmpty(input),
    defaults: {},
    answers: {},
    aliases: (await readKnownAliases(paths.sshConfig, paths.home, [paths.sshInclude])),
    profiles: await readProfiles(paths),
    note: (text) => ctx.stdout.write(text.replace(/^/gm, '  ').replace(/^ +$/gm, '') + '\n'),
  };
  checkGivenFlags(w);
  ctx.stdout.write(
    `${c.bold('jupyter-ssh-setup')}: Jupyter on a machine you reach over SSH.\n` +
      c.dim('Enter takes the default shown in (parentheses). Nothing is written until you confirm; Ctrl+C cancels.\n\n'),
  );
  for (const step of steps) await step(w);
  const profile = validateProfile(finalInput(w));

  ctx.stdout.write('\n' + summarize(profile, w) + '\n\n');
  return {
    profile,
    confirm: () => prompter.confirm({ message: 'Write these changes?', default: true }),
    afterWrite: () => offerConnectionTest(profile, w),
    learned: learnedFacts(profile, w),
  };
}

/** Wraps a prompter so that whatever it throws on Ctrl+C becomes CancelledError (exit 130). */
function guardCancel(p: Prompter): Prompter {
  const cancel = (error: unknown): never => {
    throw isPromptCancel(error) ? new CancelledError() : error;
  };
  return {
    input: (q) => p.input(q).catch(cancel),
    confirm: (q) => p.confirm(q).catch(cancel),
    select: (q) => p.select(q).catch(cancel),
  };
}
