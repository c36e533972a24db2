#!/usr/bin/env node
// Thin entry: build the real context, run, exit with the code the CLI chose.
import { run } from './cli.js';
import { createProcessContext } from './context.js';

// `jupyter-ssh-setup ... | head` closes the pipe early: that is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});
const code = await run(process.argv.slice(2), createProcessContext(process.argv.slice(2)));
process.exitCode = code;
