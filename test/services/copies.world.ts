// Two regions of one REAL sandbox world on a home, each a real session (store, catalogue, capturer), and the
// copy service into the second: for the copy tests and for the child process of the copy crash tests (so
// no vitest import here).
import { Session } from '../../source/services/session.js';
import { copiesFor, type Copies } from '../../source/services/copies.js';
import type { Store } from '../../source/store/db.js';

export const SEED = 7;
/** Simulated seconds per real second: a copy (one to two simulated minutes) is available in tens of ms. */
export const SPEED = 5000;
export const POLL_MS = 10;

export interface CopyWorld {
  home: string;
  from: Session;
  to: Session;
  copies: Copies;
  close(): Promise<void>;
}

export async function copyWorld(home: string, store: Store, options: { fromRegion?: string; toRegion?: string; readOnlySource?: string } = {}): Promise<CopyWorld> {
  const retry = { attempts: 40, baseDelayMs: 1, maxDelayMs: 5 };
  const base = { providerId: 'sandbox', home, sandboxSeed: SEED, sandboxSpeed: SPEED, retry };
  const from = await Session.open({ ...base, region: options.fromRegion ?? 'eu-west' }, store);
  const to = await Session.open(
    { ...base, region: options.toRegion ?? 'us-east', ...(options.readOnlySource ? { readOnly: true, readOnlySource: options.readOnlySource, source: options.readOnlySource } : {}) },
    store,
  );
  const copies = copiesFor(to, { pollMs: POLL_MS, maxBackoffMs: 50 });
  return {
    home,
    from,
    to,
    copies,
    async close() {
      await from.close();
      await to.close();
    },
  };
}
