// One way a key finds its handler. `route(state)` gives, for whatever is on screen (an overlay, a prompt, a
// pane), the key context (for the keymap, the help and the footer), the key handlers (top first), the paste
// handler and what the screen draws. handleKey, handlePaste and the Screen all ask it; nothing else decides
// which overlay gets a key. Handlers act on Commands resolved through the keymap, never on raw characters.
import { Command, resolve, type KeyContext, type KeyPress } from './keymap.js';
import type { Controller } from './state/controller.js';
import type { AppState, Overlay, OverlayKind } from './state/state.js';
import { EDITOR_LIMITS } from './state/reducer.js';
import type { EditorAction } from './state/editor.js';
import { HELP_ROWS } from './components/HelpOverlay.js';
import { INFO_ROWS } from './components/ImageInfo.js';
import { MESSAGES_ROWS } from './components/Messages.js';
import { REVIEW_ROWS } from './panes/launch/LaunchPane.js';
import { DETAIL_ROWS } from './panes/monitor/MonitorPane.js';
import { RISK_ROWS } from './panes/risk/RiskPane.js';
import { STALE_ROWS } from './components/StaleReport.js';
import { isTextField } from './state/launchReducer.js';
import { FLEET_VERSIONS_ROWS } from './panes/fleet/FleetPane.js';

/** Handles one key press; returns whether it consumed it (else the next handler of the route gets it). */
export type Handler = (c: Controller, key: KeyPress) => boolean;
export type PasteHandler = (c: Controller, text: string) => void;

export interface Route {
  /** The keymap context of what has the keys. */
  context: KeyContext;
  /** Key handlers, top first. */
  handlers: Handler[];
  /** Where pasted text goes (an editor), if anywhere. */
  paste?: PasteHandler;
  /** What fills the space between the header and the bottom lines. */
  body: 'pane' | 'help' | 'info' | 'messages' | 'stale' | 'firewalls';
  /** What the bottom lines show (above the status bar). */
  bottom: 'line' | 'command' | 'filter' | 'prompt';
}

/** The minimum size strata draws at; below it the screen says so and only quitting works. */
export const MIN_COLUMNS = 60;
export const MIN_ROWS = 20;

// ---- helpers ------------------------------------------------------------------------------------------

/** Refuses a command that is disabled here (read-only, nothing selected, not offered): the reason is said. */
function refused(c: Controller, context: KeyContext, command: Command): boolean {
  const reason = c.disabledReason(context, command);
  if (reason === undefined) return false;
  c.say('error', reason);
  return true;
}

/** The lines a scroll command moves: Up/Down one, PgUp/PgDn a page; undefined for any other command. */
function scrollDelta(command: Command | undefined, c: Controller): number | undefined {
  if (command === Command.Down) return 1;
  if (command === Command.Up) return -1;
  if (command === Command.PageDown) return c.pageRows;
  if (command === Command.PageUp) return -c.pageRows;
  return undefined;
}

/** A scrolling text view: j/k, pages, g/G; the rest of its keys go to `more`. */
function scroller(context: KeyContext, max: () => number, scroll: (c: Controller, delta: number, to?: 'top' | 'bottom') => void, more?: (c: Controller, command: Command) => boolean): Handler {
  return (c, key) => {
    const command = resolve(context, key.name);
    if (command === undefined) return false;
    const delta = scrollDelta(command, c);
    if (delta !== undefined) scroll(c, delta);
    else if (command === Command.Top) scroll(c, 0, 'top');
    else if (command === Command.Bottom) scroll(c, 0, 'bottom');
    else if (command === Command.Quit) c.quit();
    else return more ? more(c, command) : false;
    void max;
    return true;
  };
}

function overlayScroller(context: KeyContext, max: () => number, more?: (c: Controller, command: Command) => boolean): Handler {
  return scroller(context, max, (c, delta, to) => c.dispatch({ type: 'overlay/scroll', delta, max: max(), to }), more);
}

/** A modal: whatever its handler does not take is swallowed. */
function swallow(handler: Handler): Handler {
  return (c, key) => {
    handler(c, key);
    return true;
  };
}

function editorCommand(context: KeyContext, key: KeyPress): Command | 'insert' | undefined {
  const command = resolve(context, key.name);
  if (command !== undefined) return command;
  return key.text ? 'insert' : undefined;
}

/**
 * A one-line editor as a key handler: typing edits, Submit and Cancel run their callbacks, every other key
 * is swallowed (a prompt is modal). `extra` takes the context's own commands (the capture prompt's label).
 */
