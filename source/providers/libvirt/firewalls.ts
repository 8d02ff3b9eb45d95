// Firewalls on a libvirt host: nwfilters named strata-fw-NAME, each the inbound rules it accepts. A
// server's interface names a filter of its own (strata-srv-NAME) that joins its firewalls and drops the
// rest (domain.ts writes both).
import { checkFirewallRules, checkResourceName } from '../../core/checks.js';
import { StrataError, conflict, invalid, notFound, unsupported } from '../../core/errors.js';
import type { Firewall, FirewallRule } from '../../core/types.js';
import { RESOURCE_NAMES } from './capabilities.js';
import { GONE, type Connection } from './connection.js';
import { FIREWALL_PREFIX, firewallXml, parseFirewallRules, type DomainInfo } from './domain.js';
import { parseXmlFragments } from './xml.js';

export class Firewalls {
  constructor(
    private readonly conn: Connection,
    /** Every domain of the host (the servers whose filters may join a firewall). */
    private readonly domains: () => Promise<DomainInfo[]>,
  ) {}

  async listFirewalls(): Promise<Firewall[]> {
    await this.conn.ready();
    const listing = await this.conn.virsh(['nwfilter-list'], { doing: 'listing firewalls' });
    const names = listing
      .split('\n')
      .map((line) => line.trim().split(/\s+/)[1])
      .filter((n): n is string => typeof n === 'string' && n.startsWith(FIREWALL_PREFIX));
    // A filter deleted between the listing and the read is not listed.
    const xml = await this.conn.readEach(names.map((n) => ['nwfilter-dumpxml', n]), GONE.filter, { doing: 'listing firewalls' });
    return parseXmlFragments(xml)
      .map((filter) => ({ id: filter.attrs.name!, name: filter.attrs.name!.slice(FIREWALL_PREFIX.length), rules: parseFirewallRules(filter), madeByStrata: true }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async createFirewall(name: string, rules: FirewallRule[]): Promise<Firewall> {
    checkResourceName('firewall', name, RESOURCE_NAMES);
    const checked = checkFirewallRules(rules, { maxRules: 60, holder: 'A firewall' });
    const host = await this.conn.ready();
    if (!host.network) {
      throw unsupported('Servers here have no network (libvirt.network is none in config.yaml), so there is nothing for a firewall to filter.');
    }
    const id = `${FIREWALL_PREFIX}${name}`;
    if ((await this.listFirewalls()).some((f) => f.id === id)) throw conflict(`A firewall named "${name}" already exists on this host.`);
    await this.conn.defineFromFile(['nwfilter-define'], firewallXml(id, checked), `creating firewall ${name}`);
    return { id, name, rules: checked, madeByStrata: true };
  }

  /**
   * Deletes a firewall (also one made at launch): refused while a server uses it, terminated or not yet
   * started ones included (libvirt itself refuses only where the filter is applied to a running guest; a
   * stopped server would then fail to start).
   */
  async deleteFirewall(id: string): Promise<void> {
    if (typeof id !== 'string' || id === '') throw invalid('A firewall id is needed.', 'id');
    await this.conn.ready();
    const name = id.startsWith(FIREWALL_PREFIX) ? id.slice(FIREWALL_PREFIX.length) : '';
    if (name === '') throw notFound(`Firewall ${id} does not exist: strata's firewalls here are the nwfilters named ${FIREWALL_PREFIX}NAME.`);
    const doing = `deleting firewall ${name}`;
    const missing = () => notFound(`Firewall ${name} does not exist on this host (${this.conn.uri}).`);
    try {
      await this.conn.virsh(['nwfilter-dumpxml', id], { doing });
    } catch (error) {
      if (error instanceof StrataError && error.kind === 'NotFound') throw missing();
      throw error;
    }
    const users = (await this.domains()).filter((d) => d.record?.firewallIds.includes(id)).map((d) => d.name).sort();
    if (users.length > 0) {
      const one = users.length === 1;
      throw conflict(`Firewall ${name} cannot be deleted: server${one ? '' : 's'} ${users.join(', ')} ${one ? 'uses' : 'use'} it. Terminate ${one ? 'it' : 'them'} first.`);
    }
    try {
      await this.conn.virsh(['nwfilter-undefine', id], { doing });
    } catch (error) {
      if (error instanceof StrataError && error.kind === 'NotFound') throw missing();
      if (error instanceof StrataError && /in use/i.test(error.detail ?? '')) {
        throw conflict(`Firewall ${name} cannot be deleted: libvirt applies it to a running guest (${error.message}).`);
      }
      throw error;
    }
  }
}
