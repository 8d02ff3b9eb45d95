// A windowed list: only the rows that fit are rendered, whatever the length (100,000 rows cost the same as
// 40). The window scrolls only when the selection would leave it, so a move redraws two rows, not all.
import { Box, Text } from 'ink';
import { Fragment, useRef, type ReactNode } from 'react';

/** The first row to show, kept where it was unless the selection left the window. */
export function windowStart(previous: number, selected: number, height: number, count: number): number {
  if (count <= height) return 0;
  let start = Math.min(Math.max(0, previous), count - height);
  if (selected < start) start = selected;
  else if (selected >= start + height) start = selected - height + 1;
  return Math.max(0, Math.min(start, count - height));
}

export interface VirtualListProps {
  count: number;
  height: number;
  selected: number;
  /** One line: a single <Text> (the list lays rows out in a column). */
  renderRow: (index: number, selected: boolean) => ReactNode;
  /** Shown when there are no rows. */
  empty?: ReactNode;
  /** Changing this key resets the scroll position (a new scope or filter). */
  resetKey?: string;
}

export function VirtualList({ count, height, selected, renderRow, empty, resetKey }: VirtualListProps) {
  const start = useRef(0);
  const lastKey = useRef(resetKey);
  if (lastKey.current !== resetKey) {
    lastKey.current = resetKey;
    start.current = 0;
  }
  start.current = windowStart(start.current, selected, height, count);
  const rows: ReactNode[] = [];
  // The message that stands in for an empty list may wrap over several lines: it keeps them all (it is not
  // counted as one row, and nothing pads over its last line).
  if (count === 0 && empty) {
    return (
      <Box flexDirection="column" height={height} overflow="hidden">
        <Box flexShrink={0}>{empty}</Box>
      </Box>
    );
  }
  const end = Math.min(count, start.current + height);
  // Keys are window positions, so a scroll re-renders rows in place instead of mounting new ones.
  for (let i = start.current; i < end; i++) rows.push(<Fragment key={i - start.current}>{renderRow(i, i === selected)}</Fragment>);
  // Fill the window so the rows below do not move when the list is short.
  for (let i = rows.length; i < height; i++) rows.push(<Text key={`pad-${i}`}> </Text>);
  return (
    <Box flexDirection="column" height={height} overflow="hidden">
      {rows}
    </Box>
  );
}
