import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { StrataError } from '../../source/core/errors.js';
import { openStore, SCHEMA_VERSION, STORE_FILE } from '../../source/store/db.js';
import { MIGRATIONS, type Migration } from '../../source/store/migrations.js';
import { useTempDirs } from './helpers.js';

function inspect(path: string) {
  const db = new DatabaseSync(path);
  try {
    const version = Number(db.prepare('PRAGMA user_version').get()!.user_version);
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .all()
      .map((r) => String(r.name));
    const journalMode = String(db.prepare('PRAGMA journal_mode').get()!.journal_mode);
    return { version, tables, journalMode };
  } finally {
    db.close();
  }
}

describe('store migrations', () => {
  const tempDir = useTempDirs();

  it('creates a fresh database at the newest schema, in WAL mode, with foreign keys on', () => {
    const dir = tempDir();
    const store = openStore(dir);
    expect(store.path).toBe(join(dir, STORE_FILE));
    expect(store.schemaVersion).toBe(SCHEMA_VERSION);
    // 5: stored copies of listings; 6: launch steps, per-server passphrase accounts, a job's builder;
    // 7: the login user set for an image; 8: copy jobs
    expect(SCHEMA_VERSION).toBe(8);
    store.close();
    const { version, tables, journalMode } = inspect(join(dir, STORE_FILE));
    expect(version).toBe(8);
    expect(tables).toEqual([
      'audit', 'copy_jobs', 'image_lineage', 'image_login', 'image_meta', 'jobs', 'launch_journal', 'launch_servers', 'launches',
      'listing_blocks', 'listing_copies', 'listing_pages',
    ]);
    expect(journalMode).toBe('wal');
  });

  it('turns foreign keys on for its connection', () => {
    const store = openStore(tempDir());
    // @ts-expect-error reaching into the private handle to read a connection pragma
    const db: DatabaseSync = store.db;
    expect(Number(db.prepare('PRAGMA foreign_keys').get()!.foreign_keys)).toBe(1);
    store.close();
  });

  it('makes the database and its WAL files readable by the owner only', () => {
    const dir = tempDir();
    const store = openStore(dir);
    store.audit.append({ provider: 'p', region: 'r', action: 'a', target: 't' });
    for (const file of [STORE_FILE, `${STORE_FILE}-wal`, `${STORE_FILE}-shm`]) {
      expect(statSync(join(dir, file)).mode & 0o777, file).toBe(0o600);
    }
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    store.close();
  });

  it('re-opening is a no-op: the data stays and the version does not move', () => {
    const dir = tempDir();
    const first = openStore(dir);
    first.setDisplayName('sandbox', 'eu-west', 'img-1', 'web base');
    first.close();
    const second = openStore(dir);
    expect(second.schemaVersion).toBe(SCHEMA_VERSION);
    expect(second.getImageMeta('sandbox', 'eu-west', 'img-1')?.displayName).toBe('web base');
    second.close();
    expect(inspect(join(dir, STORE_FILE)).version).toBe(SCHEMA_VERSION);
  });

  it('brings an older database forward, keeping its data', () => {
    const dir = tempDir();
    const old = openStore(dir, { migrations: MIGRATIONS.slice(0, 1) });
    expect(old.schemaVersion).toBe(1);
    old.setLabel('sandbox', 'eu-west', 'img-1', 'green');
    old.close();
    expect(inspect(join(dir, STORE_FILE)).tables).not.toContain('launch_journal');

    const store = openStore(dir);
    expect(store.schemaVersion).toBe(SCHEMA_VERSION);
    expect(store.getImageMeta('sandbox', 'eu-west', 'img-1')?.label).toBe('green');
    expect(store.journal('sandbox', 'eu-west').unfinished()).toEqual([]);
    store.close();
  });

  it('refuses a database from a newer strata with a clear sentence, and leaves it untouched', () => {
    const dir = tempDir();
    openStore(dir).close();
    const path = join(dir, STORE_FILE);
    const raw = new DatabaseSync(path);
    raw.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
    raw.exec("CREATE TABLE from_the_future (x TEXT); INSERT INTO from_the_future VALUES ('kept')");
    raw.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    raw.close();
    const before = readFileSync(path);

    let caught: unknown;
    try {
      openStore(dir);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(StrataError);
    expect((caught as StrataError).kind).toBe('Unsupported');
    expect((caught as Error).message).toBe(
      `The local database ${path} was written by a newer version of strata (schema ${SCHEMA_VERSION + 1}; this version knows up to ${SCHEMA_VERSION}). ` +
        'Upgrade strata, or point STRATA_HOME at another directory.',
    );
    expect(readFileSync(path).equals(before)).toBe(true);
    const after = inspect(path);
    expect(after.version).toBe(SCHEMA_VERSION + 1);
    expect(after.tables).toContain('from_the_future');
  });

  it('says so when the file is not a database', () => {
    const dir = tempDir();
    writeFileSync(join(dir, STORE_FILE), 'this is not sqlite, just some text that is long enough '.repeat(40));
    expect(() => openStore(dir)).toThrow(/is not a strata database/);
  });

  it('a migration that fails leaves the database as it was (one transaction)', () => {
    const dir = tempDir();
    openStore(dir).close();
    const broken: Migration[] = [
      ...MIGRATIONS,
      { version: SCHEMA_VERSION + 1, description: 'half good, half bad', sql: 'CREATE TABLE half (x); INSERT INTO nowhere VALUES (1);' },
    ];
    expect(() => openStore(dir, { migrations: broken })).toThrow(StrataError);
    const after = inspect(join(dir, STORE_FILE));
    expect(after.version).toBe(SCHEMA_VERSION);
    expect(after.tables).not.toContain('half');
  });

  it('applies migrations in order from a fresh file when two are pending', () => {
    const dir = tempDir();
    const extra: Migration[] = [
      ...MIGRATIONS,
      { version: SCHEMA_VERSION + 1, description: 'test', sql: 'CREATE TABLE extra (x); INSERT INTO extra SELECT count(*) FROM launch_journal;' },
    ];
    const store = openStore(dir, { migrations: extra });
    expect(store.schemaVersion).toBe(SCHEMA_VERSION + 1);
    store.close();
    expect(inspect(join(dir, STORE_FILE)).tables).toContain('extra');
  });
});