function lineEditor(
  context: KeyContext,
  edit: (c: Controller, action: EditorAction) => void,
  submit: (c: Controller) => void,
  cancel: (c: Controller) => void,
  extra?: (c: Controller, command: Command) => boolean,
): Handler {
  return (c, key) => {
    const command = editorCommand(context, key);
    if (command === 'insert') edit(c, { insert: key.text });
    else if (command === Command.Submit) submit(c);
    else if (command === Command.Cancel) cancel(c);
    else if (command !== undefined && !(extra && extra(c, command))) edit(c, { command });
    return true;
  };
}

const editOverlay = (c: Controller, action: EditorAction) => c.dispatch({ type: 'overlay/edit', action });
const closeOverlay = (c: Controller) => c.dispatch({ type: 'overlay/close' });

/**
 * Pasted text goes into the open editor as one insertion (newlines become spaces). A paste longer than the
 * field takes is refused with a sentence, never cut: the user would not see what was dropped.
 */
function pasteInto(current: (s: AppState) => string, limit: number, what: string, insert: (c: Controller, text: string) => void): PasteHandler {
  return (c, text) => {
    const have = [...current(c.state)].length;
    const adding = [...text.replace(/\r?\n|\r/g, ' ')].length;
    if (have + adding > limit) {
      c.say(
        'error',
        `Nothing was pasted: the paste is ${adding.toLocaleString('en-US')} characters and ${what} takes at most ${limit.toLocaleString('en-US')}${have ? ` (it holds ${have} already)` : ''}.`,
      );
      return;
    }
    insert(c, text);
  };
}

function overlayEditorText(s: AppState): string {
  const o = s.overlay;
  if (!o) return '';
  if (o.kind === 'filter') return s.filter.editor.text;
  if (o.kind === 'fleet-filter') return s.fleet?.filter.text ?? '';
  if (o.kind === 'help' || o.kind === 'picker') return o.filter.text;
  if ('editor' in o) return o.editor.text;
  return '';
}

function pasteOverlay(limit: number, what: string): PasteHandler {
  return pasteInto(overlayEditorText, limit, what, (c, text) => {
    c.dispatch({ type: 'overlay/edit', action: { insert: text } });
    if (c.state.overlay?.kind === 'filter') c.scheduleSearch();
  });
}

// ---- overlays -----------------------------------------------------------------------------------------

const helpKeys: Handler = swallow(
  overlayScroller('help', HELP_ROWS, (c, command) => {
    if (command === Command.Close) closeOverlay(c);
    else if (command === Command.Filter) c.dispatch({ type: 'help/filtering', filtering: true });
    else return false;
    return true;
  }),
);

const helpFilterKeys: Handler = lineEditor(
  'help-filter',
  editOverlay,
  (c) => c.dispatch({ type: 'help/filtering', filtering: false }),
  (c) => c.dispatch({ type: 'help/filtering', filtering: false, clear: true }),
);

const infoKeys: Handler = swallow(overlayScroller('info', INFO_ROWS, (c, command) => command === Command.Close && (closeOverlay(c), true)));

const messagesKeys: Handler = swallow(overlayScroller('messages', MESSAGES_ROWS, (c, command) => command === Command.Close && (closeOverlay(c), true)));

const paletteKeys: Handler = swallow((c, key) => {
  const command = resolve('palette', key.name);
  if (command === Command.Close) closeOverlay(c);
  else if (command === Command.Down) c.dispatch({ type: 'palette/move', delta: 1 });
  else if (command === Command.Up) c.dispatch({ type: 'palette/move', delta: -1 });
  else if (command === Command.Choose) void c.chooseLabel();
  else if (command === Command.Quit) c.quit();
  return true;
});

const commandKeys: Handler = lineEditor(
  'command',
  editOverlay,
  (c) => c.runCommand(),
  closeOverlay,
  (c, command) => {
    if (command === Command.Complete) c.completeCommand();
    else if (command === Command.HistoryPrev) c.dispatch({ type: 'command/history', delta: 1 });
    else if (command === Command.HistoryNext) c.dispatch({ type: 'command/history', delta: -1 });
    else return false;
    return true;
  },
);

/** The filter line edits as you type; the list keeps moving with arrows and PgUp/PgDn meanwhile. */
const filterKeys: Handler = (c, key) => {
  const command = editorCommand('filter', key);
  switch (command) {
    case 'insert':
      c.dispatch({ type: 'filter/edit', action: { insert: key.text } });
      c.scheduleSearch();
      return true;
    case Command.Submit:
      c.dispatch({ type: 'filter/close', keep: true });
      return true;
    case Command.Cancel:
      c.dispatch({ type: 'filter/close', keep: false });
      return true;
    case Command.Down:
    case Command.Up:
    case Command.PageDown:
    case Command.PageUp:
      c.move(scrollDelta(command, c)!);
      return true;
    case undefined:
      return true;
    default:
      c.dispatch({ type: 'filter/edit', action: { command } });
      c.scheduleSearch();
      return true;
  }
};

