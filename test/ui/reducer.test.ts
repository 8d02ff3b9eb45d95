import { describe, expect, it } from 'vitest';
import type { CatalogueImage } from '../../source/services/catalogue.js';
import { Command } from '../../source/ui/keymap.js';
import { reducer, type Action } from '../../source/ui/state/reducer.js';
import { ImageRows } from '../../source/services/rows.js';
import { loadingLine, selectedImage, selectView } from '../../source/ui/state/selectors.js';
import { initialState, type AppState } from '../../source/ui/state/state.js';

function image(id: string, name: string, extra: Partial<CatalogueImage> = {}): CatalogueImage {
  return {
    id, name, shownName: name, nameSource: 'provider', kind: 'own', owner: 'me', architecture: 'x86_64',
    state: 'available', createdAt: '2026-11-01T00:00:00Z', owned: true, tags: {}, sharedMeta: true, ...extra,
  };
}

const run = (state: AppState, ...actions: Action[]) => actions.reduce(reducer, state);
const start = () => initialState({ providerId: 'sandbox', region: 'eu-west' });
const items = [image('img-1', 'ubuntu-web'), image('img-2', 'debian-db'), image('img-3', 'ubuntu-cache')];

function loaded(): AppState {
  return run(start(), { type: 'images/loading', scope: 'own', generation: 1 }, { type: 'images/page', scope: 'own', generation: 1, items, complete: true, total: 3 });
}

