// Checks of what a user names and gives a provider (resource names, firewall rules, public keys), shared
// by the providers that take them from strata rather than from their own console. Each refusal is an
// Invalid StrataError with the field it belongs to and a sentence in strata's words.
import { checkName, type NameRules } from './capabilities.js';
import { invalid } from './errors.js';
import { parseCidr } from './network.js';
import type { FirewallRule } from './types.js';

export function checkResourceName(what: string, name: unknown, rules: NameRules, field = 'name'): string {
  if (typeof name !== 'string') throw invalid(`The ${what} needs a name.`, field);
  const problem = checkName(name, rules);
  if (problem) throw invalid(`The ${what} name is refused: ${problem}`, field);
  return name;
}

export interface RuleLimits {
  /** At most this many rules. */
  maxRules: number;
  /** What holds them, for the sentence: "A security group". */
  holder: string;
}

export function checkFirewallRules(rules: unknown, limits: RuleLimits, prefix = 'rules'): FirewallRule[] {
  if (!Array.isArray(rules)) throw invalid('Firewall rules must be a list.', prefix);
  if (rules.length > limits.maxRules) throw invalid(`${limits.holder} holds at most ${limits.maxRules} inbound rules; got ${rules.length}.`, prefix);
  return rules.map((rule: Partial<FirewallRule> | null, i) => {
    const at = `${prefix}[${i}]`;
    const n = i + 1;
    if (rule === null || typeof rule !== 'object') throw invalid(`Rule ${n} is not a rule.`, at);
    if (rule.protocol !== 'tcp' && rule.protocol !== 'udp' && rule.protocol !== 'icmp') {
      throw invalid(`Rule ${n}: the protocol must be tcp, udp or icmp.`, `${at}.protocol`);
    }
    const { fromPort, toPort } = rule;
    if (rule.protocol === 'icmp') {
      if (fromPort !== -1 || toPort !== -1) throw invalid(`Rule ${n}: icmp rules have no ports; give -1 for both (every icmp type).`, `${at}.fromPort`);
    } else {
      for (const [name, port] of [['fromPort', fromPort], ['toPort', toPort]] as const) {
        if (!Number.isInteger(port) || port! < 0 || port! > 65535) {
          throw invalid(`Rule ${n}: ${name === 'fromPort' ? 'the first' : 'the last'} port must be a whole number from 0 to 65535; got ${String(port)}.`, `${at}.${name}`);
        }
      }
      if (fromPort! > toPort!) throw invalid(`Rule ${n}: the port range ${fromPort}-${toPort} runs backwards.`, `${at}.toPort`);
    }
    const parsed = typeof rule.source === 'string' ? parseCidr(rule.source) : undefined;
    if (!parsed || !parsed.ok) {
      throw invalid(`Rule ${n}: ${parsed && !parsed.ok ? parsed.problem : 'the source must be a CIDR block, e.g. 203.0.113.0/24.'}`, `${at}.source`);
    }
    return { protocol: rule.protocol, fromPort: fromPort!, toPort: toPort!, source: rule.source as string };
  });
}

export const SSH_KEY_TYPES = ['ssh-rsa', 'ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521'];

/**
 * One OpenSSH public key line of a type the provider imports: "type base64 [comment]", where the base64 blob
 * starts with the same type name. Returns the line without surrounding whitespace.
 */
export function checkPublicKey(line: unknown, who: string, types: readonly string[] = SSH_KEY_TYPES): string {
  const refuse = (why: string) => invalid(`The public key is refused: ${why}`, 'publicKey');
  if (typeof line !== 'string') throw refuse('it must be text (one OpenSSH line).');
  const trimmed = line.trim();
  if (trimmed.includes('\n')) throw refuse('give one key on one line.');
  if (/PRIVATE KEY/.test(trimmed)) throw refuse('this is a private key; give the public one (the .pub file).');
  const [type, blob] = trimmed.split(/\s+/);
  if (!types.includes(type!)) throw refuse(`${who} imports ${types.join(', ')} keys.`);
  if (!blob || !/^[A-Za-z0-9+/]+={0,2}$/.test(blob) || blob.length % 4 !== 0) throw refuse('the key data is not base64.');
  const bytes = Buffer.from(blob, 'base64');
  const length = bytes.length >= 4 ? bytes.readUInt32BE(0) : -1;
  if (length !== Buffer.byteLength(type) || bytes.subarray(4, 4 + length).toString('latin1') !== type) {
    throw refuse('the key data does not match its type.');
  }
  if (Buffer.byteLength(trimmed) > 16 * 1024) throw refuse('it is longer than any OpenSSH public key.');
  return trimmed;
}

/** A launch's client token: 1 to 64 printable ASCII characters (EC2's ClientToken rule; libvirt keeps it in metadata). */
export function checkClientToken(token: unknown): string {
  if (typeof token !== 'string' || !/^[\x21-\x7e]{1,64}$/.test(token)) {
    throw invalid('The client token must be 1 to 64 printable ASCII characters without spaces.', 'clientToken');
  }
  return token;
}
