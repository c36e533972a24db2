/**
 * Issue 21, item 2: the launcher's pure parts. The connection file is checked
 * field by field; the remote gets ipc sockets in a short fresh directory; the
 * five forwards go from loopback ports to those sockets; the kernel script
 * passes bash -n and shellcheck, and reads its connection info from stdin.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildForwardsArgs,
  buildKernelRemoteCommand,
  buildKernelSessionArgs,
  buildSessionWrapper,
  kernelForwardSpecs,
  kernelSessionInput,
  nodeHost,
  parseConnectionFile,
  parseKernelPidLine,
  remoteConnectionLine,
  remoteKernelDir,
  renderKernelScript,
} from '../../src/core/kernel-launch.js';
import { validateProfile } from '../../src/core/profile.js';
import { ValidationError } from '../../src/errors.js';
import { installed, reportMissing } from '../helpers/tools.js';

const good = { shell_port: 50001, iopub_port: 50002, stdin_port: 50003, control_port: 50004, hb_port: 50005, ip: '127.0.0.1', key: 'a1b2-c3', transport: 'tcp', signature_scheme: 'hmac-sha256', kernel_name: 'jss-gpu' };

test('a connection file as Jupyter writes it is read', () => {
  const c = parseConnectionFile(JSON.stringify(good), '/run/k.json');
  assert.equal(c.ports, { shell_port: 50001, iopub_port: 50002, stdin_port: 50003, control_port: 50004, hb_port: 50005 });
  assert.is(c.key, 'a1b2-c3');
  assert.is(c.signatureScheme, 'hmac-sha256');
});

test('a bad connection file: exit 2, naming the file, the field and the value', () => {
  const cases: [Record<string, unknown> | string, string][] = [
    ['nope', 'invalid connection file /run/k.json "nope": a JSON object, as Jupyter writes it'],
    [{ ...good, transport: 'ipc' }, 'invalid field "transport" of the connection file /run/k.json "ipc": tcp (the client connects to 127.0.0.1; the remote side uses ipc)'],
    [{ ...good, ip: '0.0.0.0' }, 'invalid field "ip" of the connection file /run/k.json "0.0.0.0": 127.0.0.1 (the forwards listen on loopback only)'],
    [{ ...good, hb_port: 0 }, 'invalid field "hb_port" of the connection file /run/k.json "0": a port from 1 to 65535'],
    [{ ...good, shell_port: '50001' }, 'invalid field "shell_port" of the connection file /run/k.json "50001": a port from 1 to 65535'],
    [{ ...good, hb_port: 50001 }, 'invalid field "shell_port" of the connection file /run/k.json "50001,50002,50003,50004,50001": five different ports'],
    [{ ...good, key: 'a\nb' }, 'invalid field "key" of the connection file /run/k.json "(not shown)": a string without control characters'],
    [{ ...good, signature_scheme: 'md5' }, 'invalid field "signature_scheme" of the connection file /run/k.json "md5": hmac-sha256 or another hmac-HASH'],
  ];
  for (const [data, message] of cases) {
    try {
      parseConnectionFile(typeof data === 'string' ? data : JSON.stringify(data), '/run/k.json');
      assert.unreachable(message);
    } catch (error) {
      assert.instance(error, ValidationError);
      assert.is((error as ValidationError).message, message);
      assert.is((error as ValidationError).exitCode, 2);
    }
  }
});

test('the remote side: ipc sockets {ip}-{port} in /tmp/jss-k-RANDOM, short enough for pyzmq; five forwards to them', () => {
  const c = parseConnectionFile(JSON.stringify(good), 'k.json');
  const dir = remoteKernelDir('0123456789ab');
  assert.is(dir, '/tmp/jss-k-0123456789ab');
  const line = JSON.parse(remoteConnectionLine(c, dir)) as Record<string, unknown>;
  assert.is(line.transport, 'ipc');
  assert.is(line.ip, `${dir}/k`);
  assert.is(line.key, 'a1b2-c3');
  assert.is(line.shell_port, 50001);
  const specs = kernelForwardSpecs(c, dir);
  assert.equal(specs, [50001, 50002, 50003, 50004, 50005].map((p) => `127.0.0.1:${p}:${dir}/k-${p}`));
  assert.ok(`${dir}/k-65535`.length <= 103);
  assert.equal(buildForwardsArgs('gpu', 'cancel', specs.slice(0, 2)), ['-o', 'ControlMaster=no', '-O', 'cancel', '-L', specs[0], '-L', specs[1], '--', 'gpu']);
  assert.throws(() => remoteKernelDir('../x'));
});

test('the session: over the shared login, BatchMode, no tty; the key is not in argv', () => {
  const dir = remoteKernelDir('0123456789ab');
  const args = buildKernelSessionArgs('gpu', dir);
  assert.equal(args.slice(0, -1), ['-o', 'ConnectTimeout=15', '-T', '-o', 'BatchMode=yes', '--', 'gpu']);
  assert.is(args.at(-1), buildKernelRemoteCommand(dir));
  assert.not.match(args.join(' '), 'a1b2-c3');
  assert.is(parseKernelPidLine('jss-kernel-pid 4242 gpu\n')?.pid, 4242);
  assert.is(parseKernelPidLine('jss-kernel-pid 4242 gpu')?.node, 'gpu');
  assert.is(parseKernelPidLine('something else'), undefined);
});

test("a batch job's node: its own shared connection through the target, no prompt", () => {
  const host = nodeHost(validateProfile({ name: 'hpc', host: 'login.hpc.edu', user: 'alice', launcher: 'slurm' }), 'gpu-07');
  assert.equal(buildForwardsArgs(host, 'forward', ['127.0.0.1:1:/tmp/x/k-1']), [
    '-o', 'ControlMaster=no',
    '-o', 'ProxyJump=hpc', '-o', 'ControlMaster=auto', '-o', 'ControlPath=~/.ssh/jss-%C', '-o', 'ControlPersist=4h', '-o', 'StrictHostKeyChecking=accept-new', '-l', 'alice',
    '-O', 'forward', '-L', '127.0.0.1:1:/tmp/x/k-1', '--', 'gpu-07',
  ]);
  assert.throws(() => nodeHost(validateProfile({ name: 'hpc', host: 'h', launcher: 'slurm' }), '-oProxyCommand=x'));
});

test('the session wrapper: ssh as given, then the cancel with its words intact, and ssh\'s exit code', () => {
  const work = mkdtempSync(join(tmpdir(), 'jss-wrap-'));
  try {
    writeFileSync(join(work, 'ssh'), `#!/bin/sh\nfor a; do printf '[%s]' "$a"; done >> ${work}/calls; echo >> ${work}/calls\n[ "$1" = -O ] || exit 7\n`, { mode: 0o755 });
    const w = buildSessionWrapper(['-T', '--', 'gpu', 'exec /bin/sh -c \'x y\''], ['-O', 'cancel', '-L', '127.0.0.1:1:/tmp/a b/k-1', '--', 'gpu']);
    const r = spawnSync(w.file, w.args, { env: { ...process.env, ...w.env, PATH: `${work}:/usr/bin:/bin` }, encoding: 'utf8' });
    assert.is(r.status, 7);
    assert.is(readFileSync(join(work, 'calls'), 'utf8'), "[-T][--][gpu][exec /bin/sh -c 'x y']\n[-O][cancel][-L][127.0.0.1:1:/tmp/a b/k-1][--][gpu]\n");
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

/** The script passes sh -n and, where installed, shellcheck. */
function checkShell(script: string): void {
  const dir = mkdtempSync(join(tmpdir(), 'jss-kernel-'));
  try {
    writeFileSync(join(dir, 'kernel.sh'), script);
    const n = spawnSync('sh', ['-n', join(dir, 'kernel.sh')], { encoding: 'utf8' });
    assert.is(n.status, 0, n.stderr);
    if (installed('shellcheck')) {
      const sc = spawnSync('shellcheck', ['-s', 'sh', join(dir, 'kernel.sh')], { encoding: 'utf8' });
      assert.is(sc.status, 0, sc.stdout);
    } else reportMissing('shellcheck');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const profile = validateProfile({ name: 'gpu', host: 'gpu.example.org', env: ["venv:~/my env/it's"], notebookDir: '~/work' });

for (const job of [undefined, { id: '1234', node: 'gpu-07' }]) test(`the kernel script passes sh -n (and shellcheck)${job ? ', in a SLURM job' : ''}`, () => {
  const script = renderKernelScript(profile, job);
  if (job) assert.match(script, "srun --jobid=\"$jss_job\" --overlap");
  checkShell(script);
});

const boxes = [
  validateProfile({ name: 'box', host: 'h', container: 'podman', image: 'localhost/jss:1', mount: ['~/data:/data', '/scratch'], containerGpus: true, notebookDir: '~/work' }),
  validateProfile({ name: 'sif', host: 'h', container: 'apptainer', image: '~/images/jupyter.sif', mount: ['/scratch'], containerGpus: true }),
];
for (const box of boxes) test(`a kernel in a ${box.container.kind} container: the script passes sh -n and shellcheck`, () => {
  const script = renderKernelScript(box);
  if (box.container.kind === 'podman') {
    // The kernel's own container, removed when it ends, its directory mounted, as the user; on EOF it is killed and removed.
    assert.match(script, 'JSS_CONTAINER="$JSS_CONTAINER-k-${jss_kdir##*-}"');
    assert.match(script, 'set -- --rm -v "$jss_kdir:$jss_kdir" -e "HOME=$jss_kdir"');
    assert.match(script, 'jss_ctr_rootless || set -- "$@" --user "$(id -u):$(id -g)"');
    assert.match(script, '    "$JSS_ENGINE" kill "$JSS_CONTAINER"');
    assert.match(script, '--device nvidia.com/gpu=all');
  } else {
    assert.match(script, 'APPTAINER_BIND="${APPTAINER_BIND:+$APPTAINER_BIND,}$jss_kdir"');
    assert.match(script, 'jss_apptainer_exec python3 "$jss_kdir/start_kernel.py" -f "$jss_kdir/connection.json"');
    assert.match(script, 'set -- --nv "$@"');
  }
  assert.not.match(script, 'jss_python=$(command -v python3');
  checkShell(script);
});

/** Runs the remote command locally, with a stand-in "python3" (BODY, a sh script); stdin stays open until closeAfterMs. */
function runRemote(work: string, dir: string, body: string, closeAfterMs?: number, profile = validateProfile({ name: 'gpu', host: 'h' })): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  writeFileSync(join(work, 'python3'), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  const c = parseConnectionFile(JSON.stringify(good), 'k.json');
  const t0 = Date.now();
  const child = spawn('sh', ['-c', buildKernelRemoteCommand(dir).replace(/^exec /, '')], { env: { ...process.env, PATH: `${work}:/usr/bin:/bin`, HOME: work } });
  child.stdin.write(kernelSessionInput(renderKernelScript(profile), c, dir));
  if (closeAfterMs !== undefined) setTimeout(() => child.stdin.end(), closeAfterMs);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      child.stdin.destroy();
      resolve({ code, stdout, stderr, ms: Date.now() - t0 });
    }),
  );
}

