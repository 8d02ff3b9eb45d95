// Tests press commands, not characters (as lazygit's integration tests do): the key comes from the keymap,
// so a rebinding changes what the tests press instead of breaking them unseen.
import { keyOf, type Command, type KeyContext } from '../source/ui/keymap.js';

export { Command } from '../source/ui/keymap.js';

/** The first key the keymap binds to a command in a context ('j', 'ctrl+u', 'pgdn', 'shift+tab', …). */
export function keyFor(context: KeyContext, command: Command): string {
  const key = keyOf(context, command);
  if (!key) throw new Error(`No key is bound to ${command} in the ${context} context.`);
  return key;
}
