// The screen writer between Ink and the terminal: frames coalesced and drawn as diffs, backpressure,
// resize and repaint, suspend and resume, keys and pastes passed to Ink. The terminal is @xterm/headless
// behind a fake TTY stream, so what the tests read is what a terminal would show.
import { EventEmitter } from 'node:events';
import xtermHeadless from '@xterm/headless';
import { Box, Text, useInput, usePaste, useWindowSize } from 'ink';
import { useState } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { ENTER_SEQUENCE, RESTORE_SEQUENCE, requestRepaint, ScreenWriter, SYNC_END, SYNC_START } from '../../source/ui/screen/writer.js';
import { renderInto } from '../../source/ui/terminal.js';

type Terminal = import('@xterm/headless').Terminal;
const ESC = '\u001b';

/** A TTY stdout that feeds what is written to a headless xterm (and keeps every chunk). */
class FakeStdout extends EventEmitter {
  readonly isTTY = true;
  readonly chunks: string[] = [];
  /** What write() returns: false says the stream's buffer is full. */
  accepting = true;
  readonly term: Terminal;
  private parsing = Promise.resolve();

  constructor(
    public columns: number,
    public rows: number,
  ) {
    super();
    this.term = new xtermHeadless.Terminal({ cols: columns, rows, allowProposedApi: true, scrollback: 0 });
  }

  write(data: string): boolean {
    this.chunks.push(data);
    this.parsing = this.parsing.then(() => new Promise<void>((resolve) => this.term.write(data, resolve)));
    return this.accepting;
  }

  resize(columns: number, rows: number): void {
    this.columns = columns;
    this.rows = rows;
    this.term.resize(columns, rows);
    this.emit('resize');
  }

  /** Every chunk since the mark, once the emulator has parsed them. */
  async since(mark: number): Promise<string> {
    await this.parsing;
    return this.chunks.slice(mark).join('');
  }

  async screen(): Promise<string[]> {
    await this.parsing;
    const buffer = this.term.buffer.active;
    return Array.from({ length: this.term.rows }, (_, y) => buffer.getLine(buffer.viewportY + y)?.translateToString(true) ?? '');
  }
}

