// Showing user text inside a sentence: briefly, in quotes, and with control characters made visible
// (U+001B instead of a raw escape), so a message can never carry an escape sequence or a line break.

/** One character for a sentence: itself in quotes when printable, else U+XXXX. */
export function showChar(ch: string): string {
  if (/[\p{L}\p{N}\p{P}\p{S}]/u.test(ch)) return `"${ch}"`;
  return `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** User text for a sentence: quoted, at most `max` characters, control and format characters as U+XXXX. */
export function quoteForSentence(text: unknown, max = 60): string {
  const raw = typeof text === 'string' ? text : String(text);
  let shown = '';
  for (const ch of raw) {
    shown += /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(ch) ? `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}` : ch;
    if (shown.length > max) break;
  }
  if (shown.length > max) shown = shown.slice(0, max - 1) + '…';
  return `"${shown}"`;
}

/** "1 server", "2 servers", "1,000 images" ("many" where the plural is not one + s). */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}
