/**
 * The protocol between the CLI and the remote launch scripts
 * (templates/launch.sh.ejs for `plain`, launch-batch.sh.ejs for the batch
 * launchers, and their partials). Each action (`start`, `stop`, `status`,
 * `check`) answers with one JSON line: `{"ok":true,...}` with the fields
 * below, or `{"ok":false,"error":CODE,"message":TEXT}` from `jss_fail CODE
 * TEXT`. Every CODE the templates can emit is in ERROR_CODES, with its hint
 * beside it (test/core/protocol.test.ts reads the templates to keep it so).
 *
 * The schemas are data; the reply types are derived from them, and
 * `parseReply` checks a reply against its schema, naming the field that is
 * wrong. Fields a reply has beyond its schema are kept, untyped.
 */
import { ProtocolError } from '../errors.js';
import type { Profile } from './profile-types.js';
import type { RemoteAction } from './remote.js';
import { schedulerLabel, type Scheduler } from './batch.js';

type Kind = 'string' | 'number' | 'boolean';
type Fields = Readonly<Record<string, Kind>>;

/**
 * What one action's successful reply holds: `required` always, `optional`
 * when present (their types are still checked), and `when`: more required
 * fields once a field is true-ish (a running server has its token and port).
 */
interface Schema {
  readonly required: Fields;
  readonly optional: Fields;
  readonly when?: Readonly<Record<string, Fields>>;
}

type Value<K extends Kind> = K extends 'string' ? string : K extends 'number' ? number : boolean;
type Optional<F extends Fields> = { -readonly [N in keyof F]?: Value<F[N]> };
/** The reply type a schema describes (the fields of `when` are in `optional` too: callers test them). */
export type ReplyOf<S extends Schema> = S extends Schema ? { ok: true } & { -readonly [N in keyof S['required']]: Value<S['required'][N]> } & Optional<S['optional']> : never;

/** The connection file (written when Jupyter answers): what start and status pass on. */
const CONNECTION = {
  ...({ name: 'string', host: 'string', node: 'string', addr: 'string', port: 'number', token: 'string', pid: 'number' } as const),
  ...({ app: 'string', startedAt: 'string', bind: 'string', sock: 'string', container: 'string', engine: 'string' } as const),
} as const;

/** A running Jupyter's reply always says where and with which token. */
const RUNNING = { token: 'string', port: 'number', pid: 'number' } as const;

/** The state of a batch job, from the scheduler (launch-batch.sh.ejs jss_report). */
const JOB = {
  ...CONNECTION,
  ...({ scheduler: 'string', jobId: 'string', state: 'string', reason: 'string', startTime: 'string', elapsed: 'string', timeLeft: 'string', timeLimit: 'string' } as const),
  ...({ transient: 'boolean', final: 'boolean', exitCode: 'string', log: 'string', message: 'string', running: 'boolean', reused: 'boolean' } as const),
} as const;
/** Once a job is named, its state is too. */
const JOB_STATE = { state: 'string', transient: 'boolean', final: 'boolean' } as const;

/** stop: plain or batch; without an installed script, core/remote.ts answers `running: false`. */
const STOP = {
  required: {},
  optional: { name: 'string', stopped: 'boolean', running: 'boolean', pid: 'number', container: 'string', scheduler: 'string', jobId: 'string', was: 'string', state: 'string' },
} as const satisfies Schema;

/** check: what doctor shows (partials/unix-socket.sh.ejs adds the socket facts). */
const CHECK = {
  required: { host: 'string', version: 'string' },
  optional: {
    ...({ name: 'string', jupyter: 'string', app: 'string', bind: 'string', sockSupported: 'boolean', sockLs: 'string', sockPrivate: 'boolean' } as const),
    ...({ engine: 'string', engineVersion: 'string', image: 'string', imagePresent: 'boolean', scheduler: 'string', submit: 'string' } as const),
  },
} as const satisfies Schema;

/** Every action's schema, for the plain launcher and for the batch ones. */
export const REPLY_SCHEMAS = {
  plain: {
    start: { required: RUNNING, optional: { ...CONNECTION, reused: 'boolean', bindFallback: 'string' } },
    status: { required: { running: 'boolean' }, optional: CONNECTION, when: { running: RUNNING } },
    stop: STOP,
    check: CHECK,
  },
  batch: {
    start: { required: { jobId: 'string' }, optional: JOB, when: { jobId: JOB_STATE, running: { ...RUNNING, node: 'string' } } },
    status: { required: { running: 'boolean' }, optional: JOB, when: { jobId: JOB_STATE, running: { ...RUNNING, node: 'string' } } },
    stop: STOP,
    check: CHECK,
  },
} as const satisfies Record<'plain' | 'batch', Record<RemoteAction, Schema>>;

type Schemas = typeof REPLY_SCHEMAS;
export type Launch = keyof Schemas;

