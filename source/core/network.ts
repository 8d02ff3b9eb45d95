// Firewall rule input: CIDR blocks, port ranges and protocols, parsed strictly. Each parser returns either
// the value or one sentence that says what is wrong (and, where it can, what to write instead).
//
// Decisions:
// - CIDR: strict notation. IPv4 octets are decimal 0..255 without leading zeros ("010" could be read as
//   octal by other tools), IPv6 is any RFC 4291 text form (returned in RFC 5952 canonical form), no zone
//   ids, no spaces. A bare address is refused with a sentence that suggests /32 or /128.
// - Host bits: refused. "10.0.0.5/24" is almost always a typo for one address (/32) or for the network
//   (10.0.0.0/24); the sentence offers both instead of silently widening or narrowing the rule.
// - Ports: 1..65535 (0 is reserved), "22" or "8000-8080" with from <= to, no leading zeros or spaces.
// - icmp has no ports: both are -1 (all types and codes), as the providers express it.
import { quoteForSentence } from './sentence.js';
import type { FirewallRule, Protocol } from './types.js';

/** Either a value or a sentence saying what is wrong. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = <T>(problem: string): Parsed<T> => ({ ok: false, problem });

export interface Cidr {
  family: 4 | 6;
  /** The network address in canonical form (IPv6 per RFC 5952). */
  address: string;
  prefix: number;
  /** address/prefix, canonical. */
  text: string;
}

export interface PortRange {
  from: number;
  to: number;
}

export const PROTOCOLS: readonly Protocol[] = ['tcp', 'udp', 'icmp'];

const V4_OCTET = /^(0|[1-9][0-9]{0,2})$/;

/** Parses a dotted-quad IPv4 address strictly; returns its 32-bit value or undefined. */
function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!V4_OCTET.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = value * 256 + n;
  }
  return value;
}

const HEXTET = /^[0-9A-Fa-f]{1,4}$/;

/** Parses an IPv6 address (RFC 4291 text forms, incl. an embedded IPv4 tail); returns its 128-bit value. */
function parseIpv6(text: string): bigint | undefined {
  if (text.length === 0 || text.length > 45) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (half: string): number[] | undefined => {
    if (half === '') return [];
    const out: number[] = [];
    const parts = half.split(':');
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      if (i === parts.length - 1 && part.includes('.')) {
        const v4 = parseIpv4(part);
        if (v4 === undefined) return undefined;
        out.push(Math.floor(v4 / 0x10000), v4 % 0x10000);
      } else {
        if (!HEXTET.test(part)) return undefined;
        out.push(parseInt(part, 16));
      }
    }
    return out;
  };
  const head = groupsOf(halves[0]);
  const tail = halves.length === 2 ? groupsOf(halves[1]) : [];
  if (!head || !tail) return undefined;
  // An embedded IPv4 address may only end the address.
  if (halves.length === 2 && halves[0].includes('.')) return undefined;
  let groups: number[];
  if (halves.length === 2) {
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return undefined;
    groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  } else {
    groups = head;
  }
  if (groups.length !== 8) return undefined;
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/** RFC 5952: lowercase, no leading zeros, the longest run (2+) of zero groups compressed, leftmost wins. */
function formatIpv6(value: bigint): string {
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLength < 2) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

const PREFIX = /^(0|[1-9][0-9]{0,2})$/;

/**
 * Parses a CIDR block: "203.0.113.0/24" or "2001:db8::/32". Strict (see the decisions at the top): no
 * spaces, no leading zeros in IPv4 octets or the prefix, no host bits, a prefix of 0..32 or 0..128.
 */