function randomDir(): string {
  return remoteKernelDir([...Array(12)].map(() => '0123456789abcdef'[Math.floor(Math.random() * 16)]).join(''));
}

test('the remote command runs the script from stdin; the connection info lands in a 0600 file in the 0700 dir, not in argv', async () => {
  const work = mkdtempSync(join(tmpdir(), 'jss-kernel-run-'));
  const dir = randomDir();
  try {
    const r = await runRemote(work, dir, `echo "$@" > ${work}/argv\nstat -c %a "$3" > ${work}/mode\nstat -c %a "$(dirname "$3")" > ${work}/dirmode\ncp "$3" ${work}/conn\nexit 7`);
    assert.is(r.code, 7, r.stderr);
    assert.match(r.stdout, /^jss-kernel-pid \d+ \S+\n(jss-kernel-ready\n)?$/);
    assert.is(readFileSync(join(work, 'argv'), 'utf8').trim(), `${dir}/start_kernel.py -f ${dir}/connection.json`);
    assert.is(readFileSync(join(work, 'mode'), 'utf8').trim(), '600');
    assert.is(readFileSync(join(work, 'dirmode'), 'utf8').trim(), '700');
    const c = parseConnectionFile(JSON.stringify(good), 'k.json');
    assert.equal(JSON.parse(readFileSync(join(work, 'conn'), 'utf8')), JSON.parse(remoteConnectionLine(c, dir)));
    assert.not.ok(existsSync(dir), 'the socket directory is removed when the kernel ends');
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the end of stdin (the launcher gone) ends the kernel within seconds, and its directory', async () => {
  const work = mkdtempSync(join(tmpdir(), 'jss-kernel-run-'));
  const dir = randomDir();
  try {
    // A kernel that ignores SIGTERM: the watcher's SIGKILL ends it.
    const r = await runRemote(work, dir, `trap '' TERM\necho $$ > ${work}/pid\nwhile :; do sleep 1; done`, 500);
    assert.is(r.code, 137, r.stderr);
    assert.ok(r.ms < 10_000, `${r.ms} ms`);
    assert.not.ok(existsSync(dir));
    const pid = Number(readFileSync(join(work, 'pid'), 'utf8'));
    assert.throws(() => process.kill(pid, 0));
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
});

test('apptainer (a stand-in): the kernel runs by apptainer exec of the image, the directory bound, no key in argv; the end of stdin ends it', async () => {
  const work = mkdtempSync(join(tmpdir(), 'jss-kernel-run-'));
  const dir = randomDir();
  try {
    mkdirSync(join(work, 'images'));
    writeFileSync(join(work, 'images/jupyter.sif'), '');
    // apptainer exec [--nv] [--bind X] [--pwd X] IMAGE CMD...: records what it got, then runs CMD.
    writeFileSync(join(work, 'apptainer'), `#!/bin/sh\n[ "$1" = exec ] || exit 9\nshift\necho "$*" > ${work}/apptainer-argv\necho "$APPTAINER_BIND" > ${work}/bind\nwhile [ $# -gt 0 ]; do case "$1" in --nv) shift ;; --bind | --pwd) shift 2 ;; *) break ;; esac; done\nshift\nexec "$@"\n`, { mode: 0o755 });
    const sif = validateProfile({ name: 'sif', host: 'h', container: 'apptainer', image: '~/images/jupyter.sif', mount: ['/scratch'], containerGpus: true });
    // A kernel that ignores SIGTERM: the signal reaches it (apptainer execs), then SIGKILL.
    const r = await runRemote(work, dir, `echo "$@" > ${work}/argv\necho "$JPY_PARENT_PID" > ${work}/parent\ntrap '' TERM\nwhile :; do sleep 1; done`, 1500, sif);
    assert.is(r.code, 137, r.stderr);
    assert.ok(r.ms < 10_000, `${r.ms} ms`);
    assert.is(readFileSync(join(work, 'argv'), 'utf8').trim(), `${dir}/start_kernel.py -f ${dir}/connection.json`);
    assert.is(readFileSync(join(work, 'bind'), 'utf8').trim(), dir);
    assert.match(readFileSync(join(work, 'apptainer-argv'), 'utf8'), `--nv --bind /scratch --pwd ${work} ${work}/images/jupyter.sif python3 ${dir}/start_kernel.py`);
    assert.match(readFileSync(join(work, 'parent'), 'utf8'), /^\d+\n$/);
    assert.not.ok(existsSync(dir));
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a directory that exists already (not ours) is refused', async () => {
  const work = mkdtempSync(join(tmpdir(), 'jss-kernel-run-'));
  const dir = randomDir();
  try {
    mkdirSync(dir);
    const r = await runRemote(work, dir, 'exit 0', 100);
    assert.is(r.code, 3);
    assert.match(r.stderr, `jss-kernel: cannot create ${dir}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
