// The image list pane: a windowed list of the current scope, filtered as you type, with inline rename.
import { Box, Text } from 'ink';
import { memo, useEffect, useMemo, useRef } from 'react';
import type { CatalogueImage } from '../../../services/catalogue.js';
import { LineEditorView } from '../../components/LineEditorView.js';
import { fit, fitMiddle, widthOf, wrap } from '../../components/text.js';
import { VirtualList, windowStart } from '../../components/VirtualList.js';
import { screenCanvasAvailable, setScreenCanvas, type CanvasPainter } from '../../screen/writer.js';
import { useAppState, useTheme } from '../../state/context.js';
import { inverse, italic, paint, type Theme } from '../../theme.js';
import { labelChip } from '../../components/LabelChip.js';
import { filterText, imageLookup, selectedIndex, selectView } from '../../state/selectors.js';
import type { ImageLookup } from '../../../core/lineage.js';
import type { RenameState } from '../../state/state.js';
import { columnsFor, day, idWidthOf, lifecycle, type Columns } from './columns.js';

const HEADINGS = { name: 'NAME', id: 'ID', kind: 'KIND', arch: 'ARCH', state: 'STATE', created: 'CREATED', lifecycle: 'DEPRECATION' };

export function ColumnHeadings({ columns }: { columns: Columns }) {
  const theme = useTheme();
  const cells = [
    ' '.repeat(columns.chip) + fit(HEADINGS.name, columns.name),
    columns.id ? fit(HEADINGS.id, columns.id) : undefined,
    columns.kind ? fit(HEADINGS.kind, columns.kind) : undefined,
    columns.arch ? fit(HEADINGS.arch, columns.arch) : undefined,
    columns.created ? fit(HEADINGS.created, columns.created) : undefined,
    fit(HEADINGS.state, columns.state),
    HEADINGS.lifecycle,
  ].filter((c) => c !== undefined);
  return (
    <Text bold color={theme.muted}>
      {cells.join(' ')}
    </Text>
  );
}

interface RowProps {
  image: CatalogueImage;
  selected: boolean;
  marked: boolean;
  columns: Columns;
  rename?: RenameState;
  lookup: ImageLookup;
}

/**
 * One row as one pre-styled string. The selected row has a marker and its name in inverse video; the name's
 * padding is not inverted: on a slow link a bar across the whole row costs twice the bytes per move
 * (the screen writer sends only the cells that change: a bar would change them all).
 */
export function formatRow(image: CatalogueImage, columns: Columns, theme: Theme, selected: boolean, lookup?: ImageLookup, marked = false): string {
  const life = lifecycle(image, lookup);
  const name = fitMiddle(image.shownName, columns.name);
  let nameCell: string;
  if (selected) {
    const shown = name.trimEnd();
    const styled = inverse(image.nameSource === 'local' ? italic(shown) : shown);
    nameCell = styled + ' '.repeat(columns.name - widthOf(shown));
  } else {
    nameCell = image.nameSource === 'local' ? italic(name) : name;
  }
  const stateColour = image.state === 'available' ? undefined : image.state === 'failed' ? theme.danger : theme.warning;
  const lifeColour = life.level === 'danger' ? theme.danger : life.level === 'warning' ? theme.warning : undefined;
  const state = fit(image.state, columns.state);
  // State and deprecation stand side by side; one colour span where they share a colour saves bytes.
  const tail = stateColour === lifeColour ? paint(`${state} ${life.text}`.trimEnd(), stateColour) : `${paint(state, stateColour)} ${paint(life.text, lifeColour)}`;
  const row =
    (selected ? '>' : ' ') +
    (marked ? paint('*', theme.accent) : ' ') +
    labelChip(image.label, image.labelSource === 'local', theme) +
    nameCell +
    (columns.id ? ' ' + fit(image.id, columns.id) : '') +
    (columns.kind ? ' ' + paint(fit(image.kind, columns.kind), image.kind === 'vendor' ? theme.vendor : undefined) : '') +
    (columns.arch ? ' ' + fit(image.architecture, columns.arch) : '') +
    (columns.created ? ' ' + fit(day(image.createdAt), columns.created) : '') +
    ' ' +
    tail;
  return row;
}

