// Stored copies of a provider's listing (migration 5): the public catalogue of a region, kept on disk so
// strata shows it at once on the next start (marked as stored, with its age) while it asks the provider
// again, and so the list reads only the rows it draws instead of holding every row in memory.
//
// A copy is written page by page as the pages arrive, each page in one transaction: its rows (in blocks,
// opaque to the store: the catalogue service encodes them) and its part of the search index (the rows'
// lower-cased search keys and the hashes of their ids). A copy is "loading" until its last page is written
// and it is marked "complete" in the transaction of that page; only complete copies are ever read back as
// a listing. A copy whose load stopped (quit, crash, a dropped session) stays "loading" and is deleted later.
//
// Nothing here is a secret: names, ids and the provider's public description of its images.
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { hostname } from 'node:os';
import { StrataError } from '../core/errors.js';
import { processAlive } from '../core/process.js';

/** The state of a copy as the store keeps it. */
export interface ListingCopy {
  id: number;
  provider: string;
  region: string;
  scope: string;
  state: 'loading' | 'complete';
  /** Rows written so far. */
  rows: number;
  /** What the provider said the listing holds (may be more than rows where the load was capped). */
  total?: number;
  /** The load stopped at a limit (the rest is found by searching the provider). */
  capped: boolean;
  /** The widest id of the rows (characters). */
  idWidth: number;
  /** ISO 8601. */
  startedAt: string;
  completedAt?: string;
}

/** One page as it is written: its rows in blocks, and its part of the search index. */
export interface ListingPage {
  /** The position of the page's first row (the rows written before it). */
  first: number;
  count: number;
  /** The rows' search keys, each followed by "\n". */
  keys: string;
  /** The rows' id hashes, uint32 little-endian, count of them. */
  idHashes: Uint8Array;
  /** The widest id of the page. */
  idWidth: number;
  /** The rows in blocks, in order, covering [first, first + count). */
  blocks: { first: number; count: number; data: Uint8Array }[];
}

/** A stored block of rows. */
export interface ListingBlock {
  first: number;
  count: number;
  data: Uint8Array;
}

/** How many rows a prune step deletes at most (so one step stays a few milliseconds). */
const PRUNE_ROWS = 400;

export class ListingCopies {
  private readonly statements = new Map<string, StatementSync>();

  constructor(
    private readonly db: DatabaseSync,
    private readonly now: () => Date,
    private readonly transaction: <T>(fn: () => T) => T,
    private readonly process: { pid: number; host: string } = { pid: globalThis.process.pid, host: hostname() },
  ) {}

