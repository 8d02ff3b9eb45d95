// strata's screen writer: the one owner of the bytes that reach the terminal while the TUI runs.
//
// Ink renders into a virtual stdout (`output`): with `debug: true, interactive: false` it writes each
// whole frame there and nothing else (no cursor moves, no erases). The writer keeps the frame it last
// drew as a grid of cells, and on the next frame writes only the cells that changed, at absolute
// positions, inside a synchronized update. Frames that come faster than the terminal needs are
// coalesced: the newest wins, flushed on setImmediate and at most about 60 times a second, and never
// while the terminal's stream is full (then the newest frame is drawn after 'drain').
//
// It also owns the keyboard: the real stdin is read here and passed to Ink through a virtual stdin
// (`input`), so suspend() can stop reading it and hand the terminal to another program.
import { EventEmitter } from 'node:events';
import { Readable } from 'node:stream';
import { diff, unknownState, type TerminalState } from './diff.js';
import { blankGrid, parseFrame, type Grid } from './grid.js';
import { DEFAULT_STYLE, StyleTable } from './style.js';

const ESC = '\u001b';
export const SYNC_START = `${ESC}[?2026h`;
export const SYNC_END = `${ESC}[?2026l`;

/** Into the full screen: the alternate screen, the cursor hidden, autowrap off, bracketed paste on. */
export const ENTER_SEQUENCE =
  `${ESC}[?1049h` + // the alternate screen
  `${ESC}[?25l` + // hide the cursor
  `${ESC}[?7l` + // autowrap off: an over-long line can never wrap or scroll the screen
  `${ESC}[?2004h`; // bracketed paste on

/** What puts a terminal back as the user had it (each is harmless where already in that state). */
export const RESTORE_SEQUENCE =
  SYNC_END + // end a synchronized update left open
  `${ESC}[0m` + // attributes off
  `${ESC}[?7h` + // autowrap on
  `${ESC}[?2004l` + // bracketed paste off
  `${ESC}[?1000l${ESC}[?1002l${ESC}[?1006l` + // mouse reporting off
  `${ESC}[?1049l` + // leave the alternate screen
  `${ESC}[?25h`; // show the cursor

/** Before a full repaint: the modes again (in case something reset them), the pen reset, the screen cleared. */
const REPAINT_PREFIX = `${ESC}[?25l${ESC}[?7l${ESC}[m${ESC}[H${ESC}[2J`;

/** Least time between two flushes while frames stream in: about 60 a second. */
const FRAME_INTERVAL_MS = 16;

type Callback = (error?: Error | null) => void;

/**
 * The stdout Ink renders into: every write is a whole frame. It has the real terminal's size and emits
 * 'resize' when the real one does (Ink's useWindowSize listens to it).
 */
export class FrameSink extends EventEmitter {
  readonly isTTY = false;
  readonly writable = true;
  destroyed = false;
  writableEnded = false;

  constructor(
    private readonly real: NodeJS.WriteStream,
    private readonly onFrame: (frame: string) => void,
  ) {
    super();
  }

  get columns(): number {
    return this.real.columns || 80;
  }

  get rows(): number {
    return this.real.rows || 24;
  }

  write(chunk: string | Uint8Array, encoding?: BufferEncoding | Callback, callback?: Callback): boolean {
    const done = typeof encoding === 'function' ? encoding : callback;
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    // Ink writes '' with a callback to wait for its earlier writes: that is not a frame.
    if (!(text === '' && done)) this.onFrame(text);
    if (done) process.nextTick(done);
    return true;
  }

  end(): this {
    this.writableEnded = true;
    return this;
  }
}

/** The stdin Ink reads: a TTY to Ink (raw mode "works"), fed by the writer from the real stdin. */
export class KeyboardProxy extends Readable {
  readonly isTTY = true;
  isRaw = false;

  constructor() {
    super({ read() {} });
  }

  /** The writer keeps the real terminal raw while the TUI owns it; Ink's wish is only remembered. */
  setRawMode(mode: boolean): this {
    this.isRaw = mode;
    return this;
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }
}

export interface ScreenWriterOptions {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  /** Least time between two flushes while frames stream in, in ms (default 16). */
  frameInterval?: number;
}

export class ScreenWriter {
  /** Give this to Ink as its stdout. */
  readonly output: FrameSink;
  /** Give this to Ink as its stdin. */
  readonly input: KeyboardProxy;

