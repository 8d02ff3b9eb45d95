// The sandbox's own database file: created below the home, WAL, versioned schema, refuses a newer one.
import { DatabaseSync } from 'node:sqlite';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SANDBOX_DB_FILE } from '../../../source/providers/sandbox/index.js';
import { SCHEMA_VERSION } from '../../../source/providers/sandbox/db.js';
import { useSandbox } from './helpers.js';

describe('sandbox database', () => {
  const { home, open } = useSandbox();

  it('lives in ${home}/sandbox.db (creating the directory), in WAL mode, at the current schema version', async () => {
    const dir = join(home(), 'not', 'yet', 'there');
    const p = await open({ home: dir });
    await p.close();
    expect(existsSync(join(dir, SANDBOX_DB_FILE))).toBe(true);
    const db = new DatabaseSync(join(dir, SANDBOX_DB_FILE));
    try {
      expect(db.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
      expect(db.prepare('PRAGMA user_version').get()).toEqual({ user_version: SCHEMA_VERSION });
      expect((db.prepare('SELECT count(*) AS n FROM world').get() as { n: number }).n).toBe(1);
    } finally {
      db.close();
    }
  });

  it('refuses a database written by a newer strata, in a sentence', async () => {
    const dir = home();
    await (await open({ home: dir })).close();
    const db = new DatabaseSync(join(dir, SANDBOX_DB_FILE));
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    await expect(open({ home: dir })).rejects.toMatchObject({ message: expect.stringContaining('newer than this strata knows') });
  });
});
