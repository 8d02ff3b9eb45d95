// The local database (node:sqlite): image metadata (local names and labels), the audit log, the launch
// journal, jobs and stored copies of listings. WAL and a busy timeout let two strata processes use one file at once; versioned migrations
// (migrations.ts) are applied in one BEGIN IMMEDIATE transaction and tracked with PRAGMA user_version.
import { chmodSync, closeSync, existsSync, fchmodSync, openSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { StrataError } from '../core/errors.js';
import { needsSanitising, sanitize } from '../core/sanitize.js';
import { LABEL_COLOURS, isLabelColour, type LabelColour } from '../core/types.js';
import { AuditLog, currentActor } from './audit.js';
import { ImageLineage, JobRecords } from './jobs.js';
import { CopyRecords } from './copies.js';
import { LaunchJournal } from './journal.js';
import { LaunchRecords } from './launches.js';
import { ListingCopies } from './listings.js';
import { MIGRATIONS, SCHEMA_VERSION, type Migration } from './migrations.js';
import { ensurePrivateDir } from './paths.js';

/** The database's file name inside the data directory. */
export const STORE_FILE = 'strata.db';
/** How long a writer waits for another process's lock before giving up (ms). */
export const BUSY_TIMEOUT_MS = 5000;
/** The longest display name the store keeps (providers' own rules are checked by the catalogue). */
export const MAX_DISPLAY_NAME = 1024;

/** What strata keeps locally about an image. Absent fields are not set. */
export interface ImageMeta {
  provider: string;
  region: string;
  imageId: string;
  displayName?: string;
  label?: LabelColour;
  /** ISO 8601. */
  updatedAt: string;
}

/** A change to an image's metadata: a value sets, null clears, an absent field is left as it is. */
export interface ImageMetaPatch {
  displayName?: string | null;
  label?: LabelColour | null;
}

export interface OpenStoreOptions {
  /** Who the audit log says did things; defaults to the OS user. */
  actor?: string;
  /** The clock (tests). */
  now?: () => Date;
  /** The file name inside dataDir (default STORE_FILE). */
  fileName?: string;
  /** The migrations to apply (tests; default MIGRATIONS). */
  migrations?: readonly Migration[];
}

export class Store {
  /** The database file. */
  readonly path: string;
  /** Who the audit log says did things. */
  readonly actor: string;
  readonly audit: AuditLog;
  private readonly db: DatabaseSync;
  private readonly now: () => Date;
  private depth = 0;
  private closed = false;

  /** Use openStore(). */
  constructor(db: DatabaseSync, path: string, options: { actor: string; now: () => Date }) {
    this.db = db;
    this.path = path;
    this.actor = options.actor;
    this.now = options.now;
    this.audit = new AuditLog(db, this.actor, this.now);
  }

  /** The schema version of the open database (PRAGMA user_version). */
  get schemaVersion(): number {
    return userVersion(this.db);
  }

  getImageMeta(provider: string, region: string, imageId: string): ImageMeta | undefined {
    const row = this.db
      .prepare('SELECT * FROM image_meta WHERE provider = ? AND region = ? AND image_id = ?')
      .get(provider, region, imageId);
    return row ? toMeta(row) : undefined;
  }

  /** Every image with local metadata in a provider's region, by image id. */
  listImageMeta(provider: string, region: string): Map<string, ImageMeta> {
    const rows = this.db.prepare('SELECT * FROM image_meta WHERE provider = ? AND region = ?').all(provider, region);
    const out = new Map<string, ImageMeta>();
    for (const row of rows) {
      const meta = toMeta(row);
      out.set(meta.imageId, meta);
    }
    return out;
  }

  /** Sets (or, with null, clears) the local display name. Returns what is kept afterwards. */
  setDisplayName(provider: string, region: string, imageId: string, name: string | null): ImageMeta | undefined {
    return this.updateImageMeta(provider, region, imageId, { displayName: name });
  }

  /** Sets (or, with null, clears) the local colour label. Returns what is kept afterwards. */
  setLabel(provider: string, region: string, imageId: string, label: LabelColour | null): ImageMeta | undefined {
    return this.updateImageMeta(provider, region, imageId, { label });
  }

  /**
   * Applies a change atomically: the values are validated first (nothing is written if one is refused),
   * then written in one transaction. An image left with neither name nor label loses its row.
   */
  updateImageMeta(provider: string, region: string, imageId: string, patch: ImageMetaPatch): ImageMeta | undefined {
    for (const [field, value] of [
      ['provider', provider],
      ['region', region],
      ['imageId', imageId],
    ] as const) {
      if (typeof value !== 'string' || value.length === 0) {
        throw new StrataError('Invalid', `Image metadata needs a ${field}.`, { field });
      }
    }
    if (patch.displayName !== undefined && patch.displayName !== null) validateDisplayName(patch.displayName);
    if (patch.label !== undefined && patch.label !== null) validateLabel(patch.label);
    if (patch.displayName === undefined && patch.label === undefined) {
      return this.getImageMeta(provider, region, imageId);
    }
    return this.transaction(() => {
      const current = this.getImageMeta(provider, region, imageId);
      const displayName = patch.displayName !== undefined ? patch.displayName : (current?.displayName ?? null);
      const label = patch.label !== undefined ? patch.label : (current?.label ?? null);
      if (displayName === null && label === null) {
        this.db
          .prepare('DELETE FROM image_meta WHERE provider = ? AND region = ? AND image_id = ?')
          .run(provider, region, imageId);
        return undefined;
      }
      this.db
        .prepare(
          `INSERT INTO image_meta (provider, region, image_id, display_name, label, updated_at) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (provider, region, image_id)
           DO UPDATE SET display_name = excluded.display_name, label = excluded.label, updated_at = excluded.updated_at`,
        )
        .run(provider, region, imageId, displayName, label, this.now().toISOString());
      return this.getImageMeta(provider, region, imageId);
    });
  }

  /** The launch journal of one provider and region. */
  journal(provider: string, region: string): LaunchJournal {
    return new LaunchJournal(this.db, provider, region, this.now, (fn) => this.transaction(fn));
  }

  /** Launch records (the request behind each journal entry, its steps, and group and billing code per server). */
  launches(): LaunchRecords {
    return new LaunchRecords(this.db, this.now, (fn) => this.transaction(fn));
  }

  /** Jobs (the capture workflow, resumable). */
  jobs(): JobRecords {
    return new JobRecords(this.db, this.now, (fn) => this.transaction(fn));
  }

  /** Copy jobs (an own image copied to another region or source, resumable). */
  copies(): CopyRecords {
    return new CopyRecords(this.db, this.now, (fn) => this.transaction(fn));
  }

  /** Stored copies of listings (the public catalogue), read by position. One per store: it keeps its statements. */
  listings(): ListingCopies {
    this.listingCopies ??= new ListingCopies(this.db, this.now, (fn) => this.transaction(fn));
    return this.listingCopies;
  }

  private listingCopies?: ListingCopies;

  /** The login user set for an image (:ssh-user): what s logs in as on servers launched from it. */
  loginUser(provider: string, region: string, imageId: string): string | undefined {
    const row = this.db.prepare('SELECT login_user FROM image_login WHERE provider = ? AND region = ? AND image_id = ?').get(provider, region, imageId);
    return row ? String(row.login_user) : undefined;
  }

  /** Sets (or, with null, clears) the login user of an image. The caller checks the name. */
  setLoginUser(provider: string, region: string, imageId: string, user: string | null): void {
    if (user === null) {
      this.db.prepare('DELETE FROM image_login WHERE provider = ? AND region = ? AND image_id = ?').run(provider, region, imageId);
      return;
    }
    this.db
      .prepare(
        `INSERT INTO image_login (provider, region, image_id, login_user, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (provider, region, image_id) DO UPDATE SET login_user = excluded.login_user, updated_at = excluded.updated_at`,
      )
      .run(provider, region, imageId, user, this.now().toISOString());
  }

  /** Where captured images came from, for providers whose images hold no tags. */
  lineage(): ImageLineage {
    return new ImageLineage(this.db, this.now);
  }

  /**
   * Runs fn in one write transaction (BEGIN IMMEDIATE: the write lock is taken up front, so another
   * process waits instead of failing half-way). Nested calls use a savepoint. fn must be synchronous.
   */
  transaction<T>(fn: () => T): T {
    const outer = this.depth === 0;
    const savepoint = `strata_${this.depth}`;
    this.db.exec(outer ? 'BEGIN IMMEDIATE' : `SAVEPOINT ${savepoint}`);
    this.depth++;
    try {
      const result = fn();
      if (result instanceof Promise) {
        throw new StrataError('Invalid', 'A store transaction must be synchronous.');
      }
      this.db.exec(outer ? 'COMMIT' : `RELEASE ${savepoint}`);
      return result;
    } catch (error) {
      if (outer) {
        if (this.db.isTransaction) this.db.exec('ROLLBACK');
      } else {
        this.db.exec(`ROLLBACK TO ${savepoint}`);
        this.db.exec(`RELEASE ${savepoint}`);
      }
      throw error;
    } finally {
      this.depth--;
    }
  }

  /** Whether the database is still open (work that outlives a quit checks before it writes). */
  get isOpen(): boolean {
    return !this.closed;
  }

  /** Closes the database; harmless to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }
}

function validateDisplayName(name: unknown): asserts name is string {
  if (typeof name !== 'string') throw new StrataError('Invalid', 'A name must be text.', { field: 'name' });
  if (name.length === 0) {
    throw new StrataError('Invalid', 'A name cannot be empty (clear it instead).', { field: 'name' });
  }
  if (name.length > MAX_DISPLAY_NAME) {
    throw new StrataError('Invalid', `A name can have at most ${MAX_DISPLAY_NAME} characters.`, { field: 'name' });
  }
  if (needsSanitising(name)) {
    throw new StrataError('Invalid', 'A name cannot contain control characters or escape sequences.', {
      field: 'name',
    });
  }
}

function validateLabel(label: unknown): asserts label is LabelColour {
  if (!isLabelColour(label)) {
    throw new StrataError(
      'Invalid',
      `"${sanitize(label, 32)}" is not a label colour; the colours are ${LABEL_COLOURS.join(', ')}.`,
      { field: 'label' },
    );
  }
}

function toMeta(row: Record<string, unknown>): ImageMeta {
  const meta: ImageMeta = {
    provider: String(row.provider),
    region: String(row.region),
    imageId: String(row.image_id),
    updatedAt: String(row.updated_at),
  };
  if (typeof row.display_name === 'string') meta.displayName = row.display_name;
  // A colour this version does not know (written by a newer strata) is not shown.
  if (isLabelColour(row.label)) meta.label = row.label;
  return meta;
}

function userVersion(db: DatabaseSync): number {
  const row = db.prepare('PRAGMA user_version').get();
  return Number(row?.user_version ?? 0);
}

function newerSchemaError(path: string, version: number, known: number): StrataError {
  return new StrataError(
    'Unsupported',
    `The local database ${path} was written by a newer version of strata (schema ${version}; this version knows up to ${known}). ` +
      'Upgrade strata, or point STRATA_HOME at another directory.',
    { field: 'store' },
  );
}

/** Brings the database up to the newest migration, in one BEGIN IMMEDIATE transaction. */
function migrate(db: DatabaseSync, path: string, migrations: readonly Migration[]): void {
  const target = migrations.length ? migrations[migrations.length - 1]!.version : 0;
  const before = userVersion(db);
  if (before > target) throw newerSchemaError(path, before, target);
  if (before === target) return;
  db.exec('BEGIN IMMEDIATE');
  try {
    // Another process may have migrated between the read above and the lock: read again under the lock.
    const current = userVersion(db);
    if (current > target) throw newerSchemaError(path, current, target);
    for (const migration of migrations) {
      if (migration.version <= current) continue;
      db.exec(migration.sql);
      db.exec(`PRAGMA user_version = ${Math.floor(migration.version)}`);
    }
    db.exec('COMMIT');
  } catch (error) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw error;
  }
}

/**
 * A SQLite database file and its -wal and -shm companions, owner-only (0600) whatever the umask or the
 * directory: the file is created 0600 before SQLite opens it (SQLite gives -wal and -shm the mode of the
 * database file), and any of the three found with a looser mode (an older strata, a copied home) is
 * narrowed to 0600. A file strata may not chmod (not its owner) is left for SQLite to refuse or open.
 */
export function ensurePrivateFiles(path: string): void {
  if (!existsSync(path)) {
    const fd = openSync(path, 'a', 0o600);
    try {
      fchmodSync(fd, 0o600); // the umask can only take bits away; make the mode exact
    } finally {
      closeSync(fd);
    }
  }
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    } catch {
      // absent (no -wal yet), or not ours to change
    }
  }
}

