import type { Context } from '../context.js';

/** Opens a URL in the user's browser (the `open` package, imported only here and only then). */
export async function openUrl(url: string, ctx: Context): Promise<void> {
  try {
    const { default: open } = await import('open');
    await open(url, { wait: false });
  } catch (error) {
    ctx.stderr.write(`Could not open a browser (${(error as Error).message}); open the URL above by hand.\n`);
  }
}
