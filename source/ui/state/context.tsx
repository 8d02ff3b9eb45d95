// React contexts for the state store and for the controller (the actions the UI can take).
import { createContext, useContext, useSyncExternalStore } from 'react';
import type { Controller } from './controller.js';
import type { AppState } from './state.js';
import type { AppStore } from './store.js';
import { createTheme, type Theme } from '../theme.js';

export const StoreContext = createContext<AppStore | null>(null);
export const ControllerContext = createContext<Controller | null>(null);

export function useStore(): AppStore {
  const store = useContext(StoreContext);
  if (!store) throw new Error('useStore outside StoreContext');
  return store;
}

export function useAppState<T>(select: (state: AppState) => T): T {
  const store = useStore();
  return useSyncExternalStore(store.subscribe, () => select(store.getState()));
}

export function useController(): Controller {
  const controller = useContext(ControllerContext);
  if (!controller) throw new Error('useController outside ControllerContext');
  return controller;
}

export const ThemeContext = createContext<Theme>(createTheme('none'));

export function useTheme(): Theme {
  return useContext(ThemeContext);
}
