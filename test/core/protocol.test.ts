/**
 * The protocol between the CLI and the launch scripts (src/core/protocol.ts):
 * every error code in templates/ has its hint in ERROR_CODES, and a reply
 * that breaks its schema fails naming the field.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES, REPLY_SCHEMAS, checkHint, doctorHint, isErrorCode, launchOf, parseReply, startHint, validateReply } from '../../src/core/protocol.js';
import { ProtocolError } from '../../src/errors.js';

const templates = new URL('../../templates/', import.meta.url).pathname;

function templateFiles(dir = templates): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? templateFiles(path) : name.endsWith('.ejs') ? [path] : [];
  });
}

/** CODE of every `jss_fail CODE ...` and every literal `"error":"CODE"` in the templates, with where it is. */
function codesInTemplates(): Map<string, string> {
  const codes = new Map<string, string>();
  for (const file of templateFiles()) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\bjss_fail\s+([a-z][a-z0-9-]*)|"error":"([a-z][a-z0-9-]*)"/g)) codes.set(m[1] ?? m[2]!, file.slice(templates.length));
  }
  return codes;
}

test('every error code the templates emit is in ERROR_CODES, with a hint', () => {
  const codes = codesInTemplates();
  assert.ok(codes.size >= 20, `found only ${codes.size} codes: is the pattern still right?`);
  for (const [code, file] of codes) assert.ok(isErrorCode(code), `templates/${file} emits "${code}", which core/protocol.ts ERROR_CODES does not list (add it there, with its hint)`);
  const p = { name: 'gpu', host: 'gpu.example.org', launcher: 'plain' as const, container: { kind: 'none' as const } };
  for (const [code, info] of Object.entries(ERROR_CODES)) {
    assert.ok(info.hint(p).length > 10, code);
    assert.ok(info.means.length > 10, code);
  }
});

test('no code in ERROR_CODES that no template emits any more', () => {
  const codes = codesInTemplates();
  for (const code of Object.keys(ERROR_CODES)) assert.ok(codes.has(code), `ERROR_CODES lists "${code}", which no template emits`);
});

test('jss_die (no code: it ends a batch job, in its log) only in the job script', () => {
  for (const file of templateFiles()) {
    if (file.endsWith('batch-job.sh.ejs')) continue;
    assert.not.match(readFileSync(file, 'utf8'), /\bjss_die\b/, file);
  }
});

const gpu = 'gpu';

test('replies of this version parse, typed', () => {
  const start = parseReply('{"ok":true,"reused":false,"name":"gpu","host":"h","node":"127.0.0.1","port":8888,"token":"ab12","pid":42,"app":"lab","startedAt":"2030-01-01T00:00:00Z","bind":"tcp"}\n', 'plain', 'start', gpu);
  assert.ok(start?.ok && start.port === 8888 && start.token === 'ab12');
  assert.equal(parseReply('noise from a login banner\n{"ok":true,"name":"gpu","running":false}\n', 'plain', 'status', gpu), { ok: true, name: 'gpu', running: false });
  assert.equal(parseReply('{"ok":true,"name":"q","running":false}', 'batch', 'status', 'q'), { ok: true, name: 'q', running: false });
  const job = parseReply('{"ok":true,"name":"q","scheduler":"slurm","jobId":"41","state":"PENDING","reason":"submitted","reused":false,"running":false,"final":false,"transient":false}', 'batch', 'start', 'q');
  assert.ok(job?.ok && job.jobId === '41');
  assert.equal(parseReply('{"ok":false,"name":"gpu","error":"port-busy","message":"port 8888 on h is already in use"}', 'plain', 'start', gpu), { ok: false, name: 'gpu', error: 'port-busy', message: 'port 8888 on h is already in use' });
  // an unknown field is kept; an unknown code (another version's) is still a failure
  assert.equal(parseReply('{"ok":true,"name":"gpu","stopped":true,"pid":7,"extra":1}', 'plain', 'stop', gpu), { ok: true, name: 'gpu', stopped: true, pid: 7, extra: 1 });
  assert.equal(parseReply('{"ok":false,"error":"new-code","message":"m"}', 'batch', 'stop', 'q'), { ok: false, error: 'new-code', message: 'm' });
});

test('no JSON line, or one cut short: no reply (the caller explains the ssh failure)', () => {
  assert.is(parseReply('', 'plain', 'start', gpu), undefined);
  assert.is(parseReply('Permission denied (publickey).\n', 'plain', 'status', gpu), undefined);
  assert.is(parseReply('{"ok":true,"name":"gpu","run', 'plain', 'status', gpu), undefined);
});