const ImageRow = memo(function ImageRow({ image, selected, marked, columns, rename, lookup }: RowProps) {
  const theme = useTheme();
  if (rename && rename.imageId === image.id) {
    // The row being renamed: the name cell is a line editor.
    const [before, after] = formatRow(image, columns, theme, false, undefined, marked).split(fitMiddle(image.shownName, columns.name));
    return (
      <Text>
        {before}
        <LineEditorView editor={rename.editor} width={columns.name} />
        {' '.repeat(Math.max(0, columns.name - Math.min(columns.name, [...rename.editor.text].length + 1)))}
        {after}
      </Text>
    );
  }
  return <Text>{formatRow(image, columns, theme, selected, lookup, marked)}</Text>;
});

const DETAIL_LINES = 2;

/**
 * The two lines under the list: the selected image's whole name, then its id, kind, architecture, creation
 * date, state and deprecation (what narrow columns leave out). A name too long for the first line goes on
 * over the second; one too long for both is cut in its middle.
 */
export function detailLines(image: CatalogueImage | undefined, width: number, lookup?: ImageLookup, columns?: Columns): string[] {
  const room = Math.max(10, width - 1);
  if (!image) return [' ', ' '];
  const life = lifecycle(image, lookup).text;
  // What the columns show already is not said again (every byte a move sends costs on a slow link).
  const shown = (c: keyof Columns) => columns !== undefined && columns[c] > 0;
  const facts = [
    shown('id') ? '' : image.id,
    shown('kind') ? '' : image.kind,
    shown('arch') ? '' : image.architecture,
    shown('created') ? '' : `created ${day(image.createdAt)}`,
    shown('state') ? '' : image.state,
    shown('lifecycle') ? '' : life,
  ]
    .filter(Boolean)
    .join(' · ');
  if (!facts) {
    const lines = wrap(image.shownName, room);
    return lines.length <= DETAIL_LINES ? [lines[0], lines[1] ?? ' '] : [fitMiddle(image.shownName, room).trimEnd(), ' '];
  }
  const name = image.shownName;
  // The name and its facts flow over both lines where they fit; else the name has the first line.
  const joined = wrap(`${name} · ${facts}`, room);
  if (joined.length <= DETAIL_LINES) return [joined[0], joined[1] ?? ' '];
  const rest = wrap(facts, room);
  if (widthOf(name) <= room && rest.length === 1) return [name, rest[0]];
  return [fitMiddle(name, room).trimEnd(), fitMiddle(facts, room).trimEnd()];
}

/**
 * The image list's rows as whole lines, for the screen writer to draw over Ink's frame (see
 * setScreenCanvas): a move of the selection redraws two rows, and Ink does not lay out and tokenize every
 * visible row again for it. Where no screen writer runs (component tests), or something is drawn over the
 * list (the palette, an interrupted launch's question) or inside it (an inline rename, the empty message),
 * the rows are rendered through Ink as before: the same formatRow either way.
 */
export function useRowsCanvas(enabled: boolean, top: number, lines: () => string[]): void {
  // The lines of the newest render, made once per render (the writer may draw several times between two).
  const latest = useRef<string[]>([]);
  if (enabled) latest.current = lines();
  // Where the rows start, as of the newest render (a list whose header grows moves its rows down).
  const topRef = useRef(top);
  topRef.current = top;
  const painter = useRef<CanvasPainter | undefined>(undefined);
  // Set while rendering, not in an effect: Ink writes the frame as it commits, and the writer may draw it
  // at once (the first frame): the rows must be there for it, or the list flashes empty for a frame.
  if (enabled && !painter.current) {
    painter.current = () => ({ top: topRef.current, lines: latest.current });
    setScreenCanvas(painter.current);
  } else if (!enabled && painter.current) {
    painter.current = undefined;
    setScreenCanvas(undefined);
  } else if (enabled) setScreenCanvas(painter.current);
  useEffect(
    () => () => {
      if (painter.current) setScreenCanvas(undefined);
      painter.current = undefined;
    },
    [],
  );
}

