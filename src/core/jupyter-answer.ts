/**
 * What answered when we asked for Jupyter's /api/status with our token (issue
 * 12): our Jupyter, a Jupyter with another token, another program, or nothing.
 * Pure: the HTTP answer in, one sentence out, for start, status and doctor.
 */

/** One HTTP answer (undefined: no answer at all: refused, reset, timed out). */
export interface HttpAnswer {
  status: number;
  /** The Server header: Jupyter's is "TornadoServer/N". */
  server: string | undefined;
  body: string;
}

export type AnswerKind = 'ok' | 'other-token' | 'other-program' | 'nothing';

export interface AnswerVerdict {
  kind: AnswerKind;
  /** One sentence naming WHERE and what answered there. */
  detail: string;
}

/** Jupyter's /api/status body is a JSON object with "started" and "last_activity". */
function isJupyterStatus(body: string): boolean {
  try {
    const parsed = JSON.parse(body) as Record<string, unknown>;
    return typeof parsed === 'object' && parsed !== null && 'started' in parsed;
  } catch {
    return false;
  }
}

/** Classifies the answer on WHERE (e.g. "local port 8888"). */
export function judgeAnswer(answer: HttpAnswer | undefined, where: string): AnswerVerdict {
  if (!answer) return { kind: 'nothing', detail: `nothing answers on ${where}` };
  const tornado = /^TornadoServer\b/.test(answer.server ?? '');
  if (answer.status === 200 && isJupyterStatus(answer.body)) return { kind: 'ok', detail: `Jupyter answers our token on ${where}` };
  if ((answer.status === 403 || answer.status === 401) && tornado) {
    return { kind: 'other-token', detail: `Jupyter on ${where} rejects our token (HTTP ${answer.status}): it runs with another token` };
  }
  const server = answer.server ? `, Server: ${answer.server.slice(0, 60)}` : '';
  return { kind: 'other-program', detail: `another program answers on ${where} (HTTP ${answer.status}${server}), not our Jupyter` };
}
