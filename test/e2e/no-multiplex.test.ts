/**
 * Where ssh has no connection sharing (Windows' OpenSSH), every step is a
 * connection of its own and the tunnel is an ssh process of its own.
 * JSS_NO_MULTIPLEX=1 selects that mode here, on the real bed.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { bedUp, isRoot, asUser, resetUser, livePids, waitFor, portIsFree, appRoot, endingOnFailure, type BedState } from '../helpers/bed.js';

const e2e = suite('without connection sharing (as on Windows)');
const it = isRoot ? e2e : (e2e.skip as typeof e2e);
let bed: BedState;
// A failed test ends the user's processes (forwards, logins, Jupyter) before the next one runs.
const guard = endingOnFailure(() => bed);

e2e.before(async () => {
  if (!isRoot) return;
  bed = (await bedUp())!;
  await resetUser(bed);
});

e2e.after(async () => {
  if (isRoot && bed) await resetUser(bed);
});

const noMux = (...args: string[]) => asUser(bed, ['env', 'JSS_NO_MULTIPLEX=1', process.execPath, join(appRoot, 'dist/bin.js'), ...args]);

it('setup, start, status and stop work with a tunnel process and no shared connection', guard(async () => {
  const s = await noMux('setup', '--yes', '--user', 'jssbed', '--name', 'gpu', '--host', '10.200.2.2', '--jump', 'jssbed@10.200.1.2', '--app', 'server', '--local-port', '18700', '--remote-port', '18700');
  assert.is(s.code, 0, s.stderr);
  const r = await noMux('start', 'gpu', '--json');
  assert.is(r.code, 0, r.stderr);
  const { localPort, token } = JSON.parse(r.stdout);
  assert.is((await fetch(`http://127.0.0.1:${localPort}/api/status?token=${token}`)).status, 200);
  const procs = await livePids(bed.user);
  assert.not.ok(procs.some((p) => p.args.includes('[mux]') || p.args.includes('.ctl')), 'no shared connection');
  assert.ok(procs.some((p) => /^ssh -N .*-L 127\.0\.0\.1:18700:/.test(p.args)), 'a tunnel process');
  const st = JSON.parse((await noMux('status', 'gpu', '--json')).stdout);
  assert.is(st.state, 'running');
  assert.is(st.tunnel, 'open');
  const again = await noMux('start', 'gpu', '--json');
  assert.is(JSON.parse(again.stdout).url, JSON.parse(r.stdout).url, 'reused');
  const stop = await noMux('stop', 'gpu');
  assert.is(stop.code, 0, stop.stderr);
  assert.ok(await waitFor(async () => !(await livePids(bed.user)).some((p) => /^ssh -N|jupyter/.test(p.args)), 5000), 'nothing left');
  assert.ok(await waitFor(() => portIsFree(localPort), 3000));
}));

e2e.run();
