/**
 * Once the host, login and jump questions are answered: log in and ask the
 * remote what it has (templates/remote-probe.sh.ejs), in one command. The
 * login is the shared one of the Host blocks setup will write: a temporary
 * config holds exactly those blocks (with the user's own config after them,
 * as our Include line orders them), so the master has the same ControlPath
 * (~/.ssh/jss-%C of the same host, user, port and jumps) and stays up for its
 * ControlPersist: the later `ssh NAME` and the first start ride on it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateProfile, type Profile } from '../core/profile.js';
import { renderSshHosts } from '../core/plan.js';
import { renderTemplate } from '../core/render.js';
import { sshConfigValue } from '../core/quote.js';
import { parseProbeAnswer, describeProbe } from '../core/remote-probe.js';
import { explainSshFailure } from '../core/explain-ssh.js';
import { predictSocketPath } from '../core/remote-facts.js';
import { readTextIfExists } from '../io/files.js';
import { renderOptions } from '../io/setup-state.js';
import { runProcess } from '../io/ssh.js';
import { colors } from '../io/output.js';
import { finalInput } from './answers.js';
import type { WizardState } from './state.js';

/** The wizard waits longer than doctor: a first login to a new host may be slow. */
const CONNECT_TIMEOUT_SECONDS = 10;

export async function probeRemote(w: WizardState): Promise<void> {
  const c = colors(w.ctx);
  if (w.options.offline) {
    w.note(c.dim('--offline: not logging in, so every choice is offered; setup ends with a connection test.'));
    return;
  }
  const draft = validateProfile({ ...finalInput(w), remotePort: undefined });
  w.note(`Logging in to ${draft.name} to see what it has (ssh ${draft.name}; this login is kept for the first start)...`);
  const result = await runProbe(draft, w);
  const probe = parseProbeAnswer(result.stdout);
  if (!probe) {
    const why = result.exitCode === 0 ? 'it did not answer as expected' : explainSshFailure(result, draft, new Map(w.aliases.map((a) => [a.alias, a.hostName ?? a.alias])))[0];
    w.note(c.red(`Could not ask ${draft.name}: ${why}`) + `\nGoing on without knowing what it has (every choice is offered); setup ends with a connection test.`);
    return;
  }
  w.remote = probe;
  w.note(c.green(describeProbe(draft.name, probe)));
}

async function runProbe(draft: Profile, w: WizardState) {
  const dir = await mkdtemp(join(tmpdir(), 'jss-probe-'));
  try {
    const hosts = join(dir, 'hosts.conf');
    const config = join(dir, 'config');
    await writeFile(hosts, renderSshHosts([draft], await renderOptions(w.ctx, w.paths, [draft])), { mode: 0o600 });
    const own = (await readTextIfExists(w.paths.sshConfig)) === null ? '' : `Include ${sshConfigValue(w.paths.sshConfig)}\n`;
    await writeFile(config, `Include ${sshConfigValue(hosts)}\n${own}`, { mode: 0o600 });
    // On a terminal ssh may ask for a password or a code (on /dev/tty); elsewhere it must not wait.
    const interactive = Boolean(w.ctx.stdin.isTTY) && w.ctx.prompter === undefined;
    const args = [
      '-F', config,
      '-o', `ConnectTimeout=${CONNECT_TIMEOUT_SECONDS}`,
      ...(interactive ? [] : ['-o', 'BatchMode=yes']),
      '-T', '--', draft.name, 'sh -s',
    ];
    const timeoutMs = (interactive ? 120_000 : 30_000) + 10_000 * draft.jump.length;
    return await runProcess('ssh', args, { input: renderTemplate('remote-probe.sh.ejs', {}, 'sh'), timeoutMs });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** What the probe tells the later steps: the socket path a socket target will use there (for `NAME-tunnel`). */
export function learnedFacts(profile: Profile, w: Pick<WizardState, 'remote'>): { home: string; socket?: string } | undefined {
  if (!w.remote) return undefined;
  const socket = predictSocketPath(profile, w.remote);
  return { home: w.remote.home, ...(socket ? { socket } : {}) };
}