const renameKeys = lineEditor('rename', editOverlay, (c) => c.submitRename(), closeOverlay);
const deleteKeys = lineEditor('prompt', editOverlay, (c) => void c.confirmDelete(), closeOverlay);
const terminateKeys = lineEditor('prompt', editOverlay, (c) => void c.monitor.confirmTerminate(), closeOverlay);
const captureKeys = lineEditor('capture', editOverlay, (c) => void c.monitor.confirmCapture(), closeOverlay, (c, command) => {
  if (command === Command.LabelNext) c.dispatch({ type: 'capture/label', delta: 1 });
  else if (command === Command.LabelPrev) c.dispatch({ type: 'capture/label', delta: -1 });
  else if (command === Command.NoReboot) c.dispatch({ type: 'capture/no-reboot' });
  else return false;
  return true;
});
const recipeKeys = lineEditor('recipe', editOverlay, (c) => c.launch.saveRecipe(), closeOverlay);

const pickerKeys: Handler = (c, key) => {
  const command = editorCommand('picker', key);
  const count = c.launch.visibleEntries().length;
  switch (command) {
    case 'insert':
      editOverlay(c, { insert: key.text });
      break;
    case Command.Down:
      c.dispatch({ type: 'picker/move', delta: 1, count });
      break;
    case Command.Up:
      c.dispatch({ type: 'picker/move', delta: -1, count });
      break;
    case Command.Toggle:
      if (c.state.overlay?.kind === 'picker' && c.state.overlay.field === 'firewallIds') c.launch.pickerToggle();
      else editOverlay(c, { insert: ' ' });
      break;
    case Command.Choose:
    case Command.Submit:
      c.launch.pickerChoose();
      break;
    case Command.Close:
    case Command.Cancel:
      c.dispatch({ type: 'overlay/close', kind: 'picker' });
      break;
    case undefined:
      break;
    default:
      editOverlay(c, { command });
  }
  return true;
};

// ---- panes --------------------------------------------------------------------------------------------

const listKeys: Handler = (c, key) => {
  const command = resolve('list', key.name);
  if (command === undefined) return false;
  if (refused(c, 'list', command)) return true;
  switch (command) {
    case Command.Down:
    case Command.Up:
    case Command.PageDown:
    case Command.PageUp:
      c.move(scrollDelta(command, c)!);
      return true;
    case Command.Top:
      c.moveTo(0);
      return true;
    case Command.Bottom:
      c.moveTo(-1);
      return true;
    case Command.Filter:
      c.dispatch({ type: 'filter/open' });
      return true;
    case Command.ClearFilter:
      if (c.state.filter.editor.text === '') return false;
      c.dispatch({ type: 'filter/close', keep: false });
      return true;
    case Command.Rename:
      c.startRename();
      return true;
    case Command.Label:
      c.openPalette();
      return true;
    case Command.NextScope:
      c.nextScope();
      return true;
    case Command.ScopeOwn:
      c.setScope('own');
      return true;
    case Command.ScopeVendor:
      c.setScope('vendor');
      return true;
    case Command.ScopePublic:
      c.setScope('public');
      return true;
    case Command.NextRegion:
      c.nextRegion();
      return true;
    case Command.Launch:
      void c.launch.open();
      return true;
    case Command.DeleteImage:
      c.startDelete();
      return true;
    case Command.Info:
      c.openInfo();
      return true;
    case Command.Refresh:
      c.reloadAll();
      return true;
    case Command.Mark:
      c.bulk.toggle('list');
      return true;
    case Command.MarkAll:
      c.bulk.markAll('list');
      return true;
    case Command.ClearMarks:
      c.bulk.clear('list');
      return true;
    case Command.Deprecate:
      c.bulk.startDeprecate();
      return true;
    default:
      return rowKeys(c, 'list', command);
  }
};

/** y, Y, o on the row of a list (images, servers, jobs): the id, the CLI line, the web-console link. */
function rowKeys(c: Controller, context: KeyContext, command: Command): boolean {
  if (command === Command.CopyId) c.shell.copy(context, 'id');
  else if (command === Command.CopyCli) c.shell.copy(context, 'cli');
  else if (command === Command.WebLink) c.shell.webLink(context);
  else return false;
  return true;
}

