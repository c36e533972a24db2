import type { ParsedArgs } from '../types.js';
import type { Context } from '../context.js';
import type { Profile } from '../core/profile.js';
import { CancelledError, UsageError } from '../errors.js';
import { buildKernelSpec, kernelSpecName } from '../core/kernel-spec.js';
import { pickProfile, readProfiles, resolvePaths } from '../io/store.js';
import { isNpxCache, kernelsDir, launcherArgv, listKernelSpecs, removeKernelSpec, writeKernelSpec } from '../io/kernel-specs.js';
import { readKernelRecords } from '../io/kernel-records.js';
import { printTable } from '../io/table.js';
import { tildify } from '../io/output.js';

const ACTIONS = ['add', 'remove', 'list', 'launch'] as const;

/** `kernel add|remove|list NAME`, and `kernel launch NAME FILE` (what the kernelspec runs). */
export async function run(args: ParsedArgs, ctx: Context): Promise<number> {
  const [action, ...rest] = args.positionals;
  const json = Boolean(args.values.json);
  if (!ACTIONS.includes(action as (typeof ACTIONS)[number])) {
    throw new UsageError(action === undefined ? 'which kernel action? add, remove or list' : `unknown kernel action "${action}": add, remove or list`, 'e.g. jupyter-ssh-setup kernel add gpu');
  }
  if (action === 'launch') {
    if (rest.length !== 2) throw new UsageError('kernel launch takes NAME and the connection file', 'Jupyter runs it from the kernelspec: kernel launch NAME {connection_file}');
    const { launchKernel } = await import('./kernel-launch.js');
    return launchKernel(rest[0]!, rest[1]!, ctx);
  }
  if (action === 'list') {
    if (rest.length) throw new UsageError(`kernel list takes no name (got "${rest[0]}")`, 'e.g. jupyter-ssh-setup kernel list --json');
    return listKernels(ctx, json);
  }
  if (rest.length !== 1) throw new UsageError(`kernel ${action} takes one target name`, `e.g. jupyter-ssh-setup kernel ${action} gpu`);
  const name = rest[0]!;
  return action === 'add' ? addKernel(name, ctx, json) : removeKernel(name, ctx, json);
}

/** Writes the kernelspec jss-NAME; shared with setup --kernel. */
export async function addKernel(name: string, ctx: Context, json: boolean): Promise<number> {
  const profile = await pickProfile(resolvePaths(ctx), name);
  const { checkKernelSupport } = await import('./kernel-launch.js');
  checkKernelSupport(profile);
  const launcher = launcherArgv();
  const { file, changed } = await writeKernelSpec(ctx, name, buildKernelSpec(profile, launcher));
  if (json) {
    ctx.stdout.write(JSON.stringify({ name, kernel: kernelSpecName(name), file, changed, argv: launcher }) + '\n');
    return 0;
  }
  ctx.stdout.write(
    changed
      ? `Added the kernel ${kernelSpecName(name)} ("Python 3 on ${name}") to your local Jupyter: ${tildify(file, ctx.home)}\n` +
          `  Pick it in JupyterLab, VS Code's kernel picker (Jupyter Kernel...) or: jupyter execute --kernel_name=${kernelSpecName(name)} NOTEBOOK\n`
      : `The kernel ${kernelSpecName(name)} is up to date: ${tildify(file, ctx.home)}\n`,
  );
  if (isNpxCache(launcher[1]!)) {
    ctx.stderr.write(`Note: the kernel starts ${launcher[1]} from npx's cache, which npm may clear. For a lasting path: npm install -g jupyter-ssh-setup, then run kernel add ${name} again.\n`);
  }
  return 0;
}

export async function removeKernel(name: string, ctx: Context, json: boolean): Promise<number> {
  const removed = await removeKernelSpec(ctx, name);
  if (!removed) {
    const known = (await listKernelSpecs(ctx)).map((k) => k.name);
    throw new UsageError(`no kernel of jupyter-ssh-setup named "${kernelSpecName(name)}" in ${kernelsDir(ctx)}`, known.length ? `Kernels of ours: ${known.map(kernelSpecName).join(', ')}.` : 'There are none; kernel add NAME makes one.');
  }
  if (json) ctx.stdout.write(JSON.stringify({ name, removed }) + '\n');
  else ctx.stdout.write(`Removed the kernel ${kernelSpecName(name)} (${tildify(removed, ctx.home)}). Kernels running from it are not stopped.\n`);
  return 0;
}

async function listKernels(ctx: Context, json: boolean): Promise<number> {
  const paths = resolvePaths(ctx);
  const [kernels, profiles, records] = await Promise.all([listKernelSpecs(ctx), readProfiles(paths), readKernelRecords(paths)]);
  const rows = kernels.map((k) => ({
    name: k.name,
    kernel: k.kernel,
    displayName: k.displayName,
    dir: k.dir,
    argv: k.argv,
    problem: !profiles.has(k.name) ? `no target named ${k.name}: kernel remove ${k.name}` : !k.launcherFound ? `its launcher ${k.argv[1] ?? ''} is gone: kernel add ${k.name}` : null,
    running: records.filter((r) => r.name === k.name && r.alive).map((r) => ({ pid: r.pid, remotePid: r.remotePid ?? null, node: r.node ?? null, ports: r.ports })),
  }));
  if (json) {
    ctx.stdout.write(JSON.stringify(rows) + '\n');
    return 0;
  }
  if (rows.length === 0) {
    ctx.stdout.write(`No kernels of jupyter-ssh-setup in ${tildify(kernelsDir(ctx), ctx.home)}. Add one: jupyter-ssh-setup kernel add NAME\n`);
    return 0;
  }
  printTable(ctx, ['KERNEL', 'DISPLAY NAME', 'RUNNING', 'STATE'], rows.map((r) => [r.kernel, r.displayName, String(r.running.length), r.problem ?? 'ok']));
  return 0;
}

/**
 * The wizard's last question, before the plan and "Write these changes?": also
 * a kernel in the local Jupyter? Only where a kernel can run. Ctrl+C here
 * cancels the setup like every other question: nothing written.
 */
export async function askKernel(profile: Profile, ctx: Context): Promise<boolean> {
  const { checkKernelSupport } = await import('./kernel-launch.js');
  try {
    checkKernelSupport(profile);
  } catch {
    return false;
  }
  const prompter = ctx.prompter ?? (await (await import('../io/prompts.js')).createPrompter(ctx));
  return prompter.confirm({ message: `Also use ${profile.name} as a kernel in your local Jupyter and VS Code (${kernelSpecName(profile.name)})?`, default: false }).catch((error: unknown) => {
    if ((error as Error)?.name === 'ExitPromptError') throw new CancelledError();
    throw error;
  });
}