export type PlainStartReply = ReplyOf<Schemas['plain']['start']>;
export type PlainStatusReply = ReplyOf<Schemas['plain']['status']>;
/** A batch job's start or status reply (commands/batch.ts polls on these). */
export type JobReply = { ok: true } & Optional<typeof JOB>;
export type StopReply = ReplyOf<typeof STOP>;
export type CheckReply = ReplyOf<typeof CHECK>;

/** What `jss_fail CODE MESSAGE` prints. */
export interface FailureReply {
  ok: false;
  /** One of ERROR_CODES from the scripts of this version; any word from another one. */
  error: string;
  message: string;
  name?: string;
  scheduler?: string;
}

const FAILURE = { required: { error: 'string', message: 'string' }, optional: { name: 'string', scheduler: 'string' } } as const satisfies Schema;

/** The reply of `action` for a target of `launch`: success or failure, told apart by `ok`. */
export type Reply<L extends Launch, A extends RemoteAction> = ReplyOf<Schemas[L][A]> | FailureReply;

/** plain, or batch for every scheduler. */
export function launchOf(profile: Pick<Profile, 'launcher'>): Launch {
  return profile.launcher === 'plain' ? 'plain' : 'batch';
}

/**
 * The last JSON line of an action's output, checked against its schema.
 * Undefined when there is none, or it is cut short (the connection dropped
 * while it was written): callers explain that as the ssh failure it is. A
 * line that parses but breaks the schema throws a ProtocolError naming the
 * field: the script on the remote and this CLI disagree.
 */
export function parseReply<L extends Launch, A extends RemoteAction>(stdout: string, launch: L, action: A, target: string): Reply<L, A> | undefined {
  const lines = stdout.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('{'));
  const last = lines.at(-1);
  if (!last) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(last);
  } catch {
    return undefined;
  }
  return validateReply(value, REPLY_SCHEMAS[launch][action], target, action) as Reply<L, A>;
}

/** Checks one parsed reply against its schema (or the failure schema, when `ok` is false). */
export function validateReply(value: unknown, schema: Schema, name: string, action: RemoteAction): Record<string, unknown> {
  const fail = (field: string, problem: string) => new ProtocolError(name, action, field, problem);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw fail('(the reply)', `is ${describe(value)}, not a JSON object`);
  const reply = value as Record<string, unknown>;
  if (typeof reply.ok !== 'boolean') throw fail('ok', reply.ok === undefined ? 'is missing' : `is ${describe(reply.ok)}, not a boolean`);
  const s: Schema = reply.ok ? schema : FAILURE;
  const check = (fields: Fields, required: boolean) => {
    for (const [field, kind] of Object.entries(fields)) {
      const v = reply[field];
      if (v === undefined) {
        if (required) throw fail(field, 'is missing');
      } else if (typeof v !== kind || (kind === 'number' && !Number.isFinite(v))) throw fail(field, `is ${describe(v)}, not a ${kind}`);
    }
  };
  check(s.optional, false);
  check(s.required, true);
  for (const [flag, fields] of Object.entries(s.when ?? {})) if (reply[flag]) check(fields, true);
  return reply;
}

