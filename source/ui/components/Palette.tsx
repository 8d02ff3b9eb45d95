// The colour palette for a label: the colours and "none", picked with the keyboard.
import { Box, Text } from 'ink';
import { LABEL_COLOURS } from '../../core/types.js';
import { useAppState, useTheme } from '../state/context.js';
import { findImage } from '../state/selectors.js';
import { LabelChip } from './LabelChip.js';
import { fit } from './text.js';

export function Palette({ width }: { width: number }) {
  const modal = useAppState((s) => (s.modal?.kind === 'palette' ? s.modal : undefined));
  const image = useAppState((s) => (modal ? findImage(s, modal.imageId) : undefined));
  const theme = useTheme();
  if (!modal) return null;
  const inner = Math.min(width - 4, 44);
  const where = image?.sharedMeta ? 'as a tag (shared with teammates)' : 'in the local store';
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={theme.accent} paddingX={1} width={inner + 4}>
      <Text bold>{fit(`Label for ${image?.shownName ?? modal.imageId}`, inner)}</Text>
      <Text color={theme.muted}>{fit(`Saved ${where}`, inner)}</Text>
      {LABEL_COLOURS.map((colour, i) => (
        <Text key={colour} inverse={modal.index === i}>
          <LabelChip label={colour} />
          {fit(`${colour}${image?.label === colour ? '  (current)' : ''}`, inner - 2)}
        </Text>
      ))}
      <Text inverse={modal.index === LABEL_COLOURS.length}>{fit(`  none${image?.label ? '' : '  (current)'}`, inner)}</Text>
      <Text color={theme.muted}>{fit('Enter sets · Esc closes', inner)}</Text>
    </Box>
  );
}
