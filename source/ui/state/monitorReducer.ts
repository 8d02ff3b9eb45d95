// The monitor's part of the state: servers as the watcher last saw them, the selection, the server detail,
// captures in progress, safe-workflow jobs. (The typed confirmations for terminate and capture are overlays.)
import type { Image, Server } from '../../core/types.js';
import type { AppState, MonitorState } from './state.js';

export type MonitorAction =
  | { type: 'monitor/servers'; servers: Server[] }
  | { type: 'monitor/status'; status: MonitorState['status'] }
  | { type: 'monitor/move'; delta: number }
  | { type: 'monitor/move-to'; index: number }
  | { type: 'monitor/detail'; serverId?: string }
  | { type: 'monitor/console'; serverId: string; text?: string; error?: string }
  | { type: 'monitor/scroll'; delta: number; max: number }
  | { type: 'monitor/capture/progress'; imageId: string; line?: string }
  | { type: 'monitor/images'; images: Record<string, Image | null> }
  | { type: 'monitor/job'; job: { id: string; state: string; line: string } }
  /** f in the detail: its console is read again and again, the view kept at its end (Esc stops). */
  | { type: 'monitor/follow'; following: boolean };

function clamp(n: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, n));
}

function withMonitor(state: AppState, change: Partial<MonitorState>): AppState {
  return { ...state, monitor: { ...state.monitor, ...change } };
}

export function monitorReducer(state: AppState, action: MonitorAction): AppState {
  const m = state.monitor;
  switch (action.type) {
    case 'monitor/servers': {
      // Keep the selection on the same server when the list changes under it.
      const current = m.servers[m.selected]?.id;
      const at = current ? action.servers.findIndex((s) => s.id === current) : -1;
      return withMonitor(state, { servers: action.servers, selected: at >= 0 ? at : clamp(m.selected, 0, Math.max(0, action.servers.length - 1)) });
    }
    case 'monitor/status':
      return withMonitor(state, { status: action.status });
    case 'monitor/move':
      return withMonitor(state, { selected: clamp(m.selected + action.delta, 0, Math.max(0, m.servers.length - 1)) });
    case 'monitor/move-to':
      return withMonitor(state, { selected: clamp(action.index < 0 ? m.servers.length - 1 : action.index, 0, Math.max(0, m.servers.length - 1)) });
    case 'monitor/detail':
      return withMonitor(state, { detail: action.serverId ? { serverId: action.serverId, scroll: 0 } : undefined });
    case 'monitor/console':
      if (m.detail?.serverId !== action.serverId) return state;
      return withMonitor(state, { detail: { ...m.detail, console: action.text, consoleError: action.error } });
    case 'monitor/scroll':
      return m.detail ? withMonitor(state, { detail: { ...m.detail, scroll: clamp(m.detail.scroll + action.delta, 0, Math.max(0, action.max)) } }) : state;
    case 'monitor/capture/progress': {
      const captures = { ...m.captures };
      if (action.line === undefined) delete captures[action.imageId];
      else captures[action.imageId] = action.line;
      return withMonitor(state, { captures });
    }
    case 'monitor/images':
      return withMonitor(state, { images: { ...m.images, ...action.images } });
    case 'monitor/job': {
      const others = m.jobs.filter((j) => j.id !== action.job.id);
      return withMonitor(state, { jobs: [action.job, ...others].slice(0, 20) });
    }
    case 'monitor/follow':
      return m.detail && (m.detail.following ?? false) !== action.following ? withMonitor(state, { detail: { ...m.detail, following: action.following } }) : state;
    default: {
      const never: never = action;
      return never;
    }
  }
}