  private readonly stdin: NodeJS.ReadStream;
  private readonly stdout: NodeJS.WriteStream;
  private readonly interval: number;
  private readonly styles = new StyleTable();
  private latest: string | undefined;
  private dirty = false;
  /** Whole lines drawn over Ink's frame (the image list's rows: see setScreenCanvas). */
  private canvas?: CanvasPainter;
  /** What the terminal shows (undefined: not known, the next flush repaints everything). */
  private shown: Grid | undefined;
  private state: TerminalState = unknownState();
  private entered = false;
  private started = false;
  private suspended = false;
  private closed = false;
  private reading = false;
  private waitingForDrain = false;
  private lastFlushAt = Number.NEGATIVE_INFINITY;
  private cancelTimer: (() => void) | undefined;
  private readonly onData = (chunk: Buffer | string) => {
    this.input.push(chunk);
  };
  private readonly onResize = () => this.resized();

  constructor(options: ScreenWriterOptions) {
    this.stdin = options.stdin;
    this.stdout = options.stdout;
    this.interval = options.frameInterval ?? FRAME_INTERVAL_MS;
    this.output = new FrameSink(this.stdout, (frame) => this.frame(frame));
    this.input = new KeyboardProxy();
  }

  /**
   * Takes the terminal: raw mode, reading keys (those typed before now are still in the terminal's buffer
   * and are read as keys). The alternate screen is entered with the first frame, drawn on a cleared screen.
   */
  start(): void {
    if (this.started) return;
    this.started = true;
    activeWriter = this;
    this.stdout.on('resize', this.onResize);
    this.takeKeyboard();
  }

  /** A frame from Ink. */
  frame(text: string): void {
    if (this.closed) return;
    this.latest = text;
    this.dirty = true;
    // The first frame is drawn at once (not after the rest of React's commit): first-frame time matters.
    if (!this.entered && this.started && !this.suspended) this.flush();
    else this.schedule();
  }

  /**
   * Lines the app draws itself over Ink's frame, each a whole row (a list of thousands of rows moves by
   * two rows a key; Ink would lay out and tokenize every visible row again for it). The painter is asked
   * at each draw; undefined takes it away.
   */
  setCanvas(painter: CanvasPainter | undefined): void {
    // The same painter again: its lines may have changed with the app's state, so the next draw asks it.
    this.canvas = painter;
    this.dirty = true;
    if (this.entered) this.schedule();
  }

  /** Draws everything again on a cleared screen (Ctrl+L; after something else wrote to the terminal). */
  requestRepaint(): void {
    if (this.closed) return;
    this.shown = undefined;
    this.schedule();
  }

  /** Writes what is pending now instead of on the next turn of the event loop. */
  flush(): void {
    this.clearTimer();
    this.draw();
  }

  /**
   * Hands the terminal back as the user had it (the normal screen, the cursor shown, cooked mode) and
   * stops reading keys, e.g. to run ssh or an editor. Frames that come meanwhile are kept, not drawn.
   */
  suspend(): void {
    if (this.closed || this.suspended || !this.started) return;
    this.clearTimer();
    this.suspended = true;
    this.releaseKeyboard();
    this.writeOut(RESTORE_SEQUENCE);
    this.entered = false;
    this.shown = undefined;
    this.state = unknownState();
  }

  /** Takes the terminal back after suspend() and draws the newest frame on a cleared screen. */
  resume(): void {
    if (this.closed || !this.suspended) return;
    this.suspended = false;
    this.takeKeyboard();
    this.flush();
  }

  /**
   * Writes a control sequence that draws nothing (OSC 52, the clipboard) to the terminal between two frames:
   * every frame is written whole in one write, so it never lands inside one. False where nothing is written
   * (not started, suspended, closed).
   */
  writeControl(sequence: string): boolean {
    if (this.closed || this.suspended || !this.started) return false;
    this.writeOut(sequence);
    return true;
  }

