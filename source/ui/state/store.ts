// A small synchronous store: dispatch applies the reducer at once, so a key handler always sees the state
// that the previous key left (no stale closures, no lost keys when several arrive in one read).
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
  return {
    getState: () => state,
    dispatch(action) {
      const next = reduce(state, action);
      if (next === state) return;
      state = next;
      for (const listener of listeners) listener();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
