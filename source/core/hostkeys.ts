// The SSH host keys a server announced on its console at first boot. cloud-init writes two blocks there
// (cc_keys_to_console):
//
//   ec2: -----BEGIN SSH HOST KEY FINGERPRINTS-----
//   ec2: 256 SHA256:8s5bA…k root@ip-10-0-0-5 (ED25519)
//   ec2: -----END SSH HOST KEY FINGERPRINTS-----
//   -----BEGIN SSH HOST KEY KEYS-----
//   ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI… root@ip-10-0-0-5
//   -----END SSH HOST KEY KEYS-----
//
// Lines may carry a prefix (a syslog tag, a kernel timestamp); only what matches the strict shapes below
// is taken, so nothing else of the console (which is the provider's text) ever reaches a file or ssh.
// Pure: the caller reads the console and writes the files.
import { sshFingerprint } from './ssh.js';

export interface HostFingerprint {
  bits: number;
  /** SHA256:<base64, unpadded>, as ssh-keygen -l prints it (and ssh's %f token expands to). */
  fingerprint: string;
  /** ED25519, ECDSA, RSA, … as cloud-init prints it. */
  type: string;
}

export interface HostKey {
  /** The key's algorithm name as known_hosts has it: ssh-ed25519, ecdsa-sha2-nistp256, ssh-rsa. */
  type: string;
  /** The public-key blob, base64. */
  base64: string;
  fingerprint: string;
}

export interface ConsoleHostKeys {
  fingerprints: HostFingerprint[];
  /** Keys from the keys block whose blob is well formed (and, where fingerprints were printed too, among them). */
  keys: HostKey[];
}

const BEGIN_FINGERPRINTS = '-----BEGIN SSH HOST KEY FINGERPRINTS-----';
const END_FINGERPRINTS = '-----END SSH HOST KEY FINGERPRINTS-----';
const BEGIN_KEYS = '-----BEGIN SSH HOST KEY KEYS-----';
const END_KEYS = '-----END SSH HOST KEY KEYS-----';

const FINGERPRINT = /(?:^|\s)(\d{2,5}) (SHA256:[A-Za-z0-9+/]{43})(?=\s)(?:.*\(([A-Z0-9-]{2,20})\))?/;
const KEY_TYPES = [
  'ssh-ed25519',
  'ssh-rsa',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
  'ssh-dss',
];
const KEY = /(?:^|\s)([a-z0-9@.-]{7,40}) (AAAA[A-Za-z0-9+/]{8,16384}={0,3})(?=\s|$)/;

/** The lines of the first complete block between begin and end (what the server said at its first boot). */
function firstBlock(lines: readonly string[], begin: string, end: string): string[] | undefined {
  const start = lines.findIndex((l) => l.includes(begin));
  if (start < 0) return undefined;
  const stop = lines.findIndex((l, i) => i > start && l.includes(end));
  if (stop < 0) return undefined;
  return lines.slice(start + 1, stop);
}

/** A key line's type and blob, when the blob is well formed and names the same type. */
export function parseHostKey(type: string, base64: string): HostKey | undefined {
  if (!KEY_TYPES.includes(type)) return undefined;
  const blob = Buffer.from(base64, 'base64');
  // Canonical base64 only: what decodes and encodes back to the same text.
  if (blob.toString('base64') !== base64 || blob.length < 4) return undefined;
  const length = blob.readUInt32BE(0);
  if (length !== Buffer.byteLength(type) || blob.subarray(4, 4 + length).toString('latin1') !== type) return undefined;
  return { type, base64, fingerprint: sshFingerprint(blob) };
}

/** Reads the host key blocks of a console's output (empty lists where it has none). */
export function consoleHostKeys(console: string): ConsoleHostKeys {
  const lines = console.split(/\r?\n/);
  const fingerprints: HostFingerprint[] = [];
  for (const line of firstBlock(lines, BEGIN_FINGERPRINTS, END_FINGERPRINTS) ?? []) {
    const m = FINGERPRINT.exec(line);
    if (m && !fingerprints.some((f) => f.fingerprint === m[2])) fingerprints.push({ bits: Number(m[1]), fingerprint: m[2]!, type: m[3] ?? '' });
  }
  let keys: HostKey[] = [];
  for (const line of firstBlock(lines, BEGIN_KEYS, END_KEYS) ?? []) {
    const m = KEY.exec(line);
    const key = m ? parseHostKey(m[1]!, m[2]!) : undefined;
    if (key && !keys.some((k) => k.fingerprint === key.fingerprint)) keys.push(key);
  }
  // Both blocks printed: a key the fingerprints do not name is not taken.
  if (fingerprints.length > 0) keys = keys.filter((k) => fingerprints.some((f) => f.fingerprint === k.fingerprint));
  return { fingerprints, keys };
}

/** The known_hosts lines for a host name (strata's HostKeyAlias of a server) and its keys. */
export function knownHostsLines(host: string, keys: readonly HostKey[]): string[] {
  return keys.map((k) => `${host} ${k.type} ${k.base64}`);
}

/** The keys a known_hosts text holds for one host name (plain names only: strata writes no hashed ones). */
export function knownHostsFor(text: string, host: string): HostKey[] {
  const out: HostKey[] = [];
  for (const line of text.split('\n')) {
    const [names, type, base64] = line.trim().split(/\s+/);
    if (!names || !type || !base64 || names.startsWith('#') || names.startsWith('@')) continue;
    if (!names.split(',').includes(host)) continue;
    const key = parseHostKey(type, base64);
    if (key && !out.some((k) => k.fingerprint === key.fingerprint)) out.push(key);
  }
  return out;
}

/** The cloud-init blocks for these keys, as a console shows them (the sandbox prints them; tests read them). */
export function hostKeyBlocks(keys: readonly HostKey[], host: string, blocks: 'both' | 'fingerprints' | 'keys' = 'both'): string[] {
  const bitsOf = (k: HostKey) => (k.type === 'ssh-ed25519' ? 256 : k.type.startsWith('ecdsa-sha2-nistp') ? Number(k.type.slice(16)) : rsaBits(k));
  const typeOf = (k: HostKey) => (k.type === 'ssh-ed25519' ? 'ED25519' : k.type.startsWith('ecdsa') ? 'ECDSA' : k.type === 'ssh-rsa' ? 'RSA' : k.type.toUpperCase());
  const out: string[] = [];
  if (blocks !== 'keys') {
    out.push(BEGIN_FINGERPRINTS);
    for (const k of keys) out.push(`${bitsOf(k)} ${k.fingerprint} root@${host} (${typeOf(k)})`);
    out.push(END_FINGERPRINTS);
  }
  if (blocks !== 'fingerprints') {
    out.push(BEGIN_KEYS);
    for (const k of keys) out.push(`${k.type} ${k.base64} root@${host}`);
    out.push(END_KEYS);
  }
  return out;
}

function rsaBits(k: HostKey): number {
  try {
    const blob = Buffer.from(k.base64, 'base64');
    let at = 4 + blob.readUInt32BE(0);
    at += 4 + blob.readUInt32BE(at); // e
    let n = blob.readUInt32BE(at);
    if (blob[at + 4] === 0) n--;
    return n * 8;
  } catch {
    return 0;
  }
}