function describe(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** What a hint may name: the target, its host, its launcher and container. */
export type HintTarget = Pick<Profile, 'name' | 'host' | 'launcher'> & { container: Pick<Profile['container'], 'kind'> };

interface ErrorCodeInfo {
  /** What went wrong on the remote, for contributors. */
  means: string;
  /** What to do next, shown under a failed start (plain) or submit (batch). */
  hint: (p: HintTarget) => string;
  /** doctor's hint when `check` fails with this code, where it differs. */
  check?: (p: HintTarget) => string;
}

/** The hint of a code with no advice of its own: doctor, and for plain the remote log. */
export function doctorHint(p: Pick<Profile, 'name' | 'launcher'>): string {
  return p.launcher === 'plain' ? `Run jupyter-ssh-setup doctor ${p.name}; the remote log is ~/.jupyter-ssh-setup/${p.name}/jupyter.log.` : `Run jupyter-ssh-setup doctor ${p.name}.`;
}

const repairPython = (p: HintTarget) => `Repair it on ${p.host} (permissions, or recreate the environment), or point setup --env at one that works.`;

/**
 * Every error code the launch scripts emit (`jss_fail CODE MESSAGE EXIT`),
 * with its hint. A new code goes here first: test/core/protocol.test.ts
 * fails for a code in templates/ that is not in this table.
 */
export const ERROR_CODES = {
  'env-failed': {
    means: 'activating the environment (--env) failed',
    hint: (p) => `Check the environment settings: jupyter-ssh-setup doctor ${p.name}`,
    check: () => 'Fix the environment with setup --env (venv:PATH, conda:NAME, module:NAME or cmd:COMMAND).',
  },
  'jupyter-not-found': {
    means: 'neither jupyter nor jupyter-APP on PATH after the environment, or no Python for it',
    hint: (p) => `Install Jupyter on ${p.host}, or set the environment that has it: jupyter-ssh-setup setup --name ${p.name} --env conda:NAME`,
  },
  'jupyter-app-missing': {
    means: 'jupyter is there, but not the app (lab, notebook, server) the profile asks for',
    hint: (p) => `Install it there, or use what is installed: jupyter-ssh-setup setup --name ${p.name} --app server`,
  },
  'jupyter-failed': { means: 'jupyter APP --version fails', hint: doctorHint, check: repairPython },
  'jupyter-exited': { means: 'Jupyter exited before it answered', hint: doctorHint },
  'jupyter-timeout': { means: 'Jupyter did not answer in time', hint: doctorHint },
  'python-failed': {
    means: "the Python that runs jupyter (or waits for it) cannot run",
    hint: (p) => `Repair that Python on ${p.host} (its permissions, or recreate the environment), or point setup --name ${p.name} --env at one that works`,
    check: repairPython,
  },
  'python-not-found': { means: 'no python3 next to the container engine', hint: doctorHint },
  'port-busy': {
    means: 'the fixed --remote-port is taken on the remote',
    hint: (p) => `Choose another port: jupyter-ssh-setup setup --name ${p.name} --remote-port auto`,
  },
  port: { means: 'no free port could be picked, or the container port not read', hint: doctorHint },
  'notebook-dir': { means: 'the --notebook-dir does not exist there', hint: doctorHint },
  token: { means: 'the token could not be made or kept (/dev/urandom, the state directory)', hint: doctorHint },
  'state-dir': { means: 'the state directory ~/.jupyter-ssh-setup/NAME (or a file in it) cannot be written', hint: doctorHint },
  busy: { means: 'another start of the same target holds its lock', hint: doctorHint },
  'stop-failed': { means: 'our Jupyter (or its container) did not stop', hint: doctorHint },
  'image-missing': {
    means: 'the container image is not there (images are never pulled automatically)',
    hint: (p) => `Pull or build the image on ${p.host} as above, or choose another: jupyter-ssh-setup setup --name ${p.name} --image IMAGE`,
  },
  'engine-not-found': {
    means: 'no container engine (docker, podman, apptainer) on PATH',
    hint: (p) => `Install ${p.container.kind === 'apptainer' ? 'Apptainer' : 'docker or podman'} on ${p.host}, or put it on PATH with setup --env (e.g. module:NAME)`,
  },
  'container-exists': { means: 'a container of our name that is not ours, or one that cannot be removed', hint: doctorHint },
  'container-failed': { means: 'the engine could not run the container', hint: doctorHint },
  'scheduler-not-found': {
    means: "the scheduler's submit command is not on PATH on the login node",
    hint: (p) => `Run setup with the environment that provides the scheduler's commands on ${p.host} (e.g. --env module:slurm), or check --host is the login node.`,
  },
  'scheduler-busy': {
    means: 'the scheduler did not answer whether our job still lives (start asks again a few times)',
    hint: (p) => `The scheduler on ${p.host} is busy; try again in a minute.`,
  },
  'scheduler-mismatch': {
    means: 'qsub/qstat on PATH belong to another scheduler than the profile says',
    hint: (p) =>
      `qsub, qstat and qdel are names that Grid Engine, PBS/Torque and Slurm's Torque wrappers share: put the ${schedulerLabel(p.launcher as Scheduler)} ones first on the PATH of ssh sessions on ${p.host}, or run setup again with the --launcher of the ones that are there.`,
  },
  'submit-failed': {
    means: 'the scheduler refused the job',
    hint: (p) => `Check the job settings (--partition --time --account --mem --cpus --gpus --qos --directive): jupyter-ssh-setup setup --name ${p.name} ...`,
  },
  'cancel-failed': { means: 'the scheduler did not cancel the job', hint: doctorHint },
} as const satisfies Record<string, ErrorCodeInfo>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_CODES, code);
}

/** The hint under a failed start or submit: the code's own, or doctor's for a code of another version. */
export function startHint(reply: Pick<FailureReply, 'error'>, p: HintTarget): string {
  return isErrorCode(reply.error) ? ERROR_CODES[reply.error].hint(p) : doctorHint(p);
}

/** doctor's hint when `check` failed (or did not answer: no code). */
export function checkHint(code: string | undefined, p: HintTarget): string {
  const own = code !== undefined && isErrorCode(code) ? (ERROR_CODES[code] as ErrorCodeInfo).check : undefined;
  if (own) return own(p);
  return p.container.kind !== 'none'
    ? `Fix it on ${p.host} as the message says, or set another image: setup --name ${p.name} --image IMAGE.`
    : `Install Jupyter on ${p.host} (e.g. pip install jupyterlab) or point --env at the environment that has it.`;
}
