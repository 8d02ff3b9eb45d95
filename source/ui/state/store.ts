// A small store: dispatch applies the reducer at once, so a key handler always sees the state that the
// previous key left (no stale closures, no lost keys when several arrive in one read). Listeners (React)
// hear of changes once per turn, in a microtask: a burst of keys in one read makes one render, not one
// per key.
import { reducer, type Action } from './reducer.js';
import type { AppState } from './state.js';

export interface AppStore {
  getState(): AppState;
  dispatch(action: Action): void;
  subscribe(listener: () => void): () => void;
}

export function createStore(initial: AppState, reduce: (s: AppState, a: Action) => AppState = reducer): AppStore {
  let state = initial;
  const listeners = new Set<() => void>();
  let notifying = false;
  const notify = () => {
    notifying = false;
    for (const listener of [...listeners]) if (listeners.has(listener)) listener();
  };
  return {
    getState: () => state,
    dispatch(action) {
      const next = reduce(state, action);
      if (next === state) return;
      state = next;
      if (notifying) return;
      notifying = true;
      queueMicrotask(notify);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
