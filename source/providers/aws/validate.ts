// Input checks the aws provider makes before it calls EC2, so a refusal names the field and says what is
// wrong in strata's words (EC2's own messages quote the input back and name its parameters, not ours).
import { checkName, type NameRules } from '../../core/capabilities.js';
import { invalid } from '../../core/errors.js';
import { parseCidr } from '../../core/network.js';
import type { FirewallRule } from '../../core/types.js';

export function checkResourceName(what: string, name: unknown, rules: NameRules, field = 'name'): string {
  if (typeof name !== 'string') throw invalid(`The ${what} needs a name.`, field);
  const problem = checkName(name, rules);
  if (problem) throw invalid(`The ${what} name is refused: ${problem}`, field);
  return name;
}

/** EC2 descriptions (security groups, images): at most 255 characters of printable ASCII. */
export function checkDescription(description: unknown, field = 'description'): string | undefined {
  if (description === undefined) return undefined;
  if (typeof description !== 'string' || description.length > 255 || !/^[\x20-\x7e]*$/.test(description)) {
    throw invalid('A description is at most 255 characters of plain ASCII text (letters, digits, spaces, punctuation).', field);
  }
  return description;
}

/** At most 60 inbound rules per security group (EC2's default quota). */
export const MAX_RULES = 60;

export function checkFirewallRules(rules: unknown, prefix = 'rules'): FirewallRule[] {
  if (!Array.isArray(rules)) throw invalid('Firewall rules must be a list.', prefix);
  if (rules.length > MAX_RULES) throw invalid(`A security group holds at most ${MAX_RULES} inbound rules; got ${rules.length}.`, prefix);
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

const KEY_TYPES = ['ssh-rsa', 'ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521'];

/**
 * One OpenSSH public key line of a type EC2 imports: "type base64 [comment]", where the base64 blob
 * starts with the same type name. Returns the line without surrounding whitespace.
 */
export function checkPublicKey(line: unknown): string {
  const refuse = (why: string) => invalid(`The public key is refused: ${why}`, 'publicKey');
  if (typeof line !== 'string') throw refuse('it must be text (one OpenSSH line).');
  const trimmed = line.trim();
  if (trimmed.includes('\n')) throw refuse('give one key on one line.');
  if (/PRIVATE KEY/.test(trimmed)) throw refuse('this is a private key; give the public one (the .pub file).');
  const [type, blob] = trimmed.split(/\s+/);
  if (!KEY_TYPES.includes(type)) throw refuse(`EC2 imports ${KEY_TYPES.join(', ')} keys.`);
  if (!blob || !/^[A-Za-z0-9+/]+={0,2}$/.test(blob) || blob.length % 4 !== 0) throw refuse('the key data is not base64.');
  const bytes = Buffer.from(blob, 'base64');
  const length = bytes.length >= 4 ? bytes.readUInt32BE(0) : -1;
  if (length !== Buffer.byteLength(type) || bytes.subarray(4, 4 + length).toString('latin1') !== type) {
    throw refuse('the key data does not match its type.');
  }
  if (Buffer.byteLength(trimmed) > 16 * 1024) throw refuse('it is longer than any OpenSSH public key.');
  return trimmed;
}

/** EC2's tag limits: keys 1..128 characters not starting with "aws:", values up to 256, 50 per resource. */
export function checkTagChanges(tags: unknown): Record<string, string | null> {
  if (tags === null || typeof tags !== 'object' || Array.isArray(tags)) throw invalid('Tags must be a set of key: value pairs.', 'tags');
  const entries = Object.entries(tags as Record<string, unknown>);
  if (entries.length > 50) throw invalid('A resource can hold at most 50 tags.', 'tags');
  for (const [key, value] of entries) {
    if (key.length < 1 || key.length > 128) throw invalid(`A tag key must have 1 to 128 characters; "${key.slice(0, 40)}" has ${key.length}.`, 'tags');
    if (key.toLowerCase().startsWith('aws:')) throw invalid('Tag keys starting with "aws:" are reserved by AWS.', 'tags');
    if (value !== null && typeof value !== 'string') throw invalid(`The value of tag "${key.slice(0, 40)}" must be text (or null to remove it).`, 'tags');
    if (typeof value === 'string' && value.length > 256) throw invalid(`The value of tag "${key.slice(0, 40)}" can have at most 256 characters; it has ${value.length}.`, 'tags');
  }
  return tags as Record<string, string | null>;
}

/** ClientToken: EC2 takes up to 64 ASCII characters. */
export function checkClientToken(token: unknown): string {
  if (typeof token !== 'string' || !/^[\x21-\x7e]{1,64}$/.test(token)) {
    throw invalid('The client token must be 1 to 64 printable ASCII characters without spaces.', 'clientToken');
  }
  return token;
}