  /** Stops drawing and reading for good (the caller restores the terminal). Pending frames are dropped. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.clearTimer();
    this.stdout.off('resize', this.onResize);
    this.stopReading();
    if (activeWriter === this) activeWriter = undefined;
  }

  get isSuspended(): boolean {
    return this.suspended;
  }

  private resized(): void {
    if (this.closed) return;
    this.shown = undefined;
    // Ink lays the frame out again at the new width (and the app reads the new size) when told.
    this.output.emit('resize');
    this.schedule();
  }

  private schedule(): void {
    if (this.cancelTimer || this.closed || this.suspended || this.waitingForDrain || !this.started) return;
    const wait = this.lastFlushAt + this.interval - performance.now();
    if (wait > 0) {
      const timer = setTimeout(() => this.fire(), Math.ceil(wait));
      this.cancelTimer = () => clearTimeout(timer);
    } else {
      const immediate = setImmediate(() => this.fire());
      this.cancelTimer = () => clearImmediate(immediate);
    }
  }

  private fire(): void {
    this.cancelTimer = undefined;
    this.draw();
  }

  private clearTimer(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
  }

  private draw(): void {
    if (this.closed || this.suspended || this.waitingForDrain || !this.started) return;
    const cols = this.stdout.columns || 80;
    const rows = this.stdout.rows || 24;
    let out = '';
    if (!this.entered) {
      out += ENTER_SEQUENCE;
      this.entered = true;
      this.shown = undefined;
    }
    const repaint = this.shown === undefined || this.shown.cols !== cols || this.shown.rows !== rows;
    if (this.latest !== undefined && (this.dirty || repaint)) {
      const next = parseFrame(this.canvas ? overlay(this.latest, this.canvas(cols, rows)) : this.latest, cols, rows, this.styles, this.shown);
      let body: string;
      if (repaint) {
        this.state = { x: 0, y: 0, style: DEFAULT_STYLE };
        body = REPAINT_PREFIX + diff(blankGrid(cols, rows), next, this.state, this.styles);
      } else {
        body = diff(this.shown!, next, this.state, this.styles);
      }
      if (this.state.style > DEFAULT_STYLE && this.styles.get(this.state.style).link !== '') {
        // No hyperlink is left open between frames.
        const open = this.styles.get(this.state.style);
        const closed = this.styles.id({ ...open, link: '' });
        body += this.styles.transition(this.state.style, closed);
        this.state.style = closed;
      }
      if (body !== '') out += SYNC_START + body + SYNC_END;
      this.shown = next;
      this.dirty = false;
    }
    if (out !== '') this.writeOut(out);
  }

  private writeOut(out: string): void {
    this.lastFlushAt = performance.now();
    let ok: boolean;
    try {
      ok = this.stdout.write(out);
    } catch {
      return; // A terminal that is gone: its 'error' event ends the session.
    }
    if (!ok && !this.waitingForDrain) {
      this.waitingForDrain = true;
      this.stdout.once('drain', () => {
        this.waitingForDrain = false;
        this.schedule();
      });
    }
  }

  private takeKeyboard(): void {
    if (this.stdin.isTTY) {
      try {
        this.stdin.setRawMode(true);
      } catch {
        // A terminal that is gone: the session ends on its own.
      }
    }
    if (this.reading) return;
    this.reading = true;
    this.stdin.on('data', this.onData);
    this.stdin.resume();
  }

  private releaseKeyboard(): void {
    this.stopReading();
    if (this.stdin.isTTY) {
      try {
        this.stdin.setRawMode(false);
      } catch {
        // As above.
      }
    }
  }

  private stopReading(): void {
    if (!this.reading) return;
    this.reading = false;
    this.stdin.off('data', this.onData);
    this.stdin.pause();
  }
}

/** Whole lines to draw over Ink's frame, from row `top` down (lines past the frame are dropped). */
export type CanvasPainter = (cols: number, rows: number) => { top: number; lines: readonly string[] } | undefined;

/** Ink's frame with some of its rows replaced by the canvas's lines. */
export function overlay(frame: string, painted: ReturnType<CanvasPainter>): string {
  if (!painted || painted.lines.length === 0) return frame;
  const lines = frame.split('\n');
  for (let i = 0; i < painted.lines.length; i++) {
    const at = painted.top + i;
    if (at >= 0 && at < lines.length) lines[at] = painted.lines[i];
  }
  return lines.join('\n');
}

let activeWriter: ScreenWriter | undefined;

/** Whether a screen writer draws the TUI now (else a canvas is not drawn: render the rows through Ink). */
export function screenCanvasAvailable(): boolean {
  return activeWriter !== undefined;
}

/** Sets (or, with undefined, takes away) the lines the app draws over Ink's frame. */
export function setScreenCanvas(painter: CanvasPainter | undefined): void {
  activeWriter?.setCanvas(painter);
}

/** Draws the whole screen again on a cleared screen (bound to Ctrl+L). A no-op when no TUI runs. */
export function requestRepaint(): void {
  activeWriter?.requestRepaint();
}

/** Hands the terminal back to the user (see ScreenWriter.suspend). A no-op when no TUI runs. */
export function suspendScreen(): void {
  activeWriter?.suspend();
}

/** Writes a control sequence between frames (see ScreenWriter.writeControl); false when no TUI runs. */
export function writeControlSequence(sequence: string): boolean {
  return activeWriter?.writeControl(sequence) ?? false;
}

/** Takes the terminal back after suspendScreen() and repaints. A no-op when no TUI runs. */
export function resumeScreen(): void {
  activeWriter?.resume();
}
