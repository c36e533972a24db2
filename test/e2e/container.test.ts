/**
 * Seed 004 end to end on the real bed: laptop -> login -> gpu -> a container
 * running Jupyter. Real podman (root, reached by the bed's user through the
 * `docker` name, like a member of the docker group; test/bed/container.sh) in
 * the gpu namespace, with an image built offline from Debian once per machine.
 * These targets pin --bind tcp (a published port); test/e2e/container-socket.test.ts
 * runs the default, a Unix socket.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readFileSync, chownSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { bedUp, isRoot, cli, asUser, userBash, resetUser, portIsFree, runInKernel, waitFor, root, endingOnFailure, type BedState } from '../helpers/bed.js';

const e2e = suite('containers on the test bed (podman on gpu, through the jump host)');
const it = isRoot ? e2e : (e2e.skip as typeof e2e);
let bed: BedState;
// A failed test ends the user's processes (forwards, logins, Jupyter) before the next one runs.
const guard = endingOnFailure(() => bed);
const IMAGE = 'localhost/jss-jupyter:test';
const LOGIN_HOP = 'jssbed@10.200.1.2';
const CONTAINERS_CONF = '/var/cache/jss-bed/containers.conf';
const containerSh = join(root, 'test/bed/container.sh');
/** The root namespace's firewall and forwarding, which the containers must not touch. */
let hostNet = '';

async function rootNet(): Promise<string> {
  const rules = await execa('iptables-save', [], { reject: false });
  const nft = await execa('nft', ['list', 'ruleset'], { reject: false });
  const links = await execa('ip', ['-o', 'link', 'show'], { reject: false });
  const forward = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();
  // iptables-save prints timestamps and counters in comments: drop them.
  const iptables = String(rules.stdout).split('\n').filter((l) => !l.startsWith('#')).join('\n');
  const bridges = String(links.stdout).split('\n').filter((l) => /podman|cni|veth/.test(l)).map((l) => l.split(':')[1]).join(',');
  return `ip_forward=${forward}\n${iptables}\n${nft.stdout}\nbridges=${bridges}`;
}

/** `podman ps -a` as root: every container of the bed's user (by our label), as "name status". */
async function containers(): Promise<string[]> {
  const r = await execa('podman', ['ps', '-a', '--filter', `label=io.jupyter-ssh-setup.user=${bed.user}`, '--format', 'json'], {
    env: { ...process.env, CONTAINERS_CONF },
  });
  const list = JSON.parse(String(r.stdout) || '[]') as { Names: string[]; State: string }[];
  return list.map((c) => `${c.Names.join(',')} ${c.State}`);
}

e2e.before(async () => {
  if (!isRoot) return;
  bed = (await bedUp())!;
  await resetUser(bed);
  hostNet = await rootNet();
  const started = Date.now();
  // Builds the image the first time on this machine (about 2 minutes), then only checks it.
  await execa('bash', [containerSh, 'up'], { stdout: 'ignore', stderr: 'inherit', timeout: 15 * 60_000 });
  process.stdout.write(`container.sh up: ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
});

e2e.after(async () => {
  if (!isRoot || !bed) return;
  await resetUser(bed);
  await execa('bash', [containerSh, 'down'], { reject: false });
});

async function setup(...args: string[]) {
  const r = await cli(bed, ['setup', '--yes', '--user', 'jssbed', ...args]);
  assert.is(r.code, 0, r.stderr);
  return r;
}

it('the bed: docker on gpu is root podman for the test user', guard(async () => {
  const r = await asUser(bed, ['ssh', '-o', 'BatchMode=yes', '-J', LOGIN_HOP, 'jssbed@10.200.2.2', 'docker version']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, 'Podman Engine');
}));

it('the bed: that docker, like sudo-based docker on shared servers, passes none of our environment on (issue 12)', guard(async () => {
  const r = await asUser(bed, ['ssh', '-o', 'BatchMode=yes', '-J', LOGIN_HOP, 'jssbed@10.200.2.2', `JSS_PROBE=seen docker run --rm --pull=never -e JSS_PROBE ${IMAGE} sh -c 'echo "[\${JSS_PROBE:-}]"'`]);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout.trim(), '[]', 'the variable named by -e arrives empty');
}));

it('setup --container docker through the jump host', guard(async () => {
  mkdirSync(join(bed.home, 'nb'), { recursive: true });
  chownSync(join(bed.home, 'nb'), bed.uid, bed.uid);
  await setup('--name', 'ctr', '--host', '10.200.2.2', '--jump', LOGIN_HOP, '--container', 'docker', '--image', IMAGE, '--app', 'server', '--notebook-dir', '~/nb', '--remote-port', '18890', '--local-port', '18890', '--bind', 'tcp');
  const r = await asUser(bed, ['ssh', '-o', 'BatchMode=yes', 'ctr', 'hostname']);
  assert.is(r.stdout.trim(), 'gpu', r.stderr);
}));

it('doctor: the engine and the image are there, Jupyter runs in it', guard(async () => {
  const r = await cli(bed, ['doctor', 'ctr', '--json'], 120_000);
  const report = JSON.parse(r.stdout);
  assert.is(report.ok, true, r.stdout);
  const jupyter = report.checks.find((c: { check: string }) => c.check === 'Jupyter');
  assert.match(jupyter.detail, `jupyter server 1.23.3 at ${IMAGE} (podman 4.3.1)`);
}));

let token = '';
let localPort = 0;

it('start: a container of the profile, published on 127.0.0.1 only, and a URL that answers', guard(async () => {
  const started = Date.now();
  const r = await cli(bed, ['start', 'ctr', '--json'], 120_000);
  assert.is(r.code, 0, r.stderr);
  process.stdout.write(`start (two hops, container, URL answering): ${((Date.now() - started) / 1000).toFixed(2)} s\n`);
  const info = JSON.parse(r.stdout);
  ({ token, localPort } = info);
  assert.is(info.localPort, 18890);
  assert.is(info.host, 'gpu');
  assert.is(info.node, '127.0.0.1');
  const res = await fetch(`http://127.0.0.1:${localPort}/api/status`, { headers: { Authorization: `token ${token}` } });
  assert.is(res.status, 200);
  assert.equal(await containers(), ['jss-ctr running']);
  const port = await execa('podman', ['port', 'jss-ctr'], { env: { ...process.env, CONTAINERS_CONF } });
  assert.is(String(port.stdout).trim(), '18890/tcp -> 127.0.0.1:18890');
  const conn = JSON.parse(readFileSync(join(bed.home, '.jupyter-ssh-setup/ctr/connection.json'), 'utf8'));
  assert.is(conn.container, 'jss-ctr');
  assert.is(conn.engine, 'podman');
}));

