// Input checks the aws provider makes before it calls EC2, so a refusal names the field and says what is
// wrong in strata's words (EC2's own messages quote the input back and name its parameters, not ours).
import { checkFirewallRules as checkRules, checkPublicKey as checkKey } from '../../core/checks.js';
import { invalid } from '../../core/errors.js';
import type { FirewallRule } from '../../core/types.js';

export { checkClientToken, checkResourceName } from '../../core/checks.js';

/** At most 60 inbound rules per security group (EC2's default quota). */
export const MAX_RULES = 60;

export function checkFirewallRules(rules: unknown, prefix = 'rules'): FirewallRule[] {
  return checkRules(rules, { maxRules: MAX_RULES, holder: 'A security group' }, prefix);
}

/** One OpenSSH public key line of a type EC2 imports. */
export function checkPublicKey(line: unknown): string {
  return checkKey(line, 'EC2');
}

/** EC2 descriptions (security groups, images): at most 255 characters of printable ASCII. */
export function checkDescription(description: unknown, field = 'description'): string | undefined {
  if (description === undefined) return undefined;
  if (typeof description !== 'string' || description.length > 255 || !/^[\x20-\x7e]*$/.test(description)) {
    throw invalid('A description is at most 255 characters of plain ASCII text (letters, digits, spaces, punctuation).', field);
  }
  return description;
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
