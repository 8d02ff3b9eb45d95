// Every string that came from a provider passes through here before it is drawn: an image name may carry
// escape sequences that would retitle, recolour or corrupt the terminal, or newlines that break the layout.

// CSI (ESC [ … final), OSC (ESC ] … BEL or ST), DCS/SOS/PM/APC (ESC P|X|^|_ … ST), other ESC sequences,
// and the 8-bit C1 forms of the same introducers.
const ESCAPES =
  // eslint-disable-next-line no-control-regex
  /(?:\u001b\[|\u009b)[0-?]*[ -/]*[@-~]?|(?:\u001b[\]PX^_]|[\u0090\u0098\u009d\u009e\u009f])[\s\S]*?(?:\u0007|\u001b\\|\u009c|$)|\u001b[ -/]*[0-~]?/g;
// C0 and C1 control characters, DEL, and the bidirectional overrides that can reorder what is shown.
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u200b-\u200f\u2028\u2029\ufeff]/g;

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/**
 * Makes a provider string safe to draw on one line: escape sequences are removed, control characters
 * become a visible replacement (so "a\nb" cannot hide as "ab"), and the result is cut at maxLength.
 */
export function sanitize(text: unknown, maxLength = 512): string {
  if (text === undefined || text === null) return '';
  let s = typeof text === 'string' ? text : String(text);
  if (s.length > maxLength * 4) s = s.slice(0, maxLength * 4);
  // Printable ASCII (most of what providers send) holds no escape and no control character: one scan
  // instead of two replacements (100,000 images are several of these each).
  if (!PRINTABLE_ASCII.test(s)) s = s.replace(ESCAPES, '').replace(CONTROLS, '\ufffd');
  if (s.length > maxLength) s = s.slice(0, maxLength - 1) + '…';
  return s;
}

/** True when the string would be changed by sanitize (a sign of a hostile or broken provider string). */
export function needsSanitising(text: string): boolean {
  return sanitize(text, Number.MAX_SAFE_INTEGER) !== text;
}

/** Sanitises every string value of a flat record (tags). */
export function sanitizeRecord(record: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(record)) out[sanitize(k, 128)] = sanitize(v, 256);
  return out;
}
