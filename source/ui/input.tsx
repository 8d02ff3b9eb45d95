// The one input dispatcher: every key goes through here, in priority order — an open modal, then an
// editor (inline rename, filter line), then the pane, then the global bindings. A handler says whether it
// consumed the key. Keys are resolved through the keymap; nothing here compares raw characters.
import { useInput, usePaste } from 'ink';
import { Command, isMutating, keyPresses, resolve, type KeyContext, type KeyPress } from './keymap.js';
import { useController } from './state/context.js';
import type { Controller } from './state/controller.js';
import type { EditorAction } from './state/editor.js';
import type { Action } from './state/reducer.js';
import { HELP_ROWS } from './components/HelpOverlay.js';
import { INFO_ROWS } from './components/ImageInfo.js';
import { selectedImage } from './state/selectors.js';
import { REVIEW_ROWS } from './panes/launch/LaunchPane.js';
import { DETAIL_ROWS } from './panes/monitor/MonitorPane.js';
import { RISK_ROWS } from './panes/risk/RiskPane.js';
import { isTextField } from './state/launchReducer.js';

type Handler = (c: Controller, key: KeyPress) => boolean;

const READ_ONLY_WORDS: Partial<Record<Command, string>> = {
  [Command.Rename]: 'renaming',
  [Command.Label]: 'setting labels',
  [Command.Launch]: 'launching',
  [Command.Confirm]: 'retrying a launch',
  [Command.Capture]: 'capturing images',
  [Command.Terminate]: 'terminating servers',
  [Command.DeleteImage]: 'deleting images',
  [Command.CancelJob]: 'cancelling jobs',
};

function refuseReadOnly(c: Controller, command: Command): boolean {
  if (!c.state.readOnly || !isMutating(command)) return false;
  c.toast('error', `This session is read-only (--read-only): ${READ_ONLY_WORDS[command] ?? 'changes'} is disabled.`);
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

const helpModal: Handler = (c, key) => {
  const command = resolve('help', key.name);
  const delta = scrollDelta(command, c);
  if (command === Command.Close) c.dispatch({ type: 'modal/close' });
  else if (delta !== undefined) c.dispatch({ type: 'help/scroll', delta, max: HELP_ROWS() });
  else if (key.name === 'ctrl+c') c.quit();
  return true; // a modal swallows every other key
};

const infoModal: Handler = (c, key) => {
  const command = resolve('help', key.name);
  const delta = scrollDelta(command, c);
  if (command === Command.Close || key.name === 'i') c.dispatch({ type: 'modal/close' });
  else if (delta !== undefined) c.dispatch({ type: 'help/scroll', delta, max: INFO_ROWS() });
  else if (key.name === 'ctrl+c') c.quit();
  return true;
};

const paletteModal: Handler = (c, key) => {
  const command = resolve('palette', key.name);
  if (command === Command.Close) c.dispatch({ type: 'modal/close' });
  else if (command === Command.Down) c.dispatch({ type: 'palette/move', delta: 1 });
  else if (command === Command.Up) c.dispatch({ type: 'palette/move', delta: -1 });
  else if (command === Command.Choose) void c.chooseLabel();
  else if (key.name === 'ctrl+c') c.quit();
  return true;
};

function editorCommand(context: KeyContext, key: KeyPress): Command | 'insert' | undefined {
  const command = resolve(context, key.name);
  if (command !== undefined) return command;
  return key.text ? 'insert' : undefined;
}

const commandModal: Handler = (c, key) => {
  const command = editorCommand('command', key);
  switch (command) {
    case 'insert':
      c.dispatch({ type: 'command/edit', action: { insert: key.text } });
      break;
    case Command.Submit:
      c.runCommand();
      break;
    case Command.Cancel:
      c.dispatch({ type: 'modal/close' });
      break;
    case Command.Complete:
      c.completeCommand();
      break;
    case Command.HistoryPrev:
      c.dispatch({ type: 'command/history', delta: 1 });
      break;
    case Command.HistoryNext:
      c.dispatch({ type: 'command/history', delta: -1 });
      break;
    case undefined:
      break;
    default:
      c.dispatch({ type: 'command/edit', action: { command } });
  }
  return true;
};

/** A one-line editor as a key handler: typing edits, Enter submits, Esc cancels; nothing else gets through. */
function lineEditor(edit: (action: EditorAction) => Action, submit: (c: Controller) => void, cancel: (c: Controller) => void): Handler {
  return (c, key) => {
    const command = editorCommand('editor', key);
    if (command === 'insert') c.dispatch(edit({ insert: key.text }));
    else if (command === Command.Submit) submit(c);
    else if (command === Command.Cancel) cancel(c);
    else if (command !== undefined) c.dispatch(edit({ command }));
    return true;
  };
}

const renameEditor = lineEditor(
  (action) => ({ type: 'rename/edit', action }),
  (c) => void c.submitRename(),
  (c) => c.dispatch({ type: 'rename/close' }),
);

/** The filter line edits as you type; the list keeps moving with arrows and PgUp/PgDn meanwhile. */
const filterEditor: Handler = (c, key) => {
  const command = editorCommand('editor', key);
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
    case undefined: {
      const listCommand = resolve('list', key.name);
      if (key.text === '' && listCommand !== undefined && [Command.Up, Command.Down, Command.PageUp, Command.PageDown].includes(listCommand)) {
        return listPane(c, key);
      }
      return true;
    }
    default:
      c.dispatch({ type: 'filter/edit', action: { command } });
      c.scheduleSearch();
      return true;
  }
};