const globalKeys: Handler = (c, key) => {
  const command = resolve('global', key.name);
  switch (command) {
    case Command.Quit:
      c.quit();
      return true;
    case Command.Help:
      c.openHelp();
      return true;
    case Command.CommandLine:
      c.dispatch({ type: 'overlay/open', overlay: { kind: 'command', editor: { text: '', cursor: 0 }, historyIndex: -1 } });
      return true;
    case Command.NextPane:
      c.cyclePane(1);
      return true;
    case Command.PrevPane:
      c.cyclePane(-1);
      return true;
    case Command.Messages:
      c.dispatch({ type: 'overlay/open', overlay: { kind: 'messages', scroll: Number.MAX_SAFE_INTEGER } });
      return true;
    case Command.Redraw:
      c.redraw();
      return true;
    case Command.Fleet:
      c.fleet.open();
      return true;
    default:
      return false;
  }
};

const reconcileKeys: Handler = swallow((c, key) => {
  const command = resolve('reconcile', key.name);
  if (command === undefined || refused(c, 'reconcile', command)) return true;
  if (command === Command.Confirm) void c.interrupted.retryInterrupted();
  else if (command === Command.Abandon) void c.interrupted.abandonInterrupted();
  else if (command === Command.Close) c.interrupted.laterInterrupted();
  else if (command === Command.Quit) c.quit();
  return true;
});

const formKeys: Handler = (c, key) => {
  const form = c.state.launch!;
  const text = isTextField(form, form.focus);
  const command = editorCommand('form', key);
  switch (command) {
    case 'insert':
      if (text) c.dispatch({ type: 'launch/edit', action: { insert: key.text } });
      return true;
    case Command.NextField:
      c.launch.moveFocus(1);
      return true;
    case Command.PrevField:
      c.launch.moveFocus(-1);
      return true;
    case Command.Activate:
      c.launch.activate();
      return true;
    case Command.Toggle:
      if (text) c.dispatch({ type: 'launch/edit', action: { insert: ' ' } });
      else c.launch.cycle(1);
      return true;
    case Command.CycleNext:
      if (text) c.dispatch({ type: 'launch/edit', action: { command: Command.CursorRight } });
      else c.launch.cycle(1);
      return true;
    case Command.CyclePrev:
      if (text) c.dispatch({ type: 'launch/edit', action: { command: Command.CursorLeft } });
      else c.launch.cycle(-1);
      return true;
    case Command.Review:
      void c.launch.review();
      return true;
    case Command.OpenRecipe:
      c.launch.openRecipePicker();
      return true;
    case Command.Close:
      c.launch.close();
      return true;
    case Command.Quit:
      c.quit();
      return true;
    case undefined:
    case Command.Submit:
    case Command.Cancel:
      return true;
    default:
      if (text) c.dispatch({ type: 'launch/edit', action: { command } });
      return true;
  }
};

const reviewKeys: Handler = scroller(
  'review',
  REVIEW_ROWS,
  (c, delta, to) => c.dispatch({ type: 'launch/scroll', delta: to === 'top' ? -Number.MAX_SAFE_INTEGER : to === 'bottom' ? Number.MAX_SAFE_INTEGER : delta, max: REVIEW_ROWS() }),
  (c, command) => {
    if (refused(c, 'review', command)) return true;
    if (command === Command.Launch) void c.launch.launch();
    else if (command === Command.SaveRecipe) c.dispatch({ type: 'overlay/open', overlay: { kind: 'recipe', editor: { text: c.state.launch?.draft?.name ?? '', cursor: [...(c.state.launch?.draft?.name ?? '')].length } } });
    else if (command === Command.Close) c.dispatch({ type: 'launch/back' });
    else if (command === Command.CopyCli) c.shell.copy('review', 'cli');
    else return false;
    return true;
  },
);

const launchingKeys: Handler = swallow((c, key) => {
  if (resolve('launching', key.name) === Command.Quit) c.quit();
  return true;
});

const resultKeys: Handler = (c, key) => {
  const command = resolve('result', key.name);
  if (command === undefined || refused(c, 'result', command)) return command !== undefined;
  if (command === Command.AddToAgent) void c.launch.addKeyToAgent();
  else if (command === Command.Follow) void c.shell.followLaunched();
  else if (command === Command.Close) c.launch.close();
  else return false;
  return true;
};

/** The form's stages that take no typing (loading, failed): back to the images. */
const launchIdleKeys: Handler = (c, key) => {
  if (resolve('launch-idle', key.name) !== Command.Close) return false;
  c.launch.close();
  return true;
};

