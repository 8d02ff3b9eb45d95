// SSH keys as a cloud handles them: a created keypair is a real RSA key (PKCS#1 PEM, as EC2 returns it,
// which `ssh-keygen -y -f` reads); only the public half is kept. Public keys are OpenSSH lines; their
// fingerprint is OpenSSH's: "SHA256:" + unpadded base64 of the SHA-256 of the key's wire blob.
import { createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { checkPublicKey } from '../../core/checks.js';
import { invalid } from '../../core/errors.js';
import { sshFingerprint, sshMpint, sshString } from '../../core/ssh.js';

const generateKeyPairAsync = promisify(generateKeyPair);

export const fingerprintOf = sshFingerprint;

/** The OpenSSH public-key blob of a node KeyObject (RSA or Ed25519). */
export function publicBlobOf(key: KeyObject): { type: string; blob: Buffer } {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const jwk = publicKey.export({ format: 'jwk' });
  if (jwk.kty === 'RSA') {
    const e = Buffer.from(jwk.e!, 'base64url');
    const n = Buffer.from(jwk.n!, 'base64url');
    return { type: 'ssh-rsa', blob: Buffer.concat([sshString('ssh-rsa'), sshMpint(e), sshMpint(n)]) };
  }
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') {
    return { type: 'ssh-ed25519', blob: Buffer.concat([sshString('ssh-ed25519'), sshString(Buffer.from(jwk.x!, 'base64url'))]) };
  }
  throw new Error(`Keys of type ${jwk.kty} are not handled here.`);
}

export function openSshLine(key: KeyObject, comment?: string): string {
  const { type, blob } = publicBlobOf(key);
  return `${type} ${blob.toString('base64')}${comment ? ` ${comment}` : ''}`;
}

export interface GeneratedKey {
  type: string;
  privateKeyPem: string;
  publicKey: string;
  fingerprint: string;
}

/** A new RSA 2048 keypair, generated off the main thread. */
export async function generateRsaKey(comment: string): Promise<GeneratedKey> {
  const { privateKey } = await generateKeyPairAsync('rsa', { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ format: 'pem', type: 'pkcs1' }) as string;
  const { type, blob } = publicBlobOf(privateKey);
  return { type, privateKeyPem, publicKey: `${type} ${blob.toString('base64')} ${comment}`, fingerprint: fingerprintOf(blob) };
}

/** A deterministic Ed25519 key from 32 bytes of seed material (for the sandbox's seeded world). */
export function ed25519FromSeed(seed32: Buffer): KeyObject {
  if (seed32.length !== 32) throw new RangeError('An Ed25519 seed is 32 bytes.');
  // PKCS#8 wrapping of a raw Ed25519 private key (RFC 8410).
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed32]);
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
}

const ECDSA_CURVES: Record<string, { curve: string; pointBytes: number }> = {
  'ecdsa-sha2-nistp256': { curve: 'nistp256', pointBytes: 65 },
  'ecdsa-sha2-nistp384': { curve: 'nistp384', pointBytes: 97 },
  'ecdsa-sha2-nistp521': { curve: 'nistp521', pointBytes: 133 },
};

export const ACCEPTED_KEY_TYPES = ['ssh-rsa', 'ssh-ed25519', ...Object.keys(ECDSA_CURVES)];

/** Reads SSH wire strings from a blob, refusing anything that runs past its end. */
class BlobReader {
  private offset = 0;
  constructor(private readonly blob: Buffer) {}
  string(): Buffer {
    if (this.offset + 4 > this.blob.length) throw new Error('truncated');
    const length = this.blob.readUInt32BE(this.offset);
    this.offset += 4;
    if (this.offset + length > this.blob.length) throw new Error('truncated');
    const out = this.blob.subarray(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }
  get done(): boolean {
    return this.offset === this.blob.length;
  }
}

export interface ParsedPublicKey {
  type: string;
  /** The normalised line: type, base64 and the comment (if any). */
  line: string;
  fingerprint: string;
  bits?: number;
}

/** Validates an OpenSSH public key line ("ssh-ed25519 AAAA… comment"); Invalid with field 'publicKey'. */
export function parsePublicKey(text: string): ParsedPublicKey {
  const field = 'publicKey';
  // The line itself as every provider checks it (core); then what only a real key has (sizes, curves).
  const line = checkPublicKey(text, 'The sandbox', ACCEPTED_KEY_TYPES);
  const [type, data, ...rest] = line.split(/\s+/) as [string, string, ...string[]];
  const blob = Buffer.from(data, 'base64');
  let bits: number | undefined;
  try {
    const reader = new BlobReader(blob);
    const inner = reader.string().toString('latin1');
    if (inner !== type) throw invalid(`The key says it is "${type}" but its data holds a "${inner.slice(0, 40)}" key.`, field);
    if (type === 'ssh-rsa') {
      const e = reader.string();
      const n = reader.string();
      if (e.length === 0 || n.length === 0) throw new Error('empty');
      let top = 0;
      while (top < n.length && n[top] === 0) top++;
      bits = (n.length - top) * 8 - Math.clz32(n[top] ?? 0) + 24;
      if (bits < 2048) throw invalid(`RSA keys need at least 2048 bits; this one has ${bits}.`, field);
    } else if (type === 'ssh-ed25519') {
      if (reader.string().length !== 32) throw new Error('bad length');
      bits = 256;
    } else {
      const { curve, pointBytes } = ECDSA_CURVES[type];
      if (reader.string().toString('latin1') !== curve) throw new Error('curve mismatch');
      const point = reader.string();
      if (point.length !== pointBytes || point[0] !== 4) throw new Error('bad point');
      bits = Number(curve.slice(5));
    }
    if (!reader.done) throw new Error('trailing data');
  } catch (error) {
    if (error instanceof Error && 'kind' in error) throw error;
    throw invalid(`The key data is not a well-formed ${type} public key.`, field);
  }
  const comment = rest.join(' ');
  return { type, line: comment ? `${type} ${data} ${comment}` : `${type} ${data}`, fingerprint: fingerprintOf(blob), bits };
}
