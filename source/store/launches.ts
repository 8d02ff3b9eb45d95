// Launch records (migration 3): beside each journal entry, the request the launch was made from (so a
// retry sends exactly the same one), the steps done before the request (a keypair created or imported,
// where the encryption passphrase is kept — never the passphrase), and the group and billing code of the
// servers it started. Where a provider holds no tags, group and billing code live here and nowhere else.
//
// Nothing here is a secret: the request is a LaunchRequest (names and paths), the keypair step is a
// name, a fingerprint and a file path, the passphrase step says which store holds it, the other steps
// (migration 6) are the firewall's name and id and the servers' ids.
import type { DatabaseSync } from 'node:sqlite';
import { StrataError } from '../core/errors.js';

export interface KeypairStep {
  name: string;
  fingerprint: string;
  /** 'created' by the provider (private key saved by strata), or generated locally and 'imported'. */
  how: 'created' | 'imported';
  /** The private key file strata wrote. */
  path?: string;
}

export interface PassphraseStep {
  where: 'keychain' | 'file';
  /** The file that holds it, where it is a file. */
  path?: string;
  /** The account it is kept under (before the launch: the token's; after: one per server). */
  accounts: string[];
}

/** The firewall a launch makes (its name is recorded before the request to make it, its id after). */
export interface FirewallStep {
  name: string;
  /** The firewall's id, once made (or found to be this launch's own). */
  id?: string;
}

/**
 * A launch's steps beyond keypair and passphrase (migration 6). `requests` says how it is sent: 'one'
 * request for every server (a launch of one server, and every launch of an older strata), or one request
 * 'per-server' under the tokens `${token}-1` … `${token}-N`, so each server gets its own user data (its own
 * volume passphrase). `parts` holds the server each of those requests made, by its number (1-based).
 */
export interface LaunchSteps {
  requests: 'one' | 'per-server';
  firewall?: FirewallStep;
  parts?: Record<string, string>;
}

export interface LaunchRecord {
  clientToken: string;
  provider: string;
  region: string;
  /** The launch request as the form made it (services parse it; no secrets). */
  request: unknown;
  /** The SHA-256 of the user's user data file at the time of the launch, where there was one. */
  userDataSha256?: string;
  group?: string;
  billingCode?: string;
  productId: string;
  hourlyPrice?: number;
  /** Whether group and billing code travel as tags at the provider (else they live only here). */
  tagsAtProvider: boolean;
  keypair?: KeypairStep;
  passphrase?: PassphraseStep;
  /** Absent on a launch recorded by an older strata (one request, no firewall step). */
  steps?: LaunchSteps;
  serverIds: string[];
  createdAt: string;
  updatedAt: string;
}

export type NewLaunchRecord = Omit<LaunchRecord, 'keypair' | 'passphrase' | 'serverIds' | 'createdAt' | 'updatedAt'>;

/** What the local store knows of a server a launch started. */
export interface ServerRecord {
  serverId: string;
  clientToken: string;
  group?: string;
  billingCode?: string;
  productId: string;
  hourlyPrice?: number;
  /** The secret-store account of its volume passphrase (never the passphrase), where it has one. */
  passphraseAccount?: string;
  /** When that passphrase was deleted (its volumes gone with the server). */
  passphraseDeletedAt?: string;
  /** When strata terminated the server. */
  terminatedAt?: string;
}

export class LaunchRecords {
  constructor(
    private readonly db: DatabaseSync,
    private readonly now: () => Date,
    private readonly transaction: <T>(fn: () => T) => T,
  ) {}

  /**
   * Writes the record of a launch (its journal entry must exist). Idempotent: where the token already has
   * a record, that record is returned unchanged.
   */
  create(input: NewLaunchRecord): LaunchRecord {
    return this.transaction(() => {
      const existing = this.get(input.clientToken);
      if (existing) return existing;
      const at = this.now().toISOString();
      this.db
        .prepare(
          `INSERT INTO launches (client_token, provider, region, request, user_data_sha256, grp, billing_code, product_id,
             hourly_price, tags_at_provider, keypair, passphrase_store, steps, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?, ?)`,
        )
        .run(
          input.clientToken,
          input.provider,
          input.region,
          JSON.stringify(input.request),
          input.userDataSha256 ?? null,
          input.group ?? null,
          input.billingCode ?? null,
          input.productId,
          input.hourlyPrice ?? null,
          input.tagsAtProvider ? 1 : 0,
          input.steps ? JSON.stringify(input.steps) : null,
          at,
          at,
        );
      return this.get(input.clientToken)!;
    });
  }

