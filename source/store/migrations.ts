// The schema of the local database, as an ordered list of migrations. Migration n brings the database
// from user_version n-1 to n. Never edit a migration that has shipped: append a new one.

export interface Migration {
  /** The user_version the database has after this migration. */
  version: number;
  description: string;
  /** SQL run inside the migration's transaction (BEGIN IMMEDIATE). */
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'image metadata (local names and labels) and the audit log',
    sql: `
      CREATE TABLE image_meta (
        provider     TEXT NOT NULL,
        region       TEXT NOT NULL,
        image_id     TEXT NOT NULL,
        display_name TEXT,
        label        TEXT,
        updated_at   TEXT NOT NULL,
        PRIMARY KEY (provider, region, image_id)
      ) WITHOUT ROWID;

      CREATE TABLE audit (
        id       INTEGER PRIMARY KEY,
        at       TEXT NOT NULL,
        actor    TEXT NOT NULL,
        provider TEXT NOT NULL,
        region   TEXT NOT NULL,
        action   TEXT NOT NULL,
        target   TEXT NOT NULL,
        detail   TEXT NOT NULL DEFAULT '{}'
      );
      CREATE INDEX audit_provider ON audit (provider, id);
    `,
  },
  {
    version: 2,
    description: 'the launch journal (a launch is written before it is sent, so it is never sent twice)',
    sql: `
      CREATE TABLE launch_journal (
        client_token TEXT PRIMARY KEY,
        provider     TEXT NOT NULL,
        region       TEXT NOT NULL,
        spec         TEXT NOT NULL,
        state        TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'done', 'failed')),
        server_ids   TEXT NOT NULL DEFAULT '[]',
        error        TEXT,
        created_at   TEXT NOT NULL,
        updated_at   TEXT NOT NULL
      );
      CREATE INDEX launch_journal_state ON launch_journal (state, created_at);
    `,
  },
];

/** The schema version this strata writes and understands. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
