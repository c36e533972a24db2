import { join } from 'node:path';
import { access, stat } from 'node:fs/promises';
import type { ParsedArgs, SetupOptions } from '../types.js';
import type { Context } from '../context.js';
import { UsageError, ValidationError, RuntimeFailure } from '../errors.js';
import { validateProfile, profileToInput, type Profile, type ProfileInput } from '../core/profile.js';
import { planSetup, type FileChange, type Paths } from '../core/plan.js';
import { applyChanges, withLock, ConcurrentEditError } from '../io/files.js';
import { readProfiles, resolvePaths, defaultShell, localUser } from '../io/store.js';
import { readCurrentState, renderOptions } from '../io/setup-state.js';
import { readKnownAliases } from '../io/read-ssh-config.js';
import { checkSshPlan } from '../io/validate-ssh.js';
import { printPlan, tildify } from '../io/output.js';
import { findReturnBeforeBlock } from '../core/rc-check.js';
import { bindOf } from '../core/profile.js';
import { isForwardableSocket, missingTunnelReason, type RemoteFacts } from '../core/remote-facts.js';
import { alignComments } from '../io/output.js';
import { writeRemoteFacts } from '../io/remote-facts.js';

/** Maps the parsed flags to raw profile answers. */
export function inputFromFlags(values: ParsedArgs['values']): ProfileInput {
  const s = (k: string) => values[k] as string | undefined;
  const m = (k: string) => values[k] as string[] | undefined;
  return {
    name: s('name'),
    host: s('host'),
    user: s('user'),
    port: s('port'),
    identity: s('identity'),
    jump: m('jump'),
    launcher: s('launcher'),
    container: s('container'),
    image: s('image'),
    mount: m('mount'),
    containerGpus: values['container-gpus'] as boolean | undefined,
    env: m('env'),
    app: s('app'),
    remotePort: s('remote-port'),
    localPort: s('local-port'),
    notebookDir: s('notebook-dir'),
    shell: s('shell'),
    partition: s('partition'),
    time: s('time'),
    account: s('account'),
    mem: s('mem'),
    cpus: s('cpus'),
    gpus: s('gpus'),
    qos: s('qos'),
    directive: m('directive'),
    reconnect: values.reconnect as boolean | undefined,
    persist: s('persist'),
    bind: s('bind'),
  };
}

export async function run(args: ParsedArgs, ctx: Context): Promise<number> {
  if (args.positionals.length) throw new UsageError(`unexpected argument "${args.positionals[0]}"`, 'Setup takes flags only; see jupyter-ssh-setup setup --help.');
  const v = args.values;
  const options: SetupOptions = {
    dryRun: Boolean(v['dry-run']),
    yes: Boolean(v.yes),
    force: Boolean(v.force),
    json: Boolean(v.json),
    sshConfig: v['ssh-config'] as string | undefined,
    rc: v.rc as string | undefined,
    offline: Boolean(v.offline),
  };
  let input = inputFromFlags(v);
  const interactive = Boolean(ctx.stdin.isTTY && ctx.stdout.isTTY) || ctx.prompter !== undefined;
  if (!options.yes && interactive) {
    // The wizard only asks; the writes happen here, after its last answer and its confirmation.
    const { runWizard } = await import('../wizard/index.js');
    const wizard = await runWizard(input, options, ctx);
    // The last question, before the plan and its confirmation (every question has a flag: --kernel answers this one).
    const kernel = v.kernel === undefined ? await (await import('./kernel.js')).askKernel(wizard.profile, ctx) : Boolean(v.kernel);
    const code = await withKernel(kernel, wizard.profile.name, options, ctx, await applySetup(wizard.profile, options, ctx, wizard.confirm, wizard.learned));
    if (code !== 0 || options.dryRun || options.json) return code;
    await wizard.afterWrite();
    return 0;
  }
  const missing = (['name', 'host'] as const).filter((k) => !input[k]);
  if (missing.length) {
    // --yes may take the host of an existing profile of that name.
    if (input.name && missing.length === 1 && missing[0] === 'host') {
      const existing = (await readProfiles(resolvePaths(ctx, { sshConfig: options.sshConfig, rc: options.rc }))).get(input.name);
      if (existing) input = { ...profileToInput(existing), ...stripUndefined(input) };
    }
    const still = (['name', 'host'] as const).filter((k) => !input[k]);
    if (still.length) {
      throw new UsageError(
        `missing ${still.map((k) => '--' + k).join(' and ')} (no terminal to ask on${options.yes ? ', and --yes has no default for it' : ''})`,
        'Pass them as flags, e.g. jupyter-ssh-setup setup --name gpu --host gpu.example.org --yes, or run on a terminal for the wizard.',
      );
    }
  }
  if (!input.shell) input.shell = defaultShell(ctx);
  // Always write User and Port: a `Host *` or global line later in the user's
  // file must not decide where our alias connects.
  if (!input.user) input.user = localUser(ctx);
  if (!input.port) input.port = 22;
  const profile = validateProfile(input);
  return withKernel(Boolean(v.kernel), profile.name, options, ctx, await applySetup(profile, options, ctx));
}

