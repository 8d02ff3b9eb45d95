// Firewalls on a libvirt host: nwfilters named strata-fw-NAME, each the inbound rules it accepts. A
// server's interface names a filter of its own (strata-srv-NAME) that joins its firewalls and drops the
// rest (domain.ts writes both).
import { checkFirewallRules, checkResourceName } from '../../core/checks.js';
import { conflict, unsupported } from '../../core/errors.js';
import type { Firewall, FirewallRule } from '../../core/types.js';
import { RESOURCE_NAMES } from './capabilities.js';
import { GONE, type Connection } from './connection.js';
import { FIREWALL_PREFIX, firewallXml, parseFirewallRules } from './domain.js';
import { parseXmlFragments } from './xml.js';

export class Firewalls {
  constructor(private readonly conn: Connection) {}

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
      .map((filter) => ({ id: filter.attrs.name!, name: filter.attrs.name!.slice(FIREWALL_PREFIX.length), rules: parseFirewallRules(filter) }))
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
    return { id, name, rules: checked };
  }
}
