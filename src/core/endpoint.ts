/**
 * The stable endpoint (issue 17): one URL per target, http://127.0.0.1:LOCAL/?token=T,
 * with the token kept on the remote and the profile's local port. Pure: what
 * `url` prints, from the status row that commands/status.ts builds.
 */
import type { StatusRow } from './notebook.js';

/** What `url --json` prints. `running`: Jupyter runs there (its URL may still not work here). */
export interface EndpointInfo {
  name: string;
  url: string | null;
  token: string | null;
  localPort: number | null;
  running: boolean;
}

/** The endpoint of a status row: its URL and token when Jupyter answers through the tunnel. */
export function endpointOf(row: StatusRow): EndpointInfo {
  const running = row.state === 'running' || row.state === 'broken';
  if (!row.url) return { name: row.name, url: null, token: null, localPort: null, running };
  return { name: row.name, url: row.url, token: new URL(row.url).searchParams.get('token'), localPort: row.localPort, running };
}

/** Why a row has no URL, and what to do: the message and hint of `url`'s exit 1. */
export function explainNoUrl(row: StatusRow): { message: string; hint: string } {
  const start = `jupyter-ssh-setup start ${row.name}`;
  switch (row.state) {
    case 'running':
      return { message: `Jupyter runs on ${row.name}, but no tunnel to it is open here`, hint: `${start} opens it again, at the same URL.` };
    case 'broken':
      return { message: `the URL of ${row.name} does not work: ${row.error ?? 'it does not answer'}`, hint: `jupyter-ssh-setup doctor ${row.name} checks each step.` };
    case 'pending':
    case 'starting':
    case 'unknown':
      return { message: `Jupyter does not answer on ${row.name} yet: ${row.job ? `${row.job.scheduler.toUpperCase()} job ${row.job.id} ${row.job.detail}` : row.state}`, hint: `${start} waits for it and opens the tunnel.` };
    case 'unreachable':
      return { message: `cannot ask ${row.name}: ${row.error ?? 'ssh failed'}`, hint: `jupyter-ssh-setup doctor ${row.name} checks each hop.` };
    default:
      return { message: `Jupyter is not running on ${row.name}`, hint: `Start it with: ${start} (its URL stays the same from one start to the next).` };
  }
}
