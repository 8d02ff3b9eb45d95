// Stored listings: a scope's images (the public catalogue: 100,000 and more) kept in the local store as
// they arrive from the provider, read back by position, and shown at once on the next start while the
// provider is asked again (stale-while-revalidate).
//
// What is stored is what is drawn: the catalogue's merged rows (sanitised, with local names and labels),
// as JSON in deflated blocks of 16 rows, and per page the rows' search keys and id hashes. In memory a
// loaded scope keeps only those keys (one string) and hashes (a Uint32Array), plus a few recently drawn
// blocks. A page is written in one transaction as it arrives; the copy is marked complete with its last
// page, so a load cut short (quit, crash) is never read back as a listing.
//
// The work is done in slices with the event loop let go in between (fetching a page, encoding and writing
// it are each a few milliseconds), so keys are answered while a catalogue loads.
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { SearchIndex } from '../core/fuzzy.js';
import type { Scope } from '../core/types.js';
import type { Store } from '../store/db.js';
import type { ListingCopies, ListingCopy } from '../store/listings.js';
import type { Catalogue, CatalogueImage } from './catalogue.js';
import { idHash, ImageRows, searchKey, type RowSource } from './rows.js';
import { Slices, yieldToInput } from './slices.js';

/**
 * Rows per stored block: a block is ~2.5 KB deflated and ~60 µs to read back; a window of the list reads a
 * few (a filtered one, up to one per row). Blocks of 32 at zlib level 1 cost 40% less to write than 16 at
 * level 6, for 5% more bytes (~83 a row).
 */
export const BLOCK_ROWS = 32;
/** Rows kept parsed per copy (the rows drawn lately: a few screens). */
const CACHED_ROWS = 256;
/** Complete copies kept per listing: the newest, and the one before it (another strata may be showing it). */
const KEEP_COPIES = 2;
/** Pages of a copy's search index read at once on a warm start. */
const INDEX_PAGES_PER_READ = 8;

export interface StoredListing {
  rows: ImageRows;
  /** When the copy was completed (ms since the epoch). */
  storedAt: number;
  total?: number;
  capped: boolean;
}

/** One step of a load: the rows so far (a stored copy growing page by page). */
export interface LoadStep {
  rows: ImageRows;
  total?: number;
  /** The last page is in (or the limit was reached): the copy is complete. */
  complete: boolean;
  /** The load stopped at the limit; the rest is for the provider's search. */
  capped: boolean;
}

export interface LoadOptions {
  pageSize?: number;
  signal?: AbortSignal;
  /** The most rows to load (the rest is found by searching the provider). */
  limit?: number;
}

export interface ListingsDeps {
  store: Store;
  catalogue: Catalogue;
  providerId: string;
  region: string;
}

export class Listings {
  private readonly copies: ListingCopies;

  constructor(private readonly deps: ListingsDeps) {
    this.copies = deps.store.listings();
  }

  /**
   * The newest complete stored copy of a scope, or undefined where there is none (or it cannot be read).
   * Reads only its search index (the rows are read as they are drawn), a few pages at a time.
   */
  async stored(scope: Scope, signal?: AbortSignal): Promise<StoredListing | undefined> {
    const { store, providerId, region } = this.deps;
    if (!store.isOpen) return undefined;
    const copy = this.copies.latest(providerId, region, scope);
    if (!copy) return undefined;
    let search = SearchIndex.EMPTY;
    const hashes = new Uint32Array(copy.rows);
    const pages: number[] = [];
    let rows = 0;
    const slices = new Slices();
    // A few pages per read (7 MB of keys for 100,000 rows), with the event loop let go in between.
    for (;;) {
      const batch = this.copies.indexPages(copy.id, rows, INDEX_PAGES_PER_READ);
      if (batch.length === 0) break;
      for (const page of batch) {
        const part = SearchIndex.fromText(page.keys);
        if (page.first !== rows || rows + page.count > copy.rows || part.count !== page.count) return undefined;
        search = search.append(part);
        hashes.set(hashesOf(page.idHashes, page.count), rows);
        pages.push(page.first);
        rows += page.count;
      }
      if (slices.due()) {
        await slices.pause();
        if (signal?.aborted || !store.isOpen) return undefined;
      }
    }
    if (rows !== copy.rows) return undefined;
    search.flatten();
    return {
      rows: ImageRows.stored(new CopyReader(this.copies, copy.id, pages), rows, search, hashes, copy.idWidth),
      storedAt: Date.parse(copy.completedAt ?? copy.startedAt),
      total: copy.total,
      capped: copy.capped,
    };
  }

