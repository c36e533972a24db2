/**
 * Golden files for every renderer of src/core/plan.ts over the fixture
 * profiles (fixtures/profiles/*.json, given as setup's answers), and the
 * checks every generated file must pass: bash -n, sh -n (dash), zsh -n,
 * shellcheck, and ssh -G for the SSH Host blocks.
 *
 * The golden files are fixtures/golden/<profile name>/*; what does not depend
 * on one profile is in fixtures/golden/_all/. Compare by default; regenerate
 * them with UPDATE_GOLDEN=1 (then review the diff).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { promises as fs, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fse from 'fs-extra';
import { renderSshHosts, renderFunctions, renderProfileShell, renderLaunchScript, renderProfileJson, type Paths } from '../../src/core/plan.js';
import { validateProfile, formatHop, bindOf, type Profile, type ProfileInput } from '../../src/core/profile.js';
import { buildRemoteCommand, urlPath } from '../../src/core/remote.js';
import { tempHome, runProgram, sshG, sshGValues, mapLimit, type ProcessResult } from '../helpers/cli.js';
import { installed, reportMissing, runnable } from '../helpers/tools.js';

const root = new URL('../..', import.meta.url).pathname;
const profilesDir = join(root, 'fixtures/profiles');
const goldenDir = join(root, 'fixtures/golden');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

/** Fixed paths, so that no temp dir ends up in golden content. */
const paths: Paths = {
  home: '/home/alice',
  configDir: '/home/alice/.config/jupyter-ssh-setup',
  sshConfig: '/home/alice/.ssh/config',
  sshInclude: '/home/alice/.ssh/jupyter-ssh-setup.conf',
  rc: '/home/alice/.bashrc',
};

