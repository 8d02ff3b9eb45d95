// A read-only session (--read-only) changes nothing, in the foreground or the background. The UI disables
// its mutating keys; the services refuse too (defence in depth): every method that would change something
// at the provider or in the store throws ReadOnlySession, and the session's provider itself refuses every
// call that changes something, so no code path that holds it can get past.
import { StrataError } from '../core/errors.js';
import type { ProviderService } from '../providers/provider.js';

/** A change asked of a read-only session: refused, with a sentence that says so. */
export class ReadOnlySession extends StrataError {
  /** What was refused ("launch servers"). */
  readonly refused: string;
  readonly readOnly = true as const;

  /** The source whose readOnly in config.yaml refused it, where a source's did (else --read-only). */
  readonly source?: string;

  constructor(what: string, source?: string) {
    super(
      'Unsupported',
      source !== undefined
        ? `${source} is read-only (readOnly in config.yaml): strata does not ${what} there.`
        : `Read-only session: strata does not ${what} here (it was started with --read-only).`,
      { field: 'readOnly' },
    );
    this.name = 'ReadOnlySession';
    this.refused = what;
    if (source !== undefined) this.source = source;
  }
}

export function isReadOnlyRefusal(error: unknown): error is ReadOnlySession {
  return error instanceof ReadOnlySession;
}

/** Throws ReadOnlySession where the session is read-only. */
export function refuseIfReadOnly(readOnly: boolean | undefined, what: string, source?: string): void {
  if (readOnly) throw new ReadOnlySession(what, source);
}

// The provider methods that only read (the contract's, and the sandbox's description of its clock).
const READS = new Set([
  'describe',
  'listImages',
  'getImage',
  'listProducts',
  'listFirewalls',
  'listKeypairs',
  'previewLaunch',
  'serversByToken',
  'listServers',
  'consoleOutput',
  'references',
  'address',
  'close',
  'timeScale',
]);

/** What a refused provider method would do, for the sentence. */
const DOING: Record<string, string> = {
  captureImage: 'capture images',
  deleteImage: 'delete images',
  importImage: 'import images',
  setImageTags: 'change image tags',
  setImageDeprecation: 'deprecate images',
  createFirewall: 'create firewalls',
  deleteFirewall: 'delete firewalls',
  createKeypair: 'create keypairs',
  importKeypair: 'import keypairs',
  launch: 'launch servers',
  terminate: 'terminate servers',
  copyImage: 'copy images',
};

/**
 * The provider as a read-only session holds it: every method that is not a known read is refused with
 * ReadOnlySession (a method added to the contract later is refused until it is listed as a read).
 */
export function readOnlyProvider(provider: ProviderService, source?: string): ProviderService {
  return new Proxy(provider, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== 'function' || typeof key !== 'string' || READS.has(key)) {
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      }
      return () => Promise.reject(new ReadOnlySession(DOING[key] ?? `change anything at the provider (${key})`, source));
    },
  });
}
