import { basename, join } from 'node:path';
import { rm, rmdir } from 'node:fs/promises';
import type { ParsedArgs } from '../types.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { planRemove, type FileChange, type Paths } from '../core/plan.js';
import { applyChanges, withLock } from '../io/files.js';
import { readProfiles, resolvePaths } from '../io/store.js';
import { readCurrentState, renderOptions } from '../io/setup-state.js';
import { remoteFactsPath } from '../io/remote-facts.js';
import { printPlan, tildify } from '../io/output.js';
import { removeKernelSpec } from '../io/kernel-specs.js';

export async function run(args: ParsedArgs, ctx: Context): Promise<number> {
  const all = Boolean(args.values.all);
  const dryRun = Boolean(args.values['dry-run']);
  const json = Boolean(args.values.json);
  if (all === (args.positionals.length > 0)) {
    throw new UsageError(all ? 'give either NAME or --all, not both' : 'which target? give NAME or --all', 'e.g. jupyter-ssh-setup remove gpu');
  }
  const base = resolvePaths(ctx);
  const profiles = await readProfiles(base);
  const names = all ? [...profiles.keys()] : args.positionals;
  for (const name of names) {
    if (!profiles.has(name)) {
      throw new UsageError(`no target named "${name}"`, profiles.size ? `Known targets: ${[...profiles.keys()].join(', ')}.` : 'Nothing is set up.');
    }
  }
  // Group by the files each profile was written to, so each group is planned on its own files.
  const groups = new Map<string, { paths: Paths; names: string[] }>();
  for (const name of names) {
    const p = profiles.get(name)!;
    const paths: Paths = p.files
      ? { ...base, sshConfig: p.files.sshConfig, rc: p.files.rc, sshInclude: join(p.files.sshConfig, '..', 'jupyter-ssh-setup.conf'), shell: p.shell }
      : { ...base, shell: p.shell };
    const key = `${paths.sshConfig}\0${paths.rc}`;
    const group = groups.get(key) ?? { paths, names: [] };
    group.names.push(name);
    groups.set(key, group);
  }
  const changes: FileChange[] = [];
  for (const { paths, names: groupNames } of groups.values()) {
    const current = await readCurrentState(paths, groupNames);
    current.profiles = new Map(
      [...current.profiles].filter(([, p]) => !p.files || (p.files.sshConfig === paths.sshConfig && p.files.rc === paths.rc)),
    );
    // Our functions file serves every group: it goes with the last target, wherever that was set up.
    current.othersRemain = [...profiles.keys()].some((name) => !names.includes(name) && !current.profiles.has(name));
    const render = await renderOptions(ctx, paths, [...current.profiles.values()].filter((p) => !groupNames.includes(p.name)));
    for (const c of planRemove(groupNames, paths, current, render)) if (!changes.some((seen) => seen.path === c.path)) changes.push(c);
  }
  printPlan(changes, base, ctx, { full: dryRun, json });
  // The kernelspecs of ours in the local Jupyter (kernel add, setup --kernel) go too.
  const kernels = (await Promise.all(names.map((n) => removeKernelSpec(ctx, n, dryRun)))).filter((k): k is string => k !== undefined);
  if (!json) for (const k of kernels) ctx.stdout.write(`${dryRun ? 'Would also remove' : 'Removed'} the kernel ${basename(k)} (${tildify(k, base.home)}).\n`);
  if (dryRun || changes.length === 0) {
    if (json) ctx.stdout.write(JSON.stringify({ removed: names, changed: [...changes.map((c) => c.path), ...kernels], dryRun }) + '\n');
    else ctx.stdout.write(changes.length === 0 ? 'Nothing to remove.\n' : 'Dry run: nothing written.\n');
    return 0;
  }
  const written = await withLock(join(base.configDir, '.lock'), () =>
    applyChanges(changes, { backupDir: join(base.configDir, 'backups'), now: ctx.now(), privateDirs: [] }),
  );
  // Leave no empty directories of ours behind (start's record of its last forward goes too).
  for (const name of names) {
    await rm(join(base.configDir, 'state', `${name}.last`), { force: true });
    await rm(remoteFactsPath(base, name), { force: true });
  }
  // `ssh NAME-node`'s record of the job's last node, and the known_hosts file of its keys.
  for (const name of names) await Promise.all([rm(join(base.configDir, 'state', `${name}.node`), { force: true }), rm(join(base.home, '.ssh', `jss-known-${name}-node`), { force: true })]);
  for (const dir of [join(base.configDir, 'profiles'), join(base.configDir, 'state')]) {
    await rmdir(dir).catch(() => {});
  }
  if (json) ctx.stdout.write(JSON.stringify({ removed: names, changed: [...written, ...kernels], dryRun: false }) + '\n');
  else {
    ctx.stdout.write(`Removed ${names.join(', ')}. Backups of the changed files are in ${tildify(join(base.configDir, 'backups'), base.home)}.\n`);
    ctx.stdout.write('Running notebooks are not stopped by remove; stop them first with jupyter-ssh-setup stop NAME if needed.\n');
  }
  return 0;
}