const malformed: [string, Parameters<typeof parseReply>[1], Parameters<typeof parseReply>[2], string, string][] = [
  ['ok missing', 'plain', 'status', '{"running":false}', 'the launch script on gpu answered status with a malformed reply: field "ok" is missing'],
  ['ok not a boolean', 'plain', 'stop', '{"ok":"yes"}', 'the launch script on gpu answered stop with a malformed reply: field "ok" is "yes", not a boolean'],
  ['a started Jupyter without its token', 'plain', 'start', '{"ok":true,"port":8888,"pid":42}', 'the launch script on gpu answered start with a malformed reply: field "token" is missing'],
  ['a port that is a string', 'plain', 'start', '{"ok":true,"port":"8888","token":"t","pid":42}', 'the launch script on gpu answered start with a malformed reply: field "port" is "8888", not a number'],
  ['a running server without its port', 'plain', 'status', '{"ok":true,"running":true,"token":"t","pid":1}', 'the launch script on gpu answered status with a malformed reply: field "port" is missing'],
  ['status without running', 'batch', 'status', '{"ok":true,"name":"gpu"}', 'the launch script on gpu answered status with a malformed reply: field "running" is missing'],
  ['a job without its state', 'batch', 'status', '{"ok":true,"jobId":"41","running":false,"transient":false,"final":false}', 'the launch script on gpu answered status with a malformed reply: field "state" is missing'],
  ['a running job without its node', 'batch', 'status', '{"ok":true,"jobId":"41","state":"RUNNING","transient":false,"final":false,"running":true,"token":"t","port":1,"pid":2}', 'the launch script on gpu answered status with a malformed reply: field "node" is missing'],
  ['a submit without the job', 'batch', 'start', '{"ok":true,"state":"PENDING"}', 'the launch script on gpu answered start with a malformed reply: field "jobId" is missing'],
  ['transient as text', 'batch', 'status', '{"ok":true,"jobId":"41","state":"PENDING","transient":"false","final":false,"running":false}', 'the launch script on gpu answered status with a malformed reply: field "transient" is "false", not a boolean'],
  ['a failure without its message', 'plain', 'start', '{"ok":false,"error":"port-busy"}', 'the launch script on gpu answered start with a malformed reply: field "message" is missing'],
  ['a failure with a numeric code', 'batch', 'start', '{"ok":false,"error":7,"message":"m"}', 'the launch script on gpu answered start with a malformed reply: field "error" is 7, not a string'],
  ['check without the version', 'plain', 'check', '{"ok":true,"host":"h","jupyter":"/bin/jupyter"}', 'the launch script on gpu answered check with a malformed reply: field "version" is missing'],
];

for (const [name, launch, action, line, message] of malformed) {
  test(`malformed: ${name}`, () => {
    try {
      parseReply(`${line}\n`, launch, action, gpu);
      assert.unreachable('parsed');
    } catch (error) {
      assert.instance(error, ProtocolError);
      assert.is((error as ProtocolError).message, message);
      assert.is((error as ProtocolError).exitCode, 1);
    }
  });
}

test('malformed: a field of another type; the hint says how to repair it', () => {
  try {
    parseReply('{"ok":true,"host":"h","version":["1"]}', 'plain', 'check', gpu);
    assert.unreachable('parsed');
  } catch (error) {
    assert.is((error as Error).message, 'the launch script on gpu answered check with a malformed reply: field "version" is ["1"], not a string');
    assert.is((error as ProtocolError).hint, 'The script there is not the one this jupyter-ssh-setup wrote: run jupyter-ssh-setup setup --name gpu again to install it; if that does not help, report it with the message above.');
  }
});

test('malformed: a JSON value that is not an object', () => {
  assert.throws(() => validateReply([1], REPLY_SCHEMAS.plain.check, gpu, 'check'), /^the launch script on gpu answered check with a malformed reply: it is \[1\], not a JSON object$/);
  assert.throws(() => validateReply(null, REPLY_SCHEMAS.plain.check, gpu, 'check'), /it is null, not a JSON object$/);
});

test('hints: the code\'s own, else doctor\'s; doctor\'s check has its own', () => {
  const plain = { name: 'gpu', host: 'gpu.example.org', launcher: 'plain' as const, container: { kind: 'none' as const } };
  const slurm = { ...plain, name: 'hpc', launcher: 'slurm' as const };
  assert.is(startHint({ error: 'port-busy' }, plain), 'Choose another port: jupyter-ssh-setup setup --name gpu --remote-port auto');
  assert.is(startHint({ error: 'state-dir' }, plain), 'Run jupyter-ssh-setup doctor gpu; the remote log is ~/.jupyter-ssh-setup/gpu/jupyter.log.');
  assert.is(startHint({ error: 'state-dir' }, slurm), 'Run jupyter-ssh-setup doctor hpc.');
  assert.is(startHint({ error: 'a-code-of-another-version' }, slurm), doctorHint(slurm));
  assert.match(startHint({ error: 'scheduler-mismatch' }, { ...slurm, launcher: 'sge' }), 'put the SGE ones first');
  assert.is(checkHint('env-failed', plain), 'Fix the environment with setup --env (venv:PATH, conda:NAME, module:NAME or cmd:COMMAND).');
  assert.is(checkHint('jupyter-failed', plain), checkHint('python-failed', plain));
  assert.is(checkHint(undefined, plain), 'Install Jupyter on gpu.example.org (e.g. pip install jupyterlab) or point --env at the environment that has it.');
  assert.is(checkHint('image-missing', { ...plain, container: { kind: 'docker' } }), 'Fix it on gpu.example.org as the message says, or set another image: setup --name gpu --image IMAGE.');
  assert.is(launchOf(plain), 'plain');
  assert.is(launchOf({ launcher: 'lsf' }), 'batch');
});

test.run();
