// Waiting for servers: the session's watcher (one batched poll for every server of the region, fast while
// any is on its way, backing off while the provider throttles) until each is ready or terminated. Its
// progress is one line on stderr (a terminal only); --ndjson gets each phase change as an event.
import { describeError } from '../core/errors.js';
import { formatDuration, readinessOf } from '../core/readiness.js';
import { sanitize } from '../core/sanitize.js';
import type { Server } from '../core/types.js';
import type { Session } from '../services/session.js';
import { EXIT, type Context } from './context.js';
import { serverRow, type ServerRow } from './rows.js';

export type WaitTarget = 'ready' | 'terminated';

export interface WaitResult {
  code: number;
  /** The document's payload (kind "wait"). */
  payload: {
    for: WaitTarget;
    done: boolean;
    timedOut: boolean;
    servers: (ServerRow & { reached: boolean })[];
    missing: string[];
    failed: string[];
  };
  sentence: string;
}

/** Waits until every server reaches the target, one fails on the way (exit 1), is unknown (3), or time runs out (5). */
export function waitForServers(ctx: Context, session: Session, ids: readonly string[], target: WaitTarget, timeoutMs?: number): Promise<WaitResult> {
  const { out } = ctx;
  const wanted = [...new Set(ids)];
  const expected = session.description.capabilities.servers.expectedReadySeconds;
  const watcher = session.watcher();
  const latest = new Map<string, Server>();
  const gone = new Set<string>();
  let answered = false;
  let lastError: string | undefined;
  const started = Date.now();

  return new Promise<WaitResult>((resolve) => {
    let finished = false;
    const reached = (id: string) => {
      const s = latest.get(id);
      return target === 'ready' ? s?.phase === 'ready' : gone.has(id) || s?.phase === 'terminated';
    };
    const failedOnTheWay = (id: string) => target === 'ready' && (gone.has(id) || latest.get(id)?.phase === 'failed' || latest.get(id)?.phase === 'terminated');

    const finish = (code: number, sentence: string, timedOut = false) => {
      if (finished) return;
      finished = true;
      clearInterval(tick);
      if (timer) clearTimeout(timer);
      watcher.stop();
      out.done();
      const missing = wanted.filter((id) => !latest.has(id));
      const failed = wanted.filter(failedOnTheWay);
      resolve({
        code,
        sentence,
        payload: {
          for: target,
          done: code === EXIT.done,
          timedOut,
          servers: wanted.filter((id) => latest.has(id)).map((id) => ({ ...serverRow(latest.get(id)!, expected), reached: reached(id) })),
          missing: missing.map((id) => sanitize(id, 256)),
          failed: failed.map((id) => sanitize(id, 256)),
        },
      });
    };

    const render = () => {
      if (finished) return;
      if (!answered) {
        out.progress(lastError ? `waiting for the provider: ${lastError}` : `asking ${session.description.displayName} ${session.region} for ${wanted.length} server${wanted.length === 1 ? '' : 's'}…`);
        return;
      }
      const done = wanted.filter(reached).length;
      const next = wanted.map((id) => latest.get(id)).find((s) => s && !reached(s.id));
      const detail = next ? ` · ${sanitize(next.name, 40)} ${readinessOf(next, next.observedAt ? Date.parse(next.observedAt) || Date.now() : Date.now(), expected).label}` : '';
      const trouble = lastError ? ` · ${lastError}` : '';
      out.progress(`waiting ${formatDuration(Date.now() - started)} for ${wanted.length} server${wanted.length === 1 ? '' : 's'} to be ${target}: ${done} ${target}${detail}${trouble}`);
    };

    const check = () => {
      if (finished || !answered) return;
      const listed = new Map(watcher.servers().map((s) => [s.id, s]));
      for (const id of wanted) {
        const s = listed.get(id);
        if (s) latest.set(id, s);
        else if (latest.has(id)) gone.add(id);
      }
      const unknown = wanted.filter((id) => !latest.has(id));
      if (unknown.length) {
        finish(EXIT.notFound, `No server ${unknown.map((id) => sanitize(id, 128)).join(', ')} in ${session.description.displayName} ${session.region}.`);
        return;
      }
      const failed = wanted.filter(failedOnTheWay);
      if (failed.length) {
        const s = latest.get(failed[0]!)!;
        const why = gone.has(s.id) ? 'is gone' : s.phase === 'failed' ? `failed${s.failureReason ? `: ${sanitize(s.failureReason, 300)}` : ''}` : 'was terminated';
        finish(EXIT.failed, `${sanitize(s.name, 128)} (${sanitize(s.id, 128)}) ${why}; it will not be ready.`);
        return;
      }
      if (wanted.every(reached)) {
        finish(EXIT.done, `${wanted.length === 1 ? `${sanitize(latest.get(wanted[0]!)!.name, 128)} is` : `All ${wanted.length} servers are`} ${target}.`);
        return;
      }
      render();
    };

    watcher.onChange((change) => {
      for (const c of change.changed) {
        if (!wanted.includes(c.server.id)) continue;
        out.event('server-phase', { server: serverRow(c.server, expected), from: c.from, to: c.to });
      }
      check();
    });
    watcher.onStatus((status) => {
      if (status.ok) {
        answered = true;
        lastError = undefined;
      } else {
        lastError = sanitize(status.error ?? 'the provider did not answer', 200);
        out.event('poll-failed', { error: lastError, retryInMs: status.retryInMs ?? null });
      }
      check();
      render();
    });
    // The watcher's timers never keep a process alive on their own; this one does (and moves the clock on the line).
    const tick = setInterval(render, 1000);
    const timer = timeoutMs !== undefined ? setTimeout(() => finish(EXIT.timedOut, `Stopped waiting after ${formatDuration(timeoutMs)}: ${wanted.filter((id) => !reached(id)).length} of ${wanted.length} not ${target} yet.`, true), timeoutMs) : undefined;
    try {
      watcher.start();
    } catch (error) {
      finish(EXIT.failed, describeError(error, 'Watching the servers'));
    }
  });
}
