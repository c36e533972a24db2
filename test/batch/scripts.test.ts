/**
 * The generated batch scripts (issue 5), for the fixture profiles in
 * fixtures/batch/profiles: golden files (fixtures/batch/golden/NAME/job.sh and
 * launch.sh; UPDATE_GOLDEN=1 rewrites them), bash -n / sh -n / dash -n and
 * shellcheck, the job script carried byte-exact through the launch script's
 * here-document, and the job script run for real on this machine with a
 * stand-in `jupyter` (and `apptainer`): the connection file, the token only in
 * the environment, the cleanup when the scheduler sends TERM, and a failing
 * environment with its message in the log.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, mkdtempSync, mkdirSync, writeFileSync, chmodSync, existsSync, statSync, symlinkSync, rmSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fse from 'fs-extra';
import { renderLaunchScript } from '../../src/core/plan.js';
import { renderJobScript } from '../../src/core/batch.js';
import { validateProfile, type Profile, type ProfileInput } from '../../src/core/profile.js';
import { reportMissing } from '../helpers/tools.js';
import { jupyterServerOnly } from '../helpers/debian-jupyter-server.js';

const root = new URL('../..', import.meta.url).pathname;
const profilesDir = join(root, 'fixtures/batch/profiles');
const goldenDir = join(root, 'fixtures/batch/golden');
const UPDATE = process.env.UPDATE_GOLDEN === '1';
const hasShellcheck = spawnSync('shellcheck', ['--version']).status === 0;
if (!hasShellcheck) reportMissing('shellcheck', 'shellcheck checks');

const fixtures = readdirSync(profilesDir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((file) => ({ file, profile: validateProfile(JSON.parse(readFileSync(join(profilesDir, file), 'utf8')) as ProfileInput) }));

const scratch = mkdtempSync(join(tmpdir(), 'jss-batch-scripts-'));

function golden(relative: string, actual: string): void {
  const path = join(goldenDir, relative);
  if (UPDATE) {
    fse.outputFileSync(path, actual);
    return;
  }
  if (!existsSync(path)) assert.unreachable(`no golden file ${relative}; create it with UPDATE_GOLDEN=1`);
  assert.fixture(actual, readFileSync(path, 'utf8'), `${relative} differs from its golden file (UPDATE_GOLDEN=1 rewrites it; review the diff)`);
}

function check(program: string, args: string[]): void {
  const r = spawnSync(program, args, { encoding: 'utf8' });
  assert.is(r.status, 0, `${program} ${args.join(' ')}:\n${r.stdout}${r.stderr}`);
}

const g = suite('batch scripts: golden files and linters');

g('the fixtures cover SLURM, PBS, Grid Engine and LSF, every scheduler field, environments, apptainer and hostile values', () => {
  const ps = fixtures.map((f) => f.profile);
  for (const launcher of ['slurm', 'pbs', 'sge', 'lsf']) assert.ok(ps.some((p) => p.launcher === launcher), launcher);
  const s = ps.map((p) => p.scheduler);
  for (const key of ['partition', 'time', 'account', 'qos', 'mem', 'cpus', 'gpus'] as const) assert.ok(s.some((x) => x[key] !== undefined), key);
  assert.ok(s.some((x) => x.directives.length > 0));
  assert.ok(ps.some((p) => p.container.kind === 'apptainer'));
  for (const kind of ['venv', 'conda', 'module', 'cmd']) assert.ok(ps.some((p) => p.env.some((e) => e.kind === kind)), kind);
});

for (const { file, profile } of fixtures) {
  g(`${file}: job script and launch script match their golden files and pass the linters`, () => {
    const job = renderJobScript(profile);
    const launch = renderLaunchScript(profile);
    golden(`${profile.name}/job.sh`, job);
    golden(`${profile.name}/launch.sh`, launch);
    const jobPath = join(scratch, `${profile.name}.job.sh`);
    const launchPath = join(scratch, `${profile.name}.launch.sh`);
    writeFileSync(jobPath, job);
    writeFileSync(launchPath, launch);
    check('bash', ['-n', jobPath]);
    check('sh', ['-n', launchPath]);
    check('dash', ['-n', launchPath]);
    check('bash', ['-n', launchPath]);
    if (hasShellcheck) {
      check('shellcheck', [jobPath]);
      check('shellcheck', ['-s', 'sh', launchPath]);
    }
    // The directives come first (the scheduler stops reading at the first command).
    // (LSF reads #BSUB lines anywhere in the script: none may follow.)
    const prefix = ({ slurm: '#SBATCH ', pbs: '#PBS ', sge: '#$ ', lsf: '#BSUB ' } as Record<string, string>)[profile.launcher]!;
    const lines = job.split('\n');
    const firstCommand = lines.findIndex((l, i) => i > 0 && l !== '' && !l.startsWith('#'));
    assert.ok(lines.slice(0, firstCommand).filter((l) => l.startsWith(prefix)).length >= 3);
    assert.not.ok(lines.slice(firstCommand).some((l) => l.startsWith(prefix)), 'no directive after the first command');
    assert.ok(lines.slice(1, firstCommand).every((l) => l.startsWith('#')));
  });
}

g('the launch script writes the job script byte for byte (its here-document cannot be cut short)', () => {
  for (const { profile } of fixtures) {
    const dir = mkdtempSync(join(scratch, 'heredoc-'));
    const launch = join(dir, 'launch.sh');
    writeFileSync(launch, renderLaunchScript(profile));
    // Source it (status, in a home without a job, does nothing), then call the function that writes the job.
    const r = spawnSync('sh', ['-c', `set -- status; . "$0" >/dev/null; mkdir -p "$JSS_DIR" && jss_write_job && cat "$JSS_JOB"`, launch], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, HOME: dir },
    });
    assert.is(r.stdout, renderJobScript(profile), profile.name);
  }
  assert.not.ok(existsSync('/tmp/jss-pwned'), 'a value was executed');
});

g.run();

// ------------------------------------------------------- the job, run for real

/** A stand-in for jupyter: a tiny server that answers /api/status with 200 for the right token. */
const FAKE_JUPYTER = String.raw`#!/usr/bin/env python3
import http.server, json, os, sys
record = os.environ["FAKE"]
with open(os.path.join(record, "jupyter-argv"), "w") as f:
    json.dump(sys.argv, f)
with open(os.path.join(record, "jupyter-cwd"), "w") as f:
    f.write(os.getcwd())
args = dict(a[2:].split("=", 1) for a in sys.argv[1:] if a.startswith("--") and "=" in a)
token = os.environ.get("JUPYTER_TOKEN", "")
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        ok = self.headers.get("Authorization") == "token " + token and token
        self.send_response(200 if ok else 403)
        self.end_headers()
        self.wfile.write(b"{}")
    def log_message(self, *a):
        pass
if os.path.exists(os.path.join(record, "jupyter-fails")):
    print("Traceback: ImportError: no module named jupyter_server", file=sys.stderr)
    sys.exit(1)
http.server.HTTPServer((args["ip"], int(args["port"])), H).serve_forever()
`;