const listPane: Handler = (c, key) => {
  const command = resolve('list', key.name);
  if (command === undefined) return false;
  if (refuseReadOnly(c, command)) return true;
  switch (command) {
    case Command.Down:
      c.move(1);
      return true;
    case Command.Up:
      c.move(-1);
      return true;
    case Command.PageDown:
      c.move(c.pageRows);
      return true;
    case Command.PageUp:
      c.move(-c.pageRows);
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
    case Command.Info: {
      const image = selectedImage(c.state);
      if (image) c.dispatch({ type: 'modal/open', modal: { kind: 'info', imageId: image.id, scroll: 0 } });
      return true;
    }
    case Command.Refresh:
      c.reloadAll();
      return true;
    default:
      return false;
  }
};

const global: Handler = (c, key) => {
  const command = resolve('global', key.name);
  switch (command) {
    case Command.Quit:
      c.quit();
      return true;
    case Command.Help:
      c.dispatch({ type: 'modal/open', modal: { kind: 'help', scroll: 0 } });
      return true;
    case Command.CommandLine:
      c.dispatch({ type: 'modal/open', modal: { kind: 'command', editor: { text: '', cursor: 0 }, historyIndex: -1 } });
      return true;
    case Command.NextPane:
      c.cyclePane(1);
      return true;
    case Command.PrevPane:
      c.cyclePane(-1);
      return true;
    default:
      return false;
  }
};

const reconcilePrompt: Handler = (c, key) => {
  const command = resolve('reconcile', key.name);
  if (command !== undefined && refuseReadOnly(c, command)) return true;
  if (command === Command.Confirm) void c.launch.retryInterrupted();
  else if (command === Command.Abandon) void c.launch.abandonInterrupted();
  else if (command === Command.Close) c.launch.laterInterrupted();
  else if (key.name === 'ctrl+c') c.quit();
  return true;
};

const launchPicker: Handler = (c, key) => {
  const command = editorCommand('picker', key);
  const count = c.launch.visibleEntries().length;
  switch (command) {
    case 'insert':
      c.dispatch({ type: 'launch/picker/filter', action: { insert: key.text } });
      break;
    case Command.Down:
      c.dispatch({ type: 'launch/picker/move', delta: 1, count });
      break;
    case Command.Up:
      c.dispatch({ type: 'launch/picker/move', delta: -1, count });
      break;
    case Command.Toggle:
      if (c.state.launch?.picker?.field === 'firewallIds') c.launch.pickerToggle();
      else c.dispatch({ type: 'launch/picker/filter', action: { insert: ' ' } });
      break;
    case Command.Choose:
      c.launch.pickerChoose();
      break;
    case Command.Close:
    case Command.Cancel:
      c.dispatch({ type: 'launch/picker/close' });
      break;
    case Command.Submit:
      c.launch.pickerChoose();
      break;
    case undefined:
      break;
    default:
      c.dispatch({ type: 'launch/picker/filter', action: { command } });
  }
  return true;
};

