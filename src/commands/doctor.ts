import type { ParsedArgs } from '../types.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import type { Profile } from '../core/profile.js';
import { formatHop } from '../core/profile.js';
import { judgeBind } from '../core/bind.js';
import { bindOf } from '../core/profile.js';
import { missingTunnelReason } from '../core/remote-facts.js';
import { buildProbeArgs, buildRemoteActionArgs } from '../core/ssh-args.js';
import { renderLaunchScript } from '../core/plan.js';
import { pickProfile, resolvePaths } from '../io/store.js';
import { parseReply, launchOf, checkHint } from '../core/protocol.js';
import { ssh, isLocalPortFree, isLocalPortOpen, askJupyter, askJupyterOverSsh, multiplexing, sshConfigArgs } from '../io/remote.js';
import { judgeAnswer } from '../core/jupyter-answer.js';
import { checkMaster, sshToTarget } from '../io/connection.js';
import { SOCKET_PATH_LIMIT } from '../core/connection.js';
import { explainSshFailure as explainSshText } from '../core/explain-ssh.js';
import { readForwardState } from '../io/tunnel-state.js';
import { runProcess, parseSshG } from '../io/ssh.js';
import { colors } from '../io/output.js';

export interface Check {
  check: string;
  ok: boolean;
  detail: string;
  hint?: string;
}

const PROBE_TIMEOUT_SECONDS = 5;

export async function run(args: ParsedArgs, ctx: Context): Promise<number> {
  if (args.positionals.length > 1) throw new UsageError('doctor takes one target name', 'e.g. jupyter-ssh-setup doctor gpu');
  const paths = resolvePaths(ctx);
  const profile = await pickProfile(paths, args.positionals[0]);
  const json = Boolean(args.values.json);
  const c = colors(ctx);
  const checks: Check[] = [];
  const report = (check: Check) => {
    checks.push(check);
    if (json) return;
    ctx.stdout.write(`${check.ok ? c.green('✔') : c.red('✘')} ${check.check}: ${check.detail}\n`);
    if (check.hint) ctx.stdout.write(`  ${check.hint}\n`);
  };
  await diagnose(profile, ctx, report, await readForwardState(paths, profile.name));
  const failed = checks.find((ch) => !ch.ok);
  if (json) ctx.stdout.write(JSON.stringify({ name: profile.name, ok: !failed, failed: failed?.check ?? null, checks }) + '\n');
  else ctx.stdout.write(failed ? `\nFirst problem: ${failed.check}.\n` : `\nAll checks passed for ${profile.name}.\n`);
  return failed ? 1 : 0;
}

/**
 * Connection sharing: the socket path must fit a Unix socket (104 bytes on
 * macOS, 108 on Linux, with the 17 characters ssh adds while it binds).
 */
async function checkSharing(profile: Profile, ctx: Context, report: (c: Check) => void, controlPath: string | undefined): Promise<boolean> {
  if (!multiplexing(ctx) || !controlPath || controlPath === 'none') return true;
  const limit = process.platform === 'linux' ? 108 : SOCKET_PATH_LIMIT;
  const length = Buffer.byteLength(controlPath) + 17;
  if (length > limit) {
    report({
      check: 'connection sharing',
      ok: false,
      detail: `the socket path ${controlPath} is ${length} bytes with ssh's suffix, over the ${limit}-byte limit: every step would log in again`,
      hint: `Use a shorter HOME, or set up again with JSS_NO_MULTIPLEX=1 (a connection per step).`,
    });
    return false;
  }
  return true;
}

/** What `ssh NAME-tunnel` forwards (a plain target's alias of its own for the tunnel), or why there is none yet. */
async function reportTunnelAlias(profile: Profile, ctx: Context, report: (c: Check) => void): Promise<void> {
  if (profile.launcher !== 'plain') return;
  const g = await runProcess('ssh', [...sshConfigArgs(ctx.env), '-G', '--', `${profile.name}-tunnel`], { timeoutMs: 10_000 });
  const forward = /^localforward \[127\.0\.0\.1\]:(\d+) (.*)$/m.exec(g.stdout);
  const check = `ssh ${profile.name}-tunnel`;
  if (forward) report({ check, ok: true, detail: `forwards local port ${forward[1]} to ${forward[2]!.replace(/^\[(.*)\]/, '$1')} on ${profile.name} (a tunnel of its own)` });
  else if (bindOf(profile) === 'socket') report({ check, ok: true, detail: `not yet: ${missingTunnelReason(profile.name)}` });
}