/** Opens the file, checks its version, switches it to WAL and migrates it; closes it again on failure. */
function prepareStore(path: string, migrations: readonly Migration[], known: number): DatabaseSync {
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(path, { timeout: BUSY_TIMEOUT_MS });
  } catch (error) {
    throw new StrataError('Invalid', `The local database ${path} cannot be opened.`, {
      field: 'store',
      detail: error instanceof Error ? error.message : String(error),
      cause: error,
    });
  }
  try {
    // Check the version before anything writes to the file: a newer schema is left exactly as it is.
    const version = userVersion(db);
    if (version > known) throw newerSchemaError(path, version, known);
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA foreign_keys = ON');
    migrate(db, path, migrations);
    return db;
  } catch (error) {
    db.close();
    if (error instanceof StrataError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    if (/not a database|malformed|corrupt/i.test(message)) {
      throw new StrataError('Invalid', `The file ${path} is not a strata database (or it is damaged).`, {
        field: 'store',
        detail: message,
        cause: error,
      });
    }
    throw new StrataError('Transient', `The local database ${path} could not be prepared: ${message}`, {
      field: 'store',
      detail: message,
      cause: error,
    });
  }
}

/**
 * Opens (creating where needed) the store in dataDir: the directory is made with mode 0700 and the file
 * with mode 0600 (see ensurePrivateFiles). A database from a newer strata is refused with a sentence that
 * says so, and left untouched.
 */
export function openStore(dataDir: string, options: OpenStoreOptions = {}): Store {
  ensurePrivateDir(dataDir);
  const path = join(dataDir, options.fileName ?? STORE_FILE);
  ensurePrivateFiles(path);
  const migrations = options.migrations ?? MIGRATIONS;
  const known = migrations.length ? migrations[migrations.length - 1]!.version : 0;
  // Two strata starting at once on a fresh home both prepare the file; switching it to WAL can answer
  // "database is locked" at once, without the busy timeout. Such a race is waited out (bounded).
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  let db: DatabaseSync;
  for (let attempt = 1; ; attempt++) {
    try {
      db = prepareStore(path, migrations, known);
      break;
    } catch (error) {
      const locked = error instanceof StrataError && error.kind === 'Transient' && /locked|busy/i.test(error.detail ?? '');
      if (!locked || Date.now() > deadline) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.min(200, 20 * attempt));
    }
  }
  return new Store(db, path, { actor: options.actor ?? currentActor(), now: options.now ?? (() => new Date()) });
}

export { SCHEMA_VERSION };
