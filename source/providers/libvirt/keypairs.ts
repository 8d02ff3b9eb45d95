// Keypairs on a libvirt host: libvirt has none, so strata keeps the public half of keys it imports (made
// with ssh-keygen) in its state file, and a launch puts them in the server's NoCloud seed.
import { checkPublicKey, checkResourceName } from '../../core/checks.js';
import { conflict, unsupported } from '../../core/errors.js';
import { sshFingerprint } from '../../core/ssh.js';
import type { CreatedKeypair, Keypair } from '../../core/types.js';
import { RESOURCE_NAMES } from './capabilities.js';
import type { StateFile } from './state.js';

export function listKeypairs(state: StateFile): Keypair[] {
  return state
    .read()
    .keypairs.map((k) => ({ id: k.name, name: k.name, fingerprint: k.fingerprint, createdAt: k.createdAt }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

export function publicKeysOf(state: StateFile, name: string | undefined): string[] {
  return name ? state.read().keypairs.filter((k) => k.name === name).map((k) => k.publicKey) : [];
}

export async function createKeypair(): Promise<CreatedKeypair> {
  throw unsupported('libvirt has no keypairs of its own: strata makes one with ssh-keygen and imports its public half.');
}

export function importKeypair(state: StateFile, name: string, publicKey: string): Keypair {
  checkResourceName('keypair', name, RESOURCE_NAMES);
  const line = checkPublicKey(publicKey, 'strata (for cloud-init)');
  const fingerprint = sshFingerprint(Buffer.from(line.split(/\s+/)[1]!, 'base64'));
  const createdAt = new Date().toISOString();
  return state.update((s) => {
    if (s.keypairs.some((k) => k.name === name)) throw conflict(`A keypair named "${name}" already exists.`);
    s.keypairs.push({ name, publicKey: line, fingerprint, createdAt });
    return { id: name, name, fingerprint, createdAt };
  });
}
