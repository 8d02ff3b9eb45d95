// The lines above the status bar: what strata said since the last key (every message whole, wrapped to as
// many lines as it needs, newest last), then either a prompt (its instruction first, then its editor, then
// its refusal), the command line, the filter line, or the position line. The Screen asks how many lines
// this takes before it sizes the pane, so nothing here is ever cut at 80 or 60 columns.
import { Text } from 'ink';
import type { ReactNode } from 'react';
import { sanitize } from '../../core/sanitize.js';
import { Command, displayKey, keyOf, type KeyContext } from '../keymap.js';
import type { Route } from '../routes.js';
import { suggestions } from '../commands.js';
import { useAppState, useController, useTheme } from '../state/context.js';
import type { AppState, Message, Overlay } from '../state/state.js';
import { selectView } from '../state/selectors.js';
import { fleetRows, selectedFleetIndex } from '../state/fleetState.js';
import type { Theme } from '../theme.js';
import { LineEditorView } from './LineEditorView.js';
import { fit, widthOf, wrap } from './text.js';
import { bulkPromptText } from '../state/bulkController.js';
import { DEPRECATION_FORMS, deprecationWords } from '../../core/deprecation.js';
import { osc8 } from '../screen/osc.js';

export interface BottomLine {
  key: string;
  node: ReactNode;
}

/** The key a command has in a context, as shown ("Enter", "Ctrl+N"). */
export function keyName(context: KeyContext, command: Command): string {
  const key = keyOf(context, command);
  return key ? displayKey(key) : '?';
}

/** Messages said since the last key, oldest first. */
export function unreadMessages(s: AppState): Message[] {
  return s.messages.filter((m) => m.id > s.seenMessageId);
}

function colourOf(level: Message['level'], theme: Theme): string | undefined {
  return level === 'error' ? theme.danger : level === 'warning' ? theme.warning : theme.ok;
}

/** Text lines, each fitted (never wider than the screen: no row wraps). */
function textLines(key: string, text: string, width: number, colour?: string, indent = ''): BottomLine[] {
  return wrap(sanitize(text, 4000), Math.max(10, width - 1 - indent.length)).map((part, i) => ({
    key: `${key}-${i}`,
    node: <Text color={colour}>{fit((i ? indent : '') + part, width - 1).trimEnd() || ' '}</Text>,
  }));
}

/**
 * A URL on lines of its own, cut where the width ends (never at a space: it has none); each piece an OSC 8
 * hyperlink to the whole URL where the terminal shows them, so a click anywhere on it opens it.
 */
function linkLines(key: string, url: string, width: number, hyperlinks: boolean, colour?: string): BottomLine[] {
  const clean = sanitize(url, 2000);
  return wrap(clean, Math.max(10, width - 3)).map((part, i) => ({
    key: `${key}-${i}`,
    node: <Text color={colour}>{`  ${hyperlinks && clean === url ? osc8(url, part) : part}`}</Text>,
  }));
}

