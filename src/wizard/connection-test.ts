/** After the writes: `ssh NAME true`, and when it fails, which hop fails by itself. */
import { join } from 'node:path';
import { userInfo } from 'node:os';
import type { Paths } from '../core/plan.js';
import { formatHop, type Hop, type Profile } from '../core/profile.js';
import { buildProbeArgs } from '../core/ssh-args.js';
import { CancelledError } from '../errors.js';
import { resolvePaths } from '../io/store.js';
import { runProcess, type RunResult } from '../io/ssh.js';
import { alignComments, colors, tildify } from '../io/output.js';
import { persistOf } from '../core/profile.js';
import { multiplexing } from '../io/remote.js';
import { explainSshFailure } from '../core/explain-ssh.js';
import type { WizardState } from './state.js';

/** After the writes: "Test the connection now?", then what to type next. */
export async function offerConnectionTest(profile: Profile, w: Pick<WizardState, 'ctx' | 'options' | 'prompter' | 'aliases' | 'remote'>): Promise<void> {
  const { ctx, options, prompter } = w;
  const finalPaths = resolvePaths(ctx, { sshConfig: options.sshConfig, rc: options.rc, shell: profile.shell });
  const next = () => alignComments([
    [`source ${tildify(finalPaths.rc, finalPaths.home)}`, 'or open a new terminal'],
    [`remote_notebook_start ${profile.name}`, `or: npx jupyter-ssh-setup start ${profile.name}`],
  ]);
  if (w.remote) {
    // The login after the jump question worked: that was the connection test (the next steps are above).
    const kept = persistOf(profile) !== 'no' && multiplexing(ctx) ? ` Its login stays up: the first start of ${profile.name} reuses it.` : '';
    ctx.stdout.write(`\nReady: ssh ${profile.name} worked when the wizard asked what it has.${kept}\n`);
    return;
  }
  // The files are written now: a Ctrl+C here must not claim "nothing written".
  const test = await prompter.confirm({ message: `Test the connection now (ssh ${profile.name} true)?`, default: true }).catch((error: unknown) => {
    if (error instanceof CancelledError) return false;
    throw error;
  });
  if (test) {
    const ok = await testConnection(profile, finalPaths, w);
    ctx.stdout.write(
      ok
        ? `\nReady. Type:\n${next()}`
        : `\nWhen ssh ${profile.name} true works, type:\n${next()}` + `To check hop by hop: npx jupyter-ssh-setup doctor ${profile.name}\n`,
    );
  }
}

/** The wizard's probes wait longer than doctor's: the first login to a new host may be slow. */
const TEST_TIMEOUT_SECONDS = 10;

/** The arguments of the connection test; -F only when the config is not the one ssh reads anyway. */
function buildTestArgs(target: string | Hop, before: Hop[], sshConfig: string): string[] {
  return [...configArgs(sshConfig), ...buildProbeArgs(target, before, TEST_TIMEOUT_SECONDS, false)];
}

function configArgs(sshConfig: string): string[] {
  return sshConfig === join(userInfo().homedir, '.ssh', 'config') ? [] : ['-F', sshConfig];
}

/** A ProxyJump that failed somewhere on the way: ssh says only that the proxy closed. */
function failedInsideJump(result: RunResult): boolean {
  return /Connection closed by UNKNOWN port 65535|kex_exchange_identification|stdio forwarding failed/.test(result.stderr);
}

async function testConnection(profile: Profile, paths: Paths, w: Pick<WizardState, 'ctx' | 'aliases'>): Promise<boolean> {
  const c = colors(w.ctx);
  const args = buildTestArgs(profile.name, [], paths.sshConfig);
  w.ctx.stdout.write(`Running: ssh ${args.join(' ')}\n`);
  const result = await runProcess('ssh', args, { timeoutMs: 15000 + 10000 * profile.jump.length });
  if (result.exitCode === 0) {
    w.ctx.stdout.write(c.green(`ssh ${profile.name} works.`) + '\n');
    return true;
  }
  w.ctx.stdout.write(c.red(`ssh ${profile.name} failed.`) + '\n');
  const hostNames = new Map(w.aliases.map((a) => [a.alias, a.hostName ?? a.alias]));
  const explain = (r: RunResult) => explainSshFailure(r, profile, hostNames).join('\n') + '\n';
  if (!profile.jump.length || !failedInsideJump(result)) {
    w.ctx.stdout.write(explain(result));
    return false;
  }
  // The error of a jump host stays inside the ProxyJump; find the first hop that fails by itself.
  for (let i = 0; i < profile.jump.length; i++) {
    const hop = profile.jump[i]!;
    const hopArgs = buildTestArgs(hop, profile.jump.slice(0, i), paths.sshConfig);
    w.ctx.stdout.write(`Checking the jump host ${formatHop(hop)}: ssh ${hopArgs.join(' ')}\n`);
    const r = await runProcess('ssh', hopArgs, { timeoutMs: 15000 + 10000 * i });
    if (r.exitCode === 0) continue;
    if (i > 0 && failedInsideJump(r)) {
      const prev = formatHop(profile.jump[i - 1]!);
      w.ctx.stdout.write(`The jump host ${prev} answers, but could not connect on to ${formatHop(hop)}: check that name and port as seen from ${prev}.\n`);
    } else w.ctx.stdout.write(explain(r));
    return false;
  }
  const last = formatHop(profile.jump[profile.jump.length - 1]!);
  w.ctx.stdout.write(`Every jump host answers, but ${last} could not connect on to ${profile.host} port ${profile.port ?? 22}: check that address and port as seen from ${last}.\n`);
  return false;
}