export function ImagesPane({ width, height, top = 1 }: { width: number; height: number; top?: number }) {
  const scope = useAppState((s) => s.scope);
  const view = useAppState((s) => selectView(s));
  const selected = useAppState(selectedIndex);
  const rename = useAppState((s) => (s.overlay?.kind === 'rename' ? s.overlay : undefined));
  const data = useAppState((s) => s.scopes[s.scope]);
  const query = useAppState(filterText);
  const status = useAppState((s) => s.session.status);
  const sessionError = useAppState((s) => s.session.error);
  const lookup = useAppState(imageLookup);
  const marks = useAppState((s) => s.marks[s.scope]);
  const theme = useTheme();
  const idWidth = idWidthOf(data.rows);
  const columns = useMemo(() => columnsFor(width, idWidth), [width, idWidth]);
  // The heading, the rows, and two lines that tell the selected row apart whatever the width.
  const listHeight = Math.max(1, height - 1 - DETAIL_LINES);
  const current = view.count ? view.at(selected) : undefined;
  const covered = useAppState((s) => s.overlay?.kind === 'palette' || (s.reconcile !== undefined && s.pane === 'images'));
  const canvas = screenCanvasAvailable() && !rename && !covered && view.count > 0;
  const start = useRef(0);
  const startKey = useRef('');
  const key = `${scope}\u0000${query}`;
  if (startKey.current !== key) {
    startKey.current = key;
    start.current = 0;
  }
  if (canvas) start.current = windowStart(start.current, selected, listHeight, view.count);
  useRowsCanvas(canvas, top + 1, () => {
    const lines: string[] = [];
    const end = Math.min(view.count, start.current + listHeight);
    for (let i = start.current; i < end; i++) {
      const image = view.at(i);
      lines.push(image ? formatRow(image, columns, theme, i === selected, lookup, !marks.empty && marks.has(image.id, view.rows, view.positionAt(i))) : '');
    }
    while (lines.length < listHeight) lines.push('');
    return lines;
  });

  let empty: string;
  if (status === 'connecting') empty = 'Connecting…';
  else if (status === 'error') empty = `${sessionError ?? 'The provider could not be opened.'} (:provider or :region switch; q quits)`;
  else if (data.error) empty = `Could not load: ${data.error}`;
  else if (data.loading && data.rows.count === 0) empty = 'Loading…';
  else if (query) empty = `No ${scope} image matches "${query}".`;
  else empty = `No ${scope} images in this region.`;

  return (
    <Box flexDirection="column" width={width} height={height}>
      <ColumnHeadings columns={columns} />
      {canvas ? (
        <Box height={listHeight} />
      ) : (
      <VirtualList
        count={view.count}
        height={listHeight}
        selected={selected}
        resetKey={`${scope}\u0000${query}`}
        empty={<Text color={data.error || status === 'error' ? theme.danger : theme.muted}>{wrap(empty, width - 2).join('\n')}</Text>}
        renderRow={(i, isSelected) => {
          // A stored row that cannot be read any more (its copy was replaced by another strata) is a blank line.
          const image = view.at(i);
          if (!image) return <Text> </Text>;
          const marked = !marks.empty && marks.has(image.id, view.rows, view.positionAt(i));
          return <ImageRow image={image} selected={isSelected} marked={marked} columns={columns} rename={rename && rename.imageId === image.id ? rename : undefined} lookup={lookup} />;
        }}
      />
      )}
      {detailLines(current, width, lookup, columns).map((line, i) => (
        <Text key={`detail-${i}`} color={theme.muted}>
          {line}
        </Text>
      ))}
    </Box>
  );
}