/** The instruction of a prompt: what to type first, then what it does and what depends on it. */
export function promptText(o: Overlay, interruption: string, serverName?: string): string {
  switch (o.kind) {
    case 'delete': {
      const how = `Type ${o.imageId} and ${keyName('prompt', Command.Submit)} to delete it (${keyName('prompt', Command.Cancel)} cancels).`;
      if (o.dependants.length === 0) return `${how} Nothing strata knows depends on it.`;
      const n = o.dependants.length;
      const shown = o.dependants.slice(0, 4).join(', ');
      return `${how} ${n} depend${n === 1 ? 's' : ''} on it and will stand on a deleted image: ${shown}${n > 4 ? ` and ${n - 4} more` : ''}.`;
    }
    case 'terminate': {
      const name = sanitize(serverName ?? o.serverId, 128);
      return `Type ${name} and ${keyName('prompt', Command.Submit)} to terminate it (${keyName('prompt', Command.Cancel)} cancels). Server ${name} (${sanitize(o.serverId)}) and its disks are deleted.`;
    }
    case 'capture': {
      if (o.saving) return 'Capturing: asking the provider to start the image…';
      const label = `Label: ${o.label ?? 'none'} (${keyName('capture', Command.LabelNext)} changes it).`;
      const reboot = o.noReboot
        ? `No ${interruption}: the disk is copied while the server runs, as a crash would leave it (${keyName('capture', Command.NoReboot)} turns this off).`
        : `The server may ${interruption} while its disk is copied (${keyName('capture', Command.NoReboot)}: no ${interruption}).`;
      return `Type the new image's name; ${keyName('capture', Command.Submit)} captures, ${keyName('capture', Command.Cancel)} cancels. ${label} ${reboot}`;
    }
    case 'recipe':
      return `Type a name for the recipe; ${keyName('recipe', Command.Submit)} saves it, ${keyName('recipe', Command.Cancel)} cancels.`;
    case 'cancel-job': {
      const keepNot = `${keyName('cancel-job', Command.Cancel)}: the job goes on`;
      if (!o.serverId) return `Press ${keyName('cancel-job', Command.Submit)} to cancel ${o.what} (${keepNot}). It has started no builder yet.`;
      const name = sanitize(o.serverName ?? o.serverId, 128);
      return o.keep
        ? `Press ${keyName('cancel-job', Command.Submit)} to cancel ${o.what} and keep its builder ${name} running, on purpose (${keyName('cancel-job', Command.ToggleKeep)}: terminate it instead; ${keepNot}).`
        : `Type ${name} and ${keyName('cancel-job', Command.Submit)} to cancel ${o.what} and terminate its builder (${keyName('cancel-job', Command.ToggleKeep)}: keep the builder running instead; ${keepNot}).`;
    }
    case 'builder':
      return `Type ${sanitize(o.serverName, 128)} and ${keyName('prompt', Command.Submit)} to terminate the builder of job ${o.jobId.slice(0, 8)} (${keyName('prompt', Command.Cancel)} cancels).`;
    case 'bulk':
      return bulkPromptText({ ...o, names: o.names.map((n) => sanitize(n, 60)) }, keyName('prompt', Command.Submit), keyName('prompt', Command.Cancel));
    case 'deprecate': {
      const now = o.current ? `It is deprecated from ${deprecationWords(o.current)}.` : 'It has no deprecation date.';
      return `Type the day ${sanitize(o.name, 80)} is deprecated from: ${DEPRECATION_FORMS} to take it off; ${keyName('deprecate', Command.Submit)} sets it, ${keyName('deprecate', Command.Cancel)} cancels. ${now} Every user of the account sees it deprecated from then on, in :risk too.`;
    }
    case 'ssh-unverified':
      return `Press ${keyName('ssh-confirm', Command.Confirm)} to connect to ${sanitize(o.serverName, 128)} unverified (${keyName('ssh-confirm', Command.Close)}: do not). ${o.sentence} ssh then trusts the host key it is shown, and strata keeps it for the next time.`;
    case 'fleet-rename':
      return `Type the new name; ${keyName('rename', Command.Submit)} saves it in ${o.where}, ${keyName('rename', Command.Cancel)} cancels.`;
    case 'fleet-delete': {
      const how = `Type ${o.imageId} and ${keyName('prompt', Command.Submit)} to delete it from ${o.where} (${keyName('prompt', Command.Cancel)} cancels).`;
      if (o.dependants.length === 0) return `${how} Nothing strata knows there depends on it.`;
      const n = o.dependants.length;
      return `${how} ${n} depend${n === 1 ? 's' : ''} on it and will stand on a deleted image: ${o.dependants.slice(0, 4).join(', ')}${n > 4 ? ` and ${n - 4} more` : ''}.`;
    }
    case 'fleet-terminate': {
      const name = sanitize(o.serverName, 128);
      return `Type ${name} and ${keyName('prompt', Command.Submit)} to terminate it (${keyName('prompt', Command.Cancel)} cancels). Server ${name} (${sanitize(o.serverId)}) in ${o.where} and its disks are deleted.`;
    }
    case 'fleet-copy': {
      const target = o.targets[o.target];
      const to = target ? `${target.source}/${target.region}` : '?';
      const more = o.targets.length > 1 ? ` (${keyName('fleet-copy', Command.NextTarget)}: another place, ${o.target + 1} of ${o.targets.length})` : '';
      return `Type the copy's name; ${keyName('fleet-copy', Command.Submit)} copies ${sanitize(o.name, 80)} from ${o.where} to ${to}${more}, ${keyName('fleet-copy', Command.Cancel)} cancels.`;
    }
    case 'firewall-delete': {
      const name = sanitize(o.name, 128);
      return `Type ${name} and ${keyName('prompt', Command.Submit)} to delete firewall ${name} (${sanitize(o.id, 128)}); ${keyName('prompt', Command.Cancel)} goes back. No server uses it${o.madeByStrata ? '; strata made it at a launch' : '; strata did not make it'}.`;
    }
    default:
      return '';
  }
}