it('a kernel runs code inside the container, in the mounted notebook directory', guard(async () => {
  const out = await runInKernel(
    localPort,
    token,
    "import os, socket; open('from-kernel.txt', 'w').write('hi'); print(socket.gethostname(), os.path.exists('/run/.containerenv'), os.getcwd())",
  );
  const [hostname, containerenv, cwd] = out.trim().split(' ');
  assert.is.not(hostname, 'gpu', 'not the container host');
  assert.is(containerenv, 'True', '/run/.containerenv exists: a podman container');
  assert.is(cwd, join(bed.home, 'nb'));
  assert.is(readFileSync(join(bed.home, 'nb/from-kernel.txt'), 'utf8'), 'hi', 'the notebook directory is the host one');
}));

it('the token is in no process command line (host or container)', guard(async () => {
  const ps = await execa('ps', ['-eo', 'args']);
  assert.not.ok(String(ps.stdout).includes(token));
}));

it('status shows it; a second start reuses the same container', guard(async () => {
  const s = await cli(bed, ['status', 'ctr', '--json']);
  const row = JSON.parse(s.stdout);
  assert.is(row.state, 'running', s.stdout);
  assert.is(row.tunnel, 'open');
  const again = await cli(bed, ['start', 'ctr', '--json']);
  assert.is(again.code, 0, again.stderr);
  assert.is(JSON.parse(again.stdout).token, token);
  assert.is(JSON.parse(again.stdout).reused, true);
  assert.equal(await containers(), ['jss-ctr running']);
}));

it('Jupyter with another token (issue 12): status gives no URL, doctor says what answers instead', guard(async () => {
  // As when the engine dropped the token and Jupyter made its own: ours no longer matches.
  const connPath = join(bed.home, '.jupyter-ssh-setup/ctr/connection.json');
  const conn = readFileSync(connPath, 'utf8');
  writeFileSync(connPath, conn.replace(/"token":"[0-9a-f]{48}"/, `"token":"${'0'.repeat(48)}"`));
  try {
    const s = await cli(bed, ['status', 'ctr', '--json']);
    assert.is(s.code, 1, s.stdout);
    const row = JSON.parse(s.stdout);
    assert.is(row.state, 'broken');
    assert.is(row.url, null);
    assert.is(row.error, `Jupyter on local port ${localPort} rejects our token (HTTP 403): it runs with another token; jupyter-ssh-setup doctor ctr checks each step`);
    const d = await cli(bed, ['doctor', 'ctr'], 120_000);
    assert.is(d.code, 1);
    assert.not.match(d.stdout, 'All checks passed');
    assert.match(d.stdout, `✘ Jupyter answers: Jupyter on local port ${localPort} (the tunnel to gpu port 18890) rejects our token (HTTP 403): it runs with another token\n`);
    assert.ok(d.stdout.endsWith('\nFirst problem: Jupyter answers.'), d.stdout);
    // The shell function shows no URL either.
    const fn = await userBash(bed, 'remote_notebook_status ctr');
    assert.is(fn.code, 1, fn.stderr);
    assert.is(fn.stdout, `ctr: running on gpu port 18890, but its URL does not work: Jupyter on local port ${localPort} rejects our token (HTTP 403): it runs with another token; try: jupyter-ssh-setup doctor ctr`);
  } finally {
    writeFileSync(connPath, conn);
  }
  const ok = await cli(bed, ['doctor', 'ctr', '--json'], 120_000);
  assert.is(JSON.parse(ok.stdout).checks.at(-1).detail, `Jupyter answers our token on local port ${localPort} (the tunnel to gpu port 18890)`);
}));

