// secrets/: the keychain (keytar's API, with a 0600 file fallback whose path strata states) and key custody.
export {
  openSecretStore,
  keychainName,
  SECRETS_FILE_NAME,
  type OpenSecretStoreOptions,
  type SecretStore,
  type SecretStoreKind,
} from './keychain.js';
export {
  addToAgent,
  agentAvailable,
  defaultKeyDirectory,
  fingerprintOfPrivateKey,
  fingerprintOfPublicKey,
  generateKeypair,
  privateKeyPath,
  resolveKeyDirectory,
  savePrivateKey,
  type AgentResult,
  type GeneratedKeypair,
  type KeyType,
  type SavedKey,
} from './keys.js';
export { generatePassphrase, luksAccount, PASSPHRASE_BYTES, PASSPHRASE_PATTERN } from './passphrase.js';
