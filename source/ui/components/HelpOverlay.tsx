// The help overlay, generated from the keymap: every binding per context, with the ones a read-only
// session disables marked as such.
import { Box, Text } from 'ink';
import { bindingsFor, displayKey, type Binding, type KeyContext } from '../keymap.js';
import { useAppState, useTheme } from '../state/context.js';
import { COMMANDS } from '../commands.js';
import { fit } from './text.js';

const SECTIONS: { context: KeyContext; title: string }[] = [
  { context: 'global', title: 'Everywhere' },
  { context: 'list', title: 'Image list' },
  { context: 'editor', title: 'Filter, rename, prompts (line editing)' },
  { context: 'palette', title: 'Colour palette' },
  { context: 'form', title: 'Launch form' },
  { context: 'picker', title: 'Launch form: picking from a list' },
  { context: 'review', title: 'Launch review' },
  { context: 'result', title: 'After a launch' },
  { context: 'reconcile', title: 'An interrupted launch (asked at start)' },
  { context: 'monitor', title: 'Monitor' },
  { context: 'detail', title: 'Server detail' },
  { context: 'risk', title: 'Risk' },
];

interface HelpLine {
  kind: 'title' | 'binding' | 'text';
  text: string;
  keys?: string;
  disabled?: boolean;
}

function helpLines(readOnly: boolean, providerName?: string, renameNative = true, tags = false, canImport = true): HelpLine[] {
  const lines: HelpLine[] = [];
  for (const section of SECTIONS) {
    lines.push({ kind: 'title', text: section.title });
    for (const b of bindingsFor(section.context) as Binding[]) {
      const disabled = readOnly && b.mutating === true;
      lines.push({
        kind: 'binding',
        keys: b.keys.map(displayKey).join(' '),
        text: b.description + (disabled ? '  (disabled: read-only session)' : ''),
        disabled,
      });
    }
  }
  lines.push({ kind: 'title', text: 'Commands (:)' });
  for (const c of COMMANDS) {
    const disabled = readOnly && c.mutating === true;
    // :import is there only where the provider can import images.
    const unavailable = c.name === 'import' && !canImport && providerName ? `  (${providerName} cannot import images)` : '';
    lines.push({
      kind: 'binding',
      keys: `:${c.name}${c.args ? ' ' + c.args : ''}`,
      text: c.description + (c.aliases.length ? ` (also :${c.aliases.join(', :')})` : '') + (disabled ? '  (disabled: read-only session)' : unavailable),
      disabled: disabled || unavailable !== '',
    });
  }
  lines.push({ kind: 'title', text: 'Legend' });
  if (providerName && !renameNative) {
    lines.push({
      kind: 'text',
      text: tags
        ? `Rename: ${providerName}'s own image names cannot change; strata writes the Name tag (shared), or a local name for images that are not yours.`
        : `Rename: ${providerName}'s own image names cannot change; strata keeps the name in its local store.`,
    });
  }
  lines.push({ kind: 'text', text: '● label held as a tag at the provider (shared with teammates); ○ label kept in the local store only' });
  lines.push({ kind: 'text', text: 'An italic name is a local name (the provider cannot hold it, or the image is not yours).' });
  lines.push({ kind: 'text', text: 'KIND vendor: a vendor template — start a server from it, capture your own image, launch from yours.' });
  lines.push({ kind: 'text', text: 'DEPRECATION: "dep" the vendor deprecated it on that date; "del" it will be (or was) deleted then.' });
  return lines;
}

let lastCount = 0;
/** How far the help can scroll (for the dispatcher). */
export const HELP_ROWS = () => lastCount;

export function HelpOverlay({ width, height }: { width: number; height: number }) {
  const readOnly = useAppState((s) => s.readOnly);
  const description = useAppState((s) => s.session.description);
  const scroll = useAppState((s) => (s.modal?.kind === 'help' ? s.modal.scroll : 0));
  const theme = useTheme();
  const lines = helpLines(
    readOnly,
    description?.displayName,
    description?.capabilities.images.renameNative ?? true,
    description?.capabilities.images.tags ?? false,
    (description?.capabilities.images.import ?? 'none') !== 'none',
  );
  const room = Math.max(1, height - 2);
  lastCount = Math.max(0, lines.length - room);
  const shown = lines.slice(scroll, scroll + room);
  const keyWidth = 24;
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold color={theme.accent}>
        {fit(`Help — every key binding${readOnly ? ' (read-only session)' : ''}   Esc/q/? closes, j/k scrolls`, width)}
      </Text>
      {shown.map((line, i) =>
        line.kind === 'title' ? (
          <Text key={i} bold>
            {fit(line.text, width)}
          </Text>
        ) : line.kind === 'text' ? (
          <Text key={i} color={theme.muted}>
            {fit('  ' + line.text, width)}
          </Text>
        ) : (
          <Text key={i} dimColor={line.disabled} strikethrough={false}>
            {fit(`  ${fit(line.keys ?? '', keyWidth)} ${line.text}`, width)}
          </Text>
        ),
      )}
      {lines.length > room ? <Text color={theme.muted}>{fit(`  ${scroll + shown.length}/${lines.length} lines`, width)}</Text> : null}
    </Box>
  );
}
