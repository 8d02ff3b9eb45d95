// A scope's rows, as the UI reads them: how many, the row at a position, the position of an id, and the
// search index the filter runs on. Own images and vendor templates (tens to hundreds) are held in memory;
// the public catalogue (100,000 and more) is a stored copy (services/listing.ts) of which only the rows
// drawn are read, a block at a time, and only its search keys (one string) and id hashes stay in memory.
//
// An ImageRows is immutable: a change gives a new one (so the reducer can swap it and selectors can
// memoise on it). Reading a stored row reads the store; nothing here writes.
import { SearchIndex } from '../core/fuzzy.js';
import { hash32 } from '../core/random.js';
import type { CatalogueImage } from './catalogue.js';

/** The text a filter matches: the shown name, the provider's name and the id, lower-cased. */
export function searchKey(image: CatalogueImage): string {
  return (image.shownName === image.name ? `${image.shownName} ${image.id}` : `${image.shownName} ${image.name} ${image.id}`).toLowerCase();
}

/** The hash an id is found by (its exact id is checked on the row). */
export function idHash(id: string): number {
  return hash32(id);
}

/** Where the rows of a stored copy are read from. */
export interface RowSource {
  /** The row at a position of the copy, or undefined where it cannot be read (the copy was deleted). */
  row(pos: number): CatalogueImage | undefined;
  /** Which copy (for tests and logs). */
  readonly copyId: number;
}

/** The fewest columns an id takes in the list, whatever its rows. */
const MIN_ID_WIDTH = 8;

export class ImageRows {
  private constructor(
    /** Rows [0, base) are read from here; none where the rows are all in memory. */
    private readonly source: RowSource | undefined,
    private readonly base: number,
    /** Rows [base, count) in memory. */
    private readonly memory: readonly CatalogueImage[],
    /** Stored rows replaced since they were read (renamed, relabelled), by position. */
    private readonly overrides: ReadonlyMap<number, CatalogueImage> | undefined,
    /** The lower-cased search keys of every row, in order. */
    readonly search: SearchIndex,
    /** The id hash of every row (the array may be longer than count). */
    private readonly hashes: Uint32Array,
    /** The widest id (characters), at least 8. */
    readonly idWidth: number,
  ) {}

  static readonly EMPTY = new ImageRows(undefined, 0, [], undefined, SearchIndex.EMPTY, new Uint32Array(0), MIN_ID_WIDTH);

  /** Rows held in memory. */
  static of(items: readonly CatalogueImage[]): ImageRows {
    return items.length === 0 ? ImageRows.EMPTY : ImageRows.EMPTY.concat(items);
  }

  /** The rows of a stored copy: the first count rows of source, with their search keys and id hashes. */
  static stored(source: RowSource, count: number, search: SearchIndex, hashes: Uint32Array, idWidth: number): ImageRows {
    if (search.count !== count || hashes.length < count) throw new Error('A stored copy needs a search key and an id hash per row.');
    return new ImageRows(source, count, [], undefined, search, hashes, Math.max(MIN_ID_WIDTH, idWidth));
  }

  get count(): number {
    return this.base + this.memory.length;
  }

  /** The copy the rows are read from, where they are stored. */
  get copyId(): number | undefined {
    return this.source?.copyId;
  }

  /** How many of the rows (the first ones) are read from a stored copy; 0 where all are in memory. */
  get storedCount(): number {
    return this.base;
  }

  /**
   * Whether these rows and other read the same stored copy, so a stored row's position names the same row in
   * both (a rename or a search's rows added give new rows of the same copy; a reload gives another copy).
   */
  sameCopy(other: ImageRows): boolean {
    return this.source !== undefined && this.source === other.source;
  }

  /** The id hash of the row at position i (for finding rows by id without reading them). */
  hashAt(i: number): number {
    return this.hashes[i] ?? 0;
  }

  /**
   * Every row, where they are all held in memory (own images, vendor templates); undefined for a stored
   * copy, whose rows are read a window at a time: never ask a stored copy for all of its rows.
   */
  get items(): readonly CatalogueImage[] | undefined {
    return this.source === undefined ? this.memory : undefined;
  }

  /** The row at position i, or undefined (out of range, or a stored row that cannot be read any more). */
  at(i: number): CatalogueImage | undefined {
    if (i < 0 || i >= this.count || !Number.isInteger(i)) return undefined;
    if (i >= this.base) return this.memory[i - this.base];
    return this.overrides?.get(i) ?? this.source!.row(i);
  }

