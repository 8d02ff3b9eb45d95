// What strata writes to libvirt and reads back: domain XML with strata's launch record in its metadata,
// nwfilter XML for firewalls, and the parsing of both. Every value is escaped; nothing is pasted raw.
import type { FirewallRule, Protocol, VolumePlan } from '../../core/types.js';
import { child, children, esc, parseXml, textAt, type XmlElement } from './xml.js';

/** The namespace of strata's element in a domain's <metadata>. */
export const METADATA_URI = 'https://strata.dev/libvirt/launch/1';
export const METADATA_KEY = 'strata';
/** Prefix of the nwfilters that are strata's firewalls, and of the per-server filter that joins them. */
export const FIREWALL_PREFIX = 'strata-fw-';
export const SERVER_FILTER_PREFIX = 'strata-srv-';

/** strata's record of a launch, kept in the domain itself (so every strata on the host sees it). */
export interface LaunchRecord {
  /** The launch's client token: the same token never defines a second domain. */
  token: string;
  /** 0-based index within a launch of several servers. */
  index: number;
  name: string;
  imageId: string;
  /** The backing file of the root overlay: the image's path when launched. */
  imagePath: string;
  productId: string;
  firewallIds: string[];
  keypairName?: string;
  group?: string;
  billingCode?: string;
  volumes?: VolumePlan;
  launchedAt: string;
  /** The paths of the volumes strata made for it (root, extra volumes, seed, console log): removed at terminate. */
  files: string[];
  /** Why its start failed, in strata's words, where it did. */
  failure?: string;
  /** The per-server nwfilter, where one was made. */
  filter?: string;
}

export function metadataElement(record: LaunchRecord): string {
  return `<strata:launch xmlns:strata="${METADATA_URI}">${esc(JSON.stringify(record))}</strata:launch>`;
}

/** The same element as `virsh metadata --key strata --set` takes it: libvirt adds the namespace itself. */
export function metadataUpdate(record: LaunchRecord): string {
  return `<launch>${esc(JSON.stringify(record))}</launch>`;
}

export function parseLaunchRecord(domain: XmlElement): LaunchRecord | undefined {
  const meta = child(domain, 'metadata');
  const element = meta?.children.find((c) => c.name.endsWith(':launch') || c.name === 'launch');
  if (!element) return undefined;
  try {
    const record = JSON.parse(element.text) as LaunchRecord;
    return typeof record?.token === 'string' && typeof record.imageId === 'string' ? record : undefined;
  } catch {
    return undefined;
  }
}

export interface DomainDisk {
  path: string;
  format: 'qcow2' | 'raw';
  readonly?: boolean;
}

export interface DomainSpec {
  name: string;
  /** Given when a definition replaces an earlier one of the same domain. */
  uuid?: string;
  /** kvm where the host has it, else qemu (TCG emulation). */
  virtType: 'kvm' | 'qemu';
  arch: string;
  vcpus: number;
  memoryMiB: number;
  /** Root first, then extra volumes, then the seed: they appear as vda, vdb, … in this order. */
  disks: DomainDisk[];
  network?: string;
  filter?: string;
  consoleLog: string;
  record: LaunchRecord;
}

export function diskTarget(index: number): string {
  return `vd${String.fromCharCode(97 + index)}`;
}

