// The bytes that turn the grid on the terminal into the next one: only changed cells are written, at
// absolute positions (CUP; CUF to skip a few cells within a row; never a relative move between rows),
// with the fewest SGR changes, an erase (EL) for a blank tail and ECH for a long blank run.
import { uncertainWidth, type Grid, type Row } from './grid.js';
import { DEFAULT_STYLE, type StyleTable } from './style.js';

const ESC = '\u001b';

/** What the painter knows of the terminal between frames: the cursor (-1: unknown) and the pen. */
export interface TerminalState {
  x: number;
  y: number;
  style: number;
}

export function unknownState(): TerminalState {
  return { x: -1, y: -1, style: -1 };
}

/** A changed run of blanks at least this long is erased (ECH) instead of written. */
const ECH_MIN = 9;
/** Unchanged cells between two changes are rewritten rather than skipped when that is cheaper, up to this many. */
const REWRITE_MAX = 8;

function cup(y: number, x: number): string {
  if (x === 0) return y === 0 ? `${ESC}[H` : `${ESC}[${y + 1}H`;
  return `${ESC}[${y + 1};${x + 1}H`;
}

function cuf(n: number): string {
  return n === 1 ? `${ESC}[C` : `${ESC}[${n}C`;
}

class Painter {
  out = '';
  constructor(
    readonly styles: StyleTable,
    readonly state: TerminalState,
    readonly cols: number,
  ) {}

  pen(style: number): void {
    if (this.state.style === style) return;
    if (this.state.style < 0) {
      // An unknown pen is reset first; the transition from the default then sets the rest.
      this.out += `${ESC}[m`;
      this.out += this.styles.transition(DEFAULT_STYLE, style);
    } else {
      this.out += this.styles.transition(this.state.style, style);
    }
    this.state.style = style;
  }

  /** Moves the cursor to (x, y) in the cheapest way, rewriting a few unchanged cells of `row` if that is cheaper. */
  move(y: number, x: number, row: Row, target: number): void {
    const s = this.state;
    if (s.y === y && s.x === x) return;
    const jump = cup(y, x);
    if (s.y !== y || s.x < 0 || s.x > x) {
      this.out += jump;
      s.x = x;
      s.y = y;
      return;
    }
    const skip = cuf(x - s.x);
    const best = skip.length < jump.length ? skip : jump;
    if (x - s.x <= REWRITE_MAX && s.style >= 0) {
      // Rewriting the cells in between: they are unchanged, so writing them again changes nothing on screen.
      let pen = s.style;
      let cost = 0;
      for (let i = s.x; i < x; i++) {
        const g = row.chars[i];
        if (g === '') continue; // the right half of a wide grapheme written just before
        if (g.length === 1 && g.charCodeAt(0) < 0x80) cost++;
        else if (uncertainWidth(g)) cost = Number.POSITIVE_INFINITY;
        else cost += Buffer.byteLength(g);
        if (row.styles[i] !== pen) {
          cost += this.styles.transition(pen, row.styles[i]).length;
          pen = row.styles[i];
        }
      }
      if (cost + this.styles.transition(pen, target).length <= best.length + this.styles.transition(s.style, target).length) {
        for (let i = s.x; i < x; i++) {
          const g = row.chars[i];
          if (g === '') continue;
          this.out += this.styles.transition(s.style, row.styles[i]) + g;
          s.style = row.styles[i];
        }
        s.x = x;
        return;
      }
    }
    this.out += best;
    s.x = x;
  }

