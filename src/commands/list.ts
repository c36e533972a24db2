import type { ParsedArgs } from '../types.js';
import type { Context } from '../context.js';
import { formatHop } from '../core/profile.js';
import { readProfiles, resolvePaths } from '../io/store.js';
import { printTable } from '../io/table.js';
import { listKernelSpecs } from '../io/kernel-specs.js';

export async function run(args: ParsedArgs, ctx: Context): Promise<number> {
  const profiles = [...(await readProfiles(resolvePaths(ctx))).values()];
  const kernels = new Map((await listKernelSpecs(ctx)).map((k) => [k.name, k.kernel]));
  if (args.values.json) {
    ctx.stdout.write(JSON.stringify(profiles.map(({ files: _files, ...p }) => ({ ...p, ...(kernels.has(p.name) ? { kernel: kernels.get(p.name) } : {}) }))) + '\n');
    return 0;
  }
  if (profiles.length === 0) {
    ctx.stdout.write('No targets are set up yet. Run: npx jupyter-ssh-setup\n');
    return 0;
  }
  printTable(
    ctx,
    ['NAME', 'HOST', 'VIA', 'LAUNCHER', 'APP', 'PORTS'],
    profiles.map((p) => [
      p.name,
      `${p.user ? p.user + '@' : ''}${p.host}${p.port && p.port !== 22 ? ':' + p.port : ''}`,
      p.jump.length ? p.jump.map(formatHop).join(',') : '-',
      p.launcher + (p.container.kind !== 'none' ? `+${p.container.kind}` : ''),
      p.app,
      `${p.localPort}->${p.remotePort}`,
    ]),
  );
  for (const p of profiles) if (kernels.has(p.name)) ctx.stdout.write(`${p.name}: a kernel in your local Jupyter, ${kernels.get(p.name)} (kernel remove ${p.name} takes it out)\n`);
  return 0;
}
