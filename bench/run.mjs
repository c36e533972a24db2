#!/usr/bin/env node
// npm run bench: medians over several runs, each row with its ratio to a
// baseline measured in the same run. Needs root (it uses the test bed for
// everything that crosses a network). Writes bench/results.json.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, readFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir, cpus, totalmem, release } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { get as httpGet } from 'node:http';
import { claimBed } from '../scripts/bed-owner.mjs';
import { kernelRows } from './kernel.mjs';

const root = new URL('..', import.meta.url).pathname;
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const bin = join(root, 'dist/bin.js');
const rows = [];
// BENCH_ONLY=notebook,slurm runs just those groups (for iterating; npm run bench runs all).
const only = process.env.BENCH_ONLY?.split(',');
const wanted = (group) => !only || only.includes(group);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (t) => `${t.toFixed(0)} ms`;
const now = () => performance.now();

function record(group, name, values, baseline) {
  const m = median(values);
  const row = { group, name, medianMs: Math.round(m * 10) / 10, runs: values.length, baseline: baseline?.name ?? null, ratio: baseline ? Math.round((m / baseline.medianMs) * 100) / 100 : null };
  rows.push(row);
  console.log(`${group.padEnd(22)} ${name.padEnd(46)} ${ms(m).padStart(9)}  ${row.ratio === null ? 'baseline' : row.ratio.toFixed(2) + 'x'}`);
  return row;
}

function timeCommand(file, args, options = {}) {
  const t0 = now();
  const r = spawnSync(file, args, { encoding: 'utf8', ...options });
  const t = now() - t0;
  if (r.status !== 0 && !options.allowFail) throw new Error(`${file} ${args.join(' ')} failed: ${r.stderr}`);
  return { t, r };
}

// --- 3. CLI start-up -------------------------------------------------------
if (wanted('cli')) {
  const base = record('cli start-up', 'node -e 0', Array.from({ length: RUNS * 2 }, () => timeCommand(process.execPath, ['-e', '0']).t));
  record('cli start-up', 'jupyter-ssh-setup --version', Array.from({ length: RUNS * 2 }, () => timeCommand(process.execPath, [bin, '--version']).t), base);
  record('cli start-up', 'jupyter-ssh-setup --help', Array.from({ length: RUNS * 2 }, () => timeCommand(process.execPath, [bin, '--help']).t), base);
  const home = mkdtempSync(join(tmpdir(), 'jss-bench-'));
  record('cli start-up', 'jupyter-ssh-setup status (no targets)', Array.from({ length: RUNS * 2 }, () => timeCommand(process.execPath, [bin, 'status'], { env: { ...process.env, HOME: home } }).t), base);
  rmSync(home, { recursive: true, force: true });
}

// --- 4. setup on large SSH configs ----------------------------------------
if (wanted('setup')) {
  let previous;
  for (const n of [100, 1000, 10000]) {
    const home = mkdtempSync(join(tmpdir(), 'jss-bench-'));
    mkdirSync(join(home, '.ssh'), { mode: 0o700 });
    const text = Array.from({ length: n }, (_, i) => `Host host${i}\n  HostName 10.1.${Math.floor(i / 250)}.${i % 250}\n  User u${i % 7}\n  Port ${2000 + (i % 100)}\n`).join('\n');
    const times = [];
    for (let i = 0; i < RUNS; i++) {
      writeFileSync(join(home, '.ssh', 'config'), text, { mode: 0o600 });
      rmSync(join(home, '.config'), { recursive: true, force: true });
      rmSync(join(home, '.ssh', 'jupyter-ssh-setup.conf'), { force: true });
      times.push(timeCommand(process.execPath, [bin, 'setup', '--yes', '--json', '--name', 'target', '--host', 'gpu.example.org', '--user', 'u', '--jump', 'host1'], { env: { ...process.env, HOME: home } }).t);
    }
    previous = record('setup, large config', `${n} Host blocks`, times, previous);
    rmSync(home, { recursive: true, force: true });
  }
}