const launchForm: Handler = (c, key) => {
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
    case Command.Cancel:
      if (key.name === 'ctrl+c') c.quit();
      return true;
    case undefined:
      return true;
    default:
      if (text) c.dispatch({ type: 'launch/edit', action: { command } });
      return true;
  }
};

const recipeName = lineEditor(
  (action) => ({ type: 'launch/recipe/edit', action }),
  (c) => c.launch.saveRecipe(),
  (c) => c.dispatch({ type: 'launch/recipe/close' }),
);

const launchReview: Handler = (c, key) => {
  const command = resolve('review', key.name);
  if (command !== undefined && refuseReadOnly(c, command)) return true;
  const delta = scrollDelta(command, c);
  if (delta !== undefined) {
    c.dispatch({ type: 'launch/scroll', delta, max: REVIEW_ROWS() });
    return true;
  }
  switch (command) {
    case Command.Launch:
      void c.launch.launch();
      return true;
    case Command.SaveRecipe:
      c.dispatch({ type: 'launch/recipe/open' });
      return true;
    case Command.Close:
      c.dispatch({ type: 'launch/back' });
      return true;
    default:
      return false;
  }
};

const launchResult: Handler = (c, key) => {
  const command = resolve('result', key.name);
  if (command === Command.AddToAgent) void c.launch.addKeyToAgent();
  else if (command === Command.Close) c.launch.close();
  else return false;
  return true;
};

/** Closes the form from the stages that take no typing (loading, failed). */
const launchIdle: Handler = (c, key) => {
  if (key.name === 'esc' || key.name === 'q') {
    c.launch.close();
    return true;
  }
  return false;
};

const deletePrompt = lineEditor(
  (action) => ({ type: 'delete/edit', action }),
  (c) => void c.confirmDelete(),
  (c) => c.dispatch({ type: 'delete/close' }),
);

const terminatePrompt = lineEditor(
  (action) => ({ type: 'monitor/terminate/edit', action }),
  (c) => void c.monitor.confirmTerminate(),
  (c) => c.dispatch({ type: 'monitor/terminate/close' }),
);

const captureName = lineEditor(
  (action) => ({ type: 'monitor/capture/edit', action }),
  (c) => void c.monitor.confirmCapture(),
  (c) => c.dispatch({ type: 'monitor/capture/close' }),
);

/** The capture prompt: the image's name as a line; Tab and Shift+Tab choose its label, Ctrl+N no-reboot. */
const capturePrompt: Handler = (c, key) => {
  if (key.name === 'tab' || key.name === 'shift+tab') {
    c.dispatch({ type: 'monitor/capture/label', delta: key.name === 'tab' ? 1 : -1 });
    return true;
  }
  if (key.name === 'ctrl+n') {
    c.dispatch({ type: 'monitor/capture/no-reboot' });
    return true;
  }
  return captureName(c, key);
};

const monitorPane: Handler = (c, key) => {
  const command = resolve('monitor', key.name);
  if (command === undefined) return false;
  if (refuseReadOnly(c, command)) return true;
  switch (command) {
    case Command.Down:
      c.monitor.move(1);
      return true;
    case Command.Up:
      c.monitor.move(-1);
      return true;
    case Command.PageDown:
      c.monitor.move(c.pageRows);
      return true;
    case Command.PageUp:
      c.monitor.move(-c.pageRows);
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
      c.monitor.startTerminate();
      return true;
    case Command.PollNow:
      c.monitor.pollNow();
      return true;
    case Command.CancelJob:
      void c.launch.cancelNewestJob();
      return true;
    default:
      return false;
  }
};

