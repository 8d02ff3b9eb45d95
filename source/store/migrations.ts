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
  {
    version: 3,
    description: 'launch records (the form behind a journal entry, the steps done, and group and billing code per server)',
    sql: `
      -- One row per launch (client token): the request it was made from (no secrets), what was done before
      -- the request (keypair, passphrase: where it is kept, never the value), and its group and billing code.
      CREATE TABLE launches (
        client_token     TEXT PRIMARY KEY REFERENCES launch_journal (client_token),
        provider         TEXT NOT NULL,
        region           TEXT NOT NULL,
        request          TEXT NOT NULL,
        user_data_sha256 TEXT,
        grp              TEXT,
        billing_code     TEXT,
        product_id       TEXT NOT NULL,
        hourly_price     REAL,
        tags_at_provider INTEGER NOT NULL,
        keypair          TEXT,
        passphrase_store TEXT,
        created_at       TEXT NOT NULL,
        updated_at       TEXT NOT NULL
      );
      CREATE INDEX launches_place ON launches (provider, region, created_at);

      -- The servers a launch started, with its group and billing code: where the provider holds no tags,
      -- this is where they live (quotas count from here).
      CREATE TABLE launch_servers (
        provider     TEXT NOT NULL,
        region       TEXT NOT NULL,
        server_id    TEXT NOT NULL,
        client_token TEXT NOT NULL REFERENCES launches (client_token),
        grp          TEXT,
        billing_code TEXT,
        product_id   TEXT NOT NULL,
        hourly_price REAL,
        PRIMARY KEY (provider, region, server_id)
      ) WITHOUT ROWID;
      CREATE INDEX launch_servers_billing ON launch_servers (billing_code);
    `,
  },
  {
    version: 4,
    description: 'jobs (the capture workflow, resumable) and the lineage of captured images where the provider holds no tags',
    sql: `
      -- One row per job: its parameters (no secrets), the step it is at, what each finished step produced
      -- (the builder's server id, the captured image's id), and who is running it (a lease, so two strata
      -- processes never run one job at once, and a crashed one's job is taken over).
      CREATE TABLE jobs (
        id               TEXT PRIMARY KEY,
        kind             TEXT NOT NULL,
        provider         TEXT NOT NULL,
        region           TEXT NOT NULL,
        state            TEXT NOT NULL CHECK (state IN ('launching', 'waiting-ready', 'capturing', 'waiting-image',
                           'labelling', 'terminating', 'done', 'failed', 'cancelled')),
        params           TEXT NOT NULL,
        client_token     TEXT NOT NULL UNIQUE,
        server_id        TEXT,
        image_id         TEXT,
        note             TEXT,
        error            TEXT,
        failed_step      TEXT,
        cancel_requested INTEGER NOT NULL DEFAULT 0,
        runner_id        TEXT,
        runner_pid       INTEGER,
        runner_host      TEXT,
        heartbeat_at     TEXT,
        created_at       TEXT NOT NULL,
        updated_at       TEXT NOT NULL,
        finished_at      TEXT
      );
      CREATE INDEX jobs_place ON jobs (provider, region, state, created_at);

      -- Where a captured image came from, for providers whose images cannot hold tags (the UI shows it).
      CREATE TABLE image_lineage (
        provider         TEXT NOT NULL,
        region           TEXT NOT NULL,
        image_id         TEXT NOT NULL,
        source_image_id  TEXT,
        source_server_id TEXT,
        captured_at      TEXT NOT NULL,
        PRIMARY KEY (provider, region, image_id)
      ) WITHOUT ROWID;
      CREATE INDEX image_lineage_source ON image_lineage (provider, region, source_image_id);
    `,
  },
  {
    version: 5,
    description: 'stored copies of a listing (the public catalogue), written page by page, read by position',
    sql: `
      -- One row per copy of a listing (provider, region, scope): "loading" while its pages are written,
      -- "complete" once the last one is (in that page's transaction). A loading copy names the process
      -- writing it (pid, host), so a copy whose process is gone is known to be abandoned.
      CREATE TABLE listing_copies (
        id           INTEGER PRIMARY KEY,
        provider     TEXT NOT NULL,
        region       TEXT NOT NULL,
        scope        TEXT NOT NULL,
        state        TEXT NOT NULL CHECK (state IN ('loading', 'complete')),
        rows         INTEGER NOT NULL DEFAULT 0,
        total        INTEGER,
        capped       INTEGER NOT NULL DEFAULT 0,
        id_width     INTEGER NOT NULL DEFAULT 0,
        pid          INTEGER,
        host         TEXT,
        started_at   TEXT NOT NULL,
        completed_at TEXT
      );
      CREATE INDEX listing_copies_place ON listing_copies (provider, region, scope, state, completed_at);

      -- The search index of a copy, one row per page: the rows' lower-cased search keys (each followed by a
      -- newline) and the hashes of their ids (uint32 little-endian), read back in one pass on a warm start.
      CREATE TABLE listing_pages (
        copy      INTEGER NOT NULL,
        first     INTEGER NOT NULL,
        count     INTEGER NOT NULL,
        keys      TEXT NOT NULL,
        id_hashes BLOB NOT NULL,
        PRIMARY KEY (copy, first)
      );

      -- The rows of a copy in small blocks (encoded by the catalogue service), read by position.
      CREATE TABLE listing_blocks (
        copy  INTEGER NOT NULL,
        first INTEGER NOT NULL,
        count INTEGER NOT NULL,
        data  BLOB NOT NULL,
        PRIMARY KEY (copy, first)
      );
      `,
    },
  {
    version: 6,
    description: 'launch steps (the firewall made at launch, one request per server), where each volume passphrase is kept, and what became of a job\'s builder',
    sql: `
      -- A launch's steps beyond keypair and passphrase, as JSON (no secrets): the firewall it made (its
      -- name before the request to make it, its id after), whether it is sent as one request per server,
      -- and the server each of those requests made.
      ALTER TABLE launches ADD COLUMN steps TEXT;

      -- Per server: the secret-store account of its volume passphrase (never the passphrase), when that
      -- passphrase was deleted (its volumes gone), and when strata terminated the server.
      ALTER TABLE launch_servers ADD COLUMN passphrase_account TEXT;
      ALTER TABLE launch_servers ADD COLUMN passphrase_deleted_at TEXT;
      ALTER TABLE launch_servers ADD COLUMN terminated_at TEXT;

      -- What becomes of a job's builder server: 'terminate' (asked, not yet done), 'terminated', 'kept' (on
      -- purpose), 'inspect' (a failed builder kept for inspection); and how often the job was retried.
      ALTER TABLE jobs ADD COLUMN builder TEXT;
      ALTER TABLE jobs ADD COLUMN retries INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    version: 7,
    description: 'the login user a user set for an image (s: ssh into a server launched from it)',
    sql: `
      CREATE TABLE image_login (
        provider   TEXT NOT NULL,
        region     TEXT NOT NULL,
        image_id   TEXT NOT NULL,
        login_user TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (provider, region, image_id)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 8,
    description: 'copy jobs (an own image copied to another region or source, resumable)',
    sql: `
      -- One row per copy of an image to another region (or source): where from, where to (provider as the
      -- store knows it, and region), the copy's name and what it carries (JSON, no secrets), the client token
      -- the provider's copy is made with (written before it is sent, so a retry never makes a second copy),
      -- the copy's id once the provider answered, the step it is at, and who runs it (a lease, as for jobs).
      CREATE TABLE copy_jobs (
        id               TEXT PRIMARY KEY,
        provider         TEXT NOT NULL,
        region           TEXT NOT NULL,
        from_provider    TEXT NOT NULL,
        from_region      TEXT NOT NULL,
        from_image       TEXT NOT NULL,
        state            TEXT NOT NULL CHECK (state IN ('copying', 'waiting', 'labelling', 'done', 'failed', 'cancelled')),
        params           TEXT NOT NULL,
        client_token     TEXT NOT NULL UNIQUE,
        image_id         TEXT,
        note             TEXT,
        error            TEXT,
        failed_step      TEXT,
        cancel_requested INTEGER NOT NULL DEFAULT 0,
        runner_id        TEXT,
        runner_pid       INTEGER,
        runner_host      TEXT,
        heartbeat_at     TEXT,
        created_at       TEXT NOT NULL,
        updated_at       TEXT NOT NULL,
        finished_at      TEXT
      );
      CREATE INDEX copy_jobs_place ON copy_jobs (provider, region, state, created_at);
      CREATE INDEX copy_jobs_from ON copy_jobs (from_provider, from_region, from_image);
    `,
  },
];

/** The schema version this strata writes and understands. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
