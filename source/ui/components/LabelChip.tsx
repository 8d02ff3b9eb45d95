// A colour label, three cells wide: a filled dot where the label is a shared tag, a hollow one where it is local only.
// Without colour (NO_COLOR) the label is spelled in two letters (lower case when local).
import { Text } from 'ink';
import type { LabelColour } from '../../core/types.js';
import { useTheme } from '../state/context.js';
import { LABEL_LETTERS } from '../theme.js';

export function LabelChip({ label, local }: { label?: LabelColour; local?: boolean }) {
  const theme = useTheme();
  // Always three cells: the chip and the space after it.
  if (!label) return <Text>{'   '}</Text>;
  if (theme.depth === 'none') {
    const letters = LABEL_LETTERS[label];
    return <Text>{(local ? letters.toLowerCase() : letters) + ' '}</Text>;
  }
  return (
    <Text>
      <Text color={theme.label[label]}>{local ? '○' : '●'}</Text>
      {'  '}
    </Text>
  );
}
