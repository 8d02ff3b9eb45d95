// A deprecation date for an own image, as a user types it: a day (2027-03-01), a time from now (+90d,
// +12w, +36h), now, or none to clear it. Pure: the caller passes now (the provider's clock where known).
// What the provider keeps is an ISO 8601 instant; a day means its first moment (UTC), today means now.

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** EC2 takes a deprecation date at most 10 years ahead; strata holds every provider to that. */
export const MAX_DEPRECATION_AHEAD_MS = 3652 * DAY;

export type DeprecationInput = { at: string | null } | { error: string };

/** What the prompt says can be typed (the refusal repeats it). */
export const DEPRECATION_FORMS = 'a day (YYYY-MM-DD), +90d, now, or none';

const UNIT_MS: Record<string, number> = { h: HOUR, d: DAY, w: 7 * DAY };

/**
 * The instant a typed deprecation date names, null for "none" (clear it), or the reason it is refused (a
 * sentence that names what was typed first).
 */
export function parseDeprecation(text: string, nowMs: number): DeprecationInput {
  const typed = text.trim();
  const word = typed.toLowerCase();
  if (word === '') return { error: `Type ${DEPRECATION_FORMS}.` };
  if (word === 'none' || word === 'clear' || word === '-') return { at: null };
  if (word === 'now' || word === 'today') return { at: new Date(nowMs).toISOString() };
  const ahead = /^\+(\d{1,6})\s*([hdw]?)$/.exec(word);
  if (ahead) {
    const ms = Number(ahead[1]) * UNIT_MS[ahead[2] || 'd']!;
    if (ms > MAX_DEPRECATION_AHEAD_MS) return { error: `${typed} is more than 10 years ahead; give a nearer date.` };
    return { at: new Date(nowMs + ms).toISOString() };
  }
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(word);
  let at: number;
  if (day) {
    const [y, m, d] = [Number(day[1]), Number(day[2]), Number(day[3])];
    at = Date.UTC(y, m - 1, d);
    const back = new Date(at);
    if (back.getUTCFullYear() !== y || back.getUTCMonth() !== m - 1 || back.getUTCDate() !== d) {
      return { error: `${typed} is not a day of the calendar; type ${DEPRECATION_FORMS}.` };
    }
    const today = Date.UTC(new Date(nowMs).getUTCFullYear(), new Date(nowMs).getUTCMonth(), new Date(nowMs).getUTCDate());
    if (at < today) return { error: `${typed} is in the past; type today's date or a later one, +90d, or now.` };
    // Today's date means now: its first moment has passed already.
    if (at === today) at = nowMs;
  } else if (/^\d{4}-\d{2}-\d{2}t\d{2}:\d{2}(:\d{2}(\.\d+)?)?(z|[+-]\d{2}:?\d{2})$/.test(word)) {
    at = Date.parse(typed.toUpperCase());
    if (!Number.isFinite(at)) return { error: `${typed} is not a date strata can read; type ${DEPRECATION_FORMS}.` };
    if (at < nowMs - 60_000) return { error: `${typed} is in the past; type a later date, +90d, or now.` };
    at = Math.max(at, nowMs);
  } else {
    return { error: `"${typed.slice(0, 40)}" is not a date; type ${DEPRECATION_FORMS}.` };
  }
  if (at - nowMs > MAX_DEPRECATION_AHEAD_MS) return { error: `${typed} is more than 10 years ahead; give a nearer date.` };
  return { at: new Date(at).toISOString() };
}

/** "2027-03-01" or "2027-03-01 14:05 UTC" (a time of day only where it is not midnight). */
export function deprecationWords(iso: string): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return iso;
  const text = new Date(t).toISOString();
  return text.slice(11, 16) === '00:00' ? text.slice(0, 10) : `${text.slice(0, 10)} ${text.slice(11, 16)} UTC`;
}