  get(clientToken: string): LaunchRecord | undefined {
    const row = this.db.prepare('SELECT * FROM launches WHERE client_token = ?').get(clientToken);
    if (!row) return undefined;
    const servers = this.db
      .prepare('SELECT server_id FROM launch_servers WHERE client_token = ? ORDER BY server_id')
      .all(clientToken)
      .map((r) => String(r.server_id));
    return toRecord(row, servers);
  }

  /** Records the keypair made for this launch (so a retry does not make a second one). */
  noteKeypair(clientToken: string, step: KeypairStep): LaunchRecord {
    return this.update(clientToken, 'keypair', JSON.stringify(step));
  }

  /** Records where the encryption passphrase is kept (never the passphrase). */
  notePassphrase(clientToken: string, step: PassphraseStep): LaunchRecord {
    return this.update(clientToken, 'passphrase_store', JSON.stringify(step));
  }

  /** Records the launch's steps (the firewall made, the server each per-server request made). */
  noteSteps(clientToken: string, steps: LaunchSteps): LaunchRecord {
    return this.update(clientToken, 'steps', JSON.stringify(steps));
  }

  /** Records the servers the launch started, with the launch's group, billing code and price. Repeatable. */
  addServers(clientToken: string, serverIds: string[]): LaunchRecord {
    return this.transaction(() => {
      const record = this.get(clientToken);
      if (!record) throw new StrataError('NotFound', `No launch with client token ${clientToken} is recorded.`);
      const insert = this.db.prepare(
        `INSERT INTO launch_servers (provider, region, server_id, client_token, grp, billing_code, product_id, hourly_price)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (provider, region, server_id) DO NOTHING`,
      );
      for (const id of serverIds) {
        insert.run(
          record.provider,
          record.region,
          id,
          clientToken,
          record.group ?? null,
          record.billingCode ?? null,
          record.productId,
          record.hourlyPrice ?? null,
        );
      }
      this.db.prepare('UPDATE launches SET updated_at = ? WHERE client_token = ?').run(this.now().toISOString(), clientToken);
      return this.get(clientToken)!;
    });
  }

  /** What the store knows of the servers of a provider's region (by server id). */
  servers(provider: string, region: string): Map<string, ServerRecord> {
    const rows = this.db.prepare('SELECT * FROM launch_servers WHERE provider = ? AND region = ?').all(provider, region);
    const out = new Map<string, ServerRecord>();
    for (const row of rows) {
      const record: ServerRecord = {
        serverId: String(row.server_id),
        clientToken: String(row.client_token),
        productId: String(row.product_id),
      };
      if (row.grp !== null) record.group = String(row.grp);
      if (row.billing_code !== null) record.billingCode = String(row.billing_code);
      if (row.hourly_price !== null) record.hourlyPrice = Number(row.hourly_price);
      if (row.passphrase_account !== null) record.passphraseAccount = String(row.passphrase_account);
      if (row.passphrase_deleted_at !== null) record.passphraseDeletedAt = String(row.passphrase_deleted_at);
      if (row.terminated_at !== null) record.terminatedAt = String(row.terminated_at);
      out.set(record.serverId, record);
    }
    return out;
  }

  /** Records the account a server's volume passphrase is kept under (the server's row must exist). */
  notePassphraseAccount(provider: string, region: string, serverId: string, account: string): void {
    const result = this.db
      .prepare('UPDATE launch_servers SET passphrase_account = ?, passphrase_deleted_at = NULL WHERE provider = ? AND region = ? AND server_id = ?')
      .run(account, provider, region, serverId);
    if (Number(result.changes) === 0) throw new StrataError('NotFound', `No launch recorded server ${serverId}.`);
  }

