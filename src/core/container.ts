/**
 * The container (docker, podman, apptainer) part of the launch scripts' data:
 * shared by the plain launch script (plan.ts) and the batch job script (batch.ts).
 */
import type { Profile } from './profile.js';

/** What the container parts of the launch script need (templates/partials/container*.sh.ejs). */
export interface ContainerData {
  kind: Profile['container']['kind'];
  image: string;
  /** The container's name: one per target. */
  name: string;
  /** Commands to look for, in order: the one asked for, then the one that stands in for it. */
  engines: [string, string];
  /** Extra mounts as the engine's flag and its argument; `tilde`: a leading ~/ is the remote home. */
  mounts: { flag: '-v' | '--mount' | '--bind'; spec: string; tilde: boolean }[];
  gpus: boolean;
  /** The port Jupyter listens on inside a docker/podman container. */
  port: number;
}

/** A `--mount` spec is `key=value,...` (type=bind,src=...); anything else is SRC[:DST[:OPTS]]. */
function isMountSpec(spec: string): boolean {
  return /^(type|source|src|target|destination|dst|readonly|ro|bind-propagation|volume-opt|tmpfs-size|tmpfs-mode)=/i.test(spec);
}

/** What the launch script's container partials need, from the profile. Pure. */
export function containerData(profile: Profile): ContainerData {
  const c = profile.container;
  const apptainer = c.kind === 'apptainer';
  const engines: [string, string] = apptainer ? ['apptainer', 'singularity'] : c.kind === 'podman' ? ['podman', 'docker'] : ['docker', 'podman'];
  return {
    kind: c.kind,
    image: c.image ?? '',
    name: `jss-${profile.name}`,
    engines,
    mounts: c.mounts.map((spec) => {
      const mount = isMountSpec(spec);
      return { flag: mount ? '--mount' : apptainer ? '--bind' : '-v', spec, tilde: !mount && spec.startsWith('~/') };
    }),
    gpus: c.gpus,
    port: typeof profile.remotePort === 'number' ? profile.remotePort : 8888,
  };
}