const serverDetail: Handler = (c, key) => {
  const command = resolve('detail', key.name);
  if (command === undefined) return false;
  if (refuseReadOnly(c, command)) return true;
  const delta = scrollDelta(command, c);
  if (delta !== undefined) {
    c.dispatch({ type: 'monitor/scroll', delta, max: DETAIL_ROWS() });
    return true;
  }
  switch (command) {
    case Command.Capture:
      c.monitor.startCapture();
      return true;
    case Command.Terminate:
      c.monitor.startTerminate();
      return true;
    case Command.Close:
      c.monitor.closeDetail();
      return true;
    default:
      return false;
  }
};

const riskPane: Handler = (c, key) => {
  const delta = scrollDelta(resolve('risk', key.name), c);
  if (delta === undefined) return false;
  c.dispatch({ type: 'risk/scroll', delta, max: RISK_ROWS() });
  return true;
};

/** Handles one key press, top of the priority stack first. Exported for tests. */
export function handleKey(c: Controller, key: KeyPress): void {
  const s = c.state;
  const stack: Handler[] = [];
  if (s.modal?.kind === 'help') stack.push(helpModal);
  else if (s.modal?.kind === 'info') stack.push(infoModal);
  else if (s.modal?.kind === 'palette') stack.push(paletteModal);
  else if (s.modal?.kind === 'command') stack.push(commandModal);
  else if (s.deleteImage && s.pane === 'images') stack.push(deletePrompt);
  else if (s.reconcile && s.pane === 'images') stack.push(reconcilePrompt);
  else if (s.pane === 'launch' && s.launch) {
    const form = s.launch;
    if (form.stage === 'form') stack.push(form.picker ? launchPicker : launchForm);
    else if (form.stage === 'review') stack.push(form.recipe ? recipeName : launchReview, global);
    else if (form.stage === 'done') stack.push(launchResult, global);
    else if (form.stage === 'launching') stack.push(() => key.name === 'ctrl+c' && (c.quit(), true));
    else stack.push(launchIdle, global);
  } else if (s.pane === 'monitor') {
    if (s.monitor.terminate) stack.push(terminatePrompt);
    else if (s.monitor.capture) stack.push(capturePrompt);
    else stack.push(s.monitor.detail ? serverDetail : monitorPane, global);
  } else if (s.pane === 'risk') stack.push(riskPane, global);
  else if (s.rename) stack.push(renameEditor);
  else if (s.filter.editing) stack.push(filterEditor);
  else stack.push(listPane, global);
  for (const handler of stack) if (handler(c, key)) return;
}

/** Pasted text goes to whichever editor is open, as one insertion (newlines become spaces). */
export function handlePaste(c: Controller, text: string): void {
  const s = c.state;
  if (s.modal?.kind === 'command') c.dispatch({ type: 'command/edit', action: { insert: text } });
  else if (s.deleteImage) c.dispatch({ type: 'delete/edit', action: { insert: text } });
  else if (s.pane === 'monitor' && s.monitor.terminate) c.dispatch({ type: 'monitor/terminate/edit', action: { insert: text } });
  else if (s.pane === 'monitor' && s.monitor.capture) c.dispatch({ type: 'monitor/capture/edit', action: { insert: text } });
  else if (s.pane === 'launch' && s.launch?.picker) c.dispatch({ type: 'launch/picker/filter', action: { insert: text } });
  else if (s.pane === 'launch' && s.launch?.recipe) c.dispatch({ type: 'launch/recipe/edit', action: { insert: text } });
  else if (s.pane === 'launch' && s.launch?.stage === 'form' && isTextField(s.launch, s.launch.focus)) c.dispatch({ type: 'launch/edit', action: { insert: text } });
  else if (s.rename) c.dispatch({ type: 'rename/edit', action: { insert: text } });
  else if (s.filter.editing) {
    c.dispatch({ type: 'filter/edit', action: { insert: text } });
    c.scheduleSearch();
  }
}

export function InputDispatcher(): null {
  const c = useController();
  useInput((input, key) => {
    for (const press of keyPresses(input, key)) handleKey(c, press);
  });
  usePaste((text) => handlePaste(c, text));
  return null;
}
