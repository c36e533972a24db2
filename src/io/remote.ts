import { createServer, connect } from 'node:net';
import { get as httpGet } from 'node:http';
import type { Context } from '../context.js';
import { runProcess, startProcess, type RunResult, type RunOptions } from './ssh.js';
import { maskSecrets, canMultiplex, withoutMultiplexing } from '../core/ssh-args.js';
import { RuntimeFailure } from '../errors.js';
import type { Profile } from '../core/profile.js';
import { explainSshFailure as explainSshText } from '../core/explain-ssh.js';
import { canPrompt } from './terminal.js';
import { shQuote } from '../core/quote.js';

/**
 * `JSS_SSH_CONFIG=FILE` makes every ssh the CLI runs for a target read FILE
 * (`ssh -F FILE`) instead of ~/.ssh/config. OpenSSH finds ~/.ssh/config through
 * the password database, not $HOME, so a HOME of its own (as `demo` uses) needs
 * this to reach the config that setup wrote there. Unset: no arguments.
 */
export function sshConfigArgs(env: NodeJS.ProcessEnv): string[] {
  return env.JSS_SSH_CONFIG ? ['-F', env.JSS_SSH_CONFIG] : [];
}
import { judgeAnswer, type HttpAnswer } from '../core/jupyter-answer.js';
import { Duplex } from 'node:stream';

/** Runs ssh with an argument array; --verbose prints it (tokens masked). */
export async function ssh(args: string[], ctx: Context, options: RunOptions = {}): Promise<RunResult> {
  if (!multiplexing(ctx)) {
    const plain = withoutMultiplexing(args);
    if (plain === null) return { exitCode: 255, stdout: '', stderr: 'no connection sharing here\n', argv: ['ssh', ...args], timedOut: false };
    args = plain;
  }
  // No one to answer a password or code prompt: fail at once instead of hanging.
  if (!canPrompt(ctx.env) && !args.includes('-O') && !args.includes('-G')) {
    const dd = args.indexOf('--');
    args = [...args.slice(0, dd < 0 ? 0 : dd), '-o', 'BatchMode=yes', ...args.slice(dd < 0 ? 0 : dd)];
  }
  args = [...sshConfigArgs(ctx.env), ...args];
  if (ctx.verbose) ctx.stderr.write(`$ ${maskSecrets(['ssh', ...args].map(shQuote).join(' '))}\n`);
  return runProcess('ssh', args, options);
}

export function multiplexing(ctx: Context): boolean {
  return canMultiplex(process.platform, ctx.env);
}

/**
 * An ssh failure as a RuntimeFailure: the first line of core/explain-ssh's
 * explanation (which names the hop when ssh's message does) as the message,
 * the rest and a pointer to doctor as the hint.
 */
export function explainSshFailure(result: RunResult, profile: Pick<Profile, 'name' | 'host' | 'jump'>): RuntimeFailure {
  const [first, ...rest] = explainSshText(result, profile);
  const hint = [...rest, `Run jupyter-ssh-setup doctor ${profile.name} to check each hop.`].join('\n  ');
  return new RuntimeFailure(`ssh to ${profile.name} failed: ${first}`, hint);
}

/** True when nothing listens on 127.0.0.1:port and we may bind it. */
export function isLocalPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** True when something accepts connections on 127.0.0.1:port. */
export function isLocalPortOpen(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * One GET of /api/status with our token (in a header, never in argv): on the
 * local end of the tunnel, or over `connection` (e.g. an `ssh -W` stream).
 * The answer, or undefined when nothing answered.
 */
export function askJupyter(localPort: number, token: string, timeoutMs: number, connection?: () => Duplex): Promise<HttpAnswer | undefined> {
  // node:http rather than fetch: fetch loads undici on first use, ~30 ms of every start.
  return new Promise((resolve) => {
    const req = httpGet(
      {
        host: '127.0.0.1',
        port: localPort,
        path: '/api/status',
        headers: { Authorization: `token ${token}`, Connection: 'close' },
        timeout: timeoutMs,
        ...(connection ? { createConnection: connection } : {}),
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          if (body.length < 4096) body += d;
        });
        const server = typeof res.headers.server === 'string' ? res.headers.server : undefined;
        res.once('end', () => resolve({ status: res.statusCode ?? 0, server, body }));
        res.on('error', () => resolve(undefined));
      },
    );
    req.once('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

/** askJupyter over the stdio of `ssh ARGS` (ARGS with -W HOST:PORT): end to end without a tunnel. */
export async function askJupyterOverSsh(args: string[], token: string, timeoutMs: number): Promise<HttpAnswer | undefined> {
  const child = startProcess('ssh', args, { stdio: ['pipe', 'pipe', 'ignore'] });
  try {
    const stream = Duplex.from({ readable: child.stdout, writable: child.stdin });
    // ssh ends the stream when the far end closes or refuses: that is an answer (none), not a crash.
    stream.on('error', () => undefined);
    return await askJupyter(0, token, timeoutMs, () => stream);
  } finally {
    child.kill();
  }
}

/**
 * Polls Jupyter's /api/status through the tunnel: quickly at first, then
 * backing off, until it answers our token. Returns the last answer. A Jupyter
 * that rejects our token keeps doing so: after three such answers it stops.
 */
export async function waitForJupyter(localPort: number, token: string, timeoutMs: number): Promise<HttpAnswer | undefined> {
  const deadline = Date.now() + timeoutMs;
  let delay = 10;
  let last: HttpAnswer | undefined;
  let rejected = 0;
  while (Date.now() < deadline) {
    last = await askJupyter(localPort, token, Math.max(500, Math.min(3000, deadline - Date.now())));
    const kind = judgeAnswer(last, '').kind;
    if (kind === 'ok') return last;
    rejected = kind === 'other-token' ? rejected + 1 : 0;
    if (rejected >= 3) return last;
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 250);
  }
  return last;
}
