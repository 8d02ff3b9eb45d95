// Fitting text into cells: width-aware truncation and padding for one-line rows.
import stringWidth from 'string-width';

const ASCII = /^[\x20-\x7e]*$/;

export function widthOf(text: string): number {
  return ASCII.test(text) ? text.length : stringWidth(text);
}

/** Cuts text to at most width cells (with an ellipsis when cut) and pads it to exactly width. */
export function fit(text: string, width: number): string {
  if (width <= 0) return '';
  const total = widthOf(text);
  if (total <= width) return text + ' '.repeat(width - total);
  if (ASCII.test(text)) return text.slice(0, width - 1) + '…';
  let out = '';
  let used = 0;
  for (const { segment } of new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(text)) {
    const w = stringWidth(segment);
    if (used + w > width - 1) break;
    out += segment;
    used += w;
  }
  return out + '…' + ' '.repeat(Math.max(0, width - used - 1));
}

/**
 * Fits text into width cells by cutting its middle (head…tail) and pads it: where names share a long
 * prefix (ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-…-20240301), the end that tells them apart stays.
 */
export function fitMiddle(text: string, width: number): string {
  if (width <= 0) return '';
  const total = widthOf(text);
  if (total <= width) return text + ' '.repeat(width - total);
  if (width < 8) return fit(text, width);
  const graphemes = ASCII.test(text) ? [...text] : [...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(text)].map((s) => s.segment);
  const headRoom = Math.floor((width - 1) * 0.4);
  const tailRoom = width - 1 - headRoom;
  let head = '';
  let used = 0;
  for (const g of graphemes) {
    const w = widthOf(g);
    if (used + w > headRoom) break;
    head += g;
    used += w;
  }
  let tail = '';
  let tailUsed = 0;
  for (let i = graphemes.length - 1; i >= 0; i--) {
    const w = widthOf(graphemes[i]);
    if (tailUsed + w > tailRoom) break;
    tail = graphemes[i] + tail;
    tailUsed += w;
  }
  return head + '…' + tail + ' '.repeat(Math.max(0, width - used - 1 - tailUsed));
}

/** Cuts without padding. */
export function cut(text: string, width: number): string {
  return fit(text, width).trimEnd();
}

/** Word-wraps text to lines of at most width cells (a word longer than a line is cut into pieces). */
export function wrap(text: string, width: number): string[] {
  if (width <= 1) return [text];
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    let w = word;
    while (widthOf(w) > width) {
      if (line) {
        lines.push(line);
        line = '';
      }
      const piece = fit(w, width).slice(0, width - 1);
      lines.push(piece);
      w = w.slice(piece.length);
    }
    if (!line) line = w;
    else if (widthOf(line) + 1 + widthOf(w) <= width) line += ' ' + w;
    else {
      lines.push(line);
      line = w;
    }
  }
  if (line) lines.push(line);
  return lines.length ? lines : [''];
}

/** A title and its hint (" (j/k scroll)") where both fit in width; the title alone (fitted) where not. */
export function titled(title: string, hint: string, width: number): string {
  return widthOf(title + hint) <= width ? title + hint : fit(title, width).trimEnd();
}
