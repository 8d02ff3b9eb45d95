// A subcommand never loads Ink or React, and never touches the terminal's mode. Two proofs: the bundle's
// own record of which sources went into which chunk (dist/meta.json, esbuild's metafile), walked from the
// subcommands' chunk through every static and dynamic import; and the modules a real `strata images --json`
// loads (a load hook in the process), each chunk looked up in that record. The same hook sees Ink load for
// the TUI, so it can tell.
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../source/cli/table.js';
import { route } from '../../source/args.js';
import { holdKeyboard, releaseKeyboard, wantsFullScreen } from '../../source/ui/screen/early.js';
import { newHome, ROOT, strataSync } from './helpers.js';

const RECORDER = fileURLToPath(new URL('./fixtures/record-modules.mjs', import.meta.url));
const UI_LIBRARIES = /node_modules\/(ink|react|react-reconciler|scheduler|yoga-layout|ink-testing-library)\//;

interface Meta {
  outputs: Record<string, { entryPoint?: string; imports: { path: string; kind: string; external?: boolean }[]; inputs: Record<string, unknown> }>;
}

function meta(): Meta {
  return JSON.parse(readFileSync(join(ROOT, 'dist', 'meta.json'), 'utf8')) as Meta;
}

function chunkOf(m: Meta, entry: string): string {
  const found = Object.entries(m.outputs).find(([, o]) => o.entryPoint === entry);
  if (!found) throw new Error(`no chunk for ${entry} in dist/meta.json (npm run build)`);
  return found[0];
}

/** Every chunk reachable from one, through static imports and (where asked) dynamic ones. */
function reachable(m: Meta, start: string, dynamic: boolean): Set<string> {
  const seen = new Set<string>();
  const queue = [start];
  while (queue.length) {
    const chunk = queue.pop()!;
    if (seen.has(chunk)) continue;
    seen.add(chunk);
    for (const i of m.outputs[chunk]!.imports) if (!i.external && (dynamic || i.kind !== 'dynamic-import')) queue.push(i.path);
  }
  return seen;
}

function uiInputs(m: Meta, chunks: Iterable<string>): string[] {
  return [...chunks].flatMap((c) => Object.keys(m.outputs[c]!.inputs).filter((i) => UI_LIBRARIES.test(i)).map((i) => `${c} <- ${i}`));
}

/** The chunks of dist/ a process loaded (from the recorder's file), as the metafile names them. */
function loadedChunks(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((url) => url.startsWith('file://') && url.includes('/dist/'))
    .map((url) => relative(ROOT, fileURLToPath(url)));
}

describe('the command-line twin has no Ink and no React', () => {
  it('in the bundle: nothing the subcommands can reach, even through dynamic imports, holds Ink, React or yoga', () => {
    const m = meta();
    const run = chunkOf(m, 'source/cli/run.ts');
    expect(uiInputs(m, reachable(m, run, true))).toEqual([]);
    // …while the TUI's chunk does (the check can tell).
    expect(uiInputs(m, reachable(m, chunkOf(m, 'source/main.tsx'), false)).length).toBeGreaterThan(0);
    // The entry itself imports neither; the TUI is a dynamic import of its own.
    expect(uiInputs(m, reachable(m, chunkOf(m, 'source/cli.tsx'), false))).toEqual([]);
  });

  it('in a real run: strata images --json loads no chunk that holds them; the TUI loads them', () => {
    const m = meta();
    const home = newHome();
    const record = join(home, 'modules.txt');
    const r = strataSync(['images', '--json'], { home, nodeArgs: ['--import', RECORDER], env: { STRATA_TEST_MODULES: record } });
    expect(r.code, r.stderr).toBe(0);
    const loaded = loadedChunks(record);
    expect(loaded).toContain(chunkOf(m, 'source/cli/run.ts'));
    expect(loaded).not.toContain(chunkOf(m, 'source/main.tsx'));
    expect(uiInputs(m, loaded)).toEqual([]);

    // The TUI, started without a terminal (it says so and stops): its chunks, with Ink and React, were loaded.
    const tuiRecord = join(home, 'tui-modules.txt');
    const tui = strataSync([], { home, nodeArgs: ['--import', RECORDER], env: { STRATA_TEST_MODULES: tuiRecord } });
    expect(tui.code).toBe(2);
    expect(uiInputs(m, loadedChunks(tuiRecord)).length).toBeGreaterThan(0);
  });
});

class FakeTty {
  readonly modes: boolean[] = [];
  readonly isTTY = true;
  setRawMode(mode: boolean): this {
    this.modes.push(mode);
    return this;
  }
}

describe('the terminal mode guard (ui/screen/early.ts)', () => {
  it('every subcommand, with the TUI options before or after it, leaves the terminal alone; the TUI takes it', () => {
    const env = { TERM: 'xterm-256color' };
    for (const command of COMMANDS) {
      const args = command.args.filter((a) => !a.optional).map((a) => a.choices?.[0] ?? 'x');
      for (const argv of [
        [...command.path, ...args],
        ['--region', 'eu-west', '--read-only', ...command.path, ...args],
        [...command.path, ...args, '--sandbox-speed', '5'],
      ]) {
        expect(route(argv).kind, argv.join(' ')).toBe('command');
        expect(wantsFullScreen(argv), argv.join(' ')).toBe(false);
        const stdin = new FakeTty();
        expect(holdKeyboard(argv, stdin as never, { isTTY: true } as never, env)).toBe(false);
        expect(stdin.modes).toEqual([]);
      }
    }
    const stdin = new FakeTty();
    expect(holdKeyboard(['--region', 'eu-west'], stdin as never, { isTTY: true } as never, env)).toBe(true);
    expect(stdin.modes).toEqual([true]);
    releaseKeyboard();
  });
});
