// The help overlay, generated from the keymap: every binding per context, each description wrapped whole,
// a binding that is disabled here shown so with its reason (read-only, not offered by this provider, …).
// It scrolls like every text view (j/k, PgUp/PgDn/Space, g/G) and `/` filters it.
import { Box, Text } from 'ink';
import { Command, bindingsFor, displayKey, type Binding, type KeyContext } from '../keymap.js';
import { useAppState, useController, useTheme } from '../state/context.js';
import type { Controller } from '../state/controller.js';
import { COMMANDS } from '../commands.js';
import { keyName } from './Bottom.js';
import { LineEditorView } from './LineEditorView.js';
import { fit, wrap } from './text.js';

const SECTIONS: { context: KeyContext; title: string }[] = [
  { context: 'global', title: 'Everywhere' },
  { context: 'list', title: 'Image list' },
  { context: 'filter', title: 'Filter line' },
  { context: 'editor', title: 'Line editing (filter, rename, prompts, command line, text fields)' },
  { context: 'rename', title: 'Inline rename' },
  { context: 'prompt', title: 'Typed confirmations (delete, terminate, what acts on marked rows)' },
  { context: 'deprecate', title: 'A deprecation date' },
  { context: 'capture', title: 'Capture prompt' },
  { context: 'palette', title: 'Colour palette' },
  { context: 'command', title: 'Command line' },
  { context: 'form', title: 'Launch form' },
  { context: 'picker', title: 'Launch form: picking from a list' },
  { context: 'review', title: 'Launch review' },
  { context: 'recipe', title: 'Saving a recipe' },
  { context: 'launching', title: 'While launching' },
  { context: 'result', title: 'After a launch' },
  { context: 'launch-idle', title: 'Launch form loading or failed' },
  { context: 'reconcile', title: 'An interrupted launch (asked at start)' },
  { context: 'monitor', title: 'Monitor' },
  { context: 'detail', title: 'Server detail' },
  { context: 'follow', title: 'Server detail: following the console' },
  { context: 'ssh-confirm', title: 'ssh: connecting unverified' },
  { context: 'jobs', title: 'Jobs (the safe workflow)' },
  { context: 'cancel-job', title: 'Cancelling a job' },
  { context: 'confirm', title: 'A yes-or-no question' },
  { context: 'risk', title: 'Risk' },
  { context: 'stale', title: 'Stale images (:stale)' },
  { context: 'firewalls', title: 'Firewalls (:firewalls)' },
  { context: 'fleet', title: 'The fleet (every source and region)' },
  { context: 'fleet-filter', title: "The fleet's filter line" },
  { context: 'fleet-versions', title: 'The fleet: image families' },
  { context: 'fleet-copy', title: 'Copying an image' },
  { context: 'info', title: 'Image details' },
  { context: 'messages', title: 'Messages' },
  { context: 'help', title: 'This help' },
];

export interface HelpLine {
  kind: 'title' | 'binding' | 'text';
  text: string;
  keys?: string;
  disabled?: boolean;
}

interface HelpFacts {
  readOnly: boolean;
  providerName?: string;
  renameNative: boolean;
  tags: boolean;
  canImport: boolean;
}

/** Every line of the help, before wrapping and filtering. */
export function helpLines(c: Pick<Controller, 'disabledReason'>, facts: HelpFacts): HelpLine[] {
  const lines: HelpLine[] = [];
  for (const section of SECTIONS) {
    lines.push({ kind: 'title', text: section.title });
    for (const b of bindingsFor(section.context) as Binding[]) {
      // Selection-dependent reasons belong to the moment; the help says what holds for the session.
      const reason = b.mutating && facts.readOnly ? 'read-only session' : structuralReason(c, section.context, b.command);
      lines.push({
        kind: 'binding',
        keys: b.keys.map(displayKey).join(' '),
        text: b.description + (reason ? `  (disabled: ${reason})` : ''),
        disabled: reason !== undefined,
      });
    }
  }
  lines.push({ kind: 'title', text: 'Commands (:)' });
  for (const cmd of COMMANDS) {
    const disabled = facts.readOnly && cmd.mutating === true;
    const unavailable = cmd.name === 'import' && !facts.canImport && facts.providerName ? `  (${facts.providerName} cannot import images)` : '';
    lines.push({
      kind: 'binding',
      keys: `:${cmd.name}${cmd.args ? ' ' + cmd.args : ''}`,
      text: cmd.description + (cmd.aliases.length ? ` (also :${cmd.aliases.join(', :')})` : '') + (disabled ? '  (disabled: read-only session)' : unavailable),
      disabled: disabled || unavailable !== '',
    });
  }
  lines.push({ kind: 'title', text: 'Legend' });
  if (facts.providerName && !facts.renameNative) {
    lines.push({
      kind: 'text',
      text: facts.tags
        ? `Rename: ${facts.providerName}'s own image names cannot change; strata writes the Name tag (shared), or a local name for images that are not yours.`
        : `Rename: ${facts.providerName}'s own image names cannot change; strata keeps the name in its local store.`,
    });
  }
  lines.push({ kind: 'text', text: '● label held as a tag at the provider (shared with teammates); ○ label kept in the local store only' });
  lines.push({ kind: 'text', text: 'An italic name is a local name (the provider cannot hold it, or the image is not yours).' });
  lines.push({ kind: 'text', text: 'A long name is cut in the middle (…) so its distinguishing end stays; the line under the list shows it whole.' });
  lines.push({ kind: 'text', text: 'KIND vendor: a vendor template — start a server from it, capture your own image, launch from yours.' });
  lines.push({ kind: 'text', text: 'DEPRECATION: "dep" the vendor deprecated it on that date; "del" it will be (or was) deleted then.' });
  return lines;
}

