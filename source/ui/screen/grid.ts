// A frame as the terminal should show it: a grid of cells (grapheme, width, style), parsed from the
// string Ink renders. Ink's frame is lines of text with SGR styles (chalk) and maybe OSC 8 hyperlinks;
// anything else that could move the cursor or change a mode is dropped, so nothing in a frame can
// disturb the screen. Widths are string-width's, the same measure Ink lays the frame out with.
import stringWidth from 'string-width';
import { applySgr, DEFAULT_STYLE, newPen, type PenBuilder, type StyleTable } from './style.js';

/** One row of cells. `chars[x]` is the grapheme drawn at x: '' for the right half of a wide one. */
export interface Row {
  /** The line of the frame this row was parsed from (a row is reused while its line is unchanged). */
  readonly source: string;
  readonly chars: string[];
  /** Style ids (StyleTable); the right half of a wide grapheme has the style of its left half. */
  readonly styles: Int32Array;
}

export interface Grid {
  readonly cols: number;
  readonly rows: number;
  readonly lines: Row[];
}

const ESC = 0x1b;
// Made on first use: constructing one costs about 14 ms, a lot on the way to the first frame.
let segmenter: Intl.Segmenter | undefined;
/**
 * Whether a code point is always a grapheme of its own, whatever stands beside it: the scripts and symbols
 * strata draws most (Latin, Greek, Cyrillic, punctuation, arrows, box drawing, CJK, kana, Hangul
 * syllables). Other text (combining marks, emoji sequences, Indic scripts, …) goes through the segmenter.
 */
export function alone(cp: number): boolean {
  return (
    cp < 0x300 ||
    (cp >= 0x370 && cp < 0x483) ||
    (cp >= 0x2010 && cp < 0x2028) ||
    (cp >= 0x2030 && cp < 0x205f) ||
    (cp >= 0x2070 && cp < 0x20d0) ||
    (cp >= 0x2100 && cp < 0x2c00) ||
    (cp >= 0x3000 && cp < 0x302a) ||
    (cp >= 0x3041 && cp < 0x3097) ||
    (cp >= 0x30a0 && cp < 0x3100) ||
    (cp >= 0x4e00 && cp < 0xa000) ||
    (cp >= 0xac00 && cp < 0xd7a4) ||
    (cp >= 0xff01 && cp < 0xff9e)
  );
}

function graphemes(text: string): string[] {
  const points = Array.from(text);
  if (points.every((p) => alone(p.codePointAt(0)!))) return points;
  segmenter ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  return Array.from(segmenter.segment(text), (s) => s.segment);
}

const widths = new Map<string, number>();
const IGNORABLE = /^\p{Default_Ignorable_Code_Point}+$/u;

/** Cells a grapheme takes: 1 or 2, or 0 for one Ink drops (default-ignorable code points alone). */
export function graphemeWidth(g: string): number {
  const code = g.charCodeAt(0);
  if (g.length === 1 && code >= 0x20 && code < 0x7f) return 1;
  let w = widths.get(g);
  if (w === undefined) {
    if (IGNORABLE.test(g)) w = 0;
    else {
      // Ink gives a grapheme of width 0 (a control character, a lone combining mark) one cell.
      const measured = stringWidth(g);
      w = measured >= 2 ? 2 : 1;
    }
    if (widths.size > 10_000) widths.clear();
    widths.set(g, w);
  }
  return w;
}

/** Whether terminals disagree on the width of this grapheme (emoji, symbols with a presentation selector). */
export function uncertainWidth(g: string): boolean {
  const code = g.codePointAt(0) ?? 0;
  return code >= 0x1f000 || (code >= 0x2100 && code < 0x2c00) || /[\u200d\ufe0f\u{1f3fb}-\u{1f3ff}]/u.test(g);
}

/** What a cell that is not a grapheme of its own is drawn as. */
function printable(g: string): string {
  // Control characters (C0, DEL, C1) would move the cursor or be swallowed: a blank in their place.
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f-\u009f]/.test(g) ? ' ' : g;
}

export function blankRow(cols: number): Row {
  return { source: '', chars: new Array<string>(cols).fill(' '), styles: new Int32Array(cols) };
}

export function blankGrid(cols: number, rows: number): Grid {
  const row = blankRow(cols);
  return { cols, rows, lines: Array.from({ length: rows }, () => row) };
}

/**
 * Parses one line of a frame (no newline in it) into a row `cols` wide. Styles start from the default at
 * the start of every line: Ink closes what it opens on each line, and a row can then be reused alone.
 */
