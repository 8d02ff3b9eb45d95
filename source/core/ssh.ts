// The SSH wire format, as far as strata needs it: public-key blobs and their OpenSSH fingerprints.
// Pure: shared by the sandbox (which creates keys) and key custody (which checks the keys it saves).
import { createHash } from 'node:crypto';

/** An SSH wire "string": uint32 length, then the bytes. */
export function sshString(data: Buffer | string): Buffer {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/** An SSH "mpint" from big-endian unsigned bytes: no leading zeros, a 0x00 prefix when the top bit is set. */
export function sshMpint(unsigned: Buffer): Buffer {
  let i = 0;
  while (i < unsigned.length - 1 && unsigned[i] === 0) i++;
  let bytes = unsigned.subarray(i);
  if (bytes[0] & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return sshString(bytes);
}

/** The OpenSSH fingerprint of a public-key blob, as `ssh-keygen -l` prints it: SHA256:<base64, unpadded>. */
export function sshFingerprint(blob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}