export function parseCidr(text: string): Parsed<Cidr> {
  if (typeof text !== 'string' || text === '') {
    return bad('Give a source in CIDR notation, e.g. 203.0.113.0/24 (one network) or 0.0.0.0/0 (anywhere).');
  }
  const shown = quoteForSentence(text);
  if (/\s/.test(text)) return bad(`${shown} contains a space or a line break; write the CIDR block without them, e.g. 203.0.113.0/24.`);
  const slash = text.indexOf('/');
  if (slash === -1) {
    if (parseIpv4(text) !== undefined) return bad(`${shown} has no prefix length; write ${text}/32 for this one address.`);
    const v6 = parseIpv6(text);
    if (v6 !== undefined) return bad(`${shown} has no prefix length; write ${formatIpv6(v6)}/128 for this one address.`);
    return bad(`${shown} is not a CIDR block; write an address and a prefix length, e.g. 203.0.113.0/24 or 2001:db8::/32.`);
  }
  const addressText = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  if (addressText.includes('%')) return bad(`${shown} has a zone id (after %); a firewall source cannot carry one.`);
  const v4 = parseIpv4(addressText);
  const v6 = v4 === undefined ? parseIpv6(addressText) : undefined;
  if (v4 === undefined && v6 === undefined) {
    if (/^[0-9.]+$/.test(addressText) && addressText.split('.').some((p) => /^0[0-9]/.test(p))) {
      return bad(`${shown} has an octet with a leading zero; write each part of an IPv4 address without one (e.g. 10.0.0.0, not 010.000.000.000).`);
    }
    return bad(`${quoteForSentence(addressText)} is not an IPv4 or IPv6 address; write e.g. 203.0.113.0/24 or 2001:db8::/32.`);
  }
  const family: 4 | 6 = v4 !== undefined ? 4 : 6;
  const max = family === 4 ? 32 : 128;
  if (!PREFIX.test(prefixText) || Number(prefixText) > max) {
    return bad(`The prefix length of ${shown} must be a whole number from 0 to ${max} (IPv${family}); it is ${quoteForSentence(prefixText)}.`);
  }
  const prefix = Number(prefixText);
  if (family === 4) {
    const hostBits = 32 - prefix;
    const network = hostBits === 32 ? 0 : Math.floor(v4! / 2 ** hostBits) * 2 ** hostBits;
    if (network !== v4) {
      return bad(`${shown} has host bits set: the network is ${formatIpv4(network)}/${prefix}; for the one address write ${formatIpv4(v4!)}/32.`);
    }
    const address = formatIpv4(v4!);
    return ok({ family, address, prefix, text: `${address}/${prefix}` });
  }
  const mask = prefix === 0 ? 0n : ((1n << 128n) - 1n) ^ ((1n << BigInt(128 - prefix)) - 1n);
  const network = v6! & mask;
  if (network !== v6) {
    return bad(`${shown} has host bits set: the network is ${formatIpv6(network)}/${prefix}; for the one address write ${formatIpv6(v6!)}/128.`);
  }
  const address = formatIpv6(v6!);
  return ok({ family, address, prefix, text: `${address}/${prefix}` });
}

const PORT = /^[0-9]{1,5}$/;

function checkPort(text: string, which: string): Parsed<number> {
  if (!PORT.test(text)) return bad(`${which} ${quoteForSentence(text)} is not a port number; ports are whole numbers from 1 to 65535.`);
  if (text.length > 1 && text.startsWith('0')) return bad(`${which} ${quoteForSentence(text)} has a leading zero; write ${Number(text)}.`);
  const n = Number(text);
  if (n === 0) return bad(`Port 0 is reserved; ports run from 1 to 65535.`);
  if (n > 65535) return bad(`Port ${n} is out of range; ports run from 1 to 65535.`);
  return ok(n);
}

/** Parses "22" or "8000-8080" into an inclusive range of 1..65535 with from <= to. */
export function parsePortRange(text: string): Parsed<PortRange> {
  if (typeof text !== 'string' || text === '') return bad('Give a port or a range of ports, e.g. 22 or 8000-8080.');
  if (/\s/.test(text)) return bad(`${quoteForSentence(text)} contains a space or a line break; write a port or a range without them, e.g. 22 or 8000-8080.`);
  const parts = text.split('-');
  if (parts.length > 2) return bad(`${quoteForSentence(text)} is not a port range; write one port (22) or a range (8000-8080).`);
  const from = checkPort(parts[0], parts.length === 2 ? 'The first port' : 'The port');
  if (!from.ok) return from;
  if (parts.length === 1) return ok({ from: from.value, to: from.value });
  const to = checkPort(parts[1], 'The last port');
  if (!to.ok) return to;
  if (from.value > to.value) return bad(`The port range ${text} runs backwards; write ${to.value}-${from.value}.`);
  return ok({ from: from.value, to: to.value });
}

/** Parses a protocol name: tcp, udp or icmp (any letter case). */
export function parseProtocol(text: string): Parsed<Protocol> {
  const lower = typeof text === 'string' ? text.toLowerCase() : '';
  if ((PROTOCOLS as readonly string[]).includes(lower)) return ok(lower as Protocol);
  return bad(`The protocol must be tcp, udp or icmp; got ${quoteForSentence(String(text))}.`);
}

