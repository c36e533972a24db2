import type { Context } from '../context.js';

/**
 * Progress on long waits: a spinner with the phase and elapsed time on a
 * terminal, plain lines otherwise (logs, CI, pipes). Writes to stderr so
 * stdout stays clean for URLs and --json.
 */
export interface Progress {
  phase(text: string): void;
  done(): void;
}

export function createProgress(ctx: Context, quiet = false): Progress {
  if (quiet) return { phase() {}, done() {} };
  const started = Date.now();
  const tty = Boolean(ctx.stderr.isTTY) && ctx.env.TERM !== 'dumb';
  if (!tty) return createPlainProgress(ctx);
  const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
  let current = '';
  let i = 0;
  const draw = () => {
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    ctx.stderr.write(`\r\u001b[2K${frames[i++ % frames.length]} ${current} ${secs}s`);
  };
  const timer = setInterval(draw, 80);
  timer.unref();
  return {
    phase(text) {
      current = text;
      draw();
    },
    done() {
      clearInterval(timer);
      ctx.stderr.write('\r\u001b[2K');
    },
  };
}

/** Plain lines, one a phase: for logs and pipes, and while ssh may prompt on the terminal. */
export function createPlainProgress(ctx: Context): Progress {
  return {
    phase(text) {
      ctx.stderr.write(`${text}\n`);
    },
    done() {},
  };
}