/** What the message line says while image files are imported (the newest first). */
function importingLine(imports: { name: string; path: string }[]): string {
  const last = imports[imports.length - 1]!;
  const more = imports.length > 1 ? ` (and ${imports.length - 1} more)` : '';
  return `Importing ${sanitize(last.name, 128)} from ${sanitize(last.path, 200)}…${more}`;
}

/**
 * The bottom lines for a route, at most maxLines: a prompt and its refusal are always whole; messages give
 * way from the oldest, and a line says how many more there are (M shows them all).
 */
export function useBottomLines(bottom: Route['bottom'], width: number, maxLines: number): BottomLine[] {
  const overlay = useAppState((s) => s.overlay);
  const messages = useAppState((s) => s.messages);
  const seen = useAppState((s) => s.seenMessageId);
  const unread = messages.length && messages[messages.length - 1].id > seen ? messages.filter((m) => m.id > seen) : undefined;
  const pane = useAppState((s) => s.pane);
  const position = useAppState((s) => {
    if (s.pane === 'fleet' && s.fleet?.view !== 'versions') {
      const n = fleetRows(s).count;
      return `${n === 0 ? 0 : selectedFleetIndex(s) + 1}/${n.toLocaleString('en-US')}`;
    }
    if (s.pane !== 'images') return '';
    const n = selectView(s).count;
    const at = n === 0 ? 0 : Math.min(s.selected[s.scope], n - 1) + 1;
    return `${at}/${n.toLocaleString('en-US')}`;
  });
  const matches = useAppState((s) => (s.overlay?.kind === 'filter' ? selectView(s).count : s.overlay?.kind === 'fleet-filter' ? fleetRows(s).count : 0));
  const filterText = useAppState((s) => (s.pane === 'fleet' && s.fleet ? s.fleet.filter : s.filter.editor));
  const imports = useAppState((s) => s.imports);
  const serverName = useAppState((s) => (s.overlay?.kind === 'terminate' ? s.monitor.servers.find((x) => x.id === (s.overlay as { serverId: string }).serverId)?.name : undefined));
  const interruption = useAppState((s) => s.session.description?.capabilities.images.captureInterrupts ?? 'reboot');
  const controller = useController();
  const theme = useTheme();

  const tail: BottomLine[] = [];
  if (bottom === 'prompt' && overlay?.kind === 'confirm') {
    tail.push(...textLines('confirm', `${overlay.yes} ${overlay.text}`, width, theme.warning, '  '));
  } else if (bottom === 'prompt' && overlay?.kind === 'ssh-unverified') {
    tail.push(...textLines('ssh-confirm', promptText(overlay, interruption), width, theme.warning, '  '));
  } else if (bottom === 'prompt' && overlay && 'editor' in overlay) {
    const danger = overlay.kind === 'delete' || overlay.kind === 'terminate' || overlay.kind === 'builder' || (overlay.kind === 'cancel-job' && !overlay.keep) || (overlay.kind === 'bulk' && overlay.action !== 'label') || overlay.kind === 'fleet-delete' || overlay.kind === 'fleet-terminate' || overlay.kind === 'firewall-delete';
    tail.push(...textLines('prompt', promptText(overlay, interruption, serverName), width, danger ? theme.danger : theme.accent, '  '));
    tail.push({ key: 'editor', node: <LineEditorView editor={overlay.editor} width={width - 1} prefix="> " /> });
    const error = 'error' in overlay ? overlay.error : undefined;
    if (error) tail.push(...textLines('error', error, width, theme.danger, '  '));
  } else if (bottom === 'command' && overlay?.kind === 'command') {
    const options = suggestions(overlay.editor.text, controller.commandContext());
    const hint = overlay.message ?? (options.length ? options.slice(0, 12).join('  ') : `${keyName('command', Command.Submit)} runs · ${keyName('command', Command.Complete)} completes · ${keyName('command', Command.Cancel)} closes`);
    // Candidates keep their spacing on one line where they fit; a refusal wraps whole.
    if (widthOf(hint) < width - 1) tail.push({ key: 'hint', node: <Text color={overlay.message ? theme.danger : theme.muted}>{` ${sanitize(hint, 400)}`}</Text> });
    else tail.push(...textLines('hint', ` ${hint}`, width, overlay.message ? theme.danger : theme.muted, '  '));
    tail.push({ key: 'editor', node: <LineEditorView editor={overlay.editor} width={width - 1} prefix=":" /> });
  } else if (bottom === 'filter') {
    const context = overlay?.kind === 'fleet-filter' ? 'fleet-filter' : 'filter';
    const count = ` ${matches.toLocaleString('en-US')} match${matches === 1 ? '' : 'es'} · ${keyName(context, Command.Submit)} keeps · ${keyName(context, Command.Cancel)} clears`;
    const room = Math.max(10, width - count.length - 1);
    tail.push({
      key: 'filter',
      node: (
        <Text>
          <LineEditorView editor={filterText} width={room} prefix="/" />
          <Text color={theme.muted}>{width - room > 10 ? count : ''}</Text>
        </Text>
      ),
    });
  } else {
    const lead = pane !== 'images' && !position ? ' ' : ` ${position} `;
    const room = Math.max(1, width - lead.length - 1);
    let body: ReactNode = null;
    let extra: BottomLine[] = [];
    if (overlay?.kind === 'rename') {
      if (overlay.error) {
        extra = textLines('rename-error', overlay.error, width, theme.danger, '  ');
        body = <Text color={theme.muted}>{fit(`Rename: ${keyName('rename', Command.Submit)} saves, ${keyName('rename', Command.Cancel)} cancels`, room).trimEnd()}</Text>;
      } else body = <Text color={theme.muted}>{fit(`Rename: ${keyName('rename', Command.Submit)} saves, ${keyName('rename', Command.Cancel)} cancels`, room).trimEnd()}</Text>;
    } else if (imports.length > 0) body = <Text color={theme.warning}>{fit(importingLine(imports), room).trimEnd()}</Text>;
    else if ((pane === 'images' || pane === 'fleet') && filterText.text) body = <Text color={theme.muted}>{fit(`filter /${sanitize(filterText.text, 200)}  (/ edits, Esc clears)`, room).trimEnd()}</Text>;
    tail.push(...extra);
    // The position is plain text: it changes on every move, and a colour would cost bytes each time.
    tail.push({
      key: 'line',
      node: (
        <Text>
          {lead}
          {body}
        </Text>
      ),
    });
  }

  const room = Math.max(0, maxLines - tail.length);
  const said: BottomLine[] = [];
  if (unread && room > 0) {
    const all: BottomLine[] = [];
    for (const m of unread) {
      all.push(...textLines(`m${m.id}`, m.text, width, colourOf(m.level, theme), '  '));
      if (m.link) all.push(...linkLines(`m${m.id}-link`, m.link, width, controller.hyperlinks, theme.accent));
    }
    if (all.length <= room) said.push(...all);
    else {
      const keep = all.slice(all.length - (room - 1));
      const hidden = all.length - keep.length;
      said.push({ key: 'more', node: <Text color={theme.muted}>{fit(`… ${hidden} more line${hidden === 1 ? '' : 's'} of messages: ${keyName('global', Command.Messages)} shows them whole`, width - 1).trimEnd()}</Text> });
      said.push(...keep);
    }
  }
  return [...said, ...tail];
}