  private sql(text: string): StatementSync {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  /** Starts a new copy of a listing: "loading", held by this process, with no rows. */
  begin(provider: string, region: string, scope: string): ListingCopy {
    for (const [field, value] of [
      ['provider', provider],
      ['region', region],
      ['scope', scope],
    ] as const) {
      if (typeof value !== 'string' || value.length === 0) {
        throw new StrataError('Invalid', `A stored listing needs a ${field}.`, { field });
      }
    }
    const at = this.now().toISOString();
    const result = this.sql(
      `INSERT INTO listing_copies (provider, region, scope, state, pid, host, started_at) VALUES (?, ?, ?, 'loading', ?, ?, ?)`,
    ).run(provider, region, scope, this.process.pid, this.process.host, at);
    return this.get(Number(result.lastInsertRowid))!;
  }

  get(id: number): ListingCopy | undefined {
    const row = this.sql('SELECT * FROM listing_copies WHERE id = ?').get(id);
    return row ? toCopy(row) : undefined;
  }

  /** The newest complete copy of a listing, or undefined. */
  latest(provider: string, region: string, scope: string): ListingCopy | undefined {
    const row = this.sql(
      `SELECT * FROM listing_copies WHERE provider = ? AND region = ? AND scope = ? AND state = 'complete'
       ORDER BY completed_at DESC, id DESC LIMIT 1`,
    ).get(provider, region, scope);
    return row ? toCopy(row) : undefined;
  }

  /**
   * Writes one page of a loading copy in one transaction; with `complete`, the copy is marked complete in
   * the same transaction (so a copy is complete exactly when its last page is there). A page must follow
   * the rows already written; a copy that is no longer loading (complete, or deleted) refuses it.
   */
  appendPage(id: number, page: ListingPage, complete?: { total?: number; capped: boolean }): ListingCopy {
    return this.transaction(() => {
      const copy = this.get(id);
      if (!copy || copy.state !== 'loading') {
        throw new StrataError('Conflict', `The stored listing ${id} is not being loaded any more.`);
      }
      if (page.first !== copy.rows) {
        throw new StrataError('Invalid', `A page of the stored listing ${id} must start at row ${copy.rows}, not ${page.first}.`);
      }
      if (page.count > 0) {
        this.sql('INSERT INTO listing_pages (copy, first, count, keys, id_hashes) VALUES (?, ?, ?, ?, ?)').run(
          id,
          page.first,
          page.count,
          page.keys,
          page.idHashes,
        );
        const insert = this.sql('INSERT INTO listing_blocks (copy, first, count, data) VALUES (?, ?, ?, ?)');
        for (const block of page.blocks) insert.run(id, block.first, block.count, block.data);
      }
      const rows = copy.rows + page.count;
      const idWidth = Math.max(copy.idWidth, page.idWidth);
      if (complete) {
        this.sql(
          `UPDATE listing_copies SET rows = ?, id_width = ?, state = 'complete', total = ?, capped = ?, completed_at = ?, pid = NULL, host = NULL
           WHERE id = ?`,
        ).run(rows, idWidth, complete.total ?? null, complete.capped ? 1 : 0, this.now().toISOString(), id);
      } else {
        this.sql('UPDATE listing_copies SET rows = ?, id_width = ? WHERE id = ?').run(rows, idWidth, id);
      }
      return this.get(id)!;
    });
  }

  /** A load that stopped: its copy is let go now (deleted by the next prune) instead of when the process ends. */
  abandon(id: number): void {
    this.sql(`UPDATE listing_copies SET pid = NULL, host = NULL WHERE id = ? AND state = 'loading'`).run(id);
  }

  /**
   * The search index of a copy, page by page in order (keys text and id hashes): every page, or up to
   * `limit` pages from the one that starts at row `from` (so a reader can let other work run in between).
   */
  indexPages(id: number, from = 0, limit = -1): { first: number; count: number; keys: string; idHashes: Uint8Array }[] {
    return this.sql('SELECT first, count, keys, id_hashes FROM listing_pages WHERE copy = ? AND first >= ? ORDER BY first LIMIT ?')
      .all(id, from, limit)
      .map((row) => ({ first: Number(row.first), count: Number(row.count), keys: String(row.keys), idHashes: row.id_hashes as Uint8Array }));
  }

  /** The block that holds row pos, or undefined (out of range, or the copy was deleted meanwhile). */
  block(id: number, pos: number): ListingBlock | undefined {
    const row = this.sql('SELECT first, count, data FROM listing_blocks WHERE copy = ? AND first <= ? ORDER BY first DESC LIMIT 1').get(id, pos);
    if (!row) return undefined;
    const block = { first: Number(row.first), count: Number(row.count), data: row.data as Uint8Array };
    return pos < block.first + block.count ? block : undefined;
  }

  /**
   * Rewrites the block that starts at `first` and the search key of one row (a renamed or relabelled
   * image), in one transaction. Returns false where the copy no longer has that block.
   */
  rewrite(id: number, block: ListingBlock, row: { pos: number; key: string }): boolean {
    return this.transaction(() => {
      const updated = this.sql('UPDATE listing_blocks SET data = ? WHERE copy = ? AND first = ? AND count = ?').run(
        block.data,
        id,
        block.first,
        block.count,
      );
      if (Number(updated.changes) === 0) return false;
      const page = this.sql('SELECT first, count, keys FROM listing_pages WHERE copy = ? AND first <= ? ORDER BY first DESC LIMIT 1').get(id, row.pos);
      if (!page || row.pos >= Number(page.first) + Number(page.count)) return false;
      const keys = String(page.keys).split('\n');
      keys[row.pos - Number(page.first)] = row.key.replace(/\n/g, ' ');
      this.sql('UPDATE listing_pages SET keys = ? WHERE copy = ? AND first = ?').run(keys.join('\n'), id, Number(page.first));
      return true;
    });
  }

  /**
   * One step of tidying a listing's copies: deletes up to a few hundred rows of a copy that is no longer
   * wanted (older than the newest `keep` complete ones, or a load that stopped: let go, or held by a
   * process of this host that is gone, or older than a day on another host), and the copy itself once
   * empty. Returns whether there is more to delete (call again, letting other work run in between).
   */
  pruneStep(provider: string, region: string, scope: string, keep = 2): boolean {
    const copies = this.sql('SELECT * FROM listing_copies WHERE provider = ? AND region = ? AND scope = ? ORDER BY id DESC').all(provider, region, scope);
    const dayAgo = new Date(this.now().getTime() - 86_400_000).toISOString();
    let complete = 0;
    const doomed: number[] = [];
    for (const row of copies) {
      const id = Number(row.id);
      if (row.state === 'complete') {
        if (++complete > keep) doomed.push(id);
        continue;
      }
      const pid = row.pid === null ? undefined : Number(row.pid);
      const host = row.host === null ? undefined : String(row.host);
      const gone =
        pid === undefined ||
        (host === this.process.host ? pid !== this.process.pid && !processAlive(pid) : String(row.started_at) < dayAgo);
      if (gone) doomed.push(id);
    }
    const target = doomed[doomed.length - 1];
    if (target === undefined) return false;
    return this.transaction(() => {
      for (const table of ['listing_blocks', 'listing_pages'] as const) {
        const deleted = this.sql(`DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} WHERE copy = ? LIMIT ${PRUNE_ROWS})`).run(target);
        if (Number(deleted.changes) > 0) return true;
      }
      this.sql('DELETE FROM listing_copies WHERE id = ?').run(target);
      return doomed.length > 1;
    });
  }
}


function toCopy(row: Record<string, unknown>): ListingCopy {
  const copy: ListingCopy = {
    id: Number(row.id),
    provider: String(row.provider),
    region: String(row.region),
    scope: String(row.scope),
    state: row.state === 'complete' ? 'complete' : 'loading',
    rows: Number(row.rows),
    capped: Number(row.capped) === 1,
    idWidth: Number(row.id_width),
    startedAt: String(row.started_at),
  };
  if (row.total !== null && row.total !== undefined) copy.total = Number(row.total);
  if (typeof row.completed_at === 'string') copy.completedAt = row.completed_at;
  return copy;
}
