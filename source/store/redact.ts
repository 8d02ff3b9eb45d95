// The audit log must never hold a secret. Anything written to it passes through redactSecrets first.
//
// What counts as a secret (documented rule, tested in test/store/audit.test.ts):
// - a value under a key that looks secret, at any depth: after lower-casing and dropping everything but
//   letters and digits, the key contains one of SECRET_KEY_PARTS (privateKey, private_key, passphrase,
//   password, passwd, secret, token, credential, apiKey, accessKey, sessionKey, …);
// - EXCEPT `clientToken` (also client_token / client-token): the idempotency token of a launch. It is not a
//   secret: it only stops a retry from starting a second server, and it is printed in the launch journal
//   and sent to the provider in the clear; the audit log needs it to tie entries to launches;
// - any string value that holds a PEM private key (`-----BEGIN … PRIVATE KEY-----`), whatever its key.
// A redacted value is replaced by REDACTED, so the log still says that the field was there.

export const REDACTED = '[redacted]';

const SECRET_KEY_PARTS = [
  'privatekey',
  'passphrase',
  'password',
  'passwd',
  'secret',
  'token',
  'credential',
  'apikey',
  'accesskey',
  'sessionkey',
  'authorization',
  'cookie',
] as const;

/** Keys that look secret but are not (see the header of this file). */
const NOT_SECRET = new Set(['clienttoken']);

const PEM_PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;

/** Whether a value stored under this key is treated as a secret. */
export function isSecretKey(key: string): boolean {
  const k = key.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (NOT_SECRET.has(k)) return false;
  return SECRET_KEY_PARTS.some((part) => k.includes(part));
}

/** Whether a string value is itself a secret (a private key), whatever key it is under. */
export function isSecretValue(value: unknown): boolean {
  return typeof value === 'string' && PEM_PRIVATE_KEY.test(value);
}

/**
 * A JSON-safe deep copy of `value` with every secret replaced by REDACTED, and the paths that were
 * redacted (e.g. "keypair.privateKey"). Cycles become "[cycle]"; functions and symbols are dropped.
 */
export function redactSecrets(value: unknown): { value: unknown; redacted: string[] } {
  const redacted: string[] = [];
  const seen = new WeakSet<object>();
  const walk = (v: unknown, path: string): unknown => {
    if (isSecretValue(v)) {
      redacted.push(path || '(value)');
      return REDACTED;
    }
    if (v === null || typeof v !== 'object') {
      if (typeof v === 'bigint') return v.toString();
      if (typeof v === 'function' || typeof v === 'symbol' || v === undefined) return undefined;
      if (typeof v === 'number' && !Number.isFinite(v)) return null;
      return v;
    }
    if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
    if (seen.has(v)) return '[cycle]';
    seen.add(v);
    try {
      if (Array.isArray(v)) return v.map((item, i) => walk(item, `${path}[${i}]`) ?? null);
      if (v instanceof Error) return { name: v.name, message: walk(v.message, `${path}.message`) };
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(v)) {
        const itemPath = path ? `${path}.${key}` : key;
        if (isSecretKey(key)) {
          if (item !== undefined) {
            redacted.push(itemPath);
            out[key] = REDACTED;
          }
          continue;
        }
        const copied = walk(item, itemPath);
        if (copied !== undefined) out[key] = copied;
      }
      return out;
    } finally {
      seen.delete(v);
    }
  };
  return { value: walk(value, ''), redacted };
}
