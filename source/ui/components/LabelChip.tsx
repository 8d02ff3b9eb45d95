// A colour label, three cells wide: a filled dot where the label is a shared tag, a hollow one where it is
// local only. Without colour (NO_COLOR) the label is spelled in two letters (lower case when local).
import { Text } from 'ink';
import type { LabelColour } from '../../core/types.js';
import { useTheme } from '../state/context.js';
import { LABEL_LETTERS, paint, type Theme } from '../theme.js';

/** The chip as a pre-styled string (rows are drawn as one string each). */
export function labelChip(label: LabelColour | undefined, local: boolean, theme: Theme): string {
  if (!label) return '   ';
  if (theme.depth === 'none') return (local ? LABEL_LETTERS[label].toLowerCase() : LABEL_LETTERS[label]) + ' ';
  return paint(local ? '○' : '●', theme.label[label]) + '  ';
}

export function LabelChip({ label, local = false }: { label?: LabelColour; local?: boolean }) {
  return <Text>{labelChip(label, local, useTheme())}</Text>;
}
