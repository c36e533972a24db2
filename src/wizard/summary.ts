/** The summary shown before the plan. */
import { bindOf, formatHop, type Profile } from '../core/profile.js';
import { functionsPath } from '../core/plan.js';
import { resolvePaths } from '../io/store.js';
import { colors, tildify } from '../io/output.js';
import type { WizardState } from './state.js';

export function summarize(p: Profile, w: Pick<WizardState, 'ctx' | 'options' | 'paths'>): string {
  const c = colors(w.ctx);
  const paths = resolvePaths(w.ctx, { sshConfig: w.options.sshConfig, rc: w.options.rc, shell: p.shell });
  const s = p.scheduler;
  const job = [s.partition && `partition ${s.partition}`, s.time && `time ${s.time}`, s.account && `account ${s.account}`, s.cpus && `${s.cpus} CPUs`, s.mem && `mem ${s.mem}`, s.gpus && `GPUs ${s.gpus}`]
    .filter(Boolean)
    .join(', ');
  const rows: [string, string][] = [
    ['target', `ssh ${p.name} = ${p.user ? p.user + '@' : ''}${p.host}:${p.port ?? 22}${p.jump.length ? ' via ' + p.jump.map(formatHop).join(' -> ') : ''}`],
    ['key', p.identity ?? "ssh's defaults"],
    ['launcher', p.launcher === 'plain' ? 'plain, on the host' : `${p.launcher.toUpperCase()} job${job ? ` (${job})` : " (the site's defaults)"}`],
    ['container', p.container.kind === 'none' ? 'none' : `${p.container.kind} ${p.container.image}${p.container.gpus ? ', with GPUs' : ''}`],
    ['environment', p.env.length ? p.env.map((e) => `${e.kind}:${e.value}`).join(', ') : 'none'],
    ['jupyter', `${p.app}, ${bindOf(p) === 'socket' ? 'a Unix socket there' : `remote port ${p.remotePort}`} -> local port ${p.localPort}${p.notebookDir ? `, in ${p.notebookDir}` : ''}`],
    ['functions', `${tildify(functionsPath(paths), w.paths.home)}, ${p.shell === 'fish' ? 'run by fish functions in' : 'sourced by a 5-line block in'} ${tildify(paths.rc, w.paths.home)}`],
  ];
  return [c.bold('Summary'), ...rows.map(([k, v]) => `  ${k.padEnd(11)} ${v}`)].join('\n');
}
