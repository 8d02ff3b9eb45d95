// strata's log: a file, never the screen (the TUI owns stdout). Secrets never reach it.
import { appendFileSync, closeSync, fchmodSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  readonly file?: string;
  log(level: LogLevel, message: string, detail?: unknown): void;
}

const SECRET_KEY = /private|passphrase|password|secret|credential/i;

function redact(value: unknown, depth = 0): unknown {
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) {
    // A provider error keeps the tool's or the provider's own words (StrataError.detail) for the log.
    const detail = (value as { detail?: unknown }).detail;
    return { name: value.name, message: value.message, ...(typeof detail === 'string' && detail !== '' ? { detail: detail.slice(0, 4000) } : {}), stack: value.stack };
  }
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? '[redacted]' : redact(v, depth + 1);
  return out;
}

export function createLogger(file?: string): Logger {
  let ready = false;
  return {
    file,
    log(level, message, detail) {
      if (!file) return;
      try {
        if (!ready) {
          mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
          // Owner-only (0600) whatever the umask, and narrowed where an older strata left it looser.
          const fd = openSync(file, 'a', 0o600);
          try {
            if ((statSync(file).mode & 0o777) !== 0o600) fchmodSync(fd, 0o600);
          } finally {
            closeSync(fd);
          }
          ready = true;
        }
        const line = { at: new Date().toISOString(), level, message, ...(detail === undefined ? {} : { detail: redact(detail) }) };
        appendFileSync(file, JSON.stringify(line) + '\n', { mode: 0o600 });
      } catch {
        // A log that cannot be written must never take the TUI down.
      }
    },
  };
}

export const nullLogger: Logger = { log() {} };