it('stop leaves no container and a free local port', guard(async () => {
  const r = await cli(bed, ['stop', 'ctr']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, 'Stopped Jupyter on ctr');
  assert.equal(await containers(), [], 'podman ps -a shows none');
  assert.ok(await waitFor(() => portIsFree(localPort), 3000));
  assert.match(readFileSync(join(bed.home, '.jupyter-ssh-setup/ctr/jupyter.log'), 'utf8'), 'Jupyter Server', "Jupyter's log is kept");
  const s = JSON.parse((await cli(bed, ['status', 'ctr', '--json'])).stdout);
  assert.is(s.state, 'stopped');
}));

it('the generated shell functions start and stop the container too', guard(async () => {
  const r = await userBash(bed, 'remote_notebook_start ctr');
  assert.is(r.code, 0, r.stderr);
  const m = /http:\/\/127\.0\.0\.1:(\d+)\/\?token=([0-9a-f]{48})/.exec(r.stdout);
  assert.ok(m, r.stdout);
  const res = await fetch(`http://127.0.0.1:${m![1]}/api/status?token=${m![2]}`);
  assert.is(res.status, 200);
  assert.equal(await containers(), ['jss-ctr running']);
  const stop = await userBash(bed, 'remote_notebook_stop ctr');
  assert.is(stop.code, 0, stop.stderr);
  assert.equal(await containers(), []);
}));

it('--remote-port auto: the engine picks the host port; start, answer, stop', guard(async () => {
  await setup('--name', 'ctrauto', '--host', '10.200.2.2', '--jump', LOGIN_HOP, '--container', 'podman', '--image', IMAGE, '--app', 'notebook', '--remote-port', 'auto', '--local-port', '18891', '--bind', 'tcp');
  const r = await cli(bed, ['start', 'ctrauto', '--json'], 120_000);
  assert.is(r.code, 0, r.stderr);
  const info = JSON.parse(r.stdout);
  assert.ok(info.remotePort > 1024 && info.remotePort !== 8888, `host port ${info.remotePort}`);
  const res = await fetch(`http://127.0.0.1:${info.localPort}/api/status?token=${info.token}`);
  assert.is(res.status, 200);
  const stop = await cli(bed, ['stop', 'ctrauto']);
  assert.is(stop.code, 0, stop.stderr);
  assert.equal(await containers(), []);
}));

it('a missing image is not pulled: start fails and says how to pull it', guard(async () => {
  await setup('--name', 'noimg', '--host', '10.200.2.2', '--jump', LOGIN_HOP, '--container', 'docker', '--image', 'localhost/jss-missing:none', '--remote-port', '18892');
  const r = await cli(bed, ['start', 'noimg']);
  assert.is(r.code, 1);
  assert.match(r.stderr, 'never pulled automatically');
  assert.match(r.stderr, 'ssh noimg docker pull localhost/jss-missing:none');
  assert.equal(await containers(), []);
  const images = await execa('podman', ['images', '--format', '{{.Repository}}'], { env: { ...process.env, CONTAINERS_CONF } });
  assert.not.match(String(images.stdout), 'jss-missing');
}));

it('teardown: container.sh down leaves no container, wrapper or sudoers line; the host network is untouched', guard(async () => {
  // A container left running on purpose: down must remove it.
  const r = await cli(bed, ['start', 'ctr', '--json'], 120_000);
  assert.is(r.code, 0, r.stderr);
  assert.equal(await containers(), ['jss-ctr running']);
  await execa('bash', [containerSh, 'down']);
  assert.equal(await containers(), []);
  assert.not.ok(existsSync('/etc/sudoers.d/jss-bed-podman'));
  assert.not.ok(existsSync('/var/lib/jss-bed/container'));
  assert.not.match(readFileSync(join(bed.home, '.ssh/environment'), 'utf8'), 'container');
  assert.is(await rootNet(), hostNet, 'iptables and ip_forward of the root namespace are as before');
  // The image stays: it is the cache for the next run.
  const exists = await execa('podman', ['image', 'exists', IMAGE], { env: { ...process.env, CONTAINERS_CONF }, reject: false });
  assert.is(exists.exitCode, 0);
}));

e2e.run();