/** Runs the checks in order and stops at the first failure: later ones depend on it. */
export async function diagnose(profile: Profile, ctx: Context, report: (c: Check) => void, forward?: { localPort: number }): Promise<void> {
  const g = await runProcess('ssh', [...sshConfigArgs(ctx.env), '-G', '--', profile.name], { timeoutMs: 10_000 });
  const resolved = parseSshG(g.stdout);
  const hostName = resolved.get('hostname')?.[0];
  if (g.exitCode !== 0 || hostName?.toLowerCase() !== profile.host.toLowerCase()) {
    report({
      check: 'SSH config',
      ok: false,
      detail: g.exitCode !== 0 ? g.stderr.trim().split('\n')[0] ?? 'ssh -G failed' : `ssh resolves ${profile.name} to ${hostName}, not ${profile.host}`,
      hint: `Run jupyter-ssh-setup setup --name ${profile.name} again; if you edited ~/.ssh/config, keep the jupyter-ssh-setup Include line first.`,
    });
    return;
  }
  const via = resolved.get('proxyjump')?.[0];
  report({ check: 'SSH config', ok: true, detail: `${profile.name} -> ${resolved.get('user')?.[0]}@${hostName}:${resolved.get('port')?.[0]}${via && via !== 'none' ? ' via ' + via : ''}` });

  await reportTunnelAlias(profile, ctx, report);
  if (!(await checkSharing(profile, ctx, report, resolved.get('controlpath')?.[0]))) return;
  const master = await checkMaster(profile.name, ctx);
  if (master.open) {
    // A live login proves every hop; probing them again would be new logins (a code each, with 2FA).
    report({ check: 'connection', ok: true, detail: `logged in (ssh pid ${master.pid ?? '?'}): every hop answers; reusing it` });
  }
  for (let i = 0; i < (master.open ? 0 : profile.jump.length); i++) {
    const hop = profile.jump[i]!;
    const label = `jump host ${formatHop(hop)}`;
    const result = await runProcess('ssh', [...sshConfigArgs(ctx.env), ...buildProbeArgs(hop, profile.jump.slice(0, i), PROBE_TIMEOUT_SECONDS)], { timeoutMs: (PROBE_TIMEOUT_SECONDS + 5) * 1000 * (i + 1) });
    if (result.exitCode !== 0) {
      const [detail, ...more] = explainSshText(result, profile);
      report({ check: label, ok: false, detail: detail!, hint: more.join(' ') || undefined });
      return;
    }
    report({ check: label, ok: true, detail: 'reachable, key accepted' });
  }

  const target = master.open ? { exitCode: 0, stdout: '', stderr: '', argv: [], timedOut: false } : await runProcess('ssh', [...sshConfigArgs(ctx.env), ...buildProbeArgs(profile.name, [], PROBE_TIMEOUT_SECONDS)], {
    timeoutMs: (PROBE_TIMEOUT_SECONDS + 5) * 1000 * (profile.jump.length + 1),
  });
  if (target.exitCode !== 0) {
    const [detail, ...more] = explainSshText(target, profile);
    report({ check: `target ${profile.host}`, ok: false, detail: detail!, hint: more.join(' ') || undefined });
    return;
  }
  report({ check: `target ${profile.host}`, ok: true, detail: 'reachable, key accepted' });

  const check = await sshToTarget(profile.name, buildRemoteActionArgs(profile.name, 'check'), ctx, { input: renderLaunchScript(profile), timeoutMs: 60_000 });
  const reply = parseReply(check.stdout, launchOf(profile), 'check', profile.name);
  if (!reply?.ok) {
    report({
      check: 'Jupyter',
      ok: false,
      detail: reply?.message ?? (check.stderr.trim().split('\n').at(-1) || 'the check did not answer'),
      hint: checkHint(reply?.error, profile),
    });
    return;
  }
  const envText = profile.env.length ? `, environment ${profile.env.map((e) => `${e.kind}:${e.value}`).join(' ')} activates` : '';
  if (reply.scheduler) {
    // Batch launchers: the login node has the scheduler; Jupyter is checked on the compute node by the job.
    report({ check: 'Jupyter', ok: true, detail: `${String(reply.scheduler).toUpperCase()} (${reply.version}, ${reply.submit}) on ${reply.host}; the job checks jupyter ${profile.app} on the compute node` });
  } else report({ check: 'Jupyter', ok: true, detail: `jupyter ${profile.app} ${reply.version} at ${reply.jupyter}${envText}` });
  const bind = { check: 'bind', ...judgeBind(profile, reply) };
  report(bind);
  if (!bind.ok) return;

  const free = await isLocalPortFree(profile.localPort);
  if (!free && forward?.localPort !== profile.localPort) {
    report({ check: `local port ${profile.localPort}`, ok: false, detail: 'in use by another program', hint: 'start will use the next free port; to pin another, run setup --local-port N.' });
    return;
  }
  report({ check: `local port ${profile.localPort}`, ok: true, detail: free ? 'free' : 'used by our tunnel' });

  await checkAnswer(profile, ctx, report, forward);
}

