// A server's serial console, read from the log file virtlogd writes: the readiness it shows (kernel output,
// then cloud-init's lines) and the text the detail view shows.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { StrataError } from '../../core/errors.js';
import type { Phase } from '../../core/types.js';
import type { DomainInfo } from './domain.js';

/** How much of a console log is read (its end): enough for the readiness lines and the detail view. */
const CONSOLE_TAIL_BYTES = 64 * 1024;

const CLOUD_INIT_FINISHED = /Cloud-init v\. \S+ finished at ([^.]+?\d{4}(?: \d\d:\d\d:\d\d)?(?: [+-]\d{4})?)/;
const CLOUD_INIT_RUNNING = /Cloud-init v\. \S+ running '([^']+)' at ([^.]+?\d{4}(?: \d\d:\d\d:\d\d)?(?: [+-]\d{4})?)/;

/** The phase a running guest has reached, read from its serial console. */
export function consolePhase(text: string): { phase: Phase; at?: string } {
  const finished = CLOUD_INIT_FINISHED.exec(text);
  if (finished) return { phase: 'ready', at: finished[1] };
  let last: RegExpExecArray | null = null;
  const running = new RegExp(CLOUD_INIT_RUNNING.source, 'g');
  for (let m = running.exec(text); m; m = running.exec(text)) last = m;
  if (last) return { phase: 'initializing', at: last[2] };
  return { phase: text.trim() === '' ? 'booting' : 'running' };
}

/** Reads at most the last `bytes` of a file; undefined where it does not exist. */
function readTail(path: string, bytes: number): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const size = statSync(path).size;
    const length = Math.min(size, bytes);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    return buffer.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** A guest's "Tue, 01 Dec 2026 16:39:02 +0000", kept only where it falls between two bounds. */
export function guestTime(text: string | undefined, notBefore: number, notAfter: number): number | undefined {
  if (!text) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) && ms >= notBefore && ms <= notAfter ? ms : undefined;
}

/** The consoles of the servers this provider polls: each log read again only when it has changed. */
export class Consoles {
  /** What each server's console log showed, by its size then. */
  private readonly cache = new Map<string, { size: number; seen: { phase: Phase; at?: string } }>();

  /**
   * The phase a running guest's console shows. A log that has not grown is not read again, and once
   * cloud-init has said it finished, the guest stays ready while it runs (later output cannot push that
   * line out of the tail strata reads). A log that shrank is a new boot.
   */
  seen(domain: DomainInfo): { phase: Phase; at?: string } {
    const path = domain.consoleLog;
    if (!path) return { phase: 'booting' };
    let size: number;
    try {
      size = statSync(path).size;
    } catch {
      return { phase: 'booting' };
    }
    const last = this.cache.get(domain.uuid);
    if (last && last.size === size) return last.seen;
    let seen = consolePhase(readTail(path, CONSOLE_TAIL_BYTES) ?? '');
    if (last && size > last.size && last.seen.phase === 'ready' && seen.phase !== 'ready') seen = last.seen;
    this.cache.set(domain.uuid, { size, seen });
    return seen;
  }

  /** What the console showed belongs to one run of the guest. */
  forget(uuid: string): void {
    this.cache.delete(uuid);
  }

  /** The end of a server's console, as text with LF line ends. */
  output(domain: DomainInfo): string {
    if (!domain.consoleLog) return '';
    try {
      // A serial console ends its lines with CR LF.
      return (readTail(domain.consoleLog, CONSOLE_TAIL_BYTES) ?? '').replace(/\r\n?/g, '\n');
    } catch (error) {
      const code = (error as { code?: string }).code;
      throw new StrataError(
        code === 'EACCES' ? 'AuthFailed' : 'Transient',
        `strata cannot read the console log ${domain.consoleLog} (${code === 'EACCES' ? 'permission denied: run strata as a user who may read it' : code ?? 'unknown error'}).`,
      );
    }
  }
}
