/**
 * A login node that asks for a one-time code (TOTP through PAM, as on HPC
 * clusters), on the real bed: over the whole day's sequence the user is asked
 * for a code once. The code is answered by test/bed/otp.sh's askpass
 * (SSH_ASKPASS_REQUIRE=force runs it instead of a terminal), which logs each
 * prompt it answers; sshd's log counts the logins.
 * client -> login:2222 (publickey + TOTP) -> gpu
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { execa } from 'execa';
import { bedUp, isRoot, resetUser, livePids, countAccepted, waitFor, appRoot, root, endingOnFailure, type BedState } from '../helpers/bed.js';

const e2e = suite('a second factor on the login node');
const it = isRoot ? e2e : (e2e.skip as typeof e2e);
let bed: BedState;
// A failed test ends the user's processes (forwards, logins, Jupyter) before the next one runs.
const guard = endingOnFailure(() => bed);
const OTP = '/var/lib/jss-bed/otp';
let prompts: string;

e2e.before(async () => {
  if (!isRoot) return;
  bed = (await bedUp())!;
  await resetUser(bed);
  await execa('bash', [join(root, 'test/bed/otp.sh'), 'up']);
  prompts = join(bed.home, 'otp-prompts.log');
});

e2e.after(async () => {
  if (!isRoot || !bed) return;
  await resetUser(bed);
  await execa('bash', [join(root, 'test/bed/otp.sh'), 'down'], { reject: false });
  rmSync(prompts, { force: true });
});

/** Runs argv as the bed's user with ssh's prompts answered by the askpass (no terminal). */
async function run(argv: string[]) {
  const env = {
    HOME: bed.home, USER: bed.user, LOGNAME: bed.user, PATH: '/usr/local/bin:/usr/bin:/bin', SHELL: '/bin/bash', LANG: 'C.UTF-8',
    SSH_ASKPASS: `${OTP}/askpass`, SSH_ASKPASS_REQUIRE: 'force', JSS_OTP_LOG: prompts,
  };
  const r = await execa('runuser', ['-u', bed.user, '--', 'env', '-i', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...argv], { reject: false, timeout: 90_000, cwd: bed.home, stdin: 'ignore' });
  return { code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}
const cli = (args: string[]) => run([process.execPath, join(appRoot, 'dist/bin.js'), ...args]);
const fn = (script: string) => run(['bash', '-ic', script]);
const otpLogins = () => (existsSync(`${OTP}/sshd.log`) ? readFileSync(`${OTP}/sshd.log`, 'utf8').split('\n').filter((l) => /Accepted keyboard-interactive/.test(l)).length : 0);
const promptCount = () => (existsSync(prompts) ? readFileSync(prompts, 'utf8').split('\n').filter((l) => /one-time|OATH/i.test(l)).length : 0);

async function answers(url: string): Promise<number> {
  const u = new URL(url);
  return (await fetch(`http://127.0.0.1:${u.port}/api/status?token=${u.searchParams.get('token')}`, { signal: AbortSignal.timeout(5000) })).status;
}

it('without a terminal or askpass, a hop that asks for a code fails at once, naming it', guard(async () => {
  const setup = await cli(['setup', '--yes', '--user', 'jssbed', '--name', 'lgn', '--host', '10.200.1.2', '--port', '2222', '--app', 'server', '--local-port', '18881', '--remote-port', '18881']);
  assert.is(setup.code, 0, setup.stderr);
  const started = Date.now();
  const r = await execa('runuser', ['-u', bed.user, '--', 'env', '-i', `HOME=${bed.home}`, 'PATH=/usr/bin:/bin', process.execPath, join(appRoot, 'dist/bin.js'), 'start', 'lgn'], { reject: false, timeout: 60_000, stdin: 'ignore' });
  assert.is(r.exitCode, 1, String(r.stderr));
  assert.ok(Date.now() - started < 15_000, 'fails fast, never hangs');
  assert.match(String(r.stderr), /10\.200\.1\.2|lgn/);
}));

it("the day's sequence asks for one code: one login on the 2FA login node, one on gpu", guard(async () => {
  const setup = await cli(['setup', '--yes', '--user', 'jssbed', '--name', 'gpu', '--host', '10.200.2.2', '--jump', 'jssbed@10.200.1.2:2222', '--app', 'server', '--local-port', '18880', '--remote-port', '18880']);
  assert.is(setup.code, 0, setup.stderr);
  const before = { otp: otpLogins(), gpu: countAccepted(bed, 'gpu'), prompts: promptCount() };
  const ok = async (what: string, r: Promise<{ code: number; stdout: string; stderr: string }>) => {
    const x = await r;
    assert.is(x.code, 0, `${what}: ${x.stderr}`);
    return x;
  };
  await ok('ssh gpu true', run(['ssh', 'gpu', 'true']));
  const s1 = JSON.parse((await ok('start', cli(['start', 'gpu', '--json']))).stdout);
  assert.is(await answers(s1.url), 200);
  await ok('stop', cli(['stop', 'gpu']));
  const s2 = JSON.parse((await ok('start again', cli(['start', 'gpu', '--json']))).stdout);
  assert.is(await answers(s2.url), 200);
  await ok('status', cli(['status']));
  await ok('remote_notebook_status', fn('remote_notebook_status gpu'));
  await ok('stop', cli(['stop', 'gpu']));
  await ok('ssh lgn true', run(['ssh', 'lgn', 'true']));
  const f = await ok('remote_notebook_start', fn('remote_notebook_start gpu'));
  const url = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+)/.exec(f.stdout)?.[1];
  assert.ok(url, f.stdout);
  assert.is(await answers(url!), 200);
  await ok('remote_notebook_stop', fn('remote_notebook_stop gpu'));
  assert.equal(
    { otp: otpLogins() - before.otp, gpu: countAccepted(bed, 'gpu') - before.gpu, prompts: promptCount() - before.prompts },
    { otp: 1, gpu: 1, prompts: 1 },
  );
  await ok('disconnect', cli(['disconnect', '--all']));
  assert.ok(await waitFor(async () => !(await livePids(bed.user)).some((p) => /\bssh\b/.test(p.args)), 5000), 'no ssh of ours after disconnect --all');
}));

e2e.run();
