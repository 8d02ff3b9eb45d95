// The reference for strata's benchmarks: a bare Ink 8 list on the same stack (React 19, Ink 8, the render
// options of strata's source/ui/terminal.ts, bundled the same way by bench/build-reference.mjs), with none
// of strata's work.
//
//   bare-ink.js [--count N] [--items FILE]
//
// --count N     N generated rows of about 100 characters, ids like strata's (img-…); default 100.
// --items FILE  the rows are the lines of FILE (the sandbox's public catalogue, for memory and filtering).
//
// Screen: the visible window of the list (one row selected) and a status bar as the last line.
// Keys: j/k/arrows/PgUp/PgDn move; `/` opens the filter line (typing filters as you type, Esc leaves,
// Enter keeps); q quits.
import { readFileSync } from 'node:fs';
import React, { useMemo, useReducer } from 'react';
import { Box, Text, render, useApp, useInput, useWindowSize } from 'ink';

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}

const DISTROS = ['ubuntu', 'debian', 'rocky', 'alma', 'fedora', 'centos-stream', 'amazon-linux', 'windows-server'];

function generatedRows(count: number): string[] {
  const rows: string[] = [];
  for (let i = 0; i < count; i++) {
    const distro = DISTROS[i % DISTROS.length];
    const id = `img-${(0x1000_0000 + i * 7919).toString(16)}`;
    const name = `${distro}-${20 + (i % 5)}.04-server-${i % 2 ? 'arm64' : 'amd64'}-v${1000 + i}`;
    const date = `2024-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 28) + 1).padStart(2, '0')}`;
    rows.push(`${id}  ${name.padEnd(46)}  public  ${i % 2 ? 'arm64 ' : 'x86_64'}  available  ${date}`);
  }
  return rows;
}

const itemsFile = argValue('--items');
const ALL: string[] = itemsFile
  ? readFileSync(itemsFile, 'utf8').split('\n').filter((line) => line.length > 0)
  : generatedRows(Number(argValue('--count') ?? 100));
const LOWER: string[] = ALL.map((row) => row.toLowerCase());

interface State {
  selected: number;
  top: number;
  filtering: boolean;
  query: string;
}

type Action =
  | { type: 'move'; delta: number; count: number; height: number }
  | { type: 'filter-open' }
  | { type: 'filter-close'; keep: boolean }
  | { type: 'filter-type'; text: string }
  | { type: 'filter-erase' };

function reducer(state: State, action: Action): State {
  switch (action.type) {
    case 'move': {
      const selected = Math.max(0, Math.min(action.count - 1, state.selected + action.delta));
      let top = state.top;
      if (selected < top) top = selected;
      if (selected >= top + action.height) top = selected - action.height + 1;
      return { ...state, selected, top };
    }
    case 'filter-open':
      return { ...state, filtering: true };
    case 'filter-close':
      return { ...state, filtering: false, query: action.keep ? state.query : '', selected: 0, top: 0 };
    case 'filter-type':
      return { ...state, query: state.query + action.text, selected: 0, top: 0 };
    case 'filter-erase':
      return { ...state, query: state.query.slice(0, -1), selected: 0, top: 0 };
  }
}

function App() {
  const { exit } = useApp();
  const { columns, rows } = useWindowSize();
  const [state, dispatch] = useReducer(reducer, { selected: 0, top: 0, filtering: false, query: '' });
  const visibleRows = Math.max(1, rows - (state.filtering ? 2 : 1));
  const matches = useMemo(() => {
    if (!state.query) return null;
    const q = state.query.toLowerCase();
    const out: number[] = [];
    for (let i = 0; i < LOWER.length; i++) if (LOWER[i].includes(q)) out.push(i);
    return out;
  }, [state.query]);
  const count = matches ? matches.length : ALL.length;
  const rowAt = (i: number): string => ALL[matches ? matches[i] : i];

  // Several keys can arrive in one read (Ink then passes them as one input string): take them one by one.
  const handleChar = (ch: string, filtering: boolean): boolean => {
    if (filtering) {
      dispatch({ type: 'filter-type', text: ch });
      return true;
    }
    const move = (delta: number) => dispatch({ type: 'move', delta, count, height: visibleRows });
    if (ch === 'j') move(1);
    else if (ch === 'k') move(-1);
    else if (ch === '/') {
      dispatch({ type: 'filter-open' });
      return true;
    } else if (ch === 'q') exit();
    return filtering;
  };

  useInput((input, key) => {
    const move = (delta: number) => dispatch({ type: 'move', delta, count, height: visibleRows });
    if (state.filtering) {
      if (key.escape) dispatch({ type: 'filter-close', keep: false });
      else if (key.return) dispatch({ type: 'filter-close', keep: true });
      else if (key.backspace || key.delete) dispatch({ type: 'filter-erase' });
      else if (input && !key.ctrl && !key.meta) dispatch({ type: 'filter-type', text: input });
      return;
    }
    if (key.downArrow) move(1);
    else if (key.upArrow) move(-1);
    else if (key.pageDown) move(visibleRows);
    else if (key.pageUp) move(-visibleRows);
    else if (input && !key.ctrl && !key.meta) {
      let filtering = false;
      for (const ch of input) filtering = handleChar(ch, filtering);
    }
  });

  const lines: React.ReactNode[] = [];
  for (let i = state.top; i < Math.min(count, state.top + visibleRows); i++) {
    const selected = i === state.selected;
    lines.push(
      <Text key={i} inverse={selected} wrap="truncate">
        {`${selected ? '>' : ' '} ${rowAt(i)}`}
      </Text>,
    );
  }
  return (
    <Box flexDirection="column" width={columns} height={rows}>
      <Box flexDirection="column" flexGrow={1}>
        {lines}
      </Box>
      {state.filtering ? <Text>{`/${state.query}`}</Text> : null}
      <Text wrap="truncate">
        {`bare-ink  reference  ${count === 0 ? 0 : state.selected + 1}/${count.toLocaleString('en-US')}` +
          (state.query ? `  filter: ${state.query}` : '')}
      </Text>
    </Box>
  );
}

render(<App />, {
  alternateScreen: true,
  incrementalRendering: true,
  exitOnCtrlC: false,
  patchConsole: false,
  maxFps: 30,
  interactive: true,
});