const monitorKeys: Handler = (c, key) => {
  const command = resolve('monitor', key.name);
  if (command === undefined) return false;
  if (refused(c, 'monitor', command)) return true;
  switch (command) {
    case Command.Down:
    case Command.Up:
    case Command.PageDown:
    case Command.PageUp:
      c.monitor.move(scrollDelta(command, c)!);
      return true;
    case Command.Top:
      c.dispatch({ type: 'monitor/move-to', index: 0 });
      return true;
    case Command.Bottom:
      c.dispatch({ type: 'monitor/move-to', index: -1 });
      return true;
    case Command.Detail:
      void c.monitor.openDetail();
      return true;
    case Command.Capture:
      c.monitor.startCapture();
      return true;
    case Command.Terminate:
      if (!c.state.marks.servers.empty) c.bulk.startTerminate();
      else c.monitor.startTerminate();
      return true;
    case Command.Mark:
      c.bulk.toggle('monitor');
      return true;
    case Command.MarkAll:
      c.bulk.markAll('monitor');
      return true;
    case Command.ClearMarks:
      c.bulk.clear('monitor');
      return true;
    case Command.PollNow:
      c.monitor.pollNow();
      return true;
    case Command.CancelJob:
      void c.jobs.openCancel(false);
      return true;
    case Command.Jobs:
      c.setPane('jobs');
      return true;
    case Command.Ssh:
      void c.shell.ssh('monitor');
      return true;
    default:
      return rowKeys(c, 'monitor', command);
  }
};

const detailKeys: Handler = scroller(
  'detail',
  DETAIL_ROWS,
  (c, delta, to) => c.dispatch({ type: 'monitor/scroll', delta: to === 'top' ? -Number.MAX_SAFE_INTEGER : to === 'bottom' ? Number.MAX_SAFE_INTEGER : delta, max: DETAIL_ROWS() }),
  (c, command) => {
    if (refused(c, 'detail', command)) return true;
    if (command === Command.Capture) c.monitor.startCapture();
    else if (command === Command.Terminate) c.monitor.startTerminate();
    else if (command === Command.Close) c.monitor.closeDetail();
    else if (command === Command.Ssh) void c.shell.ssh('detail');
    else if (command === Command.Follow) c.monitor.follow();
    else return rowKeys(c, 'detail', command);
    return true;
  },
);

/** The detail while its console is followed: Esc (or f) stops, s runs ssh; the rest is swallowed. */
const followKeys: Handler = (c, key) => {
  const command = resolve('follow', key.name);
  if (command === undefined) return false;
  if (refused(c, 'follow', command)) return true;
  if (command === Command.Close) {
    c.monitor.stopFollowing();
    c.dispatch({ type: 'monitor/scroll', delta: Number.MAX_SAFE_INTEGER, max: DETAIL_ROWS() });
  } else if (command === Command.Ssh) void c.shell.ssh('follow');
  else if (command === Command.Quit) c.quit();
  else return false;
  return true;
};

/** y connects unverified; n or Esc does not (any other key is swallowed). */
const sshConfirmKeys: Handler = swallow((c, key) => {
  const command = resolve('ssh-confirm', key.name);
  if (command === Command.Confirm) void c.shell.confirmUnverified();
  else if (command === Command.Close) c.shell.cancelUnverified();
  else if (command === Command.Quit) c.quit();
  return true;
});

const jobsKeys: Handler = (c, key) => {
  const command = resolve('jobs', key.name);
  if (command === undefined) return false;
  if (refused(c, 'jobs', command)) return true;
  switch (command) {
    case Command.Down:
    case Command.Up:
      c.dispatch({ type: 'jobs/move', delta: command === Command.Down ? 1 : -1 });
      return true;
    case Command.Top:
    case Command.Bottom:
      c.dispatch({ type: 'jobs/move', delta: 0, to: command === Command.Top ? 'top' : 'bottom' });
      return true;
    case Command.CancelJob:
      void c.jobs.openCancel(true);
      return true;
    case Command.RetryJob:
      void c.jobs.retry();
      return true;
    case Command.TerminateBuilder:
      c.jobs.openTerminateBuilder();
      return true;
    case Command.KeepBuilder:
      void c.jobs.keepBuilder();
      return true;
    case Command.Close:
      c.setPane('monitor');
      return true;
    default:
      return rowKeys(c, 'jobs', command);
  }
};

const cancelJobKeys = lineEditor('cancel-job', editOverlay, (c) => void c.jobs.confirmCancel(), closeOverlay, (c, command) => {
  if (command !== Command.ToggleKeep) return false;
  c.dispatch({ type: 'cancel-job/keep' });
  return true;
});
/** y does what the question asks; n or Esc leaves it (any other key is swallowed). */
const confirmKeys: Handler = swallow((c, key) => {
  const command = resolve('confirm', key.name);
  if (command === Command.Confirm) {
    if (!refused(c, 'confirm', command)) c.confirmYes();
  } else if (command === Command.Close) c.dispatch({ type: 'overlay/close', kind: 'confirm' });
  else if (command === Command.Quit) c.quit();
  return true;
});

