// The screen writer's parts: Ink's frame string into a grid of cells, and the bytes from one grid to the
// next, checked against a real terminal emulator (@xterm/headless).
import xtermHeadless from '@xterm/headless';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diff, unknownState, type TerminalState } from '../../source/ui/screen/diff.js';
import { alone, blankGrid, parseFrame, parseLine, type Grid } from '../../source/ui/screen/grid.js';
import { BOLD, DEFAULT_STYLE, INVERSE, ITALIC, RGB_FLAG, StyleTable, UNDERLINE } from '../../source/ui/screen/style.js';

type Terminal = import('@xterm/headless').Terminal;
const ESC = '\u001b';

function text(row: { chars: string[] }): string {
  return row.chars.join('');
}

describe('parsing a frame into cells', () => {
  it('reads text and SGR styles, each line starting from the default style', () => {
    const styles = new StyleTable();
    const row = parseLine(`a${ESC}[1;31mbc${ESC}[22mD${ESC}[0m e${ESC}[7m`, 8, styles);
    expect(text(row)).toBe('abcD e  ');
    expect(row.styles[0]).toBe(DEFAULT_STYLE);
    expect(styles.get(row.styles[1])).toMatchObject({ fg: 1, attrs: BOLD });
    expect(styles.get(row.styles[3])).toMatchObject({ fg: 1, attrs: 0 });
    expect(row.styles[4]).toBe(DEFAULT_STYLE);
    // An SGR left open at the end of a line does not reach the blanks after it, nor the next line.
    expect(row.styles[6]).toBe(DEFAULT_STYLE);
    const grid = parseFrame(`${ESC}[7mx\ny`, 3, 2, styles);
    expect(styles.get(grid.lines[0].styles[0]).attrs).toBe(INVERSE);
    expect(grid.lines[1].styles[0]).toBe(DEFAULT_STYLE);
  });

  it('reads 256 and 24-bit colours, bright colours, and resets of single attributes', () => {
    const styles = new StyleTable();
    const row = parseLine(`${ESC}[38;5;200;48;2;1;2;3ma${ESC}[92;104;3;4mb${ESC}[23;24;39;49mc`, 3, styles);
    expect(styles.get(row.styles[0])).toMatchObject({ fg: 200, bg: RGB_FLAG + 0x010203 });
    expect(styles.get(row.styles[1])).toMatchObject({ fg: 10, bg: 12, attrs: ITALIC | UNDERLINE });
    expect(row.styles[2]).toBe(DEFAULT_STYLE);
  });

  it('gives wide characters two cells, and a blank where one would straddle the last column', () => {
    const styles = new StyleTable();
    expect(parseLine('日本x', 6, styles).chars).toEqual(['日', '', '本', '', 'x', ' ']);
    expect(parseLine('ab日', 3, styles).chars).toEqual(['a', 'b', ' ']);
    expect(parseLine('a😀b', 5, styles).chars).toEqual(['a', '😀', '', 'b', ' ']);
    // A grapheme of several code points is one cell group; combining marks stay with their letter.
    expect(parseLine('e\u0301👍🏽z', 5, styles).chars).toEqual(['e\u0301', '👍🏽', '', 'z', ' ']);
  });

  it('splits text into graphemes without the segmenter only where every code point stands alone', () => {
    // The fast path (one grapheme per code point) must agree with Intl.Segmenter for any two neighbours.
    const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
    const points: number[] = [];
    for (let cp = 0x20; cp < 0x10000; cp++) if (alone(cp) && (cp < 0xd800 || cp > 0xdfff)) points.push(cp);
    const next = (() => {
      let seed = 7;
      return () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    })();
    for (let i = 0; i < points.length; i += 3) {
      const pair = String.fromCodePoint(points[i], points[Math.floor(next() * points.length)]);
      if (pair === '\r\n') continue; // never inside a line
      expect([...segmenter.segment(pair)].length, `U+${points[i].toString(16)}`).toBe(2);
    }
    expect(alone(0x301)).toBe(false); // a combining mark
    expect(alone(0x200d)).toBe(false); // ZWJ
    expect(alone(0xff9f)).toBe(false); // a halfwidth sound mark that extends the kana before it
  });

  it('keeps OSC 8 hyperlinks as part of the style and drops every other escape sequence', () => {
    const styles = new StyleTable();
    const row = parseLine(`${ESC}]8;;https://example.com${ESC}\\link${ESC}]8;;${ESC}\\ ${ESC}[2J${ESC}[5;5H${ESC}]0;title\u0007${ESC}7ok`, 10, styles);
    expect(text(row)).toBe('link ok   ');
    expect(styles.get(row.styles[0]).link).toBe(';https://example.com');
    expect(styles.get(row.styles[4]).link).toBe('');
    expect(row.styles[5]).toBe(DEFAULT_STYLE);
  });

  it('draws control characters as blanks and cuts a line at the width', () => {
    const styles = new StyleTable();
    expect(text(parseLine('a\tb\u0007c', 5, styles))).toBe('a b c');
    expect(text(parseLine('abcdefgh', 4, styles))).toBe('abcd');
  });

  it('reuses the rows whose line is unchanged, even where they moved', () => {
    const styles = new StyleTable();
    const a = parseFrame('one\ntwo\nthree', 10, 4, styles);
    const b = parseFrame('two\nthree\nfour', 10, 4, styles, a);
    expect(b.lines[0]).toBe(a.lines[1]);
    expect(b.lines[1]).toBe(a.lines[2]);
    expect(text(b.lines[2])).toBe('four      ');
    expect(b.lines[3]).toBe(a.lines[3]);
  });
});

