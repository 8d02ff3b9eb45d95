// The sandbox's own database: ${home}/sandbox.db, shared by every strata process on the same home.
// WAL so readers never wait for writers; a busy timeout so two processes writing at once queue instead
// of failing; every write in BEGIN IMMEDIATE so a read-then-write cannot interleave with another writer.
// The world holds what users put in it (user data, volume passphrases among it): the file and its -wal
// and -shm are the owner's only (0600), and a directory the sandbox makes is 0700.
import { chmodSync, closeSync, existsSync, fchmodSync, mkdirSync, openSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { unsupported } from '../../core/errors.js';

export const SANDBOX_DB_FILE = 'sandbox.db';

/** Each entry moves the schema from version i to i + 1. Never edit one that has shipped: add another. */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE world (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seed INTEGER NOT NULL,
    -- simulated time (ms since 1970) at which the world was created; seeded data is dated from it
    epoch_ms INTEGER NOT NULL
  );
  CREATE TABLE clock (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    real_anchor_ms REAL NOT NULL,
    sim_anchor_ms REAL NOT NULL,
    speed REAL NOT NULL CHECK (speed > 0)
  );
  CREATE TABLE images (
    region TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    architecture TEXT NOT NULL,
    platform TEXT,
    size_gib INTEGER,
    created_ms INTEGER NOT NULL,
    -- when a pending image becomes available (null: never, see failed_reason)
    available_ms INTEGER,
    failed_reason TEXT,
    source_image_id TEXT,
    source_server_id TEXT,
    tags TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (region, id)
  );
  CREATE UNIQUE INDEX images_name ON images (region, name);
  CREATE TABLE firewalls (
    region TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    rules TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    PRIMARY KEY (region, id)
  );
  CREATE UNIQUE INDEX firewalls_name ON firewalls (region, name);
  CREATE TABLE keypairs (
    region TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    key_type TEXT NOT NULL,
    public_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    PRIMARY KEY (region, id)
  );
  CREATE UNIQUE INDEX keypairs_name ON keypairs (region, name);
  -- one row per client token: the idempotency of launch
  CREATE TABLE launches (
    region TEXT NOT NULL,
    client_token TEXT NOT NULL,
    spec_hash TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    PRIMARY KEY (region, client_token)
  );
  CREATE TABLE servers (
    region TEXT NOT NULL,
    id TEXT NOT NULL,
    client_token TEXT NOT NULL,
    idx INTEGER NOT NULL,
    name TEXT NOT NULL,
    image_id TEXT NOT NULL,
    product_id TEXT NOT NULL,
    firewall_ids TEXT NOT NULL,
    keypair_name TEXT,
    grp TEXT,
    billing_code TEXT,
    volumes TEXT,
    user_data TEXT,
    launched_ms INTEGER NOT NULL,
    terminated_ms INTEGER,
    -- what fault injection decided at launch: 'ok', 'fail' or 'stall'
    fate TEXT NOT NULL,
    private_address TEXT NOT NULL,
    public_address TEXT,
    tags TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (region, id),
    UNIQUE (region, client_token, idx)
  );
  `,
  // 2: a deprecation date on own images (setImageDeprecation), as EC2 keeps one on an AMI.
  `
  ALTER TABLE images ADD COLUMN deprecated_ms INTEGER;
  `,
  // 3: copies between regions (copyImage): the client token a copy was made with (its idempotency), and the
  // region/id of the image it copies (its lineage goes on there).
  `
  ALTER TABLE images ADD COLUMN copy_token TEXT;
  ALTER TABLE images ADD COLUMN copied_from TEXT;
  CREATE UNIQUE INDEX images_copy_token ON images (region, copy_token) WHERE copy_token IS NOT NULL;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export type Db = DatabaseSync;

/** Runs fn in a BEGIN IMMEDIATE transaction (the write lock is taken up front). fn must not await. */
export function transaction<T>(db: Db, fn: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = fn();
    db.exec('COMMIT');
    return result;
  } catch (error) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw error;
  }
}

/**
 * The database file and its -wal and -shm companions, 0600 whatever the umask: created 0600 before SQLite
 * opens it (SQLite gives -wal and -shm the database file's mode), and narrowed to 0600 where an older
 * strata left them readable by others.
 */
function ensurePrivateFiles(path: string): void {
  if (!existsSync(path)) {
    const fd = openSync(path, 'a', 0o600);
    try {
      fchmodSync(fd, 0o600);
    } finally {
      closeSync(fd);
    }
  }
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    } catch {
      // absent, or not ours to change
    }
  }
}

export function openSandboxDb(home: string): Db {
  const created = mkdirSync(home, { recursive: true, mode: 0o700 });
  if (created !== undefined) chmodSync(home, 0o700);
  ensurePrivateFiles(join(home, SANDBOX_DB_FILE));
  // Two strata starting at once on a fresh home both prepare the file; switching it to WAL can answer
  // "database is locked" at once, without the busy timeout. Such a race is waited out (bounded).
  const deadline = Date.now() + 5000;
  for (let attempt = 1; ; attempt++) {
    const db = new DatabaseSync(join(home, SANDBOX_DB_FILE), { timeout: 5000 });
    try {
      db.exec('PRAGMA journal_mode = WAL');
      db.exec('PRAGMA synchronous = NORMAL');
      migrate(db);
      return db;
    } catch (error) {
      db.close();
      if (!/locked|busy/i.test(error instanceof Error ? error.message : String(error)) || Date.now() > deadline) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.min(200, 20 * attempt));
    }
  }
}

function userVersion(db: Db): number {
  const row = db.prepare('PRAGMA user_version').get() as { user_version: number };
  return row.user_version;
}

/** Brings the schema up to date; safe when two processes open a fresh file at the same moment. */
function migrate(db: Db): void {
  if (userVersion(db) === SCHEMA_VERSION) return;
  transaction(db, () => {
    // Read again under the write lock: another process may have migrated meanwhile.
    const current = userVersion(db);
    if (current > SCHEMA_VERSION) {
      throw unsupported(
        `The sandbox database has schema version ${current}, newer than this strata knows (${SCHEMA_VERSION}); upgrade strata.`,
      );
    }
    for (let v = current; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]);
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
  });
}