const builderKeys = lineEditor('prompt', editOverlay, (c) => void c.jobs.confirmTerminateBuilder(), closeOverlay);
const bulkKeys = lineEditor('prompt', editOverlay, (c) => void c.bulk.confirm(), (c) => c.bulk.cancel());
const deprecateKeys = lineEditor('deprecate', editOverlay, (c) => void c.bulk.confirmDeprecate(), closeOverlay);
const staleKeys: Handler = swallow(
  overlayScroller('stale', STALE_ROWS, (c, command) => {
    if (refused(c, 'stale', command)) return true;
    if (command === Command.Close) closeOverlay(c);
    else if (command === Command.DeleteImage) c.bulk.deleteStale();
    else return false;
    return true;
  }),
);

/** :firewalls: move, d deletes the selected one (its name typed next), Ctrl+R asks again, Esc closes. */
const firewallsKeys: Handler = swallow((c, key) => {
  const command = resolve('firewalls', key.name);
  if (command === undefined || refused(c, 'firewalls', command)) return true;
  switch (command) {
    case Command.Down:
    case Command.Up:
      c.dispatch({ type: 'firewalls/move', delta: command === Command.Down ? 1 : -1 });
      break;
    case Command.Top:
    case Command.Bottom:
      c.dispatch({ type: 'firewalls/move', delta: 0, to: command === Command.Top ? 'top' : 'bottom' });
      break;
    case Command.DeleteFirewall:
      c.firewalls.startDelete();
      break;
    case Command.Refresh:
      void c.firewalls.load();
      break;
    case Command.Close:
      closeOverlay(c);
      break;
    case Command.Quit:
      c.quit();
      break;
  }
  return true;
});
const firewallDeleteKeys = lineEditor('prompt', editOverlay, (c) => void c.firewalls.confirmDelete(), (c) => c.firewalls.cancelDelete());

const riskKeys: Handler = scroller('risk', RISK_ROWS, (c, delta, to) =>
  c.dispatch({ type: 'risk/scroll', delta: to === 'top' ? -Number.MAX_SAFE_INTEGER : to === 'bottom' ? Number.MAX_SAFE_INTEGER : delta, max: RISK_ROWS() }),
);

// ---- the fleet ------------------------------------------------------------------------------------------

const fleetKeys: Handler = (c, key) => {
  const command = resolve('fleet', key.name);
  if (command === undefined) return false;
  if (refused(c, 'fleet', command)) return true;
  switch (command) {
    case Command.Down:
    case Command.Up:
    case Command.PageDown:
    case Command.PageUp:
      c.fleet.move(scrollDelta(command, c)!);
      return true;
    case Command.Top:
      c.fleet.moveTo(0);
      return true;
    case Command.Bottom:
      c.fleet.moveTo(-1);
      return true;
    case Command.Filter:
      c.dispatch({ type: 'overlay/open', overlay: { kind: 'fleet-filter' } });
      return true;
    case Command.ClearFilter:
      if (!c.state.fleet?.filter.text) return false;
      c.dispatch({ type: 'fleet/filter-clear' });
      return true;
    case Command.ShowKinds:
      c.dispatch({ type: 'fleet/show' });
      return true;
    case Command.OpenInSource:
      c.fleet.openSelected();
      return true;
    case Command.CopyImage:
      c.fleet.startCopy();
      return true;
    case Command.Rename:
      c.fleet.startRename();
      return true;
    case Command.Label:
      c.fleet.openLabel();
      return true;
    case Command.DeleteImage:
      c.fleet.startDelete();
      return true;
    case Command.Terminate:
      c.fleet.startTerminate();
      return true;
    case Command.Versions:
      c.dispatch({ type: 'fleet/view', view: 'versions' });
      return true;
    case Command.Refresh:
      c.fleet.refresh();
      return true;
    default:
      return false;
  }
};

/** The fleet's filter line: as the image list's, the list moving with arrows meanwhile. */
const fleetFilterKeys: Handler = (c, key) => {
  const command = editorCommand('fleet-filter', key);
  switch (command) {
    case 'insert':
      c.dispatch({ type: 'fleet/filter', action: { insert: key.text } });
      return true;
    case Command.Submit:
      c.dispatch({ type: 'overlay/close', kind: 'fleet-filter' });
      return true;
    case Command.Cancel:
      c.dispatch({ type: 'fleet/filter-clear' });
      c.dispatch({ type: 'overlay/close', kind: 'fleet-filter' });
      return true;
    case Command.Down:
    case Command.Up:
    case Command.PageDown:
    case Command.PageUp:
      c.fleet.move(scrollDelta(command, c)!);
      return true;
    case undefined:
      return true;
    default:
      c.dispatch({ type: 'fleet/filter', action: { command } });
      return true;
  }
};

