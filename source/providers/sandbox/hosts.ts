// The sandbox's servers are emulated: nothing answers at their addresses, and their consoles announce host
// keys no sshd holds. For tests of ssh (s in the monitor) a server can be given a real host instead:
//
//   STRATA_SANDBOX_SSH_HOSTS=/path/hosts.json   read by the sandbox only, once when it opens
//   {"servers": {"<server name>": {"address": "127.0.0.1",
//                                  "hostKeys": ["ssh-ed25519 AAAA… (a line of an sshd's host key .pub)"],
//                                  "console": "both" | "fingerprints" | "keys" | "none"}}}
//
// Such a server has that address (its public address, once it is up) and its console prints those keys in
// cloud-init's blocks (both blocks by default; "fingerprints" or "keys" prints one, "none" neither). A
// server of any other name says it is unreachable, with the reason.
import { readFileSync } from 'node:fs';
import { hostKeyBlocks, parseHostKey, type HostKey } from '../../core/hostkeys.js';
import { invalid } from '../../core/errors.js';
import { isSshAddress } from '../../core/sshcommand.js';
import { sshString } from '../../core/ssh.js';

export const SSH_HOSTS_ENV = 'STRATA_SANDBOX_SSH_HOSTS';

export type ConsoleBlocks = 'both' | 'fingerprints' | 'keys' | 'none';

export interface SandboxHost {
  address: string;
  hostKeys: HostKey[];
  console: ConsoleBlocks;
}

/** Why a sandbox server without a host of its own cannot be reached. */
export const EMULATED =
  'A sandbox server is emulated: nothing answers at its addresses (tests give one a real host through STRATA_SANDBOX_SSH_HOSTS).';

/** The hosts file named by the environment, by server name (empty without one). A bad file is refused. */
export function readSandboxHosts(env: Record<string, string | undefined> = process.env): Map<string, SandboxHost> {
  const path = env[SSH_HOSTS_ENV];
  const out = new Map<string, SandboxHost>();
  if (!path) return out;
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw invalid(`${SSH_HOSTS_ENV} names ${path}, which cannot be read as JSON (${(error as Error).message}).`, SSH_HOSTS_ENV);
  }
  const servers = (doc as { servers?: unknown })?.servers;
  if (!servers || typeof servers !== 'object') throw invalid(`${path} needs a "servers" map of server names.`, SSH_HOSTS_ENV);
  for (const [name, value] of Object.entries(servers as Record<string, unknown>)) {
    const v = value as { address?: unknown; hostKeys?: unknown; console?: unknown };
    if (typeof v.address !== 'string' || !isSshAddress(v.address)) throw invalid(`${path}: server ${name} needs an address (an IP address or a host name).`, SSH_HOSTS_ENV);
    const lines = Array.isArray(v.hostKeys) ? v.hostKeys : [];
    const hostKeys: HostKey[] = [];
    for (const line of lines) {
      const [type, base64] = String(line).trim().split(/\s+/);
      const key = type && base64 ? parseHostKey(type, base64) : undefined;
      if (!key) throw invalid(`${path}: server ${name} has a host key that is not an OpenSSH public key line.`, SSH_HOSTS_ENV);
      hostKeys.push(key);
    }
    const blocks = v.console ?? 'both';
    if (!['both', 'fingerprints', 'keys', 'none'].includes(String(blocks))) throw invalid(`${path}: server ${name}'s console is both, fingerprints, keys or none.`, SSH_HOSTS_ENV);
    out.set(name, { address: v.address, hostKeys, console: blocks as ConsoleBlocks });
  }
  return out;
}

/** The host key an emulated server announces: an ed25519 public key made from the world's seed and its id. */
export function emulatedHostKey(bytes: Buffer): HostKey {
  const blob = Buffer.concat([sshString('ssh-ed25519'), sshString(bytes.subarray(0, 32))]);
  return parseHostKey('ssh-ed25519', blob.toString('base64'))!;
}

/** The console lines a server prints for its host keys. */
export function hostKeyLines(keys: HostKey[], name: string, blocks: ConsoleBlocks): string[] {
  if (blocks === 'none' || keys.length === 0) return [];
  return hostKeyBlocks(keys, name, blocks);
}
