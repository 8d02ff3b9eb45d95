// The launch journal: a launch is written here (with its client token) BEFORE it is sent to the provider,
// so a crash, a dropped SSH session or a retry finds it and re-sends the same token instead of starting a
// second server. States: pending (written, not yet sent) -> sent (request made, answer unknown) -> done
// (servers known) | failed (the provider refused it). done and failed are final.
//
// The spec is stored as JSON. It holds no secret by construction: keypairs are referred to by name, and
// encryption passphrases live in the keychain (secrets/), never in the LaunchSpec.
import type { DatabaseSync } from 'node:sqlite';
import { StrataError } from '../core/errors.js';
import type { LaunchSpec } from '../core/types.js';

export type JournalState = 'pending' | 'sent' | 'done' | 'failed';

export interface JournalEntry {
  clientToken: string;
  provider: string;
  region: string;
  spec: LaunchSpec;
  state: JournalState;
  serverIds: string[];
  error?: string;
  /** ISO 8601. */
  createdAt: string;
  updatedAt: string;
}

/** The journal of one provider and region (store.journal(provider, region)). */
export class LaunchJournal {
  constructor(
    private readonly db: DatabaseSync,
    readonly provider: string,
    readonly region: string,
    private readonly now: () => Date,
    private readonly transaction: <T>(fn: () => T) => T,
  ) {}

  /**
   * Records a launch before it is sent, in state pending. Idempotent: where the token is already in the
   * journal, the existing entry is returned unchanged (the caller resumes it rather than starting anew).
   */
  begin(clientToken: string, spec: LaunchSpec): JournalEntry {
    if (typeof clientToken !== 'string' || clientToken.length === 0) {
      throw new StrataError('Invalid', 'A launch needs a client token.', { field: 'clientToken' });
    }
    return this.transaction(() => {
      const existing = this.get(clientToken);
      if (existing) return existing;
      const other = this.row(clientToken);
      if (other) {
        throw new StrataError(
          'Conflict',
          `The client token ${clientToken} is already used by a launch on ${String(other.provider)} ${String(other.region)}.`,
        );
      }
      const at = this.now().toISOString();
      this.db
        .prepare(
          `INSERT INTO launch_journal (client_token, provider, region, spec, state, server_ids, error, created_at, updated_at)
           VALUES (?, ?, ?, ?, 'pending', '[]', NULL, ?, ?)`,
        )
        .run(clientToken, this.provider, this.region, JSON.stringify(spec), at, at);
      return this.get(clientToken)!;
    });
  }

  /** The request is about to be (or was) sent: from now on the outcome must be asked of the provider. */
  markSent(clientToken: string): JournalEntry {
    return this.move(clientToken, ['pending', 'sent'], 'sent', {});
  }

  /** The provider answered with these servers. Repeating it with the same servers is harmless. */
  markDone(clientToken: string, serverIds: string[]): JournalEntry {
    return this.move(clientToken, ['pending', 'sent', 'done'], 'done', { serverIds });
  }

  /** The provider refused the launch (or it cannot be resumed); error is one sentence for the user. */
  markFailed(clientToken: string, error: string): JournalEntry {
    return this.move(clientToken, ['pending', 'sent', 'failed'], 'failed', { error });
  }

  /** Launches of this provider and region that are pending or sent, oldest first: to resume. */
  unfinished(): JournalEntry[] {
    return this.db
      .prepare(
        `SELECT * FROM launch_journal WHERE provider = ? AND region = ? AND state IN ('pending', 'sent')
         ORDER BY created_at, rowid`,
      )
      .all(this.provider, this.region)
      .map(toEntry);
  }

  /** The entry for a token in this provider and region, if any. */
  get(clientToken: string): JournalEntry | undefined {
    const row = this.row(clientToken);
    if (!row || row.provider !== this.provider || row.region !== this.region) return undefined;
    return toEntry(row);
  }

  /** Recent launches of this provider and region, newest first. */
  list(limit = 50): JournalEntry[] {
    return this.db
      .prepare(
        `SELECT * FROM launch_journal WHERE provider = ? AND region = ? ORDER BY created_at DESC, rowid DESC LIMIT ?`,
      )
      .all(this.provider, this.region, Math.max(1, Math.floor(limit)))
      .map(toEntry);
  }

  private row(clientToken: string): Record<string, unknown> | undefined {
    return this.db.prepare('SELECT * FROM launch_journal WHERE client_token = ?').get(clientToken) as
      | Record<string, unknown>
      | undefined;
  }

  private move(
    clientToken: string,
    from: JournalState[],
    to: JournalState,
    change: { serverIds?: string[]; error?: string },
  ): JournalEntry {
    return this.transaction(() => {
      const entry = this.get(clientToken);
      if (!entry) throw new StrataError('NotFound', `No launch with client token ${clientToken} is in the journal.`);
      if (!from.includes(entry.state)) {
        throw new StrataError(
          'Conflict',
          `The launch ${clientToken} is already ${entry.state}; it cannot be marked ${to}.`,
        );
      }
      if (
        to === 'done' &&
        entry.state === 'done' &&
        JSON.stringify([...entry.serverIds].sort()) !== JSON.stringify([...(change.serverIds ?? [])].sort())
      ) {
        throw new StrataError('Conflict', `The launch ${clientToken} is already done with other servers.`);
      }
      const serverIds = change.serverIds ?? entry.serverIds;
      if (!Array.isArray(serverIds) || serverIds.some((id) => typeof id !== 'string')) {
        throw new StrataError('Invalid', 'Server ids must be strings.', { field: 'serverIds' });
      }
      const error = change.error ?? entry.error ?? null;
      this.db
        .prepare('UPDATE launch_journal SET state = ?, server_ids = ?, error = ?, updated_at = ? WHERE client_token = ?')
        .run(to, JSON.stringify(serverIds), error, this.now().toISOString(), clientToken);
      return this.get(clientToken)!;
    });
  }
}

function toEntry(row: Record<string, unknown>): JournalEntry {
  const entry: JournalEntry = {
    clientToken: String(row.client_token),
    provider: String(row.provider),
    region: String(row.region),
    spec: JSON.parse(String(row.spec)) as LaunchSpec,
    state: String(row.state) as JournalState,
    serverIds: JSON.parse(String(row.server_ids)) as string[],
    createdAt: String(row.created_at),
    updatedAt: String(row.updated_at),
  };
  if (row.error !== null && row.error !== undefined) entry.error = String(row.error);
  return entry;
}
