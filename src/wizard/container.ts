/** A container to run Jupyter in: engine, image, GPUs. */
import { validateProfile } from '../core/profile.js';
import { messageOf, probe, selectFound } from './answers.js';
import type { AskingRemote } from './state.js';

const CONTAINER_CHOICES = [
  { name: 'No container', value: 'none', description: 'Jupyter from the host (or the environment below)' },
  { name: 'Docker', value: 'docker', description: 'docker run an image with Jupyter in it' },
  { name: 'Podman', value: 'podman', description: 'podman run, rootless' },
  { name: 'Apptainer / Singularity', value: 'apptainer', description: 'apptainer exec a .sif image, common on HPC clusters' },
];

export async function askContainer(w: AskingRemote): Promise<void> {
  const kind =
    w.flags.container ??
    (w.flags.image !== undefined
      ? 'docker'
      : await selectFound(w, {
          message: 'Run Jupyter inside a container?',
          choices: CONTAINER_CHOICES,
          found: w.remote?.containers,
          always: ['none'],
          default: w.defaults.container ?? 'none',
          where: w.answers.name!,
        }));
  w.answers.container = kind;
  if (kind === 'none') return;
  if (w.flags.image !== undefined) w.answers.image = w.flags.image;
  else {
    const image = await w.prompter.input({
      message: kind === 'apptainer' ? 'Path of the .sif image on the remote' : 'Image (with Jupyter in it)',
      default: w.defaults.image ?? (kind === 'apptainer' ? undefined : 'quay.io/jupyter/base-notebook'),
      validate: messageOf((v) => validateProfile(probe({ container: kind, image: v.trim() }))),
    });
    w.answers.image = image.trim();
  }
  w.answers.mount = w.flags.mount ?? w.defaults.mount;
  if (w.flags.containerGpus !== undefined) w.answers.containerGpus = w.flags.containerGpus;
  else {
    w.answers.containerGpus = await w.prompter.confirm({
      message: `Give the container the host's GPUs (${kind === 'apptainer' ? '--nv' : '--gpus all'})?`,
      default: w.defaults.containerGpus ?? Boolean(w.answers.gpus),
    });
  }
}
