// The image list pane: a windowed list of the current scope, filtered as you type, with inline rename.
import { Box, Text } from 'ink';
import { memo, useMemo } from 'react';
import type { CatalogueImage } from '../../../services/catalogue.js';
import { LabelChip } from '../../components/LabelChip.js';
import { LineEditorView } from '../../components/LineEditorView.js';
import { fit, widthOf } from '../../components/text.js';
import { VirtualList } from '../../components/VirtualList.js';
import { useAppState, useTheme } from '../../state/context.js';
import { filterText, selectedIndex, selectView } from '../../state/selectors.js';
import type { RenameState } from '../../state/state.js';
import { columnsFor, day, idWidthOf, lifecycle, type Columns } from './columns.js';

const HEADINGS = { name: 'NAME', id: 'ID', kind: 'KIND', arch: 'ARCH', state: 'STATE', created: 'CREATED', lifecycle: 'DEPRECATION' };

export function ColumnHeadings({ columns }: { columns: Columns }) {
  const theme = useTheme();
  const cells = [
    ' '.repeat(columns.chip) + fit(HEADINGS.name, columns.name),
    fit(HEADINGS.id, columns.id),
    fit(HEADINGS.kind, columns.kind),
    columns.arch ? fit(HEADINGS.arch, columns.arch) : undefined,
    fit(HEADINGS.state, columns.state),
    columns.created ? fit(HEADINGS.created, columns.created) : undefined,
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
  columns: Columns;
  rename?: RenameState;
}

const ImageRow = memo(function ImageRow({ image, selected, columns, rename }: RowProps) {
  const theme = useTheme();
  const life = lifecycle(image);
  const localName = image.nameSource === 'local';
  const nameCell =
    rename && rename.imageId === image.id ? (
      <Text>
        <LineEditorView editor={rename.editor} width={columns.name} />
        {' '.repeat(Math.max(0, columns.name - Math.min(columns.name, [...rename.editor.text].length + 1)))}
      </Text>
    ) : selected ? (
      // The selected name is in inverse video, its padding is not: on a slow link a highlight bar across
      // the whole row costs twice the bytes per move (see compactOutput in terminal.ts).
      <Text>
        <Text inverse italic={localName}>
          {fit(image.shownName, columns.name).trimEnd()}
        </Text>
        {' '.repeat(columns.name - widthOf(fit(image.shownName, columns.name).trimEnd()))}
      </Text>
    ) : (
      <Text italic={localName}>{fit(image.shownName, columns.name)}</Text>
    );
  const stateColour = image.state === 'available' ? undefined : image.state === 'failed' ? theme.danger : theme.warning;
  const body = (
    <Text>
      {selected ? '>' : ' '}
      <LabelChip label={image.label} local={image.labelSource === 'local'} />
      {nameCell}
      {' '}
      {fit(image.id, columns.id)}
      {' '}
      <Text color={image.kind === 'vendor' ? theme.vendor : undefined}>{fit(image.kind, columns.kind)}</Text>
      {columns.arch ? ' ' + fit(image.architecture, columns.arch) : ''}
      {' '}
      <Text color={stateColour}>{fit(image.state, columns.state)}</Text>
      {columns.created ? ' ' + fit(day(image.createdAt), columns.created) : ''}
      {' '}
      <Text color={life.level === 'danger' ? theme.danger : life.level === 'warning' ? theme.warning : undefined}>{life.text}</Text>
    </Text>
  );
  return selected ? <Text bold>{body}</Text> : body;
});

export function ImagesPane({ width, height }: { width: number; height: number }) {
  const scope = useAppState((s) => s.scope);
  const view = useAppState((s) => selectView(s));
  const selected = useAppState(selectedIndex);
  const rename = useAppState((s) => s.rename);
  const data = useAppState((s) => s.scopes[s.scope]);
  const query = useAppState(filterText);
  const status = useAppState((s) => s.session.status);
  const theme = useTheme();
  const idWidth = idWidthOf(data.items);
  const columns = useMemo(() => columnsFor(width, idWidth), [width, idWidth]);
  const listHeight = Math.max(1, height - 1);

  let empty: string;
  if (status === 'connecting') empty = 'Connecting…';
  else if (data.error) empty = `Could not load: ${data.error}`;
  else if (data.loading && data.items.length === 0) empty = 'Loading…';
  else if (query) empty = `No ${scope} image matches "${query}".`;
  else empty = `No ${scope} images in this region.`;

  return (
    <Box flexDirection="column" width={width} height={height}>
      <ColumnHeadings columns={columns} />
      <VirtualList
        count={view.indices.length}
        height={listHeight}
        selected={selected}
        resetKey={`${scope}\u0000${query}`}
        empty={<Text color={data.error ? theme.danger : theme.muted}>{empty}</Text>}
        renderRow={(i, isSelected) => {
          const image = view.items[view.indices[i]];
          return <ImageRow image={image} selected={isSelected} columns={columns} rename={rename && rename.imageId === image.id ? rename : undefined} />;
        }}
      />
    </Box>
  );
}