export function domainXml(spec: DomainSpec): string {
  const disks = spec.disks
    .map(
      (d, i) =>
        `    <disk type='file' device='disk'>\n      <driver name='qemu' type='${d.format}'/>\n      <source file='${esc(d.path)}'/>\n      <target dev='${diskTarget(i)}' bus='virtio'/>${d.readonly ? '\n      <readonly/>' : ''}\n    </disk>`,
    )
    .join('\n');
  const nic = spec.network
    ? `\n    <interface type='network'>\n      <source network='${esc(spec.network)}'/>\n      <model type='virtio'/>${spec.filter ? `\n      <filterref filter='${esc(spec.filter)}'/>` : ''}\n    </interface>`
    : '';
  return `<domain type='${spec.virtType}'>
  <name>${esc(spec.name)}</name>${spec.uuid ? `\n  <uuid>${esc(spec.uuid)}</uuid>` : ''}
  <metadata>
    ${metadataElement(spec.record)}
  </metadata>
  <memory unit='MiB'>${spec.memoryMiB}</memory>
  <vcpu>${spec.vcpus}</vcpu>
  <os>
    <type arch='${esc(spec.arch)}'>hvm</type>
    <boot dev='hd'/>
  </os>
  <features>
    <acpi/>
    <apic/>
  </features>${spec.virtType === 'kvm' ? "\n  <cpu mode='host-passthrough'/>" : ''}
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
${disks}${nic}
    <serial type='pty'>
      <log file='${esc(spec.consoleLog)}' append='on'/>
      <target port='0'/>
    </serial>
    <console type='pty'>
      <target type='serial' port='0'/>
    </console>
    <channel type='unix'>
      <target type='virtio' name='org.qemu.guest_agent.0'/>
    </channel>
    <memballoon model='none'/>
  </devices>
</domain>
`;
}

/** What strata reads of a domain's XML. */
export interface DomainInfo {
  name: string;
  uuid: string;
  record?: LaunchRecord;
  vcpus: number;
  memoryMiB: number;
  disks: { target: string; path?: string; backing?: string }[];
  consoleLog?: string;
  /** Its network interfaces: the MAC address libvirt gave each, and the network it joins. */
  interfaces?: { mac: string; network: string }[];
}

export function parseDomain(xml: XmlElement): DomainInfo {
  const memory = child(xml, 'memory');
  const unit = memory?.attrs.unit ?? 'KiB';
  const amount = Number(memory?.text.trim() ?? 0);
  const factor: Record<string, number> = { KiB: 1 / 1024, k: 1 / 1024, MiB: 1, M: 1, GiB: 1024, G: 1024, b: 1 / 1048576, bytes: 1 / 1048576 };
  const devices = child(xml, 'devices');
  const disks = children(devices, 'disk')
    .filter((d) => d.attrs.device !== 'cdrom')
    .map((d) => {
      const backing = child(d, 'backingStore/source')?.attrs.file;
      return { target: child(d, 'target')?.attrs.dev ?? '', path: child(d, 'source')?.attrs.file, ...(backing ? { backing } : {}) };
    });
  const serial = children(devices, 'serial')[0];
  const interfaces = children(devices, 'interface')
    .filter((i) => i.attrs.type === 'network')
    .map((i) => ({ mac: (child(i, 'mac')?.attrs.address ?? '').toLowerCase(), network: child(i, 'source')?.attrs.network ?? '' }))
    .filter((i) => i.mac !== '' && i.network !== '');
  return {
    name: textAt(xml, 'name') ?? '',
    uuid: textAt(xml, 'uuid') ?? '',
    record: parseLaunchRecord(xml),
    vcpus: Number(textAt(xml, 'vcpu') ?? 0),
    memoryMiB: Math.round(amount * (factor[unit] ?? 1 / 1024)),
    disks,
    consoleLog: child(serial, 'log')?.attrs.file ?? (serial?.attrs.type === 'file' ? child(serial, 'source')?.attrs.path : undefined),
    ...(interfaces.length ? { interfaces } : {}),
  };
}

/**
 * The addresses of `virsh net-dhcp-leases NETWORK`, by MAC address (an IPv4 lease before an IPv6 one):
 *   Expiry Time           MAC address         Protocol   IP address          Hostname   Client ID or DUID
 *   2026-12-06 13:04:10   52:54:00:8e:1f:3a   ipv4       192.168.122.57/24   web-1      ff:…
 */
