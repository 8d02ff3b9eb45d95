// The colour palette for a label: the colours and "none", picked with the keyboard.
import { Box, Text } from 'ink';
import { LABEL_COLOURS } from '../../core/types.js';
import { useAppState, useTheme } from '../state/context.js';
import { findImage } from '../state/selectors.js';
import { LabelChip } from './LabelChip.js';
import { fit } from './text.js';

/** The palette's width with its border. */
export const PALETTE_WIDTH = 46;

export function Palette({ width }: { width: number }) {
  const modal = useAppState((s) => (s.overlay?.kind === 'palette' ? s.overlay : undefined));
  const image = useAppState((s) => (modal ? findImage(s, modal.imageId) : undefined));
  const theme = useTheme();
  if (!modal) return null;
  // Drawn over the list: every cell inside the border is painted (padding is part of the text), so
  // nothing of the rows beneath shows through.
  const inner = Math.min(width, PALETTE_WIDTH) - 2;
  const where = modal.marked ? 'as tags where shared, else locally' : image?.sharedMeta ? 'as a tag (shared with teammates)' : 'in the local store';
  const line = (text: string) => ` ${fit(text, inner - 2)} `;
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={theme.accent} width={inner + 2}>
      <Text bold>{line(modal.marked ? `Label for the ${modal.marked.toLocaleString('en-US')} marked` : `Label for ${image?.shownName ?? modal.imageId}`)}</Text>
      <Text color={theme.muted}>{line(`Saved ${where}`)}</Text>
      {LABEL_COLOURS.map((colour, i) => (
        <Text key={colour} inverse={modal.index === i}>
          {modal.index === i ? '>' : ' '}
          <LabelChip label={colour} />
          {fit(`${colour}${!modal.marked && image?.label === colour ? '  (current)' : ''}`, inner - 4)}
        </Text>
      ))}
      <Text inverse={modal.index === LABEL_COLOURS.length}>
        {(modal.index === LABEL_COLOURS.length ? '>' : ' ') + fit(`   none${modal.marked || image?.label ? '' : '  (current)'}`, inner - 1)}
      </Text>
      <Text color={theme.muted}>{line('j/k moves · Enter sets · Esc closes')}</Text>
    </Box>
  );
}
