// The firewalls (security groups) of a region, and deleting the ones nothing uses: strata makes a firewall
// at launch (one per launch token, reused by its retries), and this is where a user finds them again.
//   list    every firewall with the servers (not terminated) that use it and whether strata made it
//           (the provider's own marks — a strata: tag, strata's description, libvirt's strata-fw- name —
//           or the launch journal, which records the firewall each launch made);
//   delete  one firewall, refused while servers use it (named), refused for the provider's default group,
//           refused in a read-only session; retried with the session's one policy, and audit-logged.
// Every string that came from the provider is sanitised here: the UI and the CLI print what they get.
import { isStrataError, StrataError } from '../core/errors.js';
import { sanitize } from '../core/sanitize.js';
import type { Firewall, Server } from '../core/types.js';
import { refuseIfReadOnly } from './readonly.js';
import type { ActionsDeps } from './servers.js';
import { withRetry, type RetryOptions } from './retry.js';

/** What the firewalls need of the session: the same as the server and image actions (servers.ts). */
export type FirewallsDeps = Omit<ActionsDeps, 'afterTerminate'>;

/** A server that uses a firewall (sanitised). */
export interface FirewallUser {
  id: string;
  name: string;
}

/** A firewall as strata lists it (every string sanitised). */
export interface FirewallEntry {
  id: string;
  name: string;
  description?: string;
  rules: number;
  /** The servers that are not terminated and use it, by name. */
  usedBy: FirewallUser[];
  madeByStrata: boolean;
  /** The launch (client token) that made it, where the journal recorded one. */
  launch?: string;
  /** The provider's default group (EC2's and the sandbox's "default"): never deleted. */
  isDefault: boolean;
  /** Why it cannot be deleted now (in use, the default group), or undefined where it can. */
  refusal?: string;
}

/** The provider's default group: named "default" on EC2 (a VPC's, which EC2 never deletes) and the sandbox. */
export function isDefaultFirewall(fw: Pick<Firewall, 'name'>): boolean {
  return fw.name === 'default';
}

/** "web-1, web-2 and 3 more": the servers named, the count where there are many. */
export function usersSentence(users: readonly FirewallUser[], shown = 3): string {
  const names = users.slice(0, shown).map((u) => u.name);
  const more = users.length - names.length;
  if (more > 0) return `${names.join(', ')} and ${more} more`;
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/** Why a firewall cannot be deleted (a sentence), or undefined. */
export function deleteRefusal(fw: Pick<FirewallEntry, 'name' | 'isDefault' | 'usedBy'>): string | undefined {
  if (fw.isDefault) return `${fw.name} is the provider's default firewall, which is never deleted.`;
  const n = fw.usedBy.length;
  if (n > 0) {
    return `${fw.name} is in use by ${n === 1 ? 'server' : `${n} servers:`} ${usersSentence(fw.usedBy)}; terminate ${n === 1 ? 'it' : 'them'} first.`;
  }
  return undefined;
}

export class FirewallActions {
  constructor(private readonly deps: FirewallsDeps) {}

  /**
   * Every firewall of the region with the servers that use it (one listing of firewalls and one batched
   * listing of servers, each retried while the provider throttles or does not answer), sorted by name.
   */
  async list(options: RetryOptions = {}): Promise<FirewallEntry[]> {
    const [firewalls, servers] = await Promise.all([
      withRetry(() => this.deps.provider.listFirewalls(), this.deps.retry, { operation: 'listing firewalls', ...options }),
      withRetry(() => this.deps.provider.listServers(), this.deps.retry, { operation: 'listing servers', ...options }),
    ]);
    const made = this.deps.store.launches().firewallsMade(this.deps.providerId, this.deps.region);
    return firewalls
      .map((fw) => this.entry(fw, servers, made))
      .sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  }

  private entry(fw: Firewall, servers: Server[], made: Map<string, string>): FirewallEntry {
    const usedBy = servers
      .filter((s) => s.phase !== 'terminated' && s.firewallIds.includes(fw.id))
      .map((s) => ({ id: sanitize(s.id, 128), name: sanitize(s.name, 128) }))
      .sort((a, b) => a.name.localeCompare(b.name));
    const launch = made.get(fw.id);
    const entry: FirewallEntry = {
      id: sanitize(fw.id, 128),
      name: sanitize(fw.name, 128),
      rules: fw.rules.length,
      usedBy,
      madeByStrata: fw.madeByStrata === true || (fw.description ?? '').startsWith('Created by strata') || launch !== undefined,
      isDefault: isDefaultFirewall(fw),
    };
    if (fw.description) entry.description = sanitize(fw.description, 256);
    if (launch !== undefined) entry.launch = sanitize(launch, 128);
    const refusal = deleteRefusal(entry);
    if (refusal) entry.refusal = refusal;
    return entry;
  }

  /**
   * Deletes a firewall (the caller asked for its name, typed). Refused in a read-only session, for the
   * provider's default group, and while servers that are not terminated use it (named: strata asks the
   * provider now, not what a list showed a while ago; the provider refuses too). Retried while the provider
   * throttles; after a lost answer it is asked again, and a firewall gone by then counts as deleted.
   * Audit-logged with its name and whether strata made it.
   */
  async delete(id: string, options: RetryOptions = {}): Promise<FirewallEntry> {
    refuseIfReadOnly(this.deps.readOnly, 'delete firewalls', this.deps.readOnlySource);
    const current = (await this.list(options)).find((f) => f.id === id);
    if (!current) throw new StrataError('NotFound', `Firewall ${sanitize(id, 128)} does not exist in ${this.where()}.`);
    const refusal = deleteRefusal(current);
    if (refusal) throw new StrataError('Conflict', `${refusal} Nothing was deleted.`);
    let lost = false;
    try {
      await withRetry(
        () =>
          this.deps.provider.deleteFirewall(id).catch((error: unknown) => {
            if (isStrataError(error) && error.kind === 'Transient') lost = true;
            throw error;
          }),
        this.deps.retry,
        { operation: `deleting firewall ${current.name}`, ...options },
      );
    } catch (error) {
      // Asked again after a lost answer, and now it is gone: the first request did it.
      if (!(lost && isStrataError(error) && error.kind === 'NotFound')) throw error;
    }
    this.deps.store.audit.append({
      provider: this.deps.providerId,
      region: this.deps.region,
      action: 'firewall.deleted',
      target: current.id,
      detail: { name: current.name, madeByStrata: current.madeByStrata, ...(current.launch ? { launch: current.launch } : {}) },
    });
    return current;
  }

  private where(): string {
    return `${sanitize(this.deps.description.displayName, 64)} ${sanitize(this.deps.region, 64)}`;
  }
}