describe('reducer', () => {
  it('loads pages and drops pages of an older load', () => {
    let s = run(start(), { type: 'images/loading', scope: 'own', generation: 1 });
    expect(s.scopes.own.loading).toBe(true);
    s = run(s, { type: 'images/page', scope: 'own', generation: 1, items: items.slice(0, 2), complete: false, total: 3 });
    s = run(s, { type: 'images/loading', scope: 'own', generation: 2 });
    s = run(s, { type: 'images/page', scope: 'own', generation: 1, items: items.slice(2), complete: true });
    expect(s.scopes.own.rows.items).toEqual([]);
    s = run(s, { type: 'images/page', scope: 'own', generation: 2, items, complete: true });
    expect(s.scopes.own).toMatchObject({ loading: false, complete: true });
    expect(s.scopes.own.rows.items).toHaveLength(3);
  });

  it('shows a stored copy while a new one loads behind it, then swaps it in whole', () => {
    const stored = ImageRows.of(items);
    let s = run(start(), { type: 'session/ready', description: { region: 'eu-west' } as never }, { type: 'scope/set', scope: 'public' });
    s = run(s, { type: 'images/loading', scope: 'public', generation: 4 });
    s = run(s, { type: 'images/stored', scope: 'public', generation: 4, rows: stored, storedAt: Date.now() - 3 * 3_600_000, total: 3, capped: false });
    expect(s.scopes.public).toMatchObject({ loading: true, complete: true, fetched: 0 });
    expect(s.scopes.public.rows).toBe(stored);
    expect(loadingLine(s)).toBe('stored 3 h ago · loading 0/3');
    // The new copy's pages are progress: the rows shown stay the stored ones.
    const growing = ImageRows.of(items.slice(0, 2));
    s = run(s, { type: 'images/page', scope: 'public', generation: 4, rows: growing, total: 3, complete: false });
    expect(s.scopes.public.rows).toBe(stored);
    expect(loadingLine(s)).toBe('stored 3 h ago · loading 2/3');
    // A page of an older load is dropped.
    s = run(s, { type: 'images/page', scope: 'public', generation: 3, rows: ImageRows.EMPTY, total: 0, complete: true });
    expect(s.scopes.public.rows).toBe(stored);
    const fresh = ImageRows.of([...items, image('img-4', 'new')]);
    s = run(s, { type: 'images/page', scope: 'public', generation: 4, rows: fresh, total: 4, complete: true });
    expect(s.scopes.public).toMatchObject({ loading: false, complete: true, storedAt: undefined, fetched: undefined, total: 4 });
    expect(s.scopes.public.rows).toBe(fresh);
    expect(loadingLine(s)).toBeUndefined();
  });

  it('keeps showing a stored copy, marked with its age, when the new load fails', () => {
    let s = run(start(), { type: 'session/ready', description: { region: 'eu-west' } as never }, { type: 'scope/set', scope: 'public' });
    s = run(s, { type: 'images/loading', scope: 'public', generation: 1 });
    s = run(s, { type: 'images/stored', scope: 'public', generation: 1, rows: ImageRows.of(items), storedAt: Date.now() - 2 * 86_400_000, capped: false });
    s = run(s, { type: 'images/error', scope: 'public', generation: 1, message: 'The provider is throttling' });
    expect(s.scopes.public.rows.count).toBe(3);
    expect(loadingLine(s)).toBe('stored 2 d ago');
  });

  it('keeps the imports in flight, in order, until each ends', () => {
    let s = run(start(), { type: 'import/start', id: 1, name: 'a', path: '/x/a.img' }, { type: 'import/start', id: 2, name: 'b', path: '/x/b.img' });
    expect(s.imports).toEqual([{ id: 1, name: 'a', path: '/x/a.img' }, { id: 2, name: 'b', path: '/x/b.img' }]);
    s = run(s, { type: 'import/end', id: 1 });
    expect(s.imports.map((i) => i.name)).toEqual(['b']);
    expect(run(s, { type: 'import/end', id: 7 })).toBe(s);
    expect(run(s, { type: 'import/end', id: 2 }).imports).toEqual([]);
  });

  it('moves within the view and clamps at both ends', () => {
    let s = loaded();
    s = run(s, { type: 'move', delta: 1, count: 3 }, { type: 'move', delta: 1, count: 3 }, { type: 'move', delta: 1, count: 3 });
    expect(s.selected.own).toBe(2);
    s = run(s, { type: 'move', delta: -10, count: 3 });
    expect(s.selected.own).toBe(0);
    s = run(s, { type: 'move/to', index: 2, count: 3 });
    expect(selectedImage(s)?.id).toBe('img-3');
  });

  it('filters as the filter is typed and resets the selection', () => {
    let s = run(loaded(), { type: 'move/to', index: 1, count: 3 }, { type: 'filter/open' });
    for (const ch of 'ubu') s = run(s, { type: 'filter/edit', action: { insert: ch } });
    expect(s.selected.own).toBe(0);
    expect(selectView(s).indices.map((i) => s.scopes.own.rows.at(i)!.id)).toEqual(['img-1', 'img-3']);
    s = run(s, { type: 'filter/edit', action: { command: Command.DeleteBack } });
    expect(s.filter.editor.text).toBe('ub');
    s = run(s, { type: 'filter/close', keep: true });
    expect(s.overlay).toBeUndefined();
    expect(s.filter).toMatchObject({ editor: { text: 'ub' } });
    s = run(s, { type: 'filter/close', keep: false });
    expect(s.filter.editor.text).toBe('');
    expect(selectView(s).indices).toHaveLength(3);
  });

  it('opens an inline rename with the shown name and keeps the editor on a refused name', () => {
    let s = run(loaded(), { type: 'rename/open', image: items[1] });
    expect(s.overlay).toMatchObject({ kind: 'rename', imageId: 'img-2', editor: { text: 'debian-db' } });
    s = run(s, { type: 'overlay/edit', action: { insert: '$' } });
    s = run(s, { type: 'overlay/error', kind: 'rename', message: 'Name refused: "$" is not allowed' });
    expect(s.overlay).toMatchObject({ kind: 'rename', error: 'Name refused: "$" is not allowed', editor: { text: 'debian-db$' } });
    // Typing again clears the refusal.
    s = run(s, { type: 'overlay/edit', action: { insert: 'x' } });
    expect(s.overlay).toMatchObject({ editor: { text: 'debian-db$x' } });
    expect(s.overlay && 'error' in s.overlay ? s.overlay.error : undefined).toBeUndefined();
    // A refusal meant for another prompt, or a close of another kind, changes nothing.
    expect(run(s, { type: 'overlay/error', kind: 'delete', message: 'x' })).toBe(s);
    expect(run(s, { type: 'overlay/close', kind: 'capture' })).toBe(s);
    s = run(s, { type: 'overlay/close', kind: 'rename' });
    expect(s.overlay).toBeUndefined();
  });

  it('holds one overlay at a time', () => {
    let s = run(loaded(), { type: 'filter/open' });
    expect(s.overlay).toEqual({ kind: 'filter' });
    s = run(s, { type: 'overlay/open', overlay: { kind: 'messages', scroll: 0 } });
    expect(s.overlay?.kind).toBe('messages');
    s = run(s, { type: 'overlay/close' });
    expect(s.overlay).toBeUndefined();
  });

  it('keeps what was said, and what has been seen', () => {
    let s = start();
    s = run(s, { type: 'message/add', message: { id: 1, level: 'error', text: 'one', at: 1 } }, { type: 'message/add', message: { id: 2, level: 'info', text: 'two', at: 2 } });
    expect(s.messages.map((m) => m.text)).toEqual(['one', 'two']);
    expect(s.seenMessageId).toBe(0);
    s = run(s, { type: 'message/seen' });
    expect(s.seenMessageId).toBe(2);
    for (let id = 3; id <= 120; id++) s = run(s, { type: 'message/add', message: { id, level: 'info', text: `m${id}`, at: id } });
    expect(s.messages).toHaveLength(100);
    expect(s.messages[99].id).toBe(120);
  });

  it('scrolls an overlay from where it shows, also when it opened at the end', () => {
    let s = run(start(), { type: 'overlay/open', overlay: { kind: 'messages', scroll: Number.MAX_SAFE_INTEGER } });
    s = run(s, { type: 'overlay/scroll', delta: -1, max: 10 });
    expect(s.overlay).toMatchObject({ scroll: 9 });
    s = run(s, { type: 'overlay/scroll', delta: 0, max: 10, to: 'top' });
    expect(s.overlay).toMatchObject({ scroll: 0 });
    s = run(s, { type: 'overlay/scroll', delta: 0, max: 10, to: 'bottom' });
    expect(s.overlay).toMatchObject({ scroll: 10 });
  });

  it('replaces an image everywhere it is listed', () => {
    const renamed = { ...items[0], shownName: 'web', nameSource: 'tag' as const };
    const s = run(loaded(), { type: 'images/replace', image: renamed });
    expect(s.scopes.own.rows.at(0)!.shownName).toBe('web');
    // The filter reads the new name.
    expect(selectView(run(s, { type: 'filter/edit', action: { insert: 'web' } })).indices).toEqual([0]);
  });

  it('merges provider search results without duplicates', () => {
    const s = run(loaded(), { type: 'images/merge', scope: 'own', items: [items[0], image('img-9', 'found')] });
    expect(s.scopes.own.rows.items!.map((i) => i.id)).toEqual(['img-1', 'img-2', 'img-3', 'img-9']);
  });

  it('cycles the palette through the colours and none', () => {
    let s = run(loaded(), { type: 'overlay/open', overlay: { kind: 'palette', imageId: 'img-1', index: 0 } });
    s = run(s, { type: 'palette/move', delta: -1 });
    expect(s.overlay).toMatchObject({ kind: 'palette', index: 10 });
    s = run(s, { type: 'palette/move', delta: 1 });
    expect(s.overlay).toMatchObject({ index: 0 });
  });

  it('keeps a command history and walks it', () => {
    let s = run(start(), { type: 'command/ran', line: 'region us-east' }, { type: 'command/ran', line: 'public' });
    s = run(s, { type: 'overlay/open', overlay: { kind: 'command', editor: { text: '', cursor: 0 }, historyIndex: -1 } });
    s = run(s, { type: 'command/history', delta: 1 });
    expect(s.overlay).toMatchObject({ editor: { text: 'public' } });
    s = run(s, { type: 'command/history', delta: 1 });
    expect(s.overlay).toMatchObject({ editor: { text: 'region us-east' } });
    s = run(s, { type: 'command/history', delta: -2 });
    expect(s.overlay).toMatchObject({ editor: { text: '' } });
  });

  it('clears every scope when the session changes', () => {
    const s = run(loaded(), { type: 'session/connecting', providerId: 'sandbox', region: 'us-east' });
    expect(s.scopes.own.rows.count).toBe(0);
    expect(s.session.status).toBe('connecting');
  });
});