  /**
   * Loads a scope from the provider into a new stored copy, page by page, yielding the rows so far after
   * each page; the last step is complete. Aborted (signal), it stops before its next write and the copy,
   * never complete, is let go. Copies no longer wanted are deleted afterwards, a slice at a time.
   */
  async *load(scope: Scope, options: LoadOptions = {}): AsyncGenerator<LoadStep> {
    const { store, catalogue, providerId, region } = this.deps;
    const { signal, limit } = options;
    const copy = this.copies.begin(providerId, region, scope);
    const reader = new CopyReader(this.copies, copy.id, []);
    let search = SearchIndex.EMPTY;
    let hashes = new Uint32Array(1024);
    let count = 0;
    let idWidth = 0;
    let done = false;
    const stopped = () => signal?.aborted === true || !store.isOpen;
    try {
      let total: number | undefined;
      for await (const page of catalogue.pages(scope, { pageSize: options.pageSize, signal, limit })) {
        // The page came without real I/O from some providers (the sandbox): let input in before the work.
        await yieldToInput();
        if (stopped()) return;
        total = page.total ?? total;
        const capped = limit !== undefined && count + page.items.length >= limit && page.next !== undefined;
        const complete = page.next === undefined || capped;
        const encoded = await encodePage(page.items, count, new Slices());
        if (stopped()) return;
        const written: ListingCopy = this.copies.appendPage(copy.id, encoded, complete ? { total, capped } : undefined);
        reader.pages.push(count);
        search = search.append(encoded.keyList);
        if (hashes.length < count + page.items.length) {
          const grown = new Uint32Array(Math.max(hashes.length * 2, count + page.items.length));
          grown.set(hashes.subarray(0, count));
          hashes = grown;
        }
        hashes.set(encoded.hashList, count);
        count += page.items.length;
        idWidth = Math.max(idWidth, written.idWidth);
        if (complete) {
          done = true;
          search.flatten();
        }
        yield { rows: ImageRows.stored(reader, count, search, hashes, idWidth), total, complete, capped };
        if (complete) break;
        await yieldToInput();
        if (stopped()) return;
      }
      if (!done && !stopped()) {
        // No page at all (an empty scope): the copy is complete and empty.
        this.copies.appendPage(copy.id, await encodePage([], 0), { total: total ?? 0, capped: false });
        done = true;
        yield { rows: ImageRows.stored(reader, 0, SearchIndex.EMPTY, hashes, 0), total: total ?? 0, complete: true, capped: false };
      }
    } finally {
      if (!done && store.isOpen) {
        try {
          this.copies.abandon(copy.id);
        } catch {
          // The store is closing: the next start finds the copy's process gone and deletes it.
        }
      }
    }
    if (done) await this.prune(scope, signal);
  }

  /**
   * Writes a changed row (renamed, relabelled) into the stored copy rows are read from, so the next start
   * shows it too. Rows held in memory need nothing.
   */
  persist(rows: ImageRows, image: CatalogueImage): void {
    const copyId = rows.copyId;
    if (copyId === undefined || !this.deps.store.isOpen) return;
    const pos = rows.indexOf(image.id);
    if (pos < 0) return;
    const block = this.copies.block(copyId, pos);
    if (!block) return;
    const lines = blockLines(block.data);
    if (lines.length !== block.count) return;
    lines[pos - block.first] = JSON.stringify(image);
    this.copies.rewrite(copyId, { first: block.first, count: block.count, data: deflateRawSync(lines.join('\n'), ZLIB) }, { pos, key: searchKey(image) });
  }

  /** Deletes copies of a scope that are no longer wanted, a slice at a time. */
  async prune(scope: Scope, signal?: AbortSignal): Promise<void> {
    const { store, providerId, region } = this.deps;
    for (;;) {
      if (signal?.aborted || !store.isOpen) return;
      if (!this.copies.pruneStep(providerId, region, scope, KEEP_COPIES)) return;
      await yieldToInput();
    }
  }
}

/**
 * A copy's rows, read a block at a time. The rows drawn lately are kept (parsed); of the blocks only the
 * last one read, for the rows after it: a filtered window draws one row of many blocks, and keeping those
 * blocks whole made the garbage of every key typed outlive the key (and the heap grow for it).
 */
