// How a subcommand prints: an aligned table on a terminal (colours only there, NO_COLOR honoured), one JSON
// document with --json, a document a line with --ndjson. Progress of long waits is one line on stderr that
// updates, and only where stderr is a terminal: never in the JSON. Sentences for the user go to stderr.
import { createInterface } from 'node:readline';
import stringWidth from 'string-width';
import type { OutputMode } from '../args.js';
import { SCHEMA_VERSION } from './rows.js';

export interface Stream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface Io {
  stdout: Stream;
  stderr: Stream;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

export function processIo(): Io {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };
}

export type Colour = 'red' | 'green' | 'yellow' | 'blue' | 'magenta' | 'cyan' | 'grey' | 'bold' | 'orange' | 'pink' | 'brown' | 'teal' | 'purple';

const SGR: Record<Colour, string> = {
  red: '31',
  green: '32',
  yellow: '33',
  blue: '34',
  magenta: '35',
  purple: '35',
  pink: '95',
  cyan: '36',
  teal: '36',
  grey: '90',
  bold: '1',
  orange: '91',
  brown: '33',
};

export interface Column<T> {
  title: string;
  value: (row: T) => string;
  colour?: (row: T) => Colour | undefined;
  /** Cut (with …) to fit a narrow terminal; the last flexible column goes first. */
  flex?: boolean;
  align?: 'right';
}

/** NO_COLOR (any non-empty value) or TERM=dumb: no colour, as the TUI's theme decides it. */
export function colourAllowed(env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return env.TERM !== 'dumb';
}

const ASCII = /^[\x20-\x7e]*$/;
const widthOf = (text: string) => (ASCII.test(text) ? text.length : stringWidth(text));

function cut(text: string, width: number): string {
  if (widthOf(text) <= width) return text;
  if (width <= 1) return '…'.slice(0, width);
  let out = '';
  let used = 0;
  for (const ch of text) {
    const w = widthOf(ch);
    if (used + w > width - 1) break;
    out += ch;
    used += w;
  }
  return `${out}…`;
}

export class Output {
  readonly mode: OutputMode;
  readonly colour: boolean;
  private progressShown = false;
  private readonly pretty: boolean;

  constructor(
    readonly io: Io,
    mode: OutputMode,
  ) {
    this.mode = mode;
    this.colour = mode === 'table' && io.stdout.isTTY === true && colourAllowed(io.env);
    this.pretty = io.stdout.isTTY === true;
  }

  /** Whether progress lines are shown (stderr is a terminal). */
  get showsProgress(): boolean {
    return this.io.stderr.isTTY === true;
  }

  paint(text: string, colour: Colour | undefined): string {
    if (!this.colour || !colour || text === '') return text;
    return `\u001b[${SGR[colour]}m${text}\u001b[0m`;
  }

  /** The progress line on stderr (a terminal only): replaced by the next one, cleared by done(). */
  progress(text: string): void {
    if (!this.showsProgress) return;
    const columns = Math.max(20, this.io.stderr.columns ?? 80);
    this.io.stderr.write(`\r\u001b[2K${cut(text.replace(/\s+/g, ' '), columns - 1)}`);
    this.progressShown = true;
  }

  /** Clears the progress line. */
  done(): void {
    if (!this.progressShown) return;
    this.io.stderr.write('\r\u001b[2K');
    this.progressShown = false;
  }

  /** A sentence for the user on stderr (warnings, what was done, the token to retry with). */
  note(text: string): void {
    this.done();
    this.io.stderr.write(`${text}\n`);
  }

  /** A line of the table output (not in --json / --ndjson). */
  line(text = ''): void {
    if (this.mode !== 'table') return;
    this.done();
    this.io.stdout.write(`${text}\n`);
  }

  /** An event of a stream (--ndjson only): {schemaVersion, kind, …payload} on one line. */
  event(kind: string, payload: Record<string, unknown>): void {
    if (this.mode !== 'ndjson') return;
    this.io.stdout.write(`${JSON.stringify({ schemaVersion: SCHEMA_VERSION, kind, ...payload })}\n`);
  }

  /** The result document: the whole of --json, the last line of --ndjson; nothing in table mode. */
  document(kind: string, payload: Record<string, unknown>): void {
    if (this.mode === 'table') return;
    this.done();
    const doc = { schemaVersion: SCHEMA_VERSION, kind, ...payload };
    this.io.stdout.write(`${this.mode === 'json' && this.pretty ? JSON.stringify(doc, null, 2) : JSON.stringify(doc)}\n`);
  }

