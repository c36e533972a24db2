// The test bed is one per machine and shared: a run (npm test, npm run bench)
// brings it up when it needs it and takes down only what it brought up, at
// exit whatever happens (a failure, Ctrl+C). KEEP_BED=1 leaves it up.
import { spawnSync } from 'node:child_process';

/** Runs `bash SCRIPT ACTION`; its exit code. */
function bed(script, action, stderr) {
  return spawnSync('bash', [script, action], { stdio: ['ignore', 'ignore', stderr] }).status ?? 1;
}

/**
 * Brings the bed up (SCRIPT is test/bed/bed.sh) and, when it was not up before,
 * arranges for `bed.sh down` at exit. Returns whether it was up before and the
 * exit code of `up`; `release()` takes it down now (once) instead of at exit.
 */
export function claimBed(script, env = process.env) {
  const wasUp = bed(script, 'status', 'ignore') === 0;
  const up = bed(script, 'up', 'inherit');
  let released = wasUp || Boolean(env.KEEP_BED);
  const release = () => {
    if (released) return;
    released = true;
    bed(script, 'down', 'inherit');
  };
  process.once('exit', release);
  for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(130));
  return { wasUp, up, release };
}