/**
 * The end-to-end check: a server that runs must answer OUR token, through the
 * tunnel when there is one (the URL the user opens), else over an `ssh -W`
 * stream to its port. Says what answered instead: another token, another
 * program, nothing.
 */
async function checkAnswer(profile: Profile, ctx: Context, report: (c: Check) => void, forward?: { localPort: number }): Promise<void> {
  const check = 'Jupyter answers';
  const status = await ssh(buildRemoteActionArgs(profile.name, 'status'), ctx, { timeoutMs: 30_000 });
  const reply = parseReply(status.stdout, launchOf(profile), 'status', profile.name);
  if (!reply?.ok || reply.running !== true || !reply.token || !(reply.port || reply.sock)) {
    report({ check, ok: true, detail: reply?.ok ? `no server runs now; jupyter-ssh-setup start ${profile.name} starts one` : 'no server found' });
    return;
  }
  const node = reply.node ?? '127.0.0.1';
  const where = `${reply.host ?? profile.host} ${reply.sock ? `socket ${reply.sock}` : `port ${reply.port}`}`;
  let answer;
  let via: string;
  if (forward && (await isLocalPortOpen(forward.localPort))) {
    via = `local port ${forward.localPort} (the tunnel to ${where})`;
    answer = await askJupyter(forward.localPort, reply.token, 5000);
  } else if (reply.sock) {
    // ssh -W reaches host:port only; a socket is reached through start's tunnel.
    report({ check, ok: true, detail: `Jupyter runs on ${where}; no tunnel is open to check it through (jupyter-ssh-setup start ${profile.name} opens one)` });
    return;
  } else {
    via = where;
    // Over the shared login (a stream of it, no new login when it is up).
    const args = [...sshConfigArgs(ctx.env), '-o', 'BatchMode=yes', '-o', `ConnectTimeout=${PROBE_TIMEOUT_SECONDS}`, '-W', `${node}:${reply.port}`, '--', profile.name];
    answer = await askJupyterOverSsh(args, reply.token, (PROBE_TIMEOUT_SECONDS + 5) * 1000);
  }
  const verdict = judgeAnswer(answer, via);
  if (verdict.kind === 'ok') {
    report({ check, ok: true, detail: verdict.detail });
    return;
  }
  const hints: Record<string, string> = {
    'other-token': `The token did not reach Jupyter (for a container: the engine did not pass it on). Restart it: jupyter-ssh-setup stop ${profile.name} && jupyter-ssh-setup start ${profile.name}.`,
    'other-program': `Something else holds that port. Stop it, or choose another port: jupyter-ssh-setup setup --name ${profile.name} --remote-port auto.`,
    nothing: `Jupyter no longer listens there (see ~/.jupyter-ssh-setup/${profile.name}/jupyter.log on ${profile.host}). Restart it: jupyter-ssh-setup stop ${profile.name} && jupyter-ssh-setup start ${profile.name}.`,
  };
  report({ check, ok: false, detail: verdict.detail, hint: hints[verdict.kind] });
}
