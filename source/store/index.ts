// The local store: one import for the services.
export { openStore, Store, STORE_FILE, BUSY_TIMEOUT_MS, MAX_DISPLAY_NAME, SCHEMA_VERSION } from './db.js';
export type { ImageMeta, ImageMetaPatch, OpenStoreOptions } from './db.js';
export { AuditLog, currentActor } from './audit.js';
export type { AuditEntry, AuditInput, AuditListOptions } from './audit.js';
export { LaunchJournal } from './journal.js';
export type { JournalEntry, JournalState } from './journal.js';
export { LaunchRecords } from './launches.js';
export type { LaunchRecord, NewLaunchRecord, KeypairStep, PassphraseStep, ServerRecord } from './launches.js';
export { ListingCopies } from './listings.js';
export type { ListingBlock, ListingCopy, ListingPage } from './listings.js';
export { MIGRATIONS } from './migrations.js';
export type { Migration } from './migrations.js';
export { strataHome, ensurePrivateDir } from './paths.js';
export type { StrataHome } from './paths.js';
export { redactSecrets, isSecretKey, isSecretValue, REDACTED } from './redact.js';
