// Marked rows (Space marks one, * every row the filter shows, u clears): per image scope and for the
// monitor's servers, by id, so marks survive a filter, a reload and a server that vanished. Immutable: a
// change gives new Marks (the reducer swaps them, selectors memoise on them).
//
// The public catalogue is a stored copy read by position (services/rows.ts): reading 100,000 rows for their
// ids would take a second. So * over stored rows marks their positions in that copy (a bitmap: 100 KB for
// 100,000 rows, a few ms), and they are turned into ids only when they must be: when the scope's rows come
// from another copy (a reload), in slices, by the controller (resolveBlock). Rows in memory are marked by id
// at once.
import type { CatalogueImage } from '../../services/catalogue.js';
import { idHash, type ImageRows } from '../../services/rows.js';

/** Stored rows marked by position in one copy. */
export interface MarkBlock {
  /** The rows the positions are of (they keep the copy readable while its marks are turned into ids). */
  readonly rows: ImageRows;
  /** 1 at each marked position (below rows.storedCount). */
  readonly bits: Uint8Array;
  readonly count: number;
}

/** What the list shows, as marking all needs it (ui/state/selectors.ts View). */
export interface ShownRows {
  readonly rows: ImageRows;
  readonly count: number;
  at(k: number): CatalogueImage | undefined;
  positionAt(k: number): number;
}

export class Marks {
  static readonly NONE = new Marks(new Set(), []);

  private constructor(
    /** Marked by id. */
    readonly ids: ReadonlySet<string>,
    /** Marked by position in a stored copy (at most one block per copy); never also among ids. */
    readonly blocks: readonly MarkBlock[],
  ) {}

  static of(ids: Iterable<string>): Marks {
    const set = new Set(ids);
    return set.size ? new Marks(set, []) : Marks.NONE;
  }

  get count(): number {
    let n = this.ids.size;
    for (const b of this.blocks) n += b.count;
    return n;
  }

  get empty(): boolean {
    return this.count === 0;
  }

  private blockFor(rows: ImageRows | undefined): MarkBlock | undefined {
    if (!rows || this.blocks.length === 0) return undefined;
    return this.blocks.find((b) => b.rows.sameCopy(rows));
  }

  /** Whether the row with this id (at pos of rows, where it is a stored row) is marked. */
  has(id: string, rows?: ImageRows, pos?: number): boolean {
    if (this.ids.has(id)) return true;
    if (pos === undefined || !rows || pos >= rows.storedCount) return false;
    return this.blockFor(rows)?.bits[pos] === 1;
  }

  /** Space: the row marked, or unmarked where it was. */
  toggle(id: string, rows?: ImageRows, pos?: number): Marks {
    if (this.ids.has(id)) {
      const ids = new Set(this.ids);
      ids.delete(id);
      return new Marks(ids, this.blocks);
    }
    const block = pos !== undefined && rows && pos < rows.storedCount ? this.blockFor(rows) : undefined;
    if (block && block.bits[pos!] === 1) return this.withBlock(block, clearBits(block, [pos!]));
    const ids = new Set(this.ids);
    ids.add(id);
    return new Marks(ids, this.blocks);
  }

  /** Marks these ids (rows in memory, servers). */
  add(ids: Iterable<string>): Marks {
    const next = new Set(this.ids);
    for (const id of ids) next.add(id);
    return next.size === this.ids.size ? this : new Marks(next, this.blocks);
  }

  /**
   * Unmarks rows: by id, and (stored rows) by their position in rows. What an action did is unmarked this
   * way; what failed stays marked.
   */
  remove(ids: Iterable<string>, rows?: ImageRows, positions: readonly number[] = []): Marks {
    let marks: Marks = this;
    const left = new Set(this.ids);
    let changed = false;
    for (const id of ids) changed = left.delete(id) || changed;
    if (changed) marks = new Marks(left, this.blocks);
    const block = marks.blockFor(rows);
    if (block && positions.length) {
      const cleared = clearBits(block, positions);
      if (cleared !== block) marks = marks.withBlock(block, cleared);
    }
    return marks;
  }

  /**
   * *: every row shown marked. Rows in memory by id at once; stored rows by position (their ids are not
   * read: see the top of this file), those already marked by id left out, so the count stays exact.
   */
  markAll(view: ShownRows): Marks {
    const { rows } = view;
    const stored = rows.storedCount;
    const ids = new Set(this.ids);
    const existing = this.blockFor(rows);
    let bits: Uint8Array | undefined;
    let added = 0;
    // Rows marked by id that may be among the stored ones: found by their id hash, read only on a match.
    let hashes: Set<number> | undefined;
    for (let k = 0, n = view.count; k < n; k++) {
      const pos = view.positionAt(k);
      if (pos < 0) continue;
      if (pos >= stored) {
        const row = rows.at(pos);
        if (row) ids.add(row.id);
        continue;
      }
      if (existing?.bits[pos] === 1 || bits?.[pos] === 1) continue;
      if (ids.size > 0) {
        hashes ??= new Set([...this.ids].map(idHash));
        if (hashes.has(rows.hashAt(pos))) {
          const row = rows.at(pos);
          if (row && ids.has(row.id)) continue;
        }
      }
      bits ??= existing ? existing.bits.slice() : new Uint8Array(stored);
      bits[pos] = 1;
      added++;
    }
    const sameIds = ids.size === this.ids.size;
    if (!bits) return sameIds ? this : new Marks(ids, this.blocks);
    const block: MarkBlock = { rows, bits, count: (existing?.count ?? 0) + added };
    const blocks = existing ? this.blocks.map((b) => (b === existing ? block : b)) : [...this.blocks, block];
    return new Marks(sameIds ? this.ids : ids, blocks);
  }

  /** A block turned into ids (the controller read its rows): the ids marked instead of the positions. */
  resolved(block: MarkBlock, ids: Iterable<string>): Marks {
    if (!this.blocks.includes(block)) return this.add(ids);
    const next = new Set(this.ids);
    for (const id of ids) next.add(id);
    return new Marks(next, this.blocks.filter((b) => b !== block));
  }

  /** Blocks of another copy than rows (what a reload left behind: to be turned into ids). */
  staleBlocks(rows: ImageRows): MarkBlock[] {
    return this.blocks.filter((b) => !b.rows.sameCopy(rows));
  }

  /** The marked positions of a block, in order. */
  static positions(block: MarkBlock): number[] {
    const out: number[] = [];
    const { bits } = block;
    for (let i = 0; i < bits.length; i++) if (bits[i] === 1) out.push(i);
    return out;
  }

  private withBlock(old: MarkBlock, next: MarkBlock): Marks {
    const blocks = next.count === 0 ? this.blocks.filter((b) => b !== old) : this.blocks.map((b) => (b === old ? next : b));
    return new Marks(this.ids, blocks);
  }
}

function clearBits(block: MarkBlock, positions: readonly number[]): MarkBlock {
  let bits: Uint8Array | undefined;
  let cleared = 0;
  for (const pos of positions) {
    if (block.bits[pos] !== 1 || bits?.[pos] === 0) continue;
    bits ??= block.bits.slice();
    bits[pos] = 0;
    cleared++;
  }
  return bits ? { rows: block.rows, bits, count: block.count - cleared } : block;
}

/** Where marks live: one set per image scope, one for the monitor's servers. */
export type MarkScope = 'own' | 'vendor' | 'public' | 'servers';

export type MarksState = Record<MarkScope, Marks>;

export function noMarks(): MarksState {
  return { own: Marks.NONE, vendor: Marks.NONE, public: Marks.NONE, servers: Marks.NONE };
}