  /** Writes the grapheme of cell x (width w) of row y. */
  put(y: number, x: number, row: Row, w: number): void {
    const g = row.chars[x];
    const style = row.styles[x];
    if (w === 2 && uncertainWidth(g)) {
      // Terminals disagree on emoji widths: blank the right half first, so a terminal that draws this one
      // narrow shows a blank there, and place the next cell absolutely.
      this.move(y, x + 1, row, style);
      this.pen(style);
      this.out += ' ';
      this.state.x = -1;
      this.move(y, x, row, style);
      this.pen(style);
      this.out += g;
      this.state.x = -1;
      return;
    }
    this.move(y, x, row, style);
    this.pen(style);
    this.out += g;
    const end = x + w;
    // Writing the last column leaves the cursor there or past it, depending on the terminal: unknown.
    this.state.x = end >= this.cols ? -1 : end;
  }

  row(y: number, before: Row, after: Row): void {
    if (before === after) return;
    const cols = this.cols;
    const bc = before.chars;
    const bs = before.styles;
    const ac = after.chars;
    const as = after.styles;
    // Where the blank tail of the new row starts (blank: a space in the default style).
    let tail = cols;
    while (tail > 0 && ac[tail - 1] === ' ' && as[tail - 1] === DEFAULT_STYLE) tail--;
    let x = 0;
    while (x < cols) {
      if (ac[x] === bc[x] && as[x] === bs[x]) {
        x++;
        continue;
      }
      if (x >= tail) {
        // Only blanks are left: erase to the end of the line (a few bytes more than writing one or two
        // spaces, but the row's end is then empty, exactly as on a freshly painted screen).
        this.move(y, x, after, DEFAULT_STYLE);
        this.pen(DEFAULT_STYLE);
        this.out += `${ESC}[K`;
        return;
      }
      const g = ac[x];
      if (g === '') {
        x++; // the right half of a wide grapheme: written with its left half
        continue;
      }
      if (g === ' ' && as[x] === DEFAULT_STYLE) {
        const run = this.blankRun(x, tail, ac, bc, as, bs);
        if (run >= ECH_MIN) {
          this.move(y, x, after, DEFAULT_STYLE);
          this.pen(DEFAULT_STYLE);
          this.out += `${ESC}[${run}X`;
          x += run; // ECH leaves the cursor where it was
          continue;
        }
      }
      if (x + 1 < cols && ac[x + 1] === '') {
        this.put(y, x, after, 2);
        x += 2;
        continue;
      }
      // A run of changed narrow cells in one style is written in one piece.
      const style = as[x];
      let end = x + 1;
      while (end < tail && as[end] === style && (ac[end] !== bc[end] || bs[end] !== style)) {
        const c = ac[end];
        if (c === '' || (end + 1 < cols && ac[end + 1] === '')) break; // a wide grapheme
        if (c === ' ' && style === DEFAULT_STYLE && this.blankRun(end, tail, ac, bc, as, bs) >= ECH_MIN) break;
        end++;
      }
      this.move(y, x, after, style);
      this.pen(style);
      this.out += end === x + 1 ? ac[x] : ac.slice(x, end).join('');
      // Writing the last column leaves the cursor there or past it, depending on the terminal: unknown.
      this.state.x = end >= cols ? -1 : end;
      x = end;
    }
  }

  /** How many changed blanks (default style) follow from x, before the blank tail. */
  blankRun(x: number, tail: number, ac: string[], bc: string[], as: Int32Array, bs: Int32Array): number {
    let end = x;
    while (end < tail && ac[end] === ' ' && as[end] === DEFAULT_STYLE && (ac[end] !== bc[end] || as[end] !== bs[end])) end++;
    return end - x;
  }
}

/**
 * The bytes that change the terminal from showing `before` to showing `after` (both of one size); the
 * state is updated to where the cursor and pen are left.
 */
export function diff(before: Grid, after: Grid, state: TerminalState, styles: StyleTable): string {
  if (before.cols !== after.cols || before.rows !== after.rows) {
    throw new Error(`diff needs grids of one size (${before.cols}x${before.rows} and ${after.cols}x${after.rows}); repaint instead`);
  }
  const painter = new Painter(styles, state, after.cols);
  for (let y = 0; y < after.rows; y++) painter.row(y, before.lines[y], after.lines[y]);
  return painter.out;
}
