import { openSync, closeSync } from 'node:fs';

let terminal: boolean | undefined;

/**
 * Whether ssh can ask the user (a password, a one-time code, a host key):
 * a controlling terminal, or SSH_ASKPASS forced. Without either, ssh runs
 * with BatchMode so that a prompt fails at once, naming the hop, instead of
 * hanging.
 */
export function canPrompt(env: NodeJS.ProcessEnv): boolean {
  if (env.SSH_ASKPASS && (env.SSH_ASKPASS_REQUIRE === 'force' || (env.SSH_ASKPASS_REQUIRE !== 'never' && env.DISPLAY))) return true;
  if (terminal === undefined) {
    try {
      closeSync(openSync('/dev/tty', 'r'));
      terminal = true;
    } catch {
      terminal = false;
    }
  }
  return terminal;
}