/** A reason that holds for the whole session (the provider cannot do it here), not for one selection. */
function structuralReason(c: Pick<Controller, 'disabledReason'>, context: KeyContext, command: Command): string | undefined {
  if (command !== Command.Capture && command !== Command.DeleteImage && command !== Command.NextRegion) return undefined;
  const reason = c.disabledReason(context, command);
  return reason && /cannot|has one region/.test(reason) ? reason : undefined;
}

/** The help's lines that match a filter (a section title keeps its section; words match in any order). */
export function filterHelp(lines: HelpLine[], filter: string): HelpLine[] {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return lines;
  const out: HelpLine[] = [];
  let title: HelpLine | undefined;
  for (const line of lines) {
    if (line.kind === 'title') {
      title = line;
      continue;
    }
    const hay = `${title?.text ?? ''} ${line.keys ?? ''} ${line.text}`.toLowerCase();
    if (!words.every((w) => hay.includes(w))) continue;
    if (title) {
      out.push(title);
      title = undefined;
    }
    out.push(line);
  }
  return out;
}

let lastCount = 0;
/** How far the help can scroll (for the dispatcher). */
export const HELP_ROWS = () => lastCount;

const KEY_WIDTH = 22;

export function HelpOverlay({ width, height }: { width: number; height: number }) {
  const readOnly = useAppState((s) => s.readOnly);
  const description = useAppState((s) => s.session.description);
  const help = useAppState((s) => (s.overlay?.kind === 'help' ? s.overlay : undefined));
  // The reasons depend on the state; the help is modal, so reading it at render is enough.
  useAppState((s) => s.monitor.jobs);
  const c = useController();
  const theme = useTheme();
  const all = helpLines(c, {
    readOnly,
    providerName: description?.displayName,
    renameNative: description?.capabilities.images.renameNative ?? true,
    tags: description?.capabilities.images.tags ?? false,
    canImport: (description?.capabilities.images.import ?? 'none') !== 'none',
  });
  const filter = help?.filter.text ?? '';
  const lines = filterHelp(all, filter);
  // Wrapped to the width: the keys in their column, the description beside them on as many lines as it needs.
  const keyWidth = width < 70 ? 14 : KEY_WIDTH;
  const rows: { text: string; bold?: boolean; muted?: boolean; dim?: boolean }[] = [];
  for (const line of lines) {
    if (line.kind === 'title') wrap(line.text, width - 3).forEach((part, i) => rows.push({ text: (i ? '  ' : '') + part, bold: true }));
    else if (line.kind === 'text') wrap(line.text, width - 5).forEach((part, i) => rows.push({ text: (i ? '    ' : '  ') + part, muted: true }));
    else {
      const keys = line.keys ?? '';
      const descWidth = Math.max(10, width - keyWidth - 4);
      const keyLines = keys.length > keyWidth ? wrap(keys, keyWidth) : [keys];
      const desc = wrap(line.text, descWidth);
      for (let i = 0; i < Math.max(keyLines.length, desc.length); i++) {
        rows.push({ text: `  ${fit(keyLines[i] ?? '', keyWidth)} ${desc[i] ?? ''}`.trimEnd(), dim: line.disabled });
      }
    }
  }
  if (rows.length === 0) rows.push({ text: `  Nothing in the help matches "${filter}".`, muted: true });
  const room = Math.max(1, height - 2);
  lastCount = Math.max(0, rows.length - room);
  const scroll = Math.min(help?.scroll ?? 0, lastCount);
  const shown = rows.slice(scroll, scroll + room);
  const title = `Help${readOnly ? ' (read-only session)' : ''} · ${keyName('help', Command.Close)} closes · ${keyName('help', Command.Filter)} filters · j/k PgDn/PgUp g/G scroll`;
  return (
    <Box flexDirection="column" width={width} height={height}>
      {help?.filtering || filter ? (
        <Text>
          <LineEditorView editor={help!.filter} width={Math.min(width - 1, 40)} prefix="/" />
          <Text color={theme.muted}>{fit(help?.filtering ? `  ${keyName('help-filter', Command.Submit)} keeps · ${keyName('help-filter', Command.Cancel)} clears` : `  / edits · ${keyName('help', Command.Close)} closes`, Math.max(0, width - 42)).trimEnd()}</Text>
        </Text>
      ) : (
        <Text bold color={theme.accent}>
          {fit(title, width - 1).trimEnd()}
        </Text>
      )}
      {shown.map((row, i) => (
        <Text key={i} bold={row.bold} color={row.muted ? theme.muted : undefined} dimColor={row.dim}>
          {fit(row.text, width - 1).trimEnd() || ' '}
        </Text>
      ))}
      {Array.from({ length: Math.max(0, room - shown.length) }, (_, i) => (
        <Text key={`pad-${i}`}> </Text>
      ))}
      <Text color={theme.muted}>{fit(`  ${Math.min(scroll + shown.length, rows.length)}/${rows.length} lines`, width - 1).trimEnd()}</Text>
    </Box>
  );
}