  /**
   * A document whose list may be long (100,000 images): written as it comes, never held whole. In --json
   * one document ({…header, field: [rows…], …footer}); in --ndjson a line per row ({kind: `${item}-row`,
   * [item]: row}) then the document without the list.
   */
  listWriter<T>(kind: string, field: string, item: string, header: Record<string, unknown>): { add(rows: readonly T[]): void; end(footer: Record<string, unknown>): void } {
    let first = true;
    const { stdout } = this.io;
    const rowKind = `${item}-row`;
    if (this.mode === 'json') {
      const head = JSON.stringify({ schemaVersion: SCHEMA_VERSION, kind, ...header });
      stdout.write(`${head.slice(0, -1)}${head.length > 2 ? ',' : ''}${JSON.stringify(field)}:[`);
    }
    return {
      add: (rows) => {
        if (rows.length === 0) return;
        if (this.mode === 'json') {
          stdout.write(`${first ? '\n' : ',\n'}${rows.map((row) => JSON.stringify(row)).join(',\n')}`);
          first = false;
        } else if (this.mode === 'ndjson') {
          stdout.write(`${rows.map((row) => JSON.stringify({ schemaVersion: SCHEMA_VERSION, kind: rowKind, [item]: row })).join('\n')}\n`);
        }
      },
      end: (footer) => {
        if (this.mode === 'json') {
          const tail = JSON.stringify(footer);
          stdout.write(`${first ? '' : '\n'}]${tail.length > 2 ? `,${tail.slice(1)}` : '}'}\n`);
        } else if (this.mode === 'ndjson') {
          stdout.write(`${JSON.stringify({ schemaVersion: SCHEMA_VERSION, kind, ...header, ...footer })}\n`);
        }
      },
    };
  }

  /** An aligned table (table mode only); cut to the terminal's width where stdout is one. */
  table<T>(columns: readonly Column<T>[], rows: readonly T[], options: { empty?: string } = {}): void {
    if (this.mode !== 'table') return;
    this.done();
    if (rows.length === 0) {
      if (options.empty) this.io.stdout.write(`${options.empty}\n`);
      return;
    }
    const cells = rows.map((row) => columns.map((c) => c.value(row)));
    const widths = columns.map((c, i) => Math.max(widthOf(c.title), ...cells.map((r) => widthOf(r[i]!))));
    const total = () => widths.reduce((a, b) => a + b, 0) + 2 * (columns.length - 1);
    const room = this.io.stdout.isTTY ? (this.io.stdout.columns ?? 0) : 0;
    if (room > 0) {
      for (let i = columns.length - 1; i >= 0 && total() > room; i--) {
        if (!columns[i]!.flex) continue;
        widths[i] = Math.max(8, widths[i]! - (total() - room));
      }
    }
    const render = (values: string[], colours: (Colour | undefined)[]) =>
      values
        .map((v, i) => {
          const text = cut(v, widths[i]!);
          const pad = ' '.repeat(Math.max(0, widths[i]! - widthOf(text)));
          const last = i === values.length - 1;
          const padded = columns[i]!.align === 'right' ? pad + this.paint(text, colours[i]) : this.paint(text, colours[i]) + (last ? '' : pad);
          return padded;
        })
        .join('  ')
        .trimEnd();
    let out = `${render(
      columns.map((c) => c.title),
      columns.map(() => (this.colour ? 'bold' : undefined)),
    )}\n`;
    for (let r = 0; r < rows.length; r++) {
      out += `${render(cells[r]!, columns.map((c) => c.colour?.(rows[r]!)))}\n`;
      if (out.length > 1 << 16) {
        this.io.stdout.write(out);
        out = '';
      }
    }
    this.io.stdout.write(out);
  }

  /** "key: value" lines for one object (table mode only). */
  fields(entries: readonly [string, string | undefined | null, Colour?][]): void {
    if (this.mode !== 'table') return;
    this.done();
    const shown = entries.filter(([, v]) => v !== undefined && v !== null && v !== '');
    const width = Math.max(0, ...shown.map(([k]) => k.length)) + 2;
    this.io.stdout.write(shown.map(([k, v, c]) => `${`${k}:`.padEnd(width)}${this.paint(String(v), c)}`).join('\n') + (shown.length ? '\n' : ''));
  }

  /**
   * Asks for a line on the terminal (the typed confirmation), where stdin and stderr are terminals; else
   * undefined (without a terminal there is no prompt). The terminal stays in its mode (no raw mode).
   */
  async ask(question: string): Promise<string | undefined> {
    if (this.io.stdin.isTTY !== true || this.io.stderr.isTTY !== true) return undefined;
    this.done();
    this.io.stderr.write(question);
    const rl = createInterface({ input: this.io.stdin, terminal: false });
    try {
      return await new Promise<string | undefined>((resolve) => {
        rl.once('line', (line) => resolve(line));
        rl.once('close', () => resolve(undefined));
      });
    } finally {
      rl.close();
    }
  }
}