const fleetVersionsKeys: Handler = scroller(
  'fleet-versions',
  FLEET_VERSIONS_ROWS,
  (c, delta, to) => c.dispatch({ type: 'fleet/scroll', delta, max: FLEET_VERSIONS_ROWS(), ...(to ? { to } : {}) }),
  (c, command) => {
    if (command !== Command.Close) return false;
    c.dispatch({ type: 'fleet/view', view: 'list' });
    return true;
  },
);

const fleetRenameKeys = lineEditor('rename', editOverlay, (c) => void c.fleet.submitRename(), closeOverlay);
const fleetDeleteKeys = lineEditor('prompt', editOverlay, (c) => void c.fleet.confirmDelete(), closeOverlay);
const fleetTerminateKeys = lineEditor('prompt', editOverlay, (c) => void c.fleet.confirmTerminate(), closeOverlay);
const fleetCopyKeys = lineEditor('fleet-copy', editOverlay, (c) => void c.fleet.confirmCopy(), closeOverlay, (c, command) => {
  if (command === Command.NextTarget) c.fleet.nextTarget(1);
  else if (command === Command.PrevTarget) c.fleet.nextTarget(-1);
  else return false;
  return true;
});
const fleetLabelKeys: Handler = swallow((c, key) => {
  const command = resolve('palette', key.name);
  if (command === Command.Close) closeOverlay(c);
  else if (command === Command.Down) c.dispatch({ type: 'fleet/label-move', delta: 1 });
  else if (command === Command.Up) c.dispatch({ type: 'fleet/label-move', delta: -1 });
  else if (command === Command.Choose) void c.fleet.chooseLabel();
  else if (command === Command.Quit) c.quit();
  return true;
});

const smallKeys: Handler = swallow((c, key) => {
  if (resolve('small', key.name) === Command.Quit) c.quit();
  return true;
});

// ---- the one selector -----------------------------------------------------------------------------------

/** An overlay with an editor: its keys, what is pasted into it (up to its limit, `what` in the refusal). */
function edited(kind: OverlayKind, context: KeyContext, handler: Handler, what: string, bottom: Route['bottom'] = 'prompt'): Route {
  return { context, handlers: [handler], paste: pasteOverlay(EDITOR_LIMITS[kind]!, what), body: 'pane', bottom };
}

/** An overlay without an editor (nothing pasted goes anywhere). */
function plain(context: KeyContext, handler: Handler, body: Route['body'], bottom: Route['bottom']): Route {
  return { context, handlers: [handler], body, bottom };
}

function overlayRoute(o: Overlay): Route {
  switch (o.kind) {
    case 'help':
      return o.filtering
        ? { context: 'help-filter', handlers: [helpFilterKeys], paste: pasteOverlay(EDITOR_LIMITS.help!, 'the help filter'), body: 'help', bottom: 'line' }
        : { context: 'help', handlers: [helpKeys], body: 'help', bottom: 'line' };
    case 'info':
      return plain('info', infoKeys, 'info', 'line');
    case 'messages':
      return plain('messages', messagesKeys, 'messages', 'line');
    case 'palette':
      return plain('palette', paletteKeys, 'pane', 'line');
    case 'command':
      return edited('command', 'command', commandKeys, 'the command line', 'command');
    case 'filter':
      return edited('filter', 'filter', filterKeys, 'the filter', 'filter');
    case 'rename':
      return edited('rename', 'rename', renameKeys, 'a name', 'line');
    case 'delete':
      return edited('delete', 'prompt', deleteKeys, 'the confirmation');
    case 'terminate':
      return edited('terminate', 'prompt', terminateKeys, 'the confirmation');
    case 'capture':
      return edited('capture', 'capture', captureKeys, "the image's name");
    case 'recipe':
      return edited('recipe', 'recipe', recipeKeys, "a recipe's name");
    case 'picker':
      return edited('picker', 'picker', pickerKeys, 'the list filter', 'line');
    case 'cancel-job':
      return edited('cancel-job', 'cancel-job', cancelJobKeys, 'the confirmation');
    case 'confirm':
      return plain('confirm', confirmKeys, 'pane', 'prompt');
    case 'builder':
      return edited('builder', 'prompt', builderKeys, 'the confirmation');
    case 'bulk':
      return edited('bulk', 'prompt', bulkKeys, 'the confirmation');
    case 'deprecate':
      return edited('deprecate', 'deprecate', deprecateKeys, 'a date');
    case 'stale':
      return plain('stale', staleKeys, 'stale', 'line');
    case 'ssh-unverified':
      return plain('ssh-confirm', sshConfirmKeys, 'pane', 'prompt');
    case 'fleet-filter':
      return edited('fleet-filter', 'fleet-filter', fleetFilterKeys, 'the filter', 'filter');
    case 'fleet-rename':
      return edited('fleet-rename', 'rename', fleetRenameKeys, 'a name');
    case 'fleet-label':
      return plain('palette', fleetLabelKeys, 'pane', 'line');
    case 'fleet-delete':
      return edited('fleet-delete', 'prompt', fleetDeleteKeys, 'the confirmation');
    case 'fleet-terminate':
      return edited('fleet-terminate', 'prompt', fleetTerminateKeys, 'the confirmation');
    case 'fleet-copy':
      return edited('fleet-copy', 'fleet-copy', fleetCopyKeys, "the copy's name");
    case 'firewalls':
      return plain('firewalls', firewallsKeys, 'firewalls', 'line');
    case 'firewall-delete':
      return { context: 'prompt', handlers: [firewallDeleteKeys], paste: pasteOverlay(EDITOR_LIMITS['firewall-delete']!, 'the confirmation'), body: 'firewalls', bottom: 'prompt' };
  }
}

