// The one input dispatcher: every key and every paste goes through here to the handlers that route(state)
// gives for what is on screen (ui/routes.ts): an overlay or a prompt, else the pane, then the global
// bindings. Keys are resolved through the keymap; nothing here compares raw characters.
import { useInput, usePaste } from 'ink';
import { keyPresses, type KeyPress } from './keymap.js';
import { route } from './routes.js';
import { useController } from './state/context.js';
import type { Controller } from './state/controller.js';

/** Handles one key press. A key also marks what was said before it as seen. Exported for tests. */
export function handleKey(c: Controller, key: KeyPress): void {
  c.dispatch({ type: 'message/seen' });
  for (const handler of route(c.state, c.size).handlers) if (handler(c, key)) return;
}

/** Pasted text goes to whichever editor is open, as one insertion (newlines become spaces). */
export function handlePaste(c: Controller, text: string): void {
  c.dispatch({ type: 'message/seen' });
  const paste = route(c.state, c.size).paste;
  if (paste) paste(c, text);
  else c.say('info', 'Nothing takes a paste here: open an editor first (/ filters, r renames, : runs a command).');
}

export function InputDispatcher(): null {
  const c = useController();
  useInput((input, key) => {
    for (const press of keyPresses(input, key)) handleKey(c, press);
  });
  usePaste((text) => handlePaste(c, text));
  return null;
}