/** A problem with one part of a firewall rule. */
export interface RuleProblem {
  part: 'protocol' | 'ports' | 'source';
  message: string;
}

const showPort = (port: unknown): string => (typeof port === 'number' ? String(port) : quoteForSentence(port, 20));

/** Checks a rule as the domain holds it (numbers, a CIDR string); returns every problem. */
export function checkFirewallRule(rule: FirewallRule): RuleProblem[] {
  const problems: RuleProblem[] = [];
  if (rule === null || typeof rule !== 'object') return [{ part: 'protocol', message: 'This rule is empty; give a protocol, ports and a source.' }];
  const protocol = parseProtocol(rule.protocol);
  if (!protocol.ok) problems.push({ part: 'protocol', message: protocol.problem });
  else if (protocol.value !== rule.protocol) problems.push({ part: 'protocol', message: `Write the protocol in lowercase: ${protocol.value}.` });
  const { fromPort, toPort } = rule;
  if (protocol.ok && protocol.value === 'icmp') {
    if (fromPort !== -1 || toPort !== -1) {
      problems.push({ part: 'ports', message: `icmp has no ports; the rule covers every icmp type (ports -1 to -1), not ${showPort(fromPort)}-${showPort(toPort)}.` });
    }
  } else if (protocol.ok) {
    const valid = (p: unknown): p is number => Number.isInteger(p) && (p as number) >= 1 && (p as number) <= 65535;
    if (!valid(fromPort) || !valid(toPort)) {
      const wrong = !valid(fromPort) ? fromPort : toPort;
      problems.push({
        part: 'ports',
        message: wrong === 0 ? 'Port 0 is reserved; ports run from 1 to 65535.' : `Ports are whole numbers from 1 to 65535; got ${showPort(wrong)}.`,
      });
    } else if (fromPort > toPort) {
      problems.push({ part: 'ports', message: `The port range ${fromPort}-${toPort} runs backwards; write ${toPort}-${fromPort}.` });
    }
  }
  const source = parseCidr(rule.source);
  if (!source.ok) problems.push({ part: 'source', message: source.problem });
  return problems;
}

/** The text a form shows for a rule's ports: "22", "8000-8080", or "" for icmp. */
export function formatPorts(rule: Pick<FirewallRule, 'protocol' | 'fromPort' | 'toPort'>): string {
  if (rule.protocol === 'icmp') return '';
  return rule.fromPort === rule.toPort ? String(rule.fromPort) : `${rule.fromPort}-${rule.toPort}`;
}

/**
 * The address this session's user connects from, as a one-address CIDR block: the SSH client of the session
 * (SSH_CLIENT "ip port port", else SSH_CONNECTION "ip port ip port"), or undefined where there is none.
 */
export function sshClientCidr(env: Record<string, string | undefined>): string | undefined {
  const words = (env.SSH_CLIENT ?? env.SSH_CONNECTION ?? '').trim().split(/\s+/);
  const address = (words[0] ?? '').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
  if (!address) return undefined;
  if (parseIpv4(address) !== undefined) return `${formatIpv4(parseIpv4(address)!)}/32`;
  const v6 = parseIpv6(address.replace(/%.*$/, ''));
  return v6 === undefined ? undefined : `${formatIpv6(v6)}/128`;
}

/** Ports an open-to-the-world rule must not leave open without a word: remote shells and desktops. */
const REMOTE_ACCESS_PORTS: readonly { port: number; what: string }[] = [
  { port: 22, what: 'SSH' },
  { port: 3389, what: 'RDP' },
];

/** A sentence where a rule opens SSH or RDP to the whole internet (0.0.0.0/0 or ::/0), else undefined. */
export function worldOpenWarning(rule: FirewallRule): string | undefined {
  const cidr = parseCidr(rule.source);
  if (!cidr.ok || cidr.value.prefix !== 0 || rule.protocol !== 'tcp') return undefined;
  const hit = REMOTE_ACCESS_PORTS.find((p) => rule.fromPort <= p.port && p.port <= rule.toPort);
  if (!hit) return undefined;
  return `${hit.what} (port ${hit.port}) is open to the whole internet from ${rule.source}; narrow it to the addresses that need it (e.g. your own, /32).`;
}
