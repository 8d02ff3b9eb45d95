import { describe, expect, it } from 'vitest';
import { bindingsFor, Command, displayKey, KEYMAP, keyPresses, resolve, type InkKey } from '../../source/ui/keymap.js';

const none: InkKey = {
  upArrow: false, downArrow: false, leftArrow: false, rightArrow: false, pageDown: false, pageUp: false,
  home: false, end: false, return: false, escape: false, ctrl: false, shift: false, tab: false,
  backspace: false, delete: false, meta: false,
};
const k = (over: Partial<InkKey>): InkKey => ({ ...none, ...over });

describe('keyPresses', () => {
  it('splits text that arrived in one read into one key each', () => {
    expect(keyPresses('jjk', none).map((p) => p.name)).toEqual(['j', 'j', 'k']);
    expect(keyPresses('ab c', none).map((p) => p.text)).toEqual(['a', 'b', ' ', 'c']);
  });
  it('names special keys', () => {
    expect(keyPresses('', k({ downArrow: true }))[0].name).toBe('down');
    expect(keyPresses('', k({ pageDown: true }))[0].name).toBe('pgdn');
    expect(keyPresses('\r', k({ return: true }))[0].name).toBe('enter');
    expect(keyPresses('', k({ escape: true }))[0].name).toBe('esc');
    expect(keyPresses('', k({ tab: true, shift: true }))[0].name).toBe('shift+tab');
    expect(keyPresses('c', k({ ctrl: true }))[0].name).toBe('ctrl+c');
    expect(keyPresses('', k({ backspace: true }))[0].name).toBe('backspace');
    expect(keyPresses('G', k({ shift: true }))[0]).toEqual({ name: 'G', text: 'G' });
  });
  it('turns control characters inside a run of text into Ctrl keys', () => {
    expect(keyPresses('r\u0015ab\u0017', none).map((p) => p.name)).toEqual(['r', 'ctrl+u', 'a', 'b', 'ctrl+w']);
    expect(keyPresses('a\u001cb', none).map((p) => p.name)).toEqual(['a', 'b']);
  });
});

describe('keymap', () => {
  it('resolves per context, and the command line inherits line editing', () => {
    expect(resolve('list', 'j')).toBe(Command.Down);
    expect(resolve('list', 'down')).toBe(Command.Down);
    expect(resolve('global', 'q')).toBe(Command.Quit);
    expect(resolve('editor', 'ctrl+w')).toBe(Command.DeleteWord);
    expect(resolve('command', 'ctrl+w')).toBe(Command.DeleteWord);
    expect(resolve('command', 'tab')).toBe(Command.Complete);
    expect(resolve('list', 'x')).toBeUndefined();
  });
  it('has no key bound twice in one context', () => {
    const seen = new Set<string>();
    for (const b of KEYMAP) {
      for (const key of b.keys) {
        const id = `${b.context}:${key}`;
        expect(seen.has(id), id).toBe(false);
        seen.add(id);
      }
    }
  });
  it('marks renaming and labelling as mutating (read-only disables them)', () => {
    const mutating = KEYMAP.filter((b) => b.mutating).map((b) => b.command);
    expect(mutating).toEqual(expect.arrayContaining([Command.Rename, Command.Label]));
    expect(bindingsFor('list').find((b) => b.command === Command.Down)?.mutating).toBeFalsy();
  });
  it('lists every context of the keymap in the help, so every binding is documented', async () => {
    const { helpLines } = await import('../../source/ui/components/HelpOverlay.js');
    const lines = helpLines({ disabledReason: () => undefined }, { readOnly: false, renameNative: true, tags: true, canImport: true });
    for (const b of KEYMAP) {
      if (b.context === 'small') continue;
      expect(lines.some((l) => l.kind === 'binding' && l.text.startsWith(b.description)), `${b.context}: ${b.description}`).toBe(true);
    }
  });
  it('shows keys readably', () => {
    expect(displayKey('ctrl+c')).toBe('Ctrl+C');
    expect(displayKey('pgdn')).toBe('PgDn');
    expect(displayKey('j')).toBe('j');
  });
});
