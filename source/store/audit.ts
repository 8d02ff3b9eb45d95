// The audit log: who changed what, when, where. Append-only; never holds a secret (see redact.ts).
import type { DatabaseSync } from 'node:sqlite';
import { userInfo } from 'node:os';
import { StrataError } from '../core/errors.js';
import { redactSecrets } from './redact.js';

export interface AuditInput {
  provider: string;
  region: string;
  /** What was done, e.g. "image.rename", "image.label", "server.launch". */
  action: string;
  /** What it was done to (an image id, a server id, a client token). */
  target: string;
  /** Anything worth keeping (old and new values, ids). Secret-looking keys are redacted (redact.ts). */
  detail?: Record<string, unknown>;
  /** Defaults to the store's actor (the OS user). */
  actor?: string;
}

export interface AuditEntry {
  id: number;
  /** ISO 8601. */
  at: string;
  actor: string;
  provider: string;
  region: string;
  action: string;
  target: string;
  detail: Record<string, unknown>;
}

export interface AuditListOptions {
  /** At most this many entries, newest first (default 100, at most 10,000). */
  limit?: number;
  provider?: string;
  region?: string;
  action?: string;
  target?: string;
  /** Only entries at or after this moment. */
  since?: Date;
}

/** The OS user running strata; never throws (a container may have no passwd entry). */
export function currentActor(env: Record<string, string | undefined> = process.env): string {
  try {
    const name = userInfo().username;
    if (name) return name;
  } catch {
    // fall through
  }
  return env.USER || env.LOGNAME || env.USERNAME || `uid:${process.getuid?.() ?? 'unknown'}`;
}

export class AuditLog {
  constructor(
    private readonly db: DatabaseSync,
    private readonly actor: string,
    private readonly now: () => Date,
  ) {}

  /**
   * Appends one entry and returns it as stored. The detail is copied through redactSecrets: a value under
   * a key that looks secret (privateKey, passphrase, password, secret, token, …; `clientToken` excepted,
   * it is an idempotency token) or a string holding a PEM private key is stored as "[redacted]", and the
   * entry's detail lists the redacted paths under `redacted`. Nothing secret ever reaches the file.
   */
  append(input: AuditInput): AuditEntry {
    for (const field of ['provider', 'region', 'action', 'target'] as const) {
      if (typeof input[field] !== 'string') {
        throw new StrataError('Invalid', `An audit entry needs a ${field}.`, { field });
      }
    }
    const { value, redacted } = redactSecrets(input.detail ?? {});
    const detail = (value && typeof value === 'object' && !Array.isArray(value) ? value : { value }) as Record<
      string,
      unknown
    >;
    if (redacted.length > 0) detail.redacted = redacted;
    const at = this.now().toISOString();
    const actor = input.actor ?? this.actor;
    const result = this.db
      .prepare(
        'INSERT INTO audit (at, actor, provider, region, action, target, detail) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(at, actor, input.provider, input.region, input.action, input.target, JSON.stringify(detail));
    return {
      id: Number(result.lastInsertRowid),
      at,
      actor,
      provider: input.provider,
      region: input.region,
      action: input.action,
      target: input.target,
      detail,
    };
  }

  /** Entries, newest first. */
  list(options: AuditListOptions = {}): AuditEntry[] {
    const limit = Math.max(1, Math.min(10_000, Math.floor(options.limit ?? 100)));
    const where: string[] = [];
    const params: string[] = [];
    for (const field of ['provider', 'region', 'action', 'target'] as const) {
      const value = options[field];
      if (value !== undefined) {
        where.push(`${field} = ?`);
        params.push(value);
      }
    }
    if (options.since !== undefined) {
      where.push('at >= ?');
      params.push(options.since.toISOString());
    }
    const sql = `SELECT id, at, actor, provider, region, action, target, detail FROM audit${
      where.length ? ` WHERE ${where.join(' AND ')}` : ''
    } ORDER BY id DESC LIMIT ${limit}`;
    return this.db
      .prepare(sql)
      .all(...params)
      .map((row) => ({
        id: Number(row.id),
        at: String(row.at),
        actor: String(row.actor),
        provider: String(row.provider),
        region: String(row.region),
        action: String(row.action),
        target: String(row.target),
        detail: parseObject(row.detail),
      }));
  }
}

function parseObject(text: unknown): Record<string, unknown> {
  try {
    const value = JSON.parse(String(text));
    return value && typeof value === 'object' && !Array.isArray(value) ? value : { value };
  } catch {
    return { unreadable: String(text) };
  }
}
