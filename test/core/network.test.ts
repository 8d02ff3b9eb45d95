import fc from 'fast-check';
import { isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import { checkFirewallRule, formatPorts, parseCidr, parsePortRange, parseProtocol } from '../../source/core/network.js';

const value = <T>(parsed: { ok: true; value: T } | { ok: false; problem: string }): T => {
  if (!parsed.ok) throw new Error(`expected a value, got: ${parsed.problem}`);
  return parsed.value;
};
const problem = (parsed: { ok: boolean; problem?: string }): string => {
  if (parsed.ok) throw new Error('expected a problem');
  return parsed.problem!;
};

describe('parseCidr', () => {
  const good: Array<[string, string, 4 | 6, number]> = [
    ['0.0.0.0/0', '0.0.0.0/0', 4, 0],
    ['10.0.0.0/8', '10.0.0.0/8', 4, 8],
    ['203.0.113.0/24', '203.0.113.0/24', 4, 24],
    ['198.51.100.7/32', '198.51.100.7/32', 4, 32],
    ['255.255.255.255/32', '255.255.255.255/32', 4, 32],
    ['::/0', '::/0', 6, 0],
    ['2001:db8::/32', '2001:db8::/32', 6, 32],
    ['2001:DB8:0:0::/64', '2001:db8::/64', 6, 64],
    ['2001:0db8:0000:0000:0000:0000:0000:0001/128', '2001:db8::1/128', 6, 128],
    ['fe80::/10', 'fe80::/10', 6, 10],
    ['::1/128', '::1/128', 6, 128],
    ['1:0:0:2:0:0:0:3/128', '1:0:0:2::3/128', 6, 128],
    ['1:2:3:4:5:6:7::/128', '1:2:3:4:5:6:7:0/128', 6, 128],
    ['::ffff:192.0.2.1/128', '::ffff:c000:201/128', 6, 128],
  ];
  for (const [text, canonical, family, prefix] of good) {
    it(`accepts ${text}`, () => {
      const cidr = value(parseCidr(text));
      expect(cidr).toMatchObject({ family, prefix, text: canonical });
    });
  }

  const bad: Array<[string, RegExp]> = [
    ['', /Give a source in CIDR notation/],
    ['10.0.0.1', /has no prefix length; write 10\.0\.0\.1\/32 for this one address/],
    ['2001:db8::1', /has no prefix length; write 2001:db8::1\/128 for this one address/],
    ['10.0.0.5/24', /has host bits set: the network is 10\.0\.0\.0\/24; for the one address write 10\.0\.0\.5\/32/],
    ['2001:db8::1/64', /host bits set: the network is 2001:db8::\/64; for the one address write 2001:db8::1\/128/],
    ['010.0.0.0/8', /leading zero/],
    ['10.0.0.00/32', /leading zero/],
    ['256.0.0.0/8', /is not an IPv4 or IPv6 address/],
    ['10.0.0/8', /is not an IPv4 or IPv6 address/],
    ['10.0.0.0.0/8', /is not an IPv4 or IPv6 address/],
    ['10.0.0.0/33', /prefix length .* must be a whole number from 0 to 32 \(IPv4\)/],
    ['2001:db8::/129', /from 0 to 128 \(IPv6\)/],
    ['10.0.0.0/08', /prefix length/],
    ['10.0.0.0/', /prefix length/],
    ['10.0.0.0/-1', /prefix length/],
    ['10.0.0.0/8/8', /prefix length/],
    ['10.0.0.0 /8', /contains a space/],
    [' 10.0.0.0/8', /contains a space/],
    ['10.0.0.0/8\n', /contains a space/],
    ['fe80::1%eth0/64', /zone id/],
    ['1::2::3/64', /is not an IPv4 or IPv6 address/],
    ['12345::/16', /is not an IPv4 or IPv6 address/],
    ['1:2:3:4:5:6:7:8:9/128', /is not an IPv4 or IPv6 address/],
    ['1:2:3:4:5:6:7:8::/128', /is not an IPv4 or IPv6 address/],
    ['1.2.3.4::/128', /is not an IPv4 or IPv6 address/],
    ['::ffff:01.2.3.4/128', /is not an IPv4 or IPv6 address/],
    ['anywhere', /is not a CIDR block/],
    ['$(reboot)/8', /is not an IPv4 or IPv6 address/],
    ['10.0.0.0/8\u001b[2J', /prefix length/],
  ];
  for (const [text, message] of bad) {
    it(`refuses ${JSON.stringify(text)}`, () => expect(problem(parseCidr(text))).toMatch(message));
  }

  it('shows control characters visibly in its sentence', () => {
    expect(problem(parseCidr('10.0.0.0/8\u001b[2J'))).toContain('U+001B');
  });

  it('agrees with node:net on every IPv4 network it builds', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 32 }), (n, prefix) => {
        const network = prefix === 0 ? 0 : Math.floor(n / 2 ** (32 - prefix)) * 2 ** (32 - prefix);
        const address = [24, 16, 8, 0].map((s) => Math.floor(network / 2 ** s) % 256).join('.');
        const cidr = value(parseCidr(`${address}/${prefix}`));
        expect(cidr.text).toBe(`${address}/${prefix}`);
        expect(isIP(cidr.address)).toBe(4);
      }),
    );
  });

  it('round-trips any IPv6 network through its canonical form', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }), fc.integer({ min: 0, max: 128 }), (groups, prefix) => {
        const full = groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
        const mask = prefix === 0 ? 0n : ((1n << 128n) - 1n) ^ ((1n << BigInt(128 - prefix)) - 1n);
        const network = full & mask;
        const hex = Array.from({ length: 8 }, (_, i) => ((network >> BigInt((7 - i) * 16)) & 0xffffn).toString(16).padStart(4, '0')).join(':');
        const cidr = value(parseCidr(`${hex}/${prefix}`));
        expect(isIP(cidr.address)).toBe(6);
        expect(value(parseCidr(cidr.text)).text).toBe(cidr.text);
      }),
    );
  });

  it('never throws, and answers every string with a value or a sentence', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (text) => {
        const parsed = parseCidr(text);
        if (parsed.ok) expect(isIP(parsed.value.address)).not.toBe(0);
        else expect(parsed.problem).toMatch(/[.)]$/);
      }),
      { numRuns: 500 },
    );
  });
});