/** setup --kernel: after a setup that worked, the kernelspec jss-NAME in the local Jupyter (kernel add NAME). */
async function withKernel(kernel: boolean, name: string, options: SetupOptions, ctx: Context, code: number): Promise<number> {
  if (!kernel || code !== 0 || options.dryRun) return code;
  const { addKernel } = await import('./kernel.js');
  return addKernel(name, ctx, options.json);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, value]) => value !== undefined && !(Array.isArray(value) && value.length === 0))) as Partial<T>;
}

/** Checks that need the machine: the alias is new, the key exists. */
export async function checkAgainstSystem(profile: Profile, paths: Paths, force: boolean, existing: Map<string, Profile>): Promise<void> {
  // OpenSSH refuses a config other users can write ("Bad owner or permissions"): so do we.
  for (const file of [paths.sshConfig, paths.sshInclude]) {
    const st = await stat(file).catch(() => undefined);
    if (st && (st.mode & 0o022) !== 0) {
      throw new ValidationError('--ssh-config', file, `is writable by other users (mode ${(st.mode & 0o777).toString(8)}), which OpenSSH refuses; run chmod go-w ${file} first`);
    }
  }
  if (!force && !existing.has(profile.name)) {
    const aliases = await readKnownAliases(paths.sshConfig, paths.home, [paths.sshInclude]);
    const clash = aliases.find((a) => a.alias === profile.name || a.alias === `${profile.name}-tunnel`);
    if (clash) {
      throw new ValidationError('--name', profile.name, `already a Host in ${tildify(clash.file, paths.home)}; choose another name, or pass --force to let ours take precedence`);
    }
  }
  if (profile.identity) {
    const path = profile.identity.startsWith('~/') ? join(paths.home, profile.identity.slice(2)) : profile.identity;
    try {
      await access(path);
    } catch {
      throw new ValidationError('--identity', profile.identity, 'no such file; give the path of an existing private key (e.g. ~/.ssh/id_ed25519), or create one with ssh-keygen -t ed25519');
    }
  }
}