/** A stand-in for apptainer: records its options, then runs the command after the image. */
const FAKE_APPTAINER = String.raw`#!/bin/sh
printf '%s\n' "$@" >"$FAKE/apptainer-argv"
shift
while [ $# -gt 0 ]; do
  case "$1" in
    --nv) shift ;;
    --bind | --pwd | --mount) shift 2 ;;
    *) break ;;
  esac
done
shift
exec "$@"
`;

interface JobRun {
  home: string;
  fake: string;
  dir: string;
  child: ReturnType<typeof spawn>;
  exited: Promise<number | null>;
  output: () => string;
}

/** Every job started, so that j.after stops those a failed test left running. */
const runs: JobRun[] = [];

function startJob(input: ProfileInput, setup: (home: string, fake: string, bin: string) => void = () => {}, jobEnv: Record<string, string> = { SLURM_JOB_ID: '77', SLURM_SUBMIT_HOST: 'localhost' }, systemPath = '/usr/bin:/bin'): JobRun {
  const base = mkdtempSync(join(scratch, 'job-'));
  const home = join(base, 'home');
  const fake = join(base, 'fake');
  const bin = join(base, 'bin');
  for (const d of [home, fake, bin]) mkdirSync(d);
  writeFileSync(join(bin, 'jupyter'), FAKE_JUPYTER);
  chmodSync(join(bin, 'jupyter'), 0o755);
  symlinkSync(join(bin, 'jupyter'), join(bin, 'jupyter-server'));
  symlinkSync(join(bin, 'jupyter'), join(bin, 'jupyter-lab'));
  setup(home, fake, bin);
  const profile: Profile = validateProfile(input);
  const job = join(base, 'job.sh');
  writeFileSync(job, renderJobScript(profile));
  const child = spawn('bash', [job], {
    cwd: home,
    env: { PATH: `${bin}:${systemPath}`, HOME: home, FAKE: fake, ...jobEnv, JSS_NODE_ADDR: '127.0.0.1' },
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const run = { home, fake, dir: join(home, '.jupyter-ssh-setup', profile.name), child, exited, output: () => out };
  runs.push(run);
  return run;
}

async function waitForFile(path: string, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (existsSync(path)) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return existsSync(path);
}

/** The scheduler signals the job: it exits with 128+signal, its connection file and Jupyter gone, its end file "ID CODE". */
async function assertEndsOn(run: JobRun, signal: NodeJS.Signals, end: string, port: number): Promise<void> {
  run.child.kill(signal);
  assert.is(await run.exited, Number(end.trim().split(' ')[1]));
  assert.not.ok(existsSync(join(run.dir, 'connection.json')), 'connection file removed');
  assert.is(readFileSync(join(run.dir, 'job.end'), 'utf8'), end);
  const gone = await fetch(`http://127.0.0.1:${port}/api/status`).then(() => false, () => true);
  assert.ok(gone, 'Jupyter stopped with the job');
}

const j = suite('batch job script, run with a stand-in jupyter');

j('writes a 0600 connection file once Jupyter answers; the token is only in the environment; TERM cleans up', async () => {
  const run = startJob({ name: 'q', host: 'login', launcher: 'slurm', app: 'server', notebookDir: '~/nb' }, (home) => mkdirSync(join(home, 'nb')));
  const conn = join(run.dir, 'connection.json');
  assert.ok(await waitForFile(conn, 15_000), `no connection file:\n${run.output()}`);
  const info = JSON.parse(readFileSync(conn, 'utf8'));
  assert.is(info.jobId, '77');
  assert.is(info.node, '127.0.0.1');
  assert.is(info.addr, '127.0.0.1');
  assert.match(info.token, /^[0-9a-f]{48}$/);
  assert.is(statSync(conn).mode & 0o777, 0o600);
  const argv = JSON.parse(readFileSync(join(run.fake, 'jupyter-argv'), 'utf8')) as string[];
  // jupyter-server itself, not `jupyter server` (one Python start less)
  assert.match(argv[0]!, /\/jupyter-server$/);
  assert.equal(argv.slice(1), ['--no-browser', '--ip=127.0.0.1', `--port=${info.port}`, '--port-retries=0', `--notebook-dir=${join(run.home, 'nb')}`, ...(process.getuid?.() === 0 ? ['--allow-root'] : [])]);
  assert.not.ok(argv.join(' ').includes(info.token), 'the token is not in argv');
  const ok = await fetch(`http://127.0.0.1:${info.port}/api/status`, { headers: { Authorization: `token ${info.token}` } });
  assert.is(ok.status, 200);
  // The scheduler cancels the job: TERM to the job script.
  await assertEndsOn(run, 'SIGTERM', '77 143\n', info.port);
});

j('a node with jupyter-server but no jupyter (Debian\'s jupyter-server package): the job runs jupyter-server', async () => {
  const system = jupyterServerOnly([]);
  try {
    const run = startJob(
      { name: 'jsonly', host: 'login', launcher: 'slurm', app: 'server' },
      (_h, _f, bin) => {
        for (const name of ['jupyter-server', 'jupyter-lab']) rmSync(join(bin, name));
        renameSync(join(bin, 'jupyter'), join(bin, 'jupyter-server'));
      },
      undefined,
      system.bin,
    );
    const conn = join(run.dir, 'connection.json');
    assert.ok(await waitForFile(conn, 15_000), `no connection file:\n${run.output()}`);
    const info = JSON.parse(readFileSync(conn, 'utf8'));
    assert.is((await fetch(`http://127.0.0.1:${info.port}/api/status`, { headers: { Authorization: `token ${info.token}` } })).status, 200);
    await assertEndsOn(run, 'SIGTERM', '77 143\n', info.port);
  } finally {
    system.remove();
  }
});

j('LSF: the job id from LSB_JOBID; the run limit\'s USR2 stops Jupyter and leaves exit code 140', async () => {
  const run = startJob({ name: 'lsfq', host: 'login', launcher: 'lsf', app: 'server', time: '10' }, () => {}, { LSB_JOBID: '88', LSB_SUB_HOST: 'localhost' });
  const conn = join(run.dir, 'connection.json');
  assert.ok(await waitForFile(conn, 15_000), `no connection file:\n${run.output()}`);
  const info = JSON.parse(readFileSync(conn, 'utf8'));
  assert.is(info.jobId, '88');
  await assertEndsOn(run, 'SIGUSR2', '88 140\n', info.port);
});

j('a failing environment ends the job with its message and exit code 4, and no connection file', async () => {
  const run = startJob({ name: 'bad', host: 'login', launcher: 'slurm', env: ['venv:/nonexistent'] });
  assert.is(await run.exited, 4);
  assert.match(run.output(), 'jupyter-ssh-setup: environment: no virtualenv at /nonexistent (bin/activate is missing)');
  assert.not.ok(existsSync(join(run.dir, 'connection.json')));
  assert.is(readFileSync(join(run.dir, 'job.end'), 'utf8'), '77 4\n');
});

j('Jupyter that dies at start ends the job (exit 6) with its own error above ours', async () => {
  const run = startJob({ name: 'dies', host: 'login', launcher: 'pbs', remotePort: '18999' }, (_h, fake) => writeFileSync(join(fake, 'jupyter-fails'), ''));
  assert.is(await run.exited, 6);
  assert.match(run.output(), 'ImportError: no module named jupyter_server');
  assert.match(run.output(), 'exited on');
});

j('apptainer: Jupyter runs in the image with --nv and the binds; the token passes through the environment', async () => {
  const run = startJob(
    { name: 'sif', host: 'login', launcher: 'slurm', app: 'lab', container: 'apptainer', image: '~/img/j.sif', mount: ['/scratch:/scratch'], containerGpus: true },
    (home, _fake, bin) => {
      mkdirSync(join(home, 'img'));
      writeFileSync(join(home, 'img/j.sif'), '');
      writeFileSync(join(bin, 'apptainer'), FAKE_APPTAINER);
      chmodSync(join(bin, 'apptainer'), 0o755);
    },
  );
  const conn = join(run.dir, 'connection.json');
  assert.ok(await waitForFile(conn, 15_000), `no connection file:\n${run.output()}`);
  const info = JSON.parse(readFileSync(conn, 'utf8'));
  const opts = readFileSync(join(run.fake, 'apptainer-argv'), 'utf8').trim().split('\n');
  assert.is(opts[0], 'exec');
  assert.ok(opts.includes('--nv'));
  assert.ok(opts.includes('/scratch:/scratch'));
  assert.ok(opts.includes(join(run.home, 'img/j.sif')));
  assert.ok(opts.includes('--ip=127.0.0.1'));
  assert.not.ok(opts.join(' ').includes(info.token));
  assert.is((await fetch(`http://127.0.0.1:${info.port}/api/status`, { headers: { Authorization: `token ${info.token}` } })).status, 200);
  run.child.kill('SIGTERM');
  assert.is(await run.exited, 143);
  const gone = await fetch(`http://127.0.0.1:${info.port}/api/status`).then(() => false, () => true);
  assert.ok(gone, 'Jupyter (inside the stand-in image) stopped with the job');
});

j('a missing image fails the job at once with a clear message', async () => {
  const run = startJob({ name: 'nosif', host: 'login', launcher: 'slurm', container: 'apptainer', image: '~/missing.sif' }, (_h, _f, bin) => {
    writeFileSync(join(bin, 'apptainer'), FAKE_APPTAINER);
    chmodSync(join(bin, 'apptainer'), 0o755);
  });
  assert.is(await run.exited, 3);
  assert.match(run.output(), 'missing.sif is not on');
});

j.after(async () => {
  for (const run of runs) {
    if (run.child.exitCode === null && run.child.signalCode === null) {
      run.child.kill('SIGTERM');
      await run.exited;
    }
  }
  execFileSync('rm', ['-rf', scratch]);
});

j.run();
