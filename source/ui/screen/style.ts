// The style of a cell (colours, attributes, hyperlink), interned to a small number, and the shortest SGR
// (and OSC 8) sequence that turns one style into another on the terminal.

/** No colour set: the terminal's own foreground or background. */
export const DEFAULT_COLOUR = -1;
/** A 24-bit colour is stored as RGB | RGB_FLAG; 0..255 are palette indices. */
export const RGB_FLAG = 0x1000000;

export const BOLD = 1;
export const DIM = 2;
export const ITALIC = 4;
export const UNDERLINE = 8;
export const BLINK = 16;
export const INVERSE = 32;
export const HIDDEN = 64;
export const STRIKE = 128;
export const OVERLINE = 256;

export interface Style {
  readonly fg: number;
  readonly bg: number;
  readonly attrs: number;
  /** An OSC 8 hyperlink as `params;uri`, or '' for none. */
  readonly link: string;
}

/** The style id of the terminal's default: no colour, no attribute, no link. */
export const DEFAULT_STYLE = 0;

const DEFAULT: Style = { fg: DEFAULT_COLOUR, bg: DEFAULT_COLOUR, attrs: 0, link: '' };

const ESC = '\u001b';

/** Styles by number. One table per screen: the numbers in its grids stay valid as long as it lives. */
export class StyleTable {
  private readonly byKey = new Map<string, number>([[key(DEFAULT), DEFAULT_STYLE]]);
  private readonly list: Style[] = [DEFAULT];
  private readonly transitions = new Map<number, string>();

  id(style: Style): number {
    const k = key(style);
    let id = this.byKey.get(k);
    if (id === undefined) {
      id = this.list.length;
      this.list.push({ fg: style.fg, bg: style.bg, attrs: style.attrs, link: style.link });
      this.byKey.set(k, id);
    }
    return id;
  }

  get(id: number): Style {
    return this.list[id] ?? DEFAULT;
  }

  get size(): number {
    return this.list.length;
  }

  /** The bytes that change the terminal's pen from one style to another ('' when they are the same). */
  transition(from: number, to: number): string {
    if (from === to) return '';
    // Styles are few (tens in a session): remember each pair once. 2^20 styles would be needed to collide.
    const pair = from * 1_048_576 + to;
    let bytes = this.transitions.get(pair);
    if (bytes === undefined) {
      bytes = transition(this.get(from), this.get(to));
      if (this.transitions.size > 4096) this.transitions.clear();
      this.transitions.set(pair, bytes);
    }
    return bytes;
  }
}

function key(s: Style): string {
  return `${s.fg}|${s.bg}|${s.attrs}|${s.link}`;
}

const ON: [number, string][] = [
  [BOLD, '1'],
  [DIM, '2'],
  [ITALIC, '3'],
  [UNDERLINE, '4'],
  [BLINK, '5'],
  [INVERSE, '7'],
  [HIDDEN, '8'],
  [STRIKE, '9'],
  [OVERLINE, '53'],
];
const OFF: [number, string][] = [
  [ITALIC, '23'],
  [UNDERLINE, '24'],
  [BLINK, '25'],
  [INVERSE, '27'],
  [HIDDEN, '28'],
  [STRIKE, '29'],
  [OVERLINE, '55'],
];

function colourCodes(colour: number, base: 30 | 40): string {
  if (colour === DEFAULT_COLOUR) return String(base + 9);
  if (colour >= RGB_FLAG) {
    const rgb = colour - RGB_FLAG;
    return `${base + 8};2;${(rgb >> 16) & 255};${(rgb >> 8) & 255};${rgb & 255}`;
  }
  if (colour < 8) return String(base + colour);
  if (colour < 16) return String(base + 60 + colour - 8);
  return `${base + 8};5;${colour}`;
}

function sgr(codes: string[]): string {
  return codes.length === 0 ? '' : `${ESC}[${codes.join(';')}m`;
}

function linkBytes(link: string): string {
  // `params;uri`; an empty link closes the open one.
  return `${ESC}]8;${link === '' ? ';' : link}${ESC}\\`;
}

/** Codes that set every part of `to` that differs from the default (after a reset). */
function fromReset(to: Style): string[] {
  const codes: string[] = [];
  for (const [bit, code] of ON) if (to.attrs & bit) codes.push(code);
  if (to.fg !== DEFAULT_COLOUR) codes.push(colourCodes(to.fg, 30));
  if (to.bg !== DEFAULT_COLOUR) codes.push(colourCodes(to.bg, 40));
  return codes;
}

