/** The wizard's probe answer (templates/remote-probe.sh.ejs) read by core/remote-probe.ts: one-line table cases. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseProbeAnswer, canListenOnSocket, describeProbe } from '../../src/core/remote-probe.js';
import { renderTemplate } from '../../src/core/render.js';
import { runProgram } from '../helpers/cli.js';
import { installed, reportMissing } from '../helpers/tools.js';

const answer = (...lines: string[]) => ['jss-probe 1', 'home /home/alice', ...lines, 'jss-probe end', ''].join('\n');
const base = { home: '/home/alice', apps: [], schedulers: [], containers: [], conda: [], modules: [], venvs: [] };

const cases: [string, string, unknown][] = [
  ['nothing but a home', answer(), base],
  ['Debian 12: notebook 6 and server, lab missing (exit 1)', answer('jupyter /usr/bin/jupyter', 'app lab 1 ', 'app notebook 0 6.4.12', 'app server 0 1.23.3'), { ...base, jupyter: '/usr/bin/jupyter', apps: [{ app: 'notebook', version: '6.4.12' }, { app: 'server', version: '1.23.3' }] }],
  ['apps sorted lab, notebook, server', answer('app server 0 2.14.0', 'app lab 0 4.2.5'), { ...base, apps: [{ app: 'lab', version: '4.2.5' }, { app: 'server', version: '2.14.0' }] }],
  ['an app whose --version printed no number', answer('app lab 0 '), base],
  ['a banner before the first line is skipped', `Welcome to HPC!\nhome /evil\n${answer()}`, base],
  ['the socket env', answer('xdg /run/user/1000', 'uid 1000', 'hostname gpu'), { ...base, xdgRuntimeDir: '/run/user/1000', uid: 1000, hostname: 'gpu' }],
  ['an empty XDG_RUNTIME_DIR', answer('xdg ', 'uid 0'), { ...base, uid: 0 }],
  ['slurm (its torque qsub wrapper is not PBS)', answer('command sbatch', 'command qsub'), { ...base, schedulers: ['slurm'] }],
  ['PBS qsub', answer('command qsub', 'command pbsnodes'), { ...base, schedulers: ['pbs'] }],
  ['Grid Engine qsub by qconf', answer('command qsub', 'command qconf'), { ...base, schedulers: ['sge'] }],
  ['Grid Engine qsub by SGE_ROOT', answer('command qsub', 'sge-root'), { ...base, schedulers: ['sge'] }],
  ['LSF', answer('command bsub'), { ...base, schedulers: ['lsf'] }],
  ['containers, singularity as apptainer', answer('command docker', 'command podman', 'command singularity'), { ...base, containers: ['docker', 'podman', 'apptainer'] }],
  ['venvs under the home as ~/', answer('venv /home/alice/venvs/jl', 'venv /opt/venv', 'venv relative'), { ...base, venvs: ['~/venvs/jl', '/opt/venv'] }],
  ['conda envs and modules, deduplicated', answer('conda base', 'conda ml', 'conda ml', 'module python/3.11', 'module jupyter/2024 '), { ...base, conda: ['base', 'ml'], modules: ['python/3.11', 'jupyter/2024'] }],
];
for (const [name, text, want] of cases) test(name, () => assert.equal(parseProbeAnswer(text), want));

const none: [string, string][] = [
  ['no answer', ''],
  ['cut short (no last line)', 'jss-probe 1\nhome /home/alice\n'],
  ['no home', 'jss-probe 1\njss-probe end\n'],
  ['a relative home', 'jss-probe 1\nhome alice\njss-probe end\n'],
];
for (const [name, text] of none) test(`undefined: ${name}`, () => assert.is(parseProbeAnswer(text), undefined));

const sockets: [Parameters<typeof canListenOnSocket>, boolean][] = [
  [['notebook', '6.4.12'], true],
  [['notebook', '6.3.0'], false],
  [['notebook', '7.0.1'], true],
  [['server', '1.23.3'], true],
  [['server', '0.3.0'], false],
  [['lab', '4.2.5'], true],
  [['lab', '2.3.1'], false],
];
for (const [args, want] of sockets) test(`socket: ${args.join(' ')}`, () => assert.is(canListenOnSocket(...args), want));

test('describeProbe says what was found, and that JupyterLab is missing', () => {
  const p = parseProbeAnswer(answer('hostname gpu', 'app notebook 0 6.4.12', 'app server 0 1.23.3', 'command sbatch'))!;
  assert.is(describeProbe('gpu', p), 'gpu (gpu) has: jupyter notebook 6.4.12, server 1.23.3 (no JupyterLab); scheduler SLURM; no container engine; home /home/alice.');
});

test('the probe script passes shellcheck and, run here by sh -s, gives an answer the parser reads', async () => {
  const script = renderTemplate('remote-probe.sh.ejs', {}, 'sh');
  const dir = mkdtempSync(join(tmpdir(), 'jss-probe-test-'));
  try {
    const path = join(dir, 'probe.sh');
    writeFileSync(path, script);
    if (installed('shellcheck')) {
      const sc = await runProgram('shellcheck', ['-s', 'sh', path]);
      assert.is(sc.code, 0, sc.stdout);
    } else reportMissing('shellcheck', 'checking the probe script');
    const r = await runProgram('sh', ['-c', 'sh -s <"$1"', 'sh', path], { env: { PATH: '/usr/bin:/bin', HOME: dir }, timeoutMs: 60_000 });
    assert.is(r.code, 0, r.stderr);
    const p = parseProbeAnswer(r.stdout);
    assert.ok(p, r.stdout);
    assert.is(p!.home, dir);
    assert.is(p!.uid, process.getuid!());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