const fixtures = readdirSync(profilesDir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((file) => ({ file, profile: validateProfile(JSON.parse(readFileSync(join(profilesDir, file), 'utf8')) as ProfileInput) }));
const profiles = fixtures.map((f) => f.profile);

const scratch = tempHome('jss-golden-');

async function golden(relative: string, actual: string): Promise<void> {
  const path = join(goldenDir, relative);
  if (UPDATE) {
    await fse.outputFile(path, actual);
    return;
  }
  let expected: string;
  try {
    expected = await fs.readFile(path, 'utf8');
  } catch {
    assert.unreachable(`no golden file ${relative}; create it with UPDATE_GOLDEN=1 npm test`);
    return;
  }
  assert.fixture(actual, expected, `${relative} differs from its golden file (UPDATE_GOLDEN=1 rewrites it; review the diff)`);
}

/** Writes text to a scratch file and returns its path. */
async function scratchFile(relative: string, text: string): Promise<string> {
  const path = join(scratch.home, relative);
  await fse.outputFile(path, text);
  return path;
}

function ok(r: ProcessResult, what: string): void {
  assert.is(r.code, 0, `${what} failed:\n${r.stdout}${r.stderr}`);
}

/** Every check runs at the same time; each failure names its tool. */
async function checkAll(all: [string, string, string[]][]): Promise<void> {
  const checks = runnable(all);
  const results = await mapLimit(checks, 4, ([, program, args]) => runProgram(program, args));
  checks.forEach(([what], i) => ok(results[i]!, what));
}

test('every fixture profile is valid and the names are distinct', () => {
  assert.ok(fixtures.length >= 6, 'at least six fixture profiles');
  assert.is(new Set(profiles.map((p) => p.name)).size, profiles.length);
  const kinds = new Set(profiles.flatMap((p) => [p.launcher, p.container.kind, ...p.env.map((e) => e.kind), p.remotePort === 'auto' ? 'auto' : 'fixed', p.jump.length > 1 ? 'two-hop' : '']));
  for (const kind of ['plain', 'slurm', 'pbs', 'docker', 'apptainer', 'venv', 'conda', 'module', 'cmd', 'auto', 'fixed', 'two-hop']) {
    assert.ok(kinds.has(kind), `some fixture profile covers ${kind}`);
  }
});

test('golden files: no orphans', async () => {
  if (UPDATE) {
    await fse.ensureDir(goldenDir);
    for (const dir of await fs.readdir(goldenDir)) {
      if (dir !== '_all' && !profiles.some((p) => p.name === dir)) await fse.remove(join(goldenDir, dir));
    }
    return;
  }
  const dirs = (await fs.readdir(goldenDir)).sort();
  assert.equal(dirs, ['_all', ...profiles.map((p) => p.name)].sort(), 'one golden directory per fixture profile, plus _all');
});

/**
 * The jump chain an alias really goes through: ProxyJump, with each generated
 * hop alias (jss-hop-*) followed to the host, user and port it stands for.
 */
async function effectiveJumps(config: string, values: Map<string, string>): Promise<string | undefined> {
  const pj = values.get('proxyjump');
  if (!pj) return undefined;
  const out: string[] = [];
  for (const hop of pj.split(',')) {
    if (!hop.startsWith('jss-hop-')) {
      out.push(hop);
      continue;
    }
    const v = sshGValues((await sshG(config, hop)).stdout);
    const before = await effectiveJumps(config, v);
    if (before) out.push(before);
    assert.is(v.get('controlmaster'), 'auto', `${hop} shares its connection`);
    const host = v.get('hostname')!;
    out.push(formatHop({ host, user: v.get('user'), port: v.get('port') === '22' ? undefined : Number(v.get('port')) }));
  }
  return out.join(',');
}

/** A hop as ssh -G shows it after a generated alias: explicit user and port as given. */
function expectedJumps(p: Profile): string {
  return p.jump.map((h) => formatHop({ host: h.host.toLowerCase(), user: h.user, port: h.port && h.port !== 22 ? h.port : undefined })).join(',');
}

/** What ssh -G must show for a profile's alias. */
async function assertResolves(values: Map<string, string>, p: Profile, where: string, config: string): Promise<void> {
  assert.is(values.get('hostname'), p.host.toLowerCase(), `hostname in ${where}`);
  if (p.user) assert.is(values.get('user'), p.user, `user in ${where}`);
  assert.is(values.get('port'), String(p.port ?? 22), `port in ${where}`);
  if (p.jump.length) {
    const seen = await effectiveJumps(config, values);
    // A hop written without a user gets the local user from ssh -G of its alias.
    const normal = (chain: string) => chain.split(',').map((h) => h.replace(/^[^@]*@/, '')).join(',');
    assert.is(normal(seen ?? ''), normal(expectedJumps(p)), `proxyjump in ${where}`);
  }
  else assert.is(values.get('proxyjump'), undefined, `no proxyjump in ${where}`);
  // ssh -G shows IdentityFile as written, with %% still escaped.
  if (p.identity) assert.is(values.get('identityfile'), p.identity.replace(/%/g, '%%'), `identityfile in ${where}`);
}

for (const { file, profile: p } of fixtures) {
  test(`golden ${file}: ssh Host blocks (${p.name})`, async () => {
    for (const [variant, sshHasSessionType] of [['ssh-hosts.conf', true], ['ssh-hosts.openssh-before-8.7.conf', false]] as const) {
      const text = renderSshHosts([p], { sshHasSessionType });
      await golden(`${p.name}/${variant}`, text);
      const path = await scratchFile(`${p.name}/${variant}`, text);
      const main = await sshG(path, p.name);
      ok(main, `ssh -G -F ${variant} ${p.name}`);
      await assertResolves(sshGValues(main.stdout), p, variant, path);
      const tunnel = await sshG(path, `${p.name}-tunnel`);
      ok(tunnel, `ssh -G -F ${variant} ${p.name}-tunnel`);
      const t = sshGValues(tunnel.stdout);
      if (p.launcher === 'plain' && p.remotePort !== 'auto' && bindOf(p) === 'tcp') {
        await assertResolves(t, p, `${variant} (tunnel)`, path);
        assert.is(t.get('localforward'), `[127.0.0.1]:${p.localPort} [127.0.0.1]:${p.remotePort}`);
        assert.is(t.get('exitonforwardfailure'), 'yes');
        assert.is(t.get('sessiontype'), sshHasSessionType ? 'none' : 'default');
        assert.is(t.get('forkafterauthentication'), sshHasSessionType ? 'yes' : 'no');
      } else {
        // No fixed port to forward (auto, a job, or a socket whose path is not known yet): no tunnel alias, so the name falls through to plain defaults.
        assert.not.match(text, /^Host .*-tunnel$/m);
        assert.is(t.get('localforward'), undefined);
        // A socket target says why its tunnel alias is missing, and how it comes.
        if (p.launcher === 'plain' && bindOf(p) === 'socket') assert.match(text, `# No \`ssh ${p.name}-tunnel\` yet:`);
      }
    }
  });

  test(`golden ${file}: profile for the shell functions (${p.name})`, async () => {
    const text = renderProfileShell(p);
    await golden(`${p.name}/profile.sh`, text);
    const path = await scratchFile(`${p.name}/profile.sh`, text);
    await checkAll([
      ['sh -n', 'sh', ['-n', path]],
      ['dash -n', 'dash', ['-n', path]],
      ['bash -n', 'bash', ['-n', path]],
      ['zsh -n', 'zsh', ['-n', path]],
      ['shellcheck -s sh', 'shellcheck', ['-s', 'sh', path]],
    ]);
    // Sourced, every value comes back exactly: quoting carries it through.
    const printed = await runProgram('sh', ['-c', `. "$1" && printf '%s\\0' "$jss_name" "$jss_local_port" "$jss_remote_port" "$jss_launcher" "$jss_url_path" "$jss_remote_start" "$jss_remote_stop" "$jss_remote_status"`, 'sh', path]);
    ok(printed, 'sourcing profile.sh');
    assert.equal(printed.stdout.split('\0').slice(0, -1), [
      p.name,
      String(p.localPort),
      String(p.remotePort),
      p.launcher,
      urlPath(p),
      buildRemoteCommand(p.name, 'start'),
      buildRemoteCommand(p.name, 'stop'),
      buildRemoteCommand(p.name, 'status'),
    ]);
  });

  test(`golden ${file}: remote launch script (${p.name})`, async () => {
    const text = renderLaunchScript(p);
    await golden(`${p.name}/launch.sh`, text);
    const path = await scratchFile(`${p.name}/launch.sh`, text);
    await checkAll([
      ['sh -n', 'sh', ['-n', path]],
      ['dash -n', 'dash', ['-n', path]],
      ['bash -n', 'bash', ['-n', path]],
      ['shellcheck -s sh', 'shellcheck', ['-s', 'sh', path]],
    ]);
    // Run for real where it needs no Jupyter: status in an empty HOME. The
    // values at the top (notebook dir, commands) must stay inert data.
    const home = join(scratch.home, `${p.name}-remote-home`);
    await fse.ensureDir(home);
    const canary = join(scratch.home, 'pwned');
    const status = await runProgram('sh', [path, 'status'], { env: { PATH: process.env.PATH, HOME: home } });
    ok(status, 'sh launch.sh status');
    assert.equal(JSON.parse(status.stdout), { ok: true, name: p.name, running: false });
    // Sourced (with status as its argument), the notebook dir comes back exactly, ~/ expanded.
    // (A batch launch script has none: the job script it submits does; test/batch/scripts.test.ts.)
    if (p.launcher === 'plain') {
      const sourced = await runProgram('sh', ['-c', 'set -- status; . "$0" >/dev/null; printf %s "$JSS_NOTEBOOK_DIR"', path], { env: { PATH: process.env.PATH, HOME: home } });
      ok(sourced, 'sourcing launch.sh');
      const dir = p.notebookDir ?? '';
      assert.is(sourced.stdout, dir === '~' ? home : dir.startsWith('~/') ? `${home}/${dir.slice(2)}` : dir);
    }
    const usage = await runProgram('sh', [path, 'nonsense'], { env: { PATH: process.env.PATH, HOME: home } });
    assert.is(usage.code, 2);
    assert.not.ok(await fse.pathExists(canary));
    assert.not.ok(await fse.pathExists('/tmp/jss-pwned'), 'a value in the launch script was executed');
  });

  test(`golden ${file}: stored profile (${p.name})`, async () => {
    const text = renderProfileJson(p);
    await golden(`${p.name}/profile.json`, text);
    assert.equal(JSON.parse(text), p);
  });
}

/**
 * Issue 22 part 5: a socket target's `NAME-tunnel` alias forwards a local port
 * to the socket's absolute path on the remote, once that path is known (the
 * wizard's login learns the remote's home, the first start the path itself).
 */
test('a socket target gets its -tunnel alias with LocalForward to the socket once its path there is known', async () => {
  const sockets = profiles.filter((p) => p.launcher === 'plain' && bindOf(p) === 'socket');
  assert.ok(sockets.length >= 2, 'fixtures with socket targets');
  for (const [variant, sshHasSessionType] of [['ssh-hosts.conf', true], ['ssh-hosts.openssh-before-8.7.conf', false]] as const) {
    const known = new Map(sockets.map((p) => [p.name, { socket: `/home/alice/.jupyter-ssh-setup/${p.name}/${p.container.kind === 'none' ? '' : 'container/'}jupyter.sock` }]));
    const text = renderSshHosts(profiles, { sshHasSessionType, remoteFacts: known });
    const path = await scratchFile(`_known/${variant}`, text);
    for (const p of sockets) {
      const tunnel = await sshG(path, `${p.name}-tunnel`);
      ok(tunnel, `ssh -G ${p.name}-tunnel`);
      const t = sshGValues(tunnel.stdout);
      await assertResolves(t, p, `${variant} (${p.name}-tunnel)`, path);
      assert.is(t.get('localforward'), `[127.0.0.1]:${p.localPort} ${known.get(p.name)!.socket}`);
      assert.is(t.get('exitonforwardfailure'), 'yes');
      assert.is(t.get('sessiontype'), sshHasSessionType ? 'none' : 'default');
      assert.not.match(text, `# No \`ssh ${p.name}-tunnel\` yet`);
    }
  }
  // A path a forward spec cannot carry (relative, a space, too long for a socket) is not written.
  const first = sockets.find((p) => p.container.kind === 'none');
  // ... nor one another profile made (this one was a container, or had another name, when it was learned).
  for (const bad of ['relative/jupyter.sock', '/home/a b/jupyter.sock', `/${'x'.repeat(110)}/jupyter.sock`, `/home/alice/.jupyter-ssh-setup/${first!.name}x/jupyter.sock`, `/home/alice/.jupyter-ssh-setup/${first!.name}/container/jupyter.sock`]) {
    const text = renderSshHosts([first!], { sshHasSessionType: true, remoteFacts: new Map([[first!.name, { socket: bad }]]) });
    assert.not.match(text, /LocalForward/, bad);
  }
});

test('golden _all: the shell functions', async () => {
  const text = renderFunctions(paths);
  await golden('_all/functions.sh', text);
  const path = await scratchFile('_all/functions.sh', text);
  await checkAll([
    ['bash -n', 'bash', ['-n', path]],
    ['zsh -n', 'zsh', ['-n', path]],
    ['sh -n', 'sh', ['-n', path]],
    ['shellcheck -s bash', 'shellcheck', ['-s', 'bash', path]],
    ['shellcheck -s sh', 'shellcheck', ['-s', 'sh', path]],
  ]);
  // Sourced in bash, zsh and sh, every function the README lists is defined.
  const names = ['remote_notebook_start', 'remote_notebook_stop', 'remote_notebook_status', 'remote_notebook_url', 'remote_notebook_disconnect', 'jptt', 'port_forward'];
  for (const shell of ['bash', 'zsh', 'sh']) {
    if (!installed(shell)) {
      reportMissing(shell, `sourcing the functions in ${shell}`);
      continue;
    }
    const r = await runProgram(shell, ['-c', `. "$1" && for f in ${names.join(' ')}; do command -v "$f" >/dev/null || { echo "missing $f"; exit 1; }; done`, shell, path]);
    ok(r, `sourcing the functions in ${shell}`);
  }
});

test('golden _all: every profile in one SSH Host file', async () => {
  const text = renderSshHosts(profiles, { sshHasSessionType: true });
  await golden('_all/ssh-hosts.conf', text);
  const path = await scratchFile('_all/ssh-hosts.conf', text);
  const results = await mapLimit(profiles, 4, (p) => sshG(path, p.name));
  for (const [i, p] of profiles.entries()) {
    ok(results[i]!, `ssh -G ${p.name}`);
    await assertResolves(sshGValues(results[i]!.stdout), p, `the file of all profiles (${p.name})`, path);
  }
  // Sorted by name, so the file does not depend on the order profiles were set up in.
  assert.is(renderSshHosts([...profiles].reverse(), { sshHasSessionType: true }), text);
});

test.after(() => scratch.cleanup());

test.run();