export function parseLine(line: string, cols: number, styles: StyleTable): Row {
  const chars = new Array<string>(cols);
  const ids = new Int32Array(cols);
  const pen: PenBuilder = newPen();
  let style = DEFAULT_STYLE;
  let x = 0;
  let i = 0;
  const n = line.length;
  const put = (g: string, w: number) => {
    if (w === 2 && x + 1 >= cols) {
      // A wide grapheme that would straddle the last column: a blank, as the terminal would leave it.
      chars[x] = ' ';
      ids[x++] = style;
      return;
    }
    chars[x] = w === 2 ? g : printable(g);
    ids[x++] = style;
    if (w === 2) {
      chars[x] = '';
      ids[x++] = style;
    }
  };
  while (i < n && x < cols) {
    const code = line.charCodeAt(i);
    if (code === ESC) {
      i = escape(line, i, pen);
      style = styles.id(pen);
      continue;
    }
    // A run of text up to the next escape.
    let end = line.indexOf('\u001b', i);
    if (end < 0) end = n;
    let ascii = true;
    for (let j = i; j < end; j++) {
      const c = line.charCodeAt(j);
      if (c < 0x20 || c >= 0x7f) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      for (let j = i; j < end && x < cols; j++) {
        chars[x] = line[j];
        ids[x++] = style;
      }
    } else {
      for (const segment of graphemes(line.slice(i, end))) {
        if (x >= cols) break;
        const w = graphemeWidth(segment);
        if (w > 0) put(segment, w);
      }
    }
    i = end;
  }
  for (; x < cols; x++) chars[x] = ' '; // ids are 0: the default style
  return { source: line, chars, styles: ids };
}

/** Skips (or applies) the escape sequence at line[i]; returns the index after it. */
function escape(line: string, i: number, pen: PenBuilder): number {
  const n = line.length;
  const next = line[i + 1];
  if (next === '[') {
    // CSI: parameters 0x30–0x3f, intermediates 0x20–0x2f, a final byte 0x40–0x7e.
    let j = i + 2;
    while (j < n && line.charCodeAt(j) >= 0x30 && line.charCodeAt(j) <= 0x3f) j++;
    const params = line.slice(i + 2, j);
    const paramsEnd = j;
    while (j < n && line.charCodeAt(j) >= 0x20 && line.charCodeAt(j) <= 0x2f) j++;
    if (j >= n) return n;
    const final = line[j];
    if (final === 'm' && j === paramsEnd && !/[<=>?]/.test(params)) applySgr(params, pen);
    return j + 1;
  }
  if (next === ']' || next === 'P' || next === 'X' || next === '^' || next === '_') {
    // OSC, DCS, SOS, PM, APC: up to the string terminator (ESC \ or BEL).
    let j = i + 2;
    let end = n;
    let after = n;
    for (; j < n; j++) {
      const c = line.charCodeAt(j);
      if (c === 0x07) {
        end = j;
        after = j + 1;
        break;
      }
      if (c === ESC && line[j + 1] === '\\') {
        end = j;
        after = j + 2;
        break;
      }
    }
    if (next === ']') {
      const body = line.slice(i + 2, end);
      if (body.startsWith('8;')) {
        // OSC 8 ; params ; uri — an empty uri closes the link.
        const rest = body.slice(2);
        const semi = rest.indexOf(';');
        const uri = semi < 0 ? '' : rest.slice(semi + 1);
        // eslint-disable-next-line no-control-regex
        pen.link = uri === '' || /[\u0000-\u001f\u007f]/.test(rest) ? '' : rest;
      }
    }
    return after;
  }
  // Any other escape: ESC, intermediates, one final byte.
  let j = i + 1;
  while (j < n && line.charCodeAt(j) >= 0x20 && line.charCodeAt(j) <= 0x2f) j++;
  return Math.min(n, j + 1);
}

/**
 * The grid for a frame at the given size. Rows whose line is unchanged from `reuse` (a grid of the same
 * width) are taken from it as they are: only the lines that changed are parsed.
 */
export function parseFrame(frame: string, cols: number, rows: number, styles: StyleTable, reuse?: Grid): Grid {
  const text = frame.endsWith('\n') ? frame.slice(0, -1) : frame;
  const source = text === '' ? [] : text.split('\n');
  // Rows of the last grid by their line: a row that moved (the list scrolled) is not parsed again either.
  const known = new Map<string, Row>();
  if (reuse !== undefined && reuse.cols === cols) for (const row of reuse.lines) known.set(row.source, row);
  const lines: Row[] = [];
  for (let y = 0; y < rows; y++) {
    const line = source[y] ?? '';
    let row = known.get(line);
    if (row === undefined) {
      row = line === '' ? blankRow(cols) : parseLine(line, cols, styles);
      known.set(line, row);
    }
    lines.push(row);
  }
  return { cols, rows, lines };
}