// --- 1, 5. time to notebook and stop, on the bed -----------------------------
if (!['notebook', 'stop', 'slurm', 'sge', 'kernel'].some(wanted)) {
  // nothing on the bed asked for
} else if (process.getuid?.() !== 0 || process.env.BENCH_SKIP_BED) {
  console.log('not root: skipping the rows that need the test bed');
} else {
  // Taken down at exit when this run brought it up (scripts/bed-owner.mjs), as npm test does.
  if (claimBed(join(root, 'test/bed/bed.sh')).up !== 0) throw new Error('test/bed/bed.sh up failed');
  const state = JSON.parse(readFileSync('/var/lib/jss-bed/state.json', 'utf8'));
  const user = state.user;
  const env = ['env', '-i', `HOME=${state.home}`, `USER=${user}`, 'PATH=/usr/local/bin:/usr/bin:/bin', 'SHELL=/bin/bash'];
  const as = (argv, opts = {}) => spawnSync('runuser', ['-u', user, '--', ...env, ...argv], { encoding: 'utf8', cwd: state.home, ...opts });
  spawnSync('pkill', ['-KILL', '-u', user]);
  spawnSync('sh', ['-c', `rm -rf ${state.home}/.config ${state.home}/.ssh/config ${state.home}/.ssh/jupyter-ssh-setup.conf ${state.home}/.jupyter-ssh-setup; cp /etc/skel/.bashrc ${state.home}/.bashrc; chown ${user}: ${state.home}/.bashrc`]);
  const hop = `${user}@10.200.1.2`;
  const setup = as(['node', bin, 'setup', '--yes', '--name', 'gpu', '--host', '10.200.2.2', '--user', user, '--jump', hop, '--app', 'server', '--local-port', '18888', '--remote-port', '18888']);
  if (setup.status !== 0) throw new Error(setup.stderr);
  const portOpen = (port) => new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1' });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
  // node:http with a timeout: fetch (undici) on Node 20 can leave a promise that never
  // settles when the tunnel accepts and then drops a connection before Jupyter listens.
  const ok = (port, token) => new Promise((resolve) => {
    const req = httpGet({ host: '127.0.0.1', port, path: '/api/status', headers: { Authorization: `token ${token}` }, timeout: 2000 }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode === 200));
      res.once('error', () => resolve(false));
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(false));
  });
  const sleep = (t) => new Promise((r) => setTimeout(r, t));
  // Each run as a start later in the day: what start remembers of the last one (state/NAME.last) stays.
  const quiet = async () => {
    spawnSync('pkill', ['-KILL', '-u', user]);
    for (let i = 0; i < 100 && (await portOpen(18888)); i++) await sleep(20);
    spawnSync('sh', ['-c', `rm -f ${state.home}/.ssh/jss-*; find ${state.home}/.config/jupyter-ssh-setup/state -type f ! -name "*.last" -delete; rm -rf ${state.home}/.jupyter-ssh-setup/gpu/connection.json ${state.home}/.jupyter-ssh-setup/gpu/lock`]);
    await sleep(300);
  };
  // The best hand-written sequence: start detached in one ssh, forward in another, poll every 50 ms.
  const handWritten = async (warmMaster) => {
    const token = 'b'.repeat(48);
    // Cold: plain ssh as a blog post would run it, no multiplexing; warm: through the
    // connection the user's own `ssh gpu` left open (the Host block's ControlPath).
    const ctl = warmMaster ? [] : ['-o', 'ControlMaster=no', '-o', 'ControlPath=none'];
    const t0 = now();
    as(['ssh', ...ctl, 'gpu', `JUPYTER_TOKEN=${token} setsid nohup jupyter server --no-browser --ip=127.0.0.1 --port=18888 --port-retries=0 </dev/null >/dev/null 2>&1 &`]);
    // ssh -f keeps its stderr open in the background: do not wait on its pipes.
    as(['ssh', ...ctl, '-N', '-f', '-o', 'ExitOnForwardFailure=yes', '-L', '127.0.0.1:18888:127.0.0.1:18888', 'gpu'], { stdio: 'ignore' });
    while (!(await ok(18888, token))) await sleep(50);
    return now() - t0;
  };
  const ours = async (argv) => {
    const t0 = now();
    const r = as(argv);
    const m = /token=([0-9a-f]{48})/.exec(r.stdout);
    if (!m) throw new Error(`no URL: ${r.stdout} ${r.stderr}`);
    while (!(await ok(18888, m[1]))) await sleep(5);
    return now() - t0;
  };
  // "Warm" is what a user sees: their own `ssh gpu` (a shell, then exit) left the
  // connection up for its ControlPersist; nothing of ours made it.
  const warm = () => as(['ssh', '-o', 'BatchMode=yes', 'gpu', 'true']);

  const series = async (fn, before) => {
    const xs = [];
    for (let i = 0; i < RUNS; i++) {
      await quiet();
      if (before) before();
      xs.push(await fn());
    }
    return xs;
  };
  if (wanted('notebook')) {
    const base = record('time to notebook', 'hand-written ssh sequence (cold)', await series(() => handWritten(false)));
    record('time to notebook', 'jupyter-ssh-setup start (cold)', await series(() => ours(['node', bin, 'start', 'gpu'])), base);
    record('time to notebook', 'remote_notebook_start (cold)', await series(() => ours(['bash', '-ic', 'remote_notebook_start gpu'])), base);
    const warmBase = record('time to notebook', "hand-written, after the user's own ssh gpu (warm)", await series(() => handWritten(true), warm));
    record('time to notebook', "jupyter-ssh-setup start, after the user's own ssh gpu (warm)", await series(() => ours(['node', bin, 'start', 'gpu']), warm), warmBase);
    record('time to notebook', "remote_notebook_start, after the user's own ssh gpu (warm)", await series(() => ours(['bash', '-ic', 'remote_notebook_start gpu']), warm), warmBase);

  }
  if (wanted('stop')) {
    // 5. stop: until the port is free and no Jupyter process remains.
    const jupyterLeft = () => spawnSync('pgrep', ['-u', user, '-f', 'jupyter-server']).status === 0;
    const stopTimes = [];
    const killTimes = [];
    for (let i = 0; i < RUNS; i++) {
      await quiet();
      await ours(['node', bin, 'start', 'gpu']);
      let t0 = now();
      as(['node', bin, 'stop', 'gpu']);
      while ((await portOpen(18888)) || jupyterLeft()) await sleep(5);
      stopTimes.push(now() - t0);
      await quiet();
      await handWritten(false);
      t0 = now();
      as(['ssh', '-o', 'ControlMaster=no', '-o', 'ControlPath=none', 'gpu', 'pkill -u jssbed -f jupyter-server']);
      spawnSync('pkill', ['-u', user, '-f', 'ssh -o ControlMaster=no -o ControlPath=none -N']);
      while ((await portOpen(18888)) || jupyterLeft()) await sleep(5);
      killTimes.push(now() - t0);
    }
    const killBase = record('stop', 'hand-written: ssh pkill + kill the tunnel', killTimes);
    record('stop', 'jupyter-ssh-setup stop (shutdown API, then TERM)', stopTimes, killBase);
    await quiet();

  }
  if (wanted('kernel')) await kernelRows({ state, as, quiet, warm, record, RUNS });
  // 2. Batch jobs: submit to the job running (the scheduler's part, for reference), and
  // ours beyond it: job running (its start mark) -> URL answering, connection file -> URL
  // answering. Jupyter's own start on gpu is printed beside it: running -> URL includes it.
  const batch = async (group, name, launcher, port, before, after) => {
    before();
    const r = as(['node', bin, 'setup', '--yes', '--name', name, '--host', '10.200.1.2', '--user', user, '--launcher', launcher, '--cpus', '1', '--time', '10:00', '--app', 'server', '--local-port', String(port)]);
    if (r.status !== 0) throw new Error(r.stderr);
    const jobDir = join(state.home, '.jupyter-ssh-setup', name);
    const exists = (f) => { try { readFileSync(join(jobDir, f)); return true; } catch { return false; } };
    const toRunning = [];
    const runningToUrl = [];
    const fileToUrl = [];
    for (let i = 0; i < RUNS; i++) {
      as(['node', bin, 'stop', name]);
      spawnSync('sh', ['-c', `rm -f ${jobDir}/job.started ${jobDir}/connection.json`]);
      const t0 = now();
      const child = spawn('runuser', ['-u', user, '--', ...env, 'node', bin, 'start', name, '--json'], { cwd: state.home, stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      const done = new Promise((resolve) => child.on('close', resolve));
      let tRun = 0;
      let tConn = 0;
      let finished = false;
      done.then(() => (finished = true));
      while (!finished) {
        if (!tRun && exists('job.started')) tRun = now();
        if (!tConn && exists('connection.json')) tConn = now();
        await sleep(2);
      }
      const { localPort, token } = JSON.parse(out);
      while (!(await ok(localPort, token))) await sleep(2);
      const tUrl = now();
      toRunning.push(tRun - t0);
      runningToUrl.push(tUrl - tRun);
      fileToUrl.push(tUrl - tConn);
    }
    as(['node', bin, 'stop', name]);
    after();
    record(group, 'submit -> job running (scheduler, reference)', toRunning);
    record(group, 'job running -> URL answering (ours)', runningToUrl);
    record(group, 'connection file -> URL answering (ours)', fileToUrl);
  };
  if (wanted('slurm') || wanted('sge')) {
    // Jupyter alone on gpu, started and asked every 10 ms there: what no launcher can go below.
    const alone = [];
    for (let i = 0; i < RUNS; i++) {
      const t = spawnSync('ip', ['netns', 'exec', 'jss-gpu', 'runuser', '-u', user, '--', ...env, 'sh', '-c', 'cd; s=$(date +%s%N); JUPYTER_TOKEN=t jupyter-server --no-browser --ip=127.0.0.1 --port=18777 --port-retries=0 >/dev/null 2>&1 & p=$!; until curl -fs -H "Authorization: token t" http://127.0.0.1:18777/api/status >/dev/null 2>&1; do sleep 0.01; done; echo $(( ($(date +%s%N) - s) / 1000 )); kill $p'], { encoding: 'utf8' });
      alone.push(Number(t.stdout.trim()) / 1000);
    }
    record('batch', 'Jupyter alone on gpu: launch -> answering (reference)', alone);
  }
  if (wanted('slurm')) await batch('slurm', 'hpc', 'slurm', 18600, () => execFileSync('bash', [join(root, 'test/bed/slurm.sh'), 'up'], { stdio: 'ignore' }), () => {});
  // Grid Engine from /opt/jss-sge (test/bed/sge.sh): its commands reach the user's PATH through ~/.ssh/environment.
  const sshEnv = join(state.home, '.ssh/environment');
  const sgeOn = existsSync('/opt/jss-sge/bin/qsub');
  if (wanted('sge') && sgeOn) {
    await batch('sge', 'grid', 'sge', 18700,
      () => { execFileSync('bash', [join(root, 'test/bed/sge.sh'), 'up'], { stdio: 'ignore' }); writeFileSync(sshEnv, 'PATH=/opt/jss-sge/bin:/usr/bin:/bin:/usr/sbin:/sbin\n'); },
      () => { writeFileSync(sshEnv, 'PATH=/usr/bin:/bin:/usr/sbin:/sbin\n'); spawnSync('bash', [join(root, 'test/bed/sge.sh'), 'down'], { stdio: 'ignore' }); });
  } else if (wanted('sge')) console.log('sge: /opt/jss-sge is not installed (test/bed/install.sh): skipped');
  await quiet();
}

const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model, memGiB: Math.round(totalmem() / 2 ** 30), kernel: release(), node: process.version, ssh: spawnSync('ssh', ['-V'], { encoding: 'utf8' }).stderr.trim() };
writeFileSync(join(root, 'bench/results.json'), JSON.stringify({ date: new Date().toISOString(), machine, runs: RUNS, rows }, null, 2) + '\n');
console.log(`\nwrote bench/results.json (${rows.length} rows; medians of ${RUNS} runs)`);