describe('style transitions', () => {
  it('writes only what changes, or a reset when that is shorter', () => {
    const styles = new StyleTable();
    const plain = DEFAULT_STYLE;
    const inverse = styles.id({ fg: -1, bg: -1, attrs: INVERSE, link: '' });
    const boldRed = styles.id({ fg: 1, bg: -1, attrs: BOLD, link: '' });
    const red = styles.id({ fg: 1, bg: -1, attrs: 0, link: '' });
    expect(styles.transition(plain, inverse)).toBe(`${ESC}[7m`);
    expect(styles.transition(inverse, plain)).toBe(`${ESC}[m`);
    expect(styles.transition(boldRed, red)).toBe(`${ESC}[22m`);
    expect(styles.transition(red, inverse)).toBe(`${ESC}[0;7m`);
    expect(styles.transition(red, red)).toBe('');
  });
});

// ------------------------------------------------------------------------------------ against a terminal
const SGRS = ['', '1', '2', '3', '4', '7', '31', '1;32', '38;5;200', '38;2;10;20;30', '44', '48;5;17', '7;33', '9'];
const CHARS = ['a', 'b', 'x', '-', ' ', ' ', ' ', '日', '本', 'é'];

interface Segment {
  sgr: string;
  text: string;
}

const segment = fc.oneof(
  fc.record({
    sgr: fc.constantFrom(...SGRS),
    text: fc.array(fc.constantFrom(...CHARS), { minLength: 0, maxLength: 12 }).map((cs) => cs.join('')),
  }),
  // Long blank runs (erased rather than written when they change).
  fc.record({ sgr: fc.constantFrom('', '44'), text: fc.integer({ min: 1, max: 16 }).map((n) => ' '.repeat(n)) }),
);
const line = fc.array(segment, { maxLength: 4 });
const frameOf = (rows: number) => fc.array(line, { maxLength: rows + 1 });

function frameString(lines: Segment[][]): string {
  return lines.map((segments) => segments.map((s) => (s.sgr ? `${ESC}[${s.sgr}m${s.text}${ESC}[0m` : s.text)).join('').replace(/ +$/, '')).join('\n');
}

interface Expected {
  char: string;
  sgr: string;
}

/** What a terminal should show for the frame, worked out from the segments (not with the parser). */
function expectedCells(lines: Segment[][], cols: number, rows: number): Expected[][] {
  const out: Expected[][] = [];
  for (let y = 0; y < rows; y++) {
    const cells: Expected[] = [];
    for (const s of lines[y] ?? []) {
      for (const ch of s.text) {
        if (cells.length >= cols) break;
        const wide = ch === '日' || ch === '本';
        if (wide && cells.length === cols - 1) cells.push({ char: ' ', sgr: s.sgr });
        else if (wide) cells.push({ char: ch, sgr: s.sgr }, { char: '', sgr: s.sgr });
        else cells.push({ char: ch, sgr: s.sgr });
      }
    }
    while (cells.length < cols) cells.push({ char: ' ', sgr: '' });
    out.push(cells);
  }
  return out;
}

interface SeenStyle {
  fg: string;
  bg: string;
  bold: boolean;
  dim: boolean;
  italic: boolean;
  underline: boolean;
  inverse: boolean;
  strike: boolean;
}

function styleOfSgr(sgr: string): SeenStyle {
  const codes = sgr === '' ? [] : sgr.split(';').map(Number);
  const s: SeenStyle = { fg: 'default', bg: 'default', bold: false, dim: false, italic: false, underline: false, inverse: false, strike: false };
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i];
    if (c === 1) s.bold = true;
    else if (c === 2) s.dim = true;
    else if (c === 3) s.italic = true;
    else if (c === 4) s.underline = true;
    else if (c === 7) s.inverse = true;
    else if (c === 9) s.strike = true;
    else if (c >= 30 && c <= 37) s.fg = `p${c - 30}`;
    else if (c >= 40 && c <= 47) s.bg = `p${c - 40}`;
    else if (c === 38 || c === 48) {
      const value = codes[i + 1] === 5 ? `p${codes[i + 2]}` : `rgb${(codes[i + 2] << 16) + (codes[i + 3] << 8) + codes[i + 4]}`;
      if (c === 38) s.fg = value;
      else s.bg = value;
      i += codes[i + 1] === 5 ? 2 : 4;
    }
  }
  return s;
}

function newTerminal(cols: number, rows: number): Terminal {
  return new xtermHeadless.Terminal({ cols, rows, allowProposedApi: true, scrollback: 0 });
}