const launchFieldPaste: PasteHandler = pasteInto(
  (s) => {
    const form = s.launch;
    if (!form?.draft) return '';
    const value = (form.draft as unknown as Record<string, unknown>)[form.focus];
    return typeof value === 'string' ? value : '';
  },
  EDITOR_LIMITS.launchField,
  'this field',
  (c, text) => c.dispatch({ type: 'launch/edit', action: { insert: text } }),
);

/** What has the keys now, and what the screen draws. */
export function route(s: AppState, size?: { columns: number; rows: number }): Route {
  if (size && (size.columns < MIN_COLUMNS || size.rows < MIN_ROWS)) return { context: 'small', handlers: [smallKeys], body: 'pane', bottom: 'line' };
  if (s.overlay) return overlayRoute(s.overlay);
  if (s.reconcile && s.pane === 'images') return { context: 'reconcile', handlers: [reconcileKeys], body: 'pane', bottom: 'line' };
  if (s.pane === 'launch' && s.launch) {
    const form = s.launch;
    if (form.stage === 'form') {
      return { context: 'form', handlers: [formKeys], paste: isTextField(form, form.focus) ? launchFieldPaste : undefined, body: 'pane', bottom: 'line' };
    }
    if (form.stage === 'review') return { context: 'review', handlers: [reviewKeys, globalKeys], body: 'pane', bottom: 'line' };
    if (form.stage === 'done') return { context: 'result', handlers: [resultKeys, globalKeys], body: 'pane', bottom: 'line' };
    if (form.stage === 'launching') return { context: 'launching', handlers: [launchingKeys], body: 'pane', bottom: 'line' };
    return { context: 'launch-idle', handlers: [launchIdleKeys, globalKeys], body: 'pane', bottom: 'line' };
  }
  if (s.pane === 'monitor') {
    if (s.monitor.detail?.following) return { context: 'follow', handlers: [followKeys, globalKeys], body: 'pane', bottom: 'line' };
    return s.monitor.detail
      ? { context: 'detail', handlers: [detailKeys, globalKeys], body: 'pane', bottom: 'line' }
      : { context: 'monitor', handlers: [monitorKeys, globalKeys], body: 'pane', bottom: 'line' };
  }
  if (s.pane === 'risk') return { context: 'risk', handlers: [riskKeys, globalKeys], body: 'pane', bottom: 'line' };
  if (s.pane === 'jobs') return { context: 'jobs', handlers: [jobsKeys, globalKeys], body: 'pane', bottom: 'line' };
  if (s.pane === 'fleet') {
    return s.fleet?.view === 'versions'
      ? { context: 'fleet-versions', handlers: [fleetVersionsKeys, globalKeys], body: 'pane', bottom: 'line' }
      : { context: 'fleet', handlers: [fleetKeys, globalKeys], body: 'pane', bottom: 'line' };
  }
  return { context: 'list', handlers: [listKeys, globalKeys], body: 'pane', bottom: 'line' };
}

/** The contexts whose bindings a route answers to (the footer and the help show these). */
export function contextsOf(r: Route): KeyContext[] {
  const withGlobal = r.handlers.includes(globalKeys);
  return withGlobal ? [r.context, 'global'] : [r.context];
}
