/**
 * Containers inside batch jobs: a SLURM job on node gpu runs Jupyter in a
 * podman container, published on the node's address only; the login node
 * forwards to it. Stop cancels the job and leaves no container.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { execa } from 'execa';
import { bedUp, isRoot, cli, resetUser, runInKernel, waitFor, portIsFree, root, endUserRuns, endingOnFailure, slurmJobs, type BedState } from '../helpers/bed.js';

const e2e = suite('a SLURM job running Jupyter in a container');
const it = isRoot ? e2e : (e2e.skip as typeof e2e);
let bed: BedState;
const CONTAINERS_CONF = '/var/cache/jss-bed/containers.conf';
const containerSh = join(root, 'test/bed/container.sh');
const slurmSh = join(root, 'test/bed/slurm.sh');

async function containers(): Promise<string[]> {
  const r = await execa('podman', ['ps', '-a', '--filter', `label=io.jupyter-ssh-setup.user=${bed.user}`, '--format', '{{.Names}}'], {
    env: { ...process.env, CONTAINERS_CONF },
  });
  return String(r.stdout).split('\n').filter(Boolean);
}

e2e.before(async () => {
  if (!isRoot) return;
  bed = (await bedUp())!;
  await resetUser(bed);
  await execa('bash', [containerSh, 'up'], { stdout: 'ignore', stderr: 'inherit', timeout: 15 * 60_000 });
  await execa('bash', [slurmSh, 'up'], { stdout: 'ignore' });
});

// A failed start or stop cancels the user's jobs (the job's container goes with container.sh down).
const jobs = slurmJobs('jssbed');
const guard = endingOnFailure(() => bed, jobs);

e2e.after(async () => {
  if (!isRoot || !bed) return;
  await cli(bed, ['stop', 'hpcbox']);
  await endUserRuns(bed, jobs);
  await resetUser(bed);
  await execa('bash', [containerSh, 'down'], { reject: false });
});

it('start: job on gpu, Jupyter in a container, URL through the login node; stop leaves no container', guard(async () => {
  const s = await cli(bed, ['setup', '--yes', '--user', 'jssbed', '--name', 'hpcbox', '--host', '10.200.1.2', '--launcher', 'slurm', '--cpus', '1', '--time', '10:00', '--container', 'podman', '--image', 'localhost/jss-jupyter:test', '--app', 'server', '--local-port', '18650']);
  assert.is(s.code, 0, s.stderr);
  const r = await cli(bed, ['start', 'hpcbox', '--json'], 120_000);
  assert.is(r.code, 0, r.stdout + r.stderr);
  const { localPort, token, node } = JSON.parse(r.stdout);
  assert.is(node, 'gpu');
  const res = await fetch(`http://127.0.0.1:${localPort}/api/status?token=${token}`);
  assert.is(res.status, 200);
  const out = await runInKernel(localPort, token, 'import os; print(os.path.exists("/run/.containerenv"))');
  assert.is(out.trim(), 'True', 'the kernel runs inside the container');
  assert.equal((await containers()).length, 1);
  const stop = await cli(bed, ['stop', 'hpcbox']);
  assert.is(stop.code, 0, stop.stderr);
  assert.ok(await waitFor(async () => (await containers()).length === 0, 20_000, 200), 'no container left');
  assert.ok(await waitFor(() => portIsFree(localPort), 5000));
}));

e2e.run();