class CopyReader implements RowSource {
  private readonly rows = new Map<number, CatalogueImage>();
  private last?: { first: number; lines: string[] };

  constructor(
    private readonly copies: ListingCopies,
    readonly copyId: number,
    /** Where each page begins (blocks start at a page's first row and every BLOCK_ROWS rows after it). */
    readonly pages: number[],
  ) {}

  row(pos: number): CatalogueImage | undefined {
    const kept = this.rows.get(pos);
    if (kept) {
      // Most recently used last.
      this.rows.delete(pos);
      this.rows.set(pos, kept);
      return kept;
    }
    const first = this.blockStart(pos);
    let row: CatalogueImage | undefined;
    try {
      let lines = this.last?.first === first ? this.last.lines : undefined;
      if (!lines) {
        const stored = this.copies.block(this.copyId, pos);
        if (!stored) return undefined;
        lines = blockLines(stored.data);
        this.last = { first, lines };
      }
      const line = lines[pos - first];
      if (line === undefined) return undefined;
      row = JSON.parse(line) as CatalogueImage;
    } catch {
      // The store is closed (quitting) or the block is damaged: the row is not drawn.
      return undefined;
    }
    this.rows.set(pos, row);
    if (this.rows.size > CACHED_ROWS) this.rows.delete(this.rows.keys().next().value!);
    return row;
  }

  private blockStart(pos: number): number {
    const { pages } = this;
    let lo = 0;
    let hi = pages.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (pages[mid] <= pos) lo = mid;
      else hi = mid - 1;
    }
    const page = pages[lo] ?? 0;
    return page + Math.floor((pos - page) / BLOCK_ROWS) * BLOCK_ROWS;
  }
}

interface EncodedPage {
  first: number;
  count: number;
  keys: string;
  keyList: string[];
  idHashes: Uint8Array;
  hashList: Uint32Array;
  idWidth: number;
  blocks: { first: number; count: number; data: Uint8Array }[];
}

/** A page's blocks, keys and id hashes; the event loop runs between blocks when a slice has run its time. */
async function encodePage(items: readonly CatalogueImage[], first: number, slices?: Slices): Promise<EncodedPage> {
  const keyList = items.map((item) => searchKey(item).replace(/\n/g, ' '));
  const hashList = new Uint32Array(items.length);
  let idWidth = 0;
  for (let i = 0; i < items.length; i++) {
    hashList[i] = idHash(items[i].id);
    if (items[i].id.length > idWidth) idWidth = items[i].id.length;
  }
  const blocks: EncodedPage['blocks'] = [];
  for (let at = 0; at < items.length; at += BLOCK_ROWS) {
    const rows = items.slice(at, at + BLOCK_ROWS);
    blocks.push({ first: first + at, count: rows.length, data: encodeBlock(rows) });
    if (slices?.due()) await slices.pause();
  }
  return {
    first,
    count: items.length,
    keys: keyList.length ? keyList.join('\n') + '\n' : '',
    keyList,
    idHashes: littleEndian(hashList),
    hashList,
    idWidth,
    blocks,
  };
}

/**
 * A block is ~14 KB of JSON: an 8 KB window and a small hash table compress it about as well as the
 * defaults do, with a fraction of their memory per call (the defaults' ~400 KB, allocated and freed per
 * block, left tens of MB of the process's native heap behind); level 1 is the fastest.
 */
const ZLIB = { windowBits: 13, memLevel: 5, level: 1 } as const;
const UNZLIB = { windowBits: 13 } as const;

/** A block is its rows' JSON, one row a line (JSON has no raw newline), deflated. */
function encodeBlock(rows: readonly CatalogueImage[]): Uint8Array {
  return deflateRawSync(rows.map((row) => JSON.stringify(row)).join('\n'), ZLIB);
}

/** A stored block's lines: a row's JSON each. */
function blockLines(data: Uint8Array): string[] {
  return inflateRawSync(data, UNZLIB).toString('utf8').split('\n');
}

function littleEndian(values: Uint32Array): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setUint32(i * 4, values[i], true);
  return out;
}

function hashesOf(bytes: Uint8Array, count: number): Uint32Array {
  const out = new Uint32Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < count && i * 4 + 3 < bytes.byteLength; i++) out[i] = view.getUint32(i * 4, true);
  return out;
}
