/**
 * A login node in a temporary directory for the batch launch script
 * (templates/launch-batch.sh.ejs): stand-ins for sbatch/squeue/scancel/scontrol,
 * qsub/qstat/qdel and bsub/bjobs/bkill/lsid that record their arguments and
 * answer with what a test puts in their state dir, and a PATH of only those and
 * the standard tools (so a missing scheduler is exercised too).
 */
import * as assert from 'uvu/assert';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, existsSync, symlinkSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { renderLaunchScript } from '../../src/core/plan.js';
import { validateProfile, type ProfileInput } from '../../src/core/profile.js';

const TOOLS = ['sh', 'mkdir', 'rmdir', 'chmod', 'rm', 'mv', 'cp', 'sed', 'tr', 'cut', 'awk', 'tail', 'head', 'grep', 'cat', 'sleep', 'hostname', 'basename', 'date', 'env', 'od'];

const FAKE = String.raw`#!/bin/sh
# A scheduler command stand-in; its answers come from files in $FAKE.
me=$(basename "$0")
{ printf '%s' "$me"; for a in "$@"; do printf ' %s' "$a"; done; printf '\n'; } >>"$FAKE/calls"
case "$me" in
  sbatch | qsub)
    pwd >"$FAKE/submit-cwd"
    umask >"$FAKE/submit-umask"
    for a in "$@"; do last=$a; done
    cp "$last" "$FAKE/submitted.sh"
    if [ -e "$FAKE/submit-fails" ]; then cat "$FAKE/submit-fails"; exit 1; fi
    cat "$FAKE/next-id" ;;
  bsub)
    # LSF reads the job script from stdin.
    pwd >"$FAKE/submit-cwd"
    umask >"$FAKE/submit-umask"
    cat >"$FAKE/submitted.sh"
    if [ -e "$FAKE/submit-fails" ]; then cat "$FAKE/submit-fails"; exit 255; fi
    cat "$FAKE/next-id" ;;
  squeue | qstat | scontrol | bjobs | lsid)
    # bjobs -w (the fallback listing) answers from bjobs-w.out
    [ "$me $1" = "bjobs -w" ] && me=bjobs-w
    cat "$FAKE/$me.out" 2>/dev/null
    exit "$(cat "$FAKE/$me.rc" 2>/dev/null || echo 0)" ;;
  scancel | qdel | bkill)
    [ -e "$FAKE/after-cancel.out" ] && cp "$FAKE/after-cancel.out" "$FAKE/$(case "$me" in scancel) echo squeue ;; bkill) echo bjobs ;; *) echo qstat ;; esac).out"
    [ -e "$FAKE/after-cancel.end" ] && cp "$FAKE/after-cancel.end" "$JOBDIR/job.end"
    exit 0 ;;
  sinfo) echo "slurm 22.05.8" ;;
esac
exit 0
`;

export interface Bed {
  home: string;
  fake: string;
  bin: string;
  dir: string;
  script: string;
  run(action: string, env?: Record<string, string>): { code: number; json: Record<string, unknown>; stdout: string; stderr: string };
  calls(): string[];
  set(file: string, text: string): void;
}

const roots: string[] = [];

export function makeBed(input: ProfileInput, withScheduler = true): Bed {
  const root = mkdtempSync(join(tmpdir(), 'jss-batch-'));
  roots.push(root);
  const home = join(root, 'home');
  const fake = join(root, 'fake');
  const bin = join(root, 'bin');
  mkdirSync(home);
  mkdirSync(fake);
  mkdirSync(bin);
  for (const tool of TOOLS) {
    const path = execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
    symlinkSync(path, join(bin, tool));
  }
  if (withScheduler) {
    writeFileSync(join(bin, 'fake-scheduler'), FAKE);
    chmodSync(join(bin, 'fake-scheduler'), 0o755);
    for (const cmd of ['sbatch', 'squeue', 'scancel', 'scontrol', 'qsub', 'qstat', 'qdel', 'bsub', 'bjobs', 'bkill', 'lsid']) symlinkSync(join(bin, 'fake-scheduler'), join(bin, cmd));
  }
  const profile = validateProfile(input);
  const script = join(root, 'launch.sh');
  writeFileSync(script, renderLaunchScript(profile));
  const dir = join(home, '.jupyter-ssh-setup', profile.name);
  writeFileSync(join(fake, 'next-id'), '41\n');
  return {
    home,
    fake,
    bin,
    dir,
    script,
    run(action, env = {}) {
      const r = spawnSync('sh', [script, action], { encoding: 'utf8', cwd: root, env: { PATH: bin, HOME: home, FAKE: fake, JOBDIR: dir, ...env } });
      const line = r.stdout.trim().split('\n').at(-1) ?? '';
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(line) as Record<string, unknown>;
      } catch {
        assert.unreachable(`not one JSON line from ${action}: ${JSON.stringify(r.stdout)} ${r.stderr}`);
      }
      return { code: r.status ?? -1, json, stdout: r.stdout, stderr: r.stderr };
    },
    calls() {
      return existsSync(join(fake, 'calls')) ? readFileSync(join(fake, 'calls'), 'utf8').trim().split('\n') : [];
    },
    set(file, text) {
      writeFileSync(join(fake, file), text);
    },
  };
}

/** Removes every bed made so far. */
export function removeBeds(): void {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
}