  /** Records that a server's volume passphrase was deleted from the secret store. */
  notePassphraseDeleted(provider: string, region: string, serverId: string): void {
    this.db
      .prepare('UPDATE launch_servers SET passphrase_deleted_at = ? WHERE provider = ? AND region = ? AND server_id = ?')
      .run(this.now().toISOString(), provider, region, serverId);
  }

  /** Records that strata terminated a server (harmless for a server no launch of strata's made). */
  noteTerminated(provider: string, region: string, serverId: string): void {
    this.db
      .prepare('UPDATE launch_servers SET terminated_at = COALESCE(terminated_at, ?) WHERE provider = ? AND region = ? AND server_id = ?')
      .run(this.now().toISOString(), provider, region, serverId);
  }

  /** The servers of a provider's region whose volume passphrase is still kept. */
  keptPassphrases(provider: string, region: string): ServerRecord[] {
    return [...this.servers(provider, region).values()].filter((s) => s.passphraseAccount !== undefined && s.passphraseDeletedAt === undefined);
  }

  /** The newest keypair a launch of this provider and region made under this name (its key file strata wrote). */
  keypairNamed(provider: string, region: string, name: string): KeypairStep | undefined {
    const rows = this.db
      .prepare('SELECT keypair FROM launches WHERE provider = ? AND region = ? AND keypair IS NOT NULL ORDER BY created_at DESC')
      .all(provider, region);
    for (const row of rows) {
      const step = parseJson<KeypairStep>(row.keypair);
      if (step?.name === name) return step;
    }
    return undefined;
  }

  /** The firewalls launches of this provider and region made (their id, from the firewall step), with the launch's token. */
  firewallsMade(provider: string, region: string): Map<string, string> {
    const rows = this.db.prepare('SELECT client_token, steps FROM launches WHERE provider = ? AND region = ? AND steps IS NOT NULL').all(provider, region);
    const out = new Map<string, string>();
    for (const row of rows) {
      const id = parseJson<LaunchSteps>(row.steps)?.firewall?.id;
      if (typeof id === 'string' && id !== '') out.set(id, String(row.client_token));
    }
    return out;
  }

  /** Every group and billing code used in a launch before, on any provider (for the form's choices). */
  usedNames(): { groups: string[]; billingCodes: string[] } {
    const list = (column: 'grp' | 'billing_code') =>
      this.db
        .prepare(`SELECT DISTINCT ${column} AS v FROM launches WHERE ${column} IS NOT NULL ORDER BY ${column}`)
        .all()
        .map((r) => String(r.v));
    return { groups: list('grp'), billingCodes: list('billing_code') };
  }

  private update(clientToken: string, column: 'keypair' | 'passphrase_store' | 'steps', value: string): LaunchRecord {
    return this.transaction(() => {
      const result = this.db
        .prepare(`UPDATE launches SET ${column} = ?, updated_at = ? WHERE client_token = ?`)
        .run(value, this.now().toISOString(), clientToken);
      if (Number(result.changes) === 0) throw new StrataError('NotFound', `No launch with client token ${clientToken} is recorded.`);
      return this.get(clientToken)!;
    });
  }
}

function parseJson<T>(text: unknown): T | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

function toRecord(row: Record<string, unknown>, serverIds: string[]): LaunchRecord {
  const record: LaunchRecord = {
    clientToken: String(row.client_token),
    provider: String(row.provider),
    region: String(row.region),
    request: parseJson(row.request),
    productId: String(row.product_id),
    tagsAtProvider: Number(row.tags_at_provider) === 1,
    serverIds,
    createdAt: String(row.created_at),
    updatedAt: String(row.updated_at),
  };
  if (row.user_data_sha256 !== null) record.userDataSha256 = String(row.user_data_sha256);
  if (row.grp !== null) record.group = String(row.grp);
  if (row.billing_code !== null) record.billingCode = String(row.billing_code);
  if (row.hourly_price !== null) record.hourlyPrice = Number(row.hourly_price);
  const keypair = parseJson<KeypairStep>(row.keypair);
  if (keypair) record.keypair = keypair;
  const passphrase = parseJson<PassphraseStep>(row.passphrase_store);
  if (passphrase) record.passphrase = passphrase;
  const steps = parseJson<LaunchSteps>(row.steps);
  if (steps && (steps.requests === 'one' || steps.requests === 'per-server')) record.steps = steps;
  return record;
}
