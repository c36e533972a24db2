/** A batch job's clock: the schedulers' time formats, and when a job ends. Pure. */

/** Seconds in a scheduler's clock: "45", "9:58", "1:02:03", "2-00:00:00"; undefined for anything else. */
export function clockSeconds(clock: string): number | undefined {
  const m = /^(?:(\d+)-)?(\d+(?::\d\d){0,2})$/.exec(clock.trim());
  if (!m) return undefined;
  const parts = m[2]!.split(':').map(Number);
  while (parts.length < 3) parts.unshift(0);
  const [h, min, s] = parts as [number, number, number];
  return ((Number(m[1] ?? 0) * 24 + h) * 60 + min) * 60 + s;
}

/** When a job with `timeLeft` ends, as the local wall clock "HH:MM" (with the date when not today). */
export function jobEndsAt(now: Date, timeLeft: string): string | undefined {
  const left = clockSeconds(timeLeft);
  if (left === undefined) return undefined;
  const end = new Date(now.getTime() + left * 1000);
  const hhmm = `${String(end.getHours()).padStart(2, '0')}:${String(end.getMinutes()).padStart(2, '0')}`;
  return end.toDateString() === now.toDateString() ? hhmm : `${end.getFullYear()}-${String(end.getMonth() + 1).padStart(2, '0')}-${String(end.getDate()).padStart(2, '0')} ${hhmm}`;
}

/** Under this much time left (seconds) status, start and the shell functions warn. */
export const LITTLE_TIME_LEFT = 600;

/** The warning for a job with little time left (under LITTLE_TIME_LEFT), or undefined. */
export function timeLeftNotice(name: string, timeLeft: string | null | undefined): string | undefined {
  const left = timeLeft ? clockSeconds(timeLeft) : undefined;
  if (left === undefined || left >= LITTLE_TIME_LEFT) return undefined;
  return `only ${timeLeft} left before the job's time limit ends it, and Jupyter with it: save your work, or get a fresh job now with jupyter-ssh-setup restart ${name} (the URL stays the same)`;
}