/** The shorter of: a reset and the new style, or only what changes. */
export function transition(from: Style, to: Style): string {
  let out = '';
  if (from.link !== to.link) out += linkBytes(to.link);
  if (from.fg === to.fg && from.bg === to.bg && from.attrs === to.attrs) return out;

  const reset = ['0', ...fromReset(to)];
  const delta: string[] = [];
  const off = from.attrs & ~to.attrs;
  let on = to.attrs & ~from.attrs;
  if (off & (BOLD | DIM)) {
    // One code (22) turns off both bold and dim; put back the one that stays.
    delta.push('22');
    on |= to.attrs & (BOLD | DIM);
  }
  for (const [bit, code] of OFF) if (off & bit) delta.push(code);
  for (const [bit, code] of ON) if (on & bit) delta.push(code);
  if (from.fg !== to.fg) delta.push(colourCodes(to.fg, 30));
  if (from.bg !== to.bg) delta.push(colourCodes(to.bg, 40));

  if (to.fg === DEFAULT_COLOUR && to.bg === DEFAULT_COLOUR && to.attrs === 0) return out + `${ESC}[m`;
  const a = sgr(reset);
  const b = sgr(delta);
  return out + (a.length < b.length ? a : b);
}

/** A style being built while a line is parsed. */
export interface PenBuilder {
  fg: number;
  bg: number;
  attrs: number;
  link: string;
}

export function newPen(): PenBuilder {
  return { fg: DEFAULT_COLOUR, bg: DEFAULT_COLOUR, attrs: 0, link: '' };
}

/** Reads an extended colour (`5;n` or `2;r;g;b`) at codes[i]; returns the colour and how many codes it took. */
function extendedColour(codes: number[], i: number): [number | undefined, number] {
  const mode = codes[i];
  if (mode === 5) {
    const n = codes[i + 1];
    return [n !== undefined && n >= 0 && n <= 255 ? n : undefined, 2];
  }
  if (mode === 2) {
    const [r, g, b] = [codes[i + 1], codes[i + 2], codes[i + 3]];
    if ([r, g, b].some((c) => c === undefined || !(c >= 0 && c <= 255))) return [undefined, 4];
    return [RGB_FLAG + (r << 16) + (g << 8) + b, 4];
  }
  return [undefined, 1];
}

/** Applies the parameters of one SGR sequence (`ESC [ params m`) to the pen. Unknown codes are ignored. */
export function applySgr(params: string, pen: PenBuilder): void {
  if (params === '' || params === '0') {
    pen.fg = pen.bg = DEFAULT_COLOUR;
    pen.attrs = 0;
    return;
  }
  const parts = params.split(';');
  const codes: number[] = [];
  for (const part of parts) {
    if (part.includes(':')) {
      // Colon sub-parameters: 4:n (underline styles), 38:2::r:g:b and the like.
      const sub = part.split(':').map((s) => (s === '' ? 0 : Number(s)));
      if (sub[0] === 4) {
        pen.attrs = sub[1] === 0 ? pen.attrs & ~UNDERLINE : pen.attrs | UNDERLINE;
      } else if (sub[0] === 38 || sub[0] === 48) {
        const values = sub[1] === 2 && sub.length >= 6 ? [2, ...sub.slice(-3)] : sub.slice(1);
        const [colour] = extendedColour(values, 0);
        if (colour !== undefined) {
          if (sub[0] === 38) pen.fg = colour;
          else pen.bg = colour;
        }
      }
      codes.push(-1);
      continue;
    }
    codes.push(part === '' ? 0 : Number(part));
  }
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i];
    if (c === 0) {
      pen.fg = pen.bg = DEFAULT_COLOUR;
      pen.attrs = 0;
    } else if (c === 1) pen.attrs |= BOLD;
    else if (c === 2) pen.attrs |= DIM;
    else if (c === 3) pen.attrs |= ITALIC;
    else if (c === 4 || c === 21) pen.attrs |= UNDERLINE;
    else if (c === 5 || c === 6) pen.attrs |= BLINK;
    else if (c === 7) pen.attrs |= INVERSE;
    else if (c === 8) pen.attrs |= HIDDEN;
    else if (c === 9) pen.attrs |= STRIKE;
    else if (c === 53) pen.attrs |= OVERLINE;
    else if (c === 22) pen.attrs &= ~(BOLD | DIM);
    else if (c === 23) pen.attrs &= ~ITALIC;
    else if (c === 24) pen.attrs &= ~UNDERLINE;
    else if (c === 25) pen.attrs &= ~BLINK;
    else if (c === 27) pen.attrs &= ~INVERSE;
    else if (c === 28) pen.attrs &= ~HIDDEN;
    else if (c === 29) pen.attrs &= ~STRIKE;
    else if (c === 55) pen.attrs &= ~OVERLINE;
    else if (c >= 30 && c <= 37) pen.fg = c - 30;
    else if (c >= 90 && c <= 97) pen.fg = c - 90 + 8;
    else if (c === 39) pen.fg = DEFAULT_COLOUR;
    else if (c >= 40 && c <= 47) pen.bg = c - 40;
    else if (c >= 100 && c <= 107) pen.bg = c - 100 + 8;
    else if (c === 49) pen.bg = DEFAULT_COLOUR;
    else if (c === 38 || c === 48 || c === 58) {
      const [colour, used] = extendedColour(codes, i + 1);
      if (colour !== undefined && c === 38) pen.fg = colour;
      else if (colour !== undefined && c === 48) pen.bg = colour;
      i += used;
    }
  }
}