/** Plan, show, and (unless --dry-run) write. Re-plans when a file changes under us. */
export async function applySetup(profile: Profile, options: SetupOptions, ctx: Context, confirm?: (changes: FileChange[]) => Promise<boolean>, learned?: RemoteFacts): Promise<number> {
  const paths = resolvePaths(ctx, { sshConfig: options.sshConfig, rc: options.rc, shell: profile.shell });
  const stored: Profile = { ...profile, files: { sshConfig: paths.sshConfig, rc: paths.rc } };
  for (let attempt = 0; ; attempt++) {
    const current = await readCurrentState(paths, [profile.name]);
    const render = { ...(await renderOptions(ctx, paths, [...[...current.profiles.values()].filter((p) => p.name !== stored.name), stored])), overwriteHandEdits: options.force };
    // What the wizard's login learned replaces what an earlier login did (written below, with the files).
    if (learned) render.remoteFacts = new Map([...(render.remoteFacts ?? []), [stored.name, learned]]);
    await checkAgainstSystem(stored, paths, options.force, current.profiles);
    const changes = planSetup(stored, paths, current, render);
    await checkSshPlan(changes, paths, stored, ctx);
    printPlan(changes, paths, ctx, { full: options.dryRun, json: options.json });
    if (paths.shell !== 'fish' && current.rc !== null && !options.json) warnEarlyReturn(current.rc, paths, ctx);
    if (changes.length === 0) {
      if (!options.json) ctx.stdout.write(`Nothing to change: ${profile.name} is already set up like this.\n`);
      else ctx.stdout.write(JSON.stringify({ name: profile.name, changed: [], dryRun: options.dryRun }) + '\n');
      return 0;
    }
    if (options.dryRun) {
      if (options.json) ctx.stdout.write(JSON.stringify({ name: profile.name, changed: changes.map((c) => c.path), dryRun: true }) + '\n');
      else ctx.stdout.write('Dry run: nothing written.\n');
      return 0;
    }
    if (confirm && !(await confirm(changes))) {
      ctx.stderr.write('Cancelled, nothing written.\n');
      return 130;
    }
    try {
      const written = await withLock(join(paths.configDir, '.lock'), () =>
        applyChanges(changes, {
          backupDir: join(paths.configDir, 'backups'),
          now: ctx.now(),
          privateDirs: [join(paths.home, '.ssh'), paths.configDir],
        }),
      );
      if (learned) await writeRemoteFacts(paths, stored.name, learned);
      if (options.json) {
        ctx.stdout.write(JSON.stringify({ name: profile.name, changed: written, dryRun: false }) + '\n');
      } else {
        printNextSteps(stored, paths, ctx, render.remoteFacts?.get(stored.name));
      }
      return 0;
    } catch (error) {
      if (error instanceof ConcurrentEditError && attempt < 2) {
        ctx.stderr.write(`${tildify(error.path, paths.home)} changed meanwhile; planning again.\n`);
        continue;
      }
      if (error instanceof ConcurrentEditError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC' || code === 'EROFS' || code === 'EACCES' || code === 'EPERM' || code === 'EDQUOT') {
        throw new RuntimeFailure(`cannot write: ${(error as Error).message}`, 'Your files are as they were (writes are atomic). Free space or fix permissions, then run again.');
      }
      throw error;
    }
  }
}

function warnEarlyReturn(rc: string, paths: Paths, ctx: Context): void {
  const early = findReturnBeforeBlock(rc);
  if (!early) return;
  ctx.stderr.write(
    `note: ${tildify(paths.rc, paths.home)} line ${early.line} returns early (${early.text}); shells that stop there skip our block below it, which loads the functions.\n` +
      `  Interactive terminals are fine when it is the usual non-interactive guard; otherwise move our block (its >>> line to its <<< line) above that line.\n`,
  );
}

function printNextSteps(profile: Profile, paths: Paths, ctx: Context, facts: RemoteFacts | undefined): void {
  const rc = tildify(paths.rc, paths.home);
  const steps: [string, string][] = [
    [`source ${rc}`, 'or open a new terminal'],
    [`remote_notebook_start ${profile.name}`, `or: npx jupyter-ssh-setup start ${profile.name}`],
    [`ssh ${profile.name}`, 'a shell on the target'],
  ];
  const noTunnel = profile.launcher === 'plain' && bindOf(profile) === 'socket' && !isForwardableSocket(facts?.socket);
  ctx.stdout.write(
    `\nSet up "${profile.name}". Next:\n${alignComments(steps)}` +
      (noTunnel ? `Note: ${missingTunnelReason(profile.name)}.\n` : '') +
      `If something fails: npx jupyter-ssh-setup doctor ${profile.name}\n`,
  );
}