  /** The position of the row with this id, or -1. */
  indexOf(id: string): number {
    const hash = idHash(id);
    const { hashes } = this;
    for (let i = 0, n = this.count; i < n; i++) {
      if (hashes[i] === hash && this.at(i)?.id === id) return i;
    }
    return -1;
  }

  find(id: string): CatalogueImage | undefined {
    const at = this.indexOf(id);
    return at < 0 ? undefined : this.at(at);
  }

  /** These rows and more after them (in memory). */
  concat(items: readonly CatalogueImage[]): ImageRows {
    if (items.length === 0) return this;
    const count = this.count;
    const hashes = new Uint32Array(count + items.length);
    hashes.set(this.hashes.subarray(0, count));
    let idWidth = this.idWidth;
    for (let k = 0; k < items.length; k++) {
      hashes[count + k] = idHash(items[k].id);
      if (items[k].id.length > idWidth) idWidth = items[k].id.length;
    }
    return new ImageRows(
      this.source,
      this.base,
      this.memory.concat(items),
      this.overrides,
      this.search.append(items.map(searchKey)),
      hashes,
      idWidth,
    );
  }

  /** These rows and those of items not among them yet (by id), after them. */
  merge(items: readonly CatalogueImage[]): ImageRows {
    if (items.length === 0) return this;
    // One pass over the hashes finds every id already here (a provider-side search brings up to 1,000).
    const wanted = new Map<number, string[]>();
    for (const item of items) {
      const hash = idHash(item.id);
      wanted.set(hash, [...(wanted.get(hash) ?? []), item.id]);
    }
    const known = new Set<string>();
    for (let i = 0, n = this.count; i < n; i++) {
      const ids = wanted.get(this.hashes[i]);
      if (!ids) continue;
      const id = this.at(i)?.id;
      if (id !== undefined && ids.includes(id)) known.add(id);
    }
    const fresh: CatalogueImage[] = [];
    for (const item of items) {
      if (known.has(item.id)) continue;
      known.add(item.id);
      fresh.push(item);
    }
    return this.concat(fresh);
  }

  /**
   * These rows with the rows of these images replaced (by id), found in one pass over the id hashes and
   * written in one pass over the search index: a bulk label over 100,000 marked rows stays linear.
   */
  replaceMany(images: readonly CatalogueImage[]): ImageRows {
    if (images.length === 0) return this;
    if (images.length === 1) return this.replace(images[0]!);
    const wanted = new Map<number, CatalogueImage[]>();
    for (const image of images) {
      const hash = idHash(image.id);
      const list = wanted.get(hash);
      if (list) list.push(image);
      else wanted.set(hash, [image]);
    }
    const keys = new Map<number, string>();
    let memory: CatalogueImage[] | undefined;
    let overrides: Map<number, CatalogueImage> | undefined;
    for (let i = 0, n = this.count; i < n; i++) {
      const list = wanted.get(this.hashes[i]!);
      if (!list) continue;
      const id = this.at(i)?.id;
      const image = id === undefined ? undefined : list.find((x) => x.id === id);
      if (!image) continue;
      keys.set(i, searchKey(image));
      if (i >= this.base) (memory ??= this.memory.slice())[i - this.base] = image;
      else (overrides ??= new Map(this.overrides ?? [])).set(i, image);
    }
    if (keys.size === 0) return this;
    return new ImageRows(this.source, this.base, memory ?? this.memory, overrides ?? this.overrides, this.search.replaceMany(keys), this.hashes, this.idWidth);
  }

  /** These rows with the row of image.id replaced by image (this, where no row has its id). */
  replace(image: CatalogueImage): ImageRows {
    const at = this.indexOf(image.id);
    if (at < 0) return this;
    const search = this.search.replace(at, searchKey(image));
    if (at >= this.base) {
      const memory = this.memory.slice();
      memory[at - this.base] = image;
      return new ImageRows(this.source, this.base, memory, this.overrides, search, this.hashes, this.idWidth);
    }
    const overrides = new Map(this.overrides ?? []);
    overrides.set(at, image);
    return new ImageRows(this.source, this.base, this.memory, overrides, search, this.hashes, this.idWidth);
  }
}