function write(term: Terminal, data: string): Promise<void> {
  return new Promise((resolve) => term.write(data, resolve));
}

function seen(term: Terminal, cols: number, rows: number): { chars: string[][]; styles: SeenStyle[][] } {
  const buffer = term.buffer.active;
  const chars: string[][] = [];
  const styles: SeenStyle[][] = [];
  for (let y = 0; y < rows; y++) {
    const line = buffer.getLine(buffer.viewportY + y)!;
    const rowChars: string[] = [];
    const rowStyles: SeenStyle[] = [];
    for (let x = 0; x < cols; x++) {
      const cell = line.getCell(x)!;
      rowChars.push(cell.getWidth() === 0 ? '' : cell.getChars() || ' ');
      const colour = (isDefault: boolean, isPalette: boolean, value: number) => (isDefault ? 'default' : isPalette ? `p${value}` : `rgb${value}`);
      rowStyles.push({
        fg: colour(cell.isFgDefault(), cell.isFgPalette(), cell.getFgColor()),
        bg: colour(cell.isBgDefault(), cell.isBgPalette(), cell.getBgColor()),
        bold: !!cell.isBold(),
        dim: !!cell.isDim(),
        italic: !!cell.isItalic(),
        underline: !!cell.isUnderline(),
        inverse: !!cell.isInverse(),
        strike: !!cell.isStrikethrough(),
      });
    }
    chars.push(rowChars);
    styles.push(rowStyles);
  }
  return { chars, styles };
}

function expectScreen(term: Terminal, expected: Expected[][], cols: number, rows: number, what: string): void {
  const got = seen(term, cols, rows);
  expect(got.chars.map((r) => r.join('')), what).toEqual(expected.map((r) => r.map((c) => c.char).join('')));
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      if (expected[y][x].char === '') continue; // the right half of a wide character carries no style of its own
      expect(got.styles[y][x], `${what}: style at ${x},${y}`).toEqual(styleOfSgr(expected[y][x].sgr));
    }
  }
}

const SETUP = `${ESC}[?7l`; // autowrap off, as the writer sets it

describe('painting and diffing, read back by a terminal emulator', () => {
  it('after a full paint of A and the diff from A to B (and on to C), the terminal shows B (and C) exactly', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 4, max: 28 }),
        fc.integer({ min: 1, max: 6 }),
        fc.array(frameOf(6), { minLength: 2, maxLength: 3 }),
        async (cols, rows, frames) => {
          const styles = new StyleTable();
          const term = newTerminal(cols, rows);
          try {
            const state: TerminalState = { x: 0, y: 0, style: DEFAULT_STYLE };
            let shown: Grid = blankGrid(cols, rows);
            let bytes = `${SETUP}${ESC}[m${ESC}[H${ESC}[2J`;
            for (const [i, frame] of frames.entries()) {
              const next = parseFrame(frameString(frame), cols, rows, styles, shown);
              bytes = (i === 0 ? bytes : '') + diff(shown, next, state, styles);
              // Never a relative move between rows, a newline or a carriage return.
              expect(bytes).not.toMatch(/\r|\n|\u001b\[\d*[ABEFd]/);
              await write(term, bytes);
              expectScreen(term, expectedCells(frame, cols, rows), cols, rows, `frame ${i}`);
              shown = next;
            }
          } finally {
            term.dispose();
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('writes nothing for an unchanged frame, and only the changed cells of a row', () => {
    const styles = new StyleTable();
    const a = parseFrame('hello world\nsecond line', 20, 3, styles);
    const state = unknownState();
    expect(diff(a, parseFrame('hello world\nsecond line', 20, 3, styles, a), state, styles)).toBe('');
    const b = parseFrame('hello there\nsecond line', 20, 3, styles, a);
    expect(diff(a, b, state, styles)).toBe(`${ESC}[1;7H${ESC}[mthere`);
  });

  it('erases a blank tail with EL after resetting the pen, so the background is the default', () => {
    const styles = new StyleTable();
    const a = parseFrame(`${ESC}[44mabcdefghij${ESC}[0m`, 12, 1, styles);
    const b = parseFrame('ab', 12, 1, styles, a);
    const state: TerminalState = { x: 0, y: 0, style: DEFAULT_STYLE };
    expect(diff(a, b, state, styles)).toBe(`ab${ESC}[K`);
  });

  it('draws an emoji so that a terminal measuring it one cell wide still puts the next cell in place', async () => {
    // xterm's default Unicode tables give 😀 one cell; string-width (and Ink) give it two.
    const styles = new StyleTable();
    const term = newTerminal(8, 1);
    try {
      const a = parseFrame('abcdefgh', 8, 1, styles);
      const b = parseFrame('a😀defgh', 8, 1, styles, a);
      const state: TerminalState = { x: 0, y: 0, style: DEFAULT_STYLE };
      await write(term, SETUP + diff(blankGrid(8, 1), a, state, styles) + diff(a, b, state, styles));
      const row = term.buffer.active.getLine(0)!.translateToString(true);
      expect(row).toBe('a😀 defgh');
    } finally {
      term.dispose();
    }
  });
});