describe('parsePortRange', () => {
  it('reads one port and a range', () => {
    expect(value(parsePortRange('22'))).toEqual({ from: 22, to: 22 });
    expect(value(parsePortRange('8000-8080'))).toEqual({ from: 8000, to: 8080 });
    expect(value(parsePortRange('1-65535'))).toEqual({ from: 1, to: 65535 });
  });
  const bad: Array<[string, RegExp]> = [
    ['', /Give a port or a range/],
    ['0', /Port 0 is reserved; ports run from 1 to 65535/],
    ['0-80', /Port 0 is reserved/],
    ['65536', /Port 65536 is out of range/],
    ['99999', /out of range/],
    ['8080-8000', /runs backwards; write 8000-8080/],
    ['022', /leading zero; write 22/],
    ['22-', /The last port "" is not a port number/],
    ['-22', /The first port "" is not a port number/],
    ['1-2-3', /is not a port range/],
    ['ssh', /The port "ssh" is not a port number/],
    ['22 ', /contains a space/],
    ['8000 - 8080', /contains a space/],
    ['1e3', /not a port number/],
    ['22;reboot', /not a port number/],
  ];
  for (const [text, message] of bad) {
    it(`refuses ${JSON.stringify(text)}`, () => expect(problem(parsePortRange(text))).toMatch(message));
  }
  it('accepts exactly the ranges within 1..65535 that run forwards', () => {
    fc.assert(
      fc.property(fc.integer({ min: -5, max: 70000 }), fc.integer({ min: -5, max: 70000 }), (a, b) => {
        const parsed = parsePortRange(`${a}-${b}`);
        expect(parsed.ok).toBe(a >= 1 && b <= 65535 && a <= b && b >= 1 && a <= 65535);
      }),
    );
  });
});

describe('protocols and rules', () => {
  it('reads protocols in any case', () => {
    expect(value(parseProtocol('tcp'))).toBe('tcp');
    expect(value(parseProtocol('UDP'))).toBe('udp');
    expect(value(parseProtocol('Icmp'))).toBe('icmp');
    expect(problem(parseProtocol('sctp'))).toBe('The protocol must be tcp, udp or icmp; got "sctp".');
  });

  it('checks every part of a rule and says which', () => {
    expect(checkFirewallRule({ protocol: 'tcp', fromPort: 22, toPort: 22, source: '203.0.113.0/24' })).toEqual([]);
    expect(checkFirewallRule({ protocol: 'icmp', fromPort: -1, toPort: -1, source: '0.0.0.0/0' })).toEqual([]);
    expect(checkFirewallRule({ protocol: 'icmp', fromPort: 8, toPort: 8, source: '0.0.0.0/0' })).toEqual([
      { part: 'ports', message: 'icmp has no ports; the rule covers every icmp type (ports -1 to -1), not 8-8.' },
    ]);
    expect(checkFirewallRule({ protocol: 'tcp', fromPort: 0, toPort: 80, source: '10.0.0.1' })).toEqual([
      { part: 'ports', message: 'Port 0 is reserved; ports run from 1 to 65535.' },
      { part: 'source', message: '"10.0.0.1" has no prefix length; write 10.0.0.1/32 for this one address.' },
    ]);
    expect(checkFirewallRule({ protocol: 'udp', fromPort: 9000, toPort: 53, source: '::/0' })).toEqual([
      { part: 'ports', message: 'The port range 9000-53 runs backwards; write 53-9000.' },
    ]);
    expect(checkFirewallRule({ protocol: 'gre' as never, fromPort: 1, toPort: 1, source: '::/0' })).toEqual([
      { part: 'protocol', message: 'The protocol must be tcp, udp or icmp; got "gre".' },
    ]);
    expect(checkFirewallRule({ protocol: 'tcp', fromPort: 1.5, toPort: 80, source: '::/0' })[0].message).toBe('Ports are whole numbers from 1 to 65535; got 1.5.');
  });

  it('formats ports for a form', () => {
    expect(formatPorts({ protocol: 'tcp', fromPort: 22, toPort: 22 })).toBe('22');
    expect(formatPorts({ protocol: 'udp', fromPort: 60000, toPort: 61000 })).toBe('60000-61000');
    expect(formatPorts({ protocol: 'icmp', fromPort: -1, toPort: -1 })).toBe('');
  });
});