export function parseLeases(text: string): Map<string, string> {
  const out = new Map<string, { address: string; v4: boolean }>();
  for (const line of text.split('\n')) {
    const m = /\s([0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5})\s+(ipv4|ipv6)\s+([0-9a-fA-F.:]+)\/\d+/.exec(line);
    if (!m) continue;
    const mac = m[1]!.toLowerCase();
    const v4 = m[2] === 'ipv4';
    if (!out.has(mac) || (v4 && !out.get(mac)!.v4)) out.set(mac, { address: m[3]!, v4 });
  }
  return new Map([...out].map(([mac, a]) => [mac, a.address]));
}

// ---- firewalls as nwfilters ----------------------------------------------------------------------------

const RULE_ELEMENTS: Record<Protocol, [v4: string, v6: string]> = {
  tcp: ['tcp', 'tcp-ipv6'],
  udp: ['udp', 'udp-ipv6'],
  icmp: ['icmp', 'icmpv6'],
};

function ruleXml(rule: FirewallRule): string {
  const [address, prefix] = rule.source.split('/');
  const v6 = address!.includes(':');
  const element = RULE_ELEMENTS[rule.protocol][v6 ? 1 : 0];
  const ports = rule.protocol === 'icmp' ? '' : ` dstportstart='${rule.fromPort}' dstportend='${rule.toPort}'`;
  return `  <rule action='accept' direction='in' priority='500'>\n    <${element} srcipaddr='${esc(address!)}' srcipmask='${esc(prefix!)}'${ports} state='NEW'/>\n  </rule>`;
}

/** A firewall: the inbound rules it accepts (a per-server filter joins firewalls and drops the rest). */
export function firewallXml(filterName: string, rules: FirewallRule[]): string {
  return `<filter name='${esc(filterName)}' chain='root'>\n${rules.map(ruleXml).join('\n')}\n</filter>\n`;
}

export function parseFirewallRules(filter: XmlElement): FirewallRule[] {
  const rules: FirewallRule[] = [];
  for (const rule of children(filter, 'rule')) {
    if (rule.attrs.action !== 'accept' || rule.attrs.direction !== 'in') continue;
    const match = rule.children[0];
    if (!match) continue;
    const protocol = (Object.keys(RULE_ELEMENTS) as Protocol[]).find((p) => RULE_ELEMENTS[p].includes(match.name));
    if (!protocol) continue;
    const source = `${match.attrs.srcipaddr ?? (match.name.endsWith('6') ? '::' : '0.0.0.0')}/${match.attrs.srcipmask ?? '0'}`;
    if (protocol === 'icmp') rules.push({ protocol, fromPort: -1, toPort: -1, source });
    else {
      const from = Number(match.attrs.dstportstart ?? 0);
      rules.push({ protocol, fromPort: from, toPort: Number(match.attrs.dstportend ?? match.attrs.dstportstart ?? 65535), source });
    }
  }
  return rules;
}

/**
 * The filter a server's interface names: ARP and DHCP, replies to what the server sent, what it sends,
 * the inbound rules of each of its firewalls, and nothing else inbound.
 */
export function serverFilterXml(filterName: string, firewallFilters: string[]): string {
  return `<filter name='${esc(filterName)}' chain='root'>
  <filterref filter='allow-arp'/>
  <filterref filter='allow-dhcp'/>
${firewallFilters.map((f) => `  <filterref filter='${esc(f)}'/>`).join('\n')}
  <rule action='accept' direction='out' priority='500'>
    <all state='NEW,ESTABLISHED,RELATED'/>
  </rule>
  <rule action='accept' direction='out' priority='500'>
    <all-ipv6 state='NEW,ESTABLISHED,RELATED'/>
  </rule>
  <rule action='accept' direction='in' priority='500'>
    <all state='ESTABLISHED,RELATED'/>
  </rule>
  <rule action='accept' direction='in' priority='500'>
    <all-ipv6 state='ESTABLISHED,RELATED'/>
  </rule>
  <rule action='drop' direction='inout' priority='1000'>
    <all/>
  </rule>
  <rule action='drop' direction='inout' priority='1000'>
    <all-ipv6/>
  </rule>
</filter>
`;
}

export { parseXml };