class FakeStdin extends EventEmitter {
  readonly isTTY = true;
  readonly rawModes: boolean[] = [];
  flowing = false;
  setRawMode(mode: boolean): this {
    this.rawModes.push(mode);
    return this;
  }
  resume(): this {
    this.flowing = true;
    return this;
  }
  pause(): this {
    this.flowing = false;
    return this;
  }
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function setup(columns = 30, rows = 6, frameInterval?: number) {
  const stdout = new FakeStdout(columns, rows);
  const stdin = new FakeStdin();
  const writer = new ScreenWriter({ stdin: stdin as unknown as NodeJS.ReadStream, stdout: stdout as unknown as NodeJS.WriteStream, frameInterval });
  cleanups.push(() => {
    writer.close();
    stdout.term.dispose();
  });
  return { stdout, stdin, writer };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
const until = async (check: () => boolean | Promise<boolean>, what: string) => {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

describe('the screen writer', () => {
  it('enters the full screen with the first frame, drawn on a cleared screen inside a synchronized update', async () => {
    const { stdout, stdin, writer } = setup();
    writer.start();
    expect(stdin.rawModes).toEqual([true]);
    expect(stdin.flowing).toBe(true);
    stdout.term.write('typed before the first frame');
    writer.frame('hello\nworld');
    writer.flush();
    const out = await stdout.since(0);
    expect(out.startsWith(ENTER_SEQUENCE + SYNC_START)).toBe(true);
    expect(out).toContain(`${ESC}[2J`);
    expect(out.endsWith(SYNC_END)).toBe(true);
    expect(stdout.term.buffer.active.type).toBe('alternate');
    expect((await stdout.screen()).slice(0, 3)).toEqual(['hello', 'world', '']);
  });

  it('coalesces frames that come in one turn: only the newest is drawn', async () => {
    const { stdout, writer } = setup();
    writer.start();
    writer.frame('one');
    writer.flush();
    const mark = stdout.chunks.length;
    writer.frame('two');
    writer.frame('three');
    writer.frame('four');
    await until(() => stdout.chunks.length > mark, 'a flush');
    await tick();
    expect(stdout.chunks.length).toBe(mark + 1);
    expect(await stdout.since(mark)).not.toMatch(/two|three/);
    expect((await stdout.screen())[0]).toBe('four');
  });

  it('flushes at most about 60 times a second while frames stream in', async () => {
    const { stdout, writer } = setup(30, 6, 16);
    writer.start();
    const started = performance.now();
    let n = 0;
    while (performance.now() - started < 300) {
      writer.frame(`frame ${n++}`);
      await tick();
    }
    const elapsed = performance.now() - started;
    expect(n).toBeGreaterThan(stdout.chunks.length);
    expect(stdout.chunks.length).toBeLessThanOrEqual(Math.ceil(elapsed / 16) + 2);
  });

  it('waits for drain when the terminal cannot take more, then draws the newest frame only', async () => {
    const { stdout, writer } = setup();
    writer.start();
    stdout.accepting = false;
    writer.frame('first'); // the first frame is drawn at once; the stream says it is full
    const mark = stdout.chunks.length;
    expect(mark).toBe(1);
    writer.frame('second');
    writer.frame('third');
    writer.flush();
    await tick();
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(stdout.chunks.length).toBe(mark);
    stdout.accepting = true;
    stdout.emit('drain');
    await until(() => stdout.chunks.length > mark, 'the flush after drain');
    expect(stdout.chunks.length).toBe(mark + 1);
    expect(await stdout.since(mark)).not.toContain('second');
    expect((await stdout.screen())[0]).toBe('third');
  });

  it('repaints everything on a cleared screen after a resize and on requestRepaint()', async () => {
    const { stdout, writer } = setup(30, 6);
    writer.start();
    let resized = 0;
    writer.output.on('resize', () => resized++);
    writer.frame('abc\ndef');
    writer.flush();
    stdout.term.write(`${ESC}[3;1Hgarbage from elsewhere`);
    let mark = stdout.chunks.length;
    requestRepaint();
    await until(() => stdout.chunks.length > mark, 'the repaint');
    expect(await stdout.since(mark)).toContain(`${ESC}[2J`);
    expect((await stdout.screen()).slice(0, 3)).toEqual(['abc', 'def', '']);

    mark = stdout.chunks.length;
    stdout.resize(20, 4);
    expect(resized).toBe(1);
    expect(writer.output.columns).toBe(20);
    expect(writer.output.rows).toBe(4);
    await until(() => stdout.chunks.length > mark, 'the repaint after the resize');
    expect(await stdout.since(mark)).toContain(`${ESC}[2J`);
    expect(await stdout.screen()).toEqual(['abc', 'def', '', '']);
  });

  it('passes keys from the terminal to Ink, and stops reading them while suspended', async () => {
    const { stdin, writer } = setup();
    writer.start();
    const read: string[] = [];
    writer.input.setEncoding('utf8');
    writer.input.on('data', (chunk: string) => read.push(chunk));
    stdin.emit('data', Buffer.from('jk'));
    await until(() => read.join('') === 'jk', 'the keys');
    writer.suspend();
    expect(stdin.listenerCount('data')).toBe(0);
    expect(stdin.flowing).toBe(false);
    expect(stdin.rawModes.at(-1)).toBe(false);
    writer.resume();
    expect(stdin.listenerCount('data')).toBe(1);
    expect(stdin.flowing).toBe(true);
    expect(stdin.rawModes.at(-1)).toBe(true);
  });
});

// --------------------------------------------------------------------------------------------- with Ink
function Demo() {
  const { columns, rows } = useWindowSize();
  const [last, setLast] = useState('none');
  const [pasted, setPasted] = useState('');
  useInput((input) => setLast(input));
  usePaste((text) => setPasted(text));
  return (
    <Box flexDirection="column">
      <Text bold>{`size ${columns}x${rows}`}</Text>
      <Text>{`key ${last}`}</Text>
      <Text>{`paste [${pasted}]`}</Text>
      <Text>{'日本語 wide'}</Text>
    </Box>
  );
}

describe('Ink rendering through the screen writer', () => {
  it('draws the frame, reads keys and pastes, and lays out again after a resize', async () => {
    const { stdout, stdin, writer } = setup(40, 8);
    writer.start();
    const frames: string[] = [];
    const sink = writer.output;
    const write = sink.write.bind(sink);
    sink.write = (chunk, ...rest) => {
      frames.push(String(chunk));
      return write(chunk, ...rest);
    };
    const ink = renderInto(writer, <Demo />);
    cleanups.unshift(() => ink.unmount());
    writer.flush();
    await until(async () => (await stdout.screen())[0] === 'size 40x8', 'the first frame');
    expect((await stdout.screen())[3]).toBe('日本語 wide');
    // Ink's own writes carry no escape sequences that move the cursor relative to where it is.
    expect(stdout.chunks.join('')).not.toMatch(/\u001b\[\d*[ABEF]/);

    stdin.emit('data', Buffer.from('j'));
    await until(async () => (await stdout.screen())[1] === 'key j', 'the key');
    stdin.emit('data', Buffer.from(`${ESC}[200~pasted text${ESC}[201~`));
    await until(async () => (await stdout.screen())[2] === 'paste [pasted text]', 'the paste');
    expect((await stdout.screen())[1]).toBe('key j');

    stdout.resize(41, 8);
    await until(async () => (await stdout.screen())[0] === 'size 41x8', 'the frame after the resize');
    stdout.resize(40, 7);
    await until(async () => (await stdout.screen())[0] === 'size 40x7', 'the frame after the second resize');
    expect(await stdout.screen()).toEqual(['size 40x7', 'key j', 'paste [pasted text]', '日本語 wide', '', '', '']);
    // What Ink writes in this mode: whole frames with SGR styles, no cursor moves, erases or modes.
    expect(frames.length).toBeGreaterThan(3);
    for (const frame of frames) expect(frame).not.toMatch(/\u001b(?!\[[0-9;]*m)/);
  });

  it('suspend() gives the normal screen back; resume() draws the app again, with what changed meanwhile', async () => {
    const { stdout, stdin, writer } = setup(40, 6);
    writer.start();
    const ink = renderInto(writer, <Demo />);
    cleanups.unshift(() => ink.unmount());
    writer.flush();
    await until(async () => (await stdout.screen())[0] === 'size 40x6', 'the first frame');

    const mark = stdout.chunks.length;
    writer.suspend();
    expect(await stdout.since(mark)).toBe(RESTORE_SEQUENCE);
    expect(stdout.term.buffer.active.type).toBe('normal');
    expect(stdout.term.modes.bracketedPasteMode).toBe(false);
    stdout.write('$ ssh somewhere\r\n'); // another program's turn on the terminal
    stdout.resize(40, 5);
    await tick();
    expect(stdout.chunks.slice(mark + 2).join('')).toBe(''); // nothing drawn while suspended

    writer.resume();
    stdin.emit('data', Buffer.from('x'));
    await until(async () => (await stdout.screen())[1] === 'key x', 'the frame after resume');
    expect(stdout.term.buffer.active.type).toBe('alternate');
    expect(stdout.term.modes.bracketedPasteMode).toBe(true);
    expect(await stdout.screen()).toEqual(['size 40x5', 'key x', 'paste []', '日本語 wide', '']);
  });
});
