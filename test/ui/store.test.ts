// The store: the reducer applies at once; listeners hear of a burst of changes once.
import { describe, expect, it } from 'vitest';
import type { Action } from '../../source/ui/state/reducer.js';
import type { AppState } from '../../source/ui/state/state.js';
import { createStore } from '../../source/ui/state/store.js';

const count = (s: AppState) => (s as unknown as { n: number }).n;
const add = (s: AppState, a: Action) => ((a as unknown as { type: string }).type === 'same' ? s : ({ n: count(s) + 1 } as unknown as AppState));
const action = (type: string) => ({ type }) as unknown as Action;

describe('the store', () => {
  it('applies each dispatch at once and tells its listeners once per turn, after the burst', async () => {
    const store = createStore({ n: 0 } as unknown as AppState, add);
    const heard: number[] = [];
    store.subscribe(() => heard.push(count(store.getState())));
    for (let i = 1; i <= 5; i++) {
      store.dispatch(action('add'));
      expect(count(store.getState())).toBe(i); // a key handler reads the state the previous key left
    }
    expect(heard).toEqual([]);
    await Promise.resolve();
    expect(heard).toEqual([5]);
    store.dispatch(action('same')); // no change, no notification
    await Promise.resolve();
    expect(heard).toEqual([5]);
  });

  it('does not call a listener that unsubscribed before the notification', async () => {
    const store = createStore({ n: 0 } as unknown as AppState, add);
    const heard: string[] = [];
    const off = store.subscribe(() => heard.push('a'));
    store.subscribe(() => {
      heard.push('b');
      off();
    });
    store.dispatch(action('add'));
    off();
    await Promise.resolve();
    expect(heard).toEqual(['b']);
  });
});
