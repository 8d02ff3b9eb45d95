// The libvirt provider's parts that need no libvirt: its XML reader, the domain and filter XML it writes
// and reads back, the console's readiness lines, the error mapping, and launch paths driven by a recorded
// host (a fake Runner answering as virsh and qemu-img do).
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StrataError } from '../../../source/core/errors.js';
import {
  domainXml,
  firewallXml,
  parseDomain,
  parseFirewallRules,
  serverFilterXml,
  type LaunchRecord,
  parseLeases,
} from '../../../source/providers/libvirt/domain.js';
import { ToolFailure, toStrataError, virshQuote, type Runner } from '../../../source/providers/libvirt/exec.js';
import { LibvirtProvider, consolePhase, libvirtCapabilities } from '../../../source/providers/libvirt/index.js';
import { notOffered } from '../../../source/ui/panes/launch/draft.js';
import { metaData } from '../../../source/providers/libvirt/seed.js';
import { XmlError, esc, parseXml, parseXmlFragments } from '../../../source/providers/libvirt/xml.js';

const record: LaunchRecord = {
  token: 'tok-1',
  index: 0,
  name: 'web',
  imageId: 'strata/base',
  imagePath: '/pools/strata/base',
  productId: 'small',
  firewallIds: ['strata-fw-web'],
  group: 'g<&>"\'',
  launchedAt: '2026-12-01T10:00:00.000Z',
  files: ['/pools/strata-servers/web.root.qcow2'],
};

describe('xml', () => {
  it('reads elements, attributes, entities, CDATA and comments, and several documents in a row', () => {
    const [a, b] = parseXmlFragments(`<?xml version="1.0"?><!-- c --><a x='1' y="&lt;&amp;&#65;&#x42;"><b>t&gt;</b><c/><![CDATA[<raw>]]></a>\n<z/>`);
    expect(a!.attrs).toEqual({ x: '1', y: '<&AB' });
    expect(a!.children.map((c) => c.name)).toEqual(['b', 'c']);
    expect(a!.children[0]!.text).toBe('t>');
    expect(a!.text).toBe('<raw>');
    expect(b!.name).toBe('z');
  });

  it('refuses what is not well formed, with where', () => {
    expect(() => parseXml('<a><b></a>')).toThrow(XmlError);
    expect(() => parseXml('<a>')).toThrow(/never closed/);
    expect(() => parseXml('<a/><b/>')).toThrow(/one XML document/);
  });

  it('escapes every character that could end a value', () => {
    expect(esc(`<x a="1" b='2'>&`)).toBe('&lt;x a=&quot;1&quot; b=&apos;2&apos;&gt;&amp;');
    expect(parseXml(`<a v='${esc(`'"<>&`)}'>${esc('</a><b>')}</a>`).attrs.v).toBe(`'"<>&`);
  });
});

describe('domain XML', () => {
  it('round-trips strata\'s launch record through the domain metadata, with hostile text intact', () => {
    const xml = domainXml({
      name: 'web',
      virtType: 'qemu',
      arch: 'x86_64',
      vcpus: 2,
      memoryMiB: 1024,
      disks: [
        { path: '/pools/strata-servers/web.root.qcow2', format: 'qcow2' },
        { path: "/pools/o'dd/web.vol1.qcow2", format: 'qcow2' },
        { path: '/pools/strata-servers/web.seed.img', format: 'raw', readonly: true },
      ],
      network: 'default',
      filter: 'strata-srv-web',
      consoleLog: '/pools/strata-servers/web.console.log',
      record,
    });
    const domain = parseDomain(parseXml(xml));
    expect(domain.record).toEqual(record);
    expect(domain.memoryMiB).toBe(1024);
    expect(domain.vcpus).toBe(2);
    expect(domain.disks.map((d) => [d.target, d.path])).toEqual([
      ['vda', '/pools/strata-servers/web.root.qcow2'],
      ['vdb', "/pools/o'dd/web.vol1.qcow2"],
      ['vdc', '/pools/strata-servers/web.seed.img'],
    ]);
    expect(domain.consoleLog).toBe('/pools/strata-servers/web.console.log');
    expect(xml).toMatch(/<filterref filter='strata-srv-web'\/>/);
    expect(xml).not.toMatch(/host-passthrough/);
  });

  it('reads libvirt\'s own rendering: memory in KiB, a metadata element with libvirt\'s prefix', () => {
    const domain = parseDomain(
      parseXml(`<domain type='kvm'><name>a</name><uuid>u-1</uuid><metadata><strata:launch xmlns:strata="x">${esc(JSON.stringify(record))}</strata:launch></metadata><memory unit='KiB'>262144</memory><vcpu placement='static'>1</vcpu></domain>`),
    );
    expect(domain.memoryMiB).toBe(256);
    expect(domain.record?.token).toBe('tok-1');
    expect(parseDomain(parseXml('<domain><name>b</name><uuid>u</uuid><metadata><other/></metadata></domain>')).record).toBeUndefined();
  });

  it('writes firewalls as nwfilters and reads back the same rules, IPv4 and IPv6', () => {
    const rules = [
      { protocol: 'tcp' as const, fromPort: 22, toPort: 22, source: '203.0.113.0/24' },
      { protocol: 'udp' as const, fromPort: 60000, toPort: 61000, source: '2001:db8::/32' },
      { protocol: 'icmp' as const, fromPort: -1, toPort: -1, source: '0.0.0.0/0' },
      { protocol: 'icmp' as const, fromPort: -1, toPort: -1, source: '2001:db8::/32' },
    ];
    const xml = firewallXml('strata-fw-web', rules);
    expect(xml).toMatch(/<udp-ipv6 srcipaddr='2001:db8::' srcipmask='32'/);
    expect(xml).toMatch(/<icmpv6 /);
    expect(parseFirewallRules(parseXml(xml))).toEqual(rules);
    const server = serverFilterXml('strata-srv-web', ['strata-fw-web', 'strata-fw-db']);
    expect(server).toMatch(/filter='strata-fw-db'/);
    expect(server).toMatch(/<rule action='drop' direction='inout' priority='1000'>/);
  });
});

describe('readiness from the console', () => {
  it('says booting, running, initializing and ready from cloud-init\'s own lines', () => {
    expect(consolePhase('').phase).toBe('booting');
    expect(consolePhase('[    0.000000] Linux version 6.1\n').phase).toBe('running');
    const init = consolePhase("Cloud-init v. 22.4.2 running 'init' at Tue, 01 Dec 2026 16:39:02 +0000. Up 3.5 seconds.\n");
    expect(init).toEqual({ phase: 'initializing', at: 'Tue, 01 Dec 2026 16:39:02 +0000' });
    const done = consolePhase(
      "Cloud-init v. 22.4.2 running 'modules:final' at Tue, 01 Dec 2026 16:39:03 +0000. Up 4 seconds.\nCloud-init v. 22.4.2 finished at Tue, 01 Dec 2026 16:39:04 +0000. Datasource DataSourceNoCloud [seed=/dev/vdb].  Up 4.1 seconds\n",
    );
    expect(done.phase).toBe('ready');
    expect(Date.parse(done.at!)).toBe(Date.parse('2026-12-01T16:39:04Z'));
  });
});

describe('capabilities', () => {
  it('without a network there is no firewall to pick, and the form says why', () => {
    const description = { id: 'libvirt', displayName: 'libvirt (KVM/QEMU)', region: 'local', regions: [], profile: '', capabilities: libvirtCapabilities(false) };
    expect(notOffered(description)).toContain('Firewalls: libvirt (KVM/QEMU) in local puts no firewall on a server at launch (no network to filter).');
    expect(notOffered({ ...description, capabilities: libvirtCapabilities(true) }).some((l) => l.startsWith('Firewalls:'))).toBe(false);
    expect(libvirtCapabilities(false).launch.createFirewall).toBe(false);
  });
});

describe('seed', () => {
  it('quotes every meta-data value, so a hostile name or key cannot add keys', () => {
    const text = metaData({ instanceId: 'i-1\nevil: yes', hostname: 'web', publicKeys: ['ssh-ed25519 AAAA x"y'] });
    expect(text).toBe('instance-id: "i-1\\nevil: yes"\nlocal-hostname: "web"\npublic-keys:\n  - "ssh-ed25519 AAAA x\\"y"\n');
  });
});

describe('errors', () => {
  const map = (stderr: string, reason: ToolFailure['reason'] = 'exit', file = 'virsh') =>
    toStrataError(new ToolFailure(file, stderr, reason === 'exit' ? 1 : undefined, reason), { uri: 'qemu:///system', doing: 'starting web' });

  it('maps libvirt\'s and qemu-img\'s failures onto the contract\'s kinds, keeping the tool\'s words as the detail', () => {
    const gone = map("error: Failed to start domain 'web'\nerror: Cannot access backing file '/p/base': Could not open backing file: No such file or directory");
    expect(gone.kind).toBe('NotFound');
    expect(gone.message).toMatch(/^Starting web: the server's image is gone/);
    expect(gone.detail).toMatch(/Could not open backing file/);
    expect(map('error: failed to connect to the hypervisor\nerror: Failed to connect socket to /var/run/libvirt/libvirt-sock').kind).toBe('Transient');
    expect(map("error: failed to get domain 'x'\nerror: Domain not found").kind).toBe('NotFound');
    expect(map('error: authentication unavailable: no polkit agent').kind).toBe('AuthFailed');
    // polkit's warning where virsh has a terminal is not the error.
    expect(map("Authorization not available. Check if polkit service is running.\nerror: failed to get pool 'p'\nerror: Storage pool not found: no storage pool with matching name 'p'").kind).toBe('NotFound');
    expect(map("error: operation failed: domain 'web' already exists with uuid 1").kind).toBe('Conflict');
    const other = map('error: internal error: something new');
    expect(other.kind).toBe('Invalid');
    expect(other.message).toBe('Starting web: virsh refused: internal error: something new.');
    expect(map('', 'missing', 'qemu-img').message).toMatch(/qemu-img is not installed on this machine \(Debian package qemu-utils\)/);
    expect(map('', 'timeout').kind).toBe('Transient');
  });

  it('says why a connection failed in libvirt\'s own words, and what to do; "is libvirtd running?" only where its socket is missing or refuses', () => {
    // What virsh 9 prints (LC_ALL=C) for each, as seen on a real host.
    const connect = (uri: string, reason: string, uriFrom?: string) =>
      toStrataError(new ToolFailure('virsh', `error: failed to connect to the hypervisor\nerror: ${reason}\n`, 1, 'exit'), { uri, doing: 'connecting to libvirt', ...(uriFrom ? { uriFrom } : {}) });
    const cases: [uri: string, reason: string, kind: string, says: RegExp][] = [
      ['qemu:///sytem', "internal error: unexpected qemu URI path '/sytem', try qemu:///system", 'Invalid', /^Connecting to libvirt: libvirt does not accept the URI qemu:\/\/\/sytem \(internal error: unexpected qemu URI path '\/sytem', try qemu:\/\/\/system\): correct it \(--libvirt-uri or STRATA_LIBVIRT_URI\)\.$/],
      ['qmeu:///system', 'no connection driver available for qmeu:///system', 'Invalid', /no driver for the URI qmeu:\/\/\/system .*correct it.*qemu:\/\/\/system/],
      ['qemu+tcp://no-such-host.invalid/system', "Unable to resolve address 'no-such-host.invalid' service '16509': Name or service not known", 'Invalid', /The host no-such-host\.invalid of .* cannot be found \(Unable to resolve address .*Name or service not known\): correct the host name/],
      ['qemu+tcp://h/system', "Unable to resolve address 'h' service '16509': Temporary failure in name resolution", 'Transient', /cannot be looked up just now .*check this machine's DNS/],
      ['qemu+tcp://127.0.0.1/system', "unable to connect to server at '127.0.0.1:16509': Connection refused", 'Transient', /^Connecting to libvirt: Nothing answers at 127\.0\.0\.1:16509 .*\(Connection refused\): check the host and port/],
      ['qemu+tcp://10.9.9.9/system', "unable to connect to server at '10.9.9.9:16509': No route to host", 'Transient', /10\.9\.9\.9:16509 cannot be reached .*\(No route to host\): check the network/],
      ['qemu+ssh://root@h:1/system', 'Cannot recv data: ssh: connect to host h port 1: Connection refused: Connection reset by peer', 'Transient', /ssh connection for .* failed \(Cannot recv data: ssh: connect to host h port 1: Connection refused/],
      ['qemu+ssh://me@h/system', 'Cannot recv data: Host key verification failed.: Connection reset by peer', 'AuthFailed', /ssh to the host of .* was refused \(.*Host key verification failed.*known_hosts/],
      ['qemu:///system', "Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory", 'Transient', /qemu:\/\/\/system does not answer: its socket \/var\/run\/libvirt\/libvirt-sock does not exist\. Is libvirtd running\? Start it/],
      ['qemu:///system', "Failed to connect socket to '/var/run/libvirt/libvirt-sock': Connection refused", 'Transient', /its socket .* refuses connections\. Is libvirtd running\?/],
      ['qemu:///system', "Failed to connect socket to '/var/run/libvirt/libvirt-sock': Permission denied", 'AuthFailed', /qemu:\/\/\/system refused this user \(Failed to connect socket .*Permission denied\): add the user to the libvirt group/],
      ['qemu:///system', "authentication unavailable: no polkit agent available to authenticate action 'org.libvirt.unix.manage'", 'AuthFailed', /refused this user \(authentication unavailable: no polkit agent .*\): add the user to the libvirt group, run strata as root, or use qemu:\/\/\/session/],
      ['qemu:///system', 'internal error: Unable to get system bus connection: Could not connect: No such file or directory', 'AuthFailed', /refused this user \(internal error: Unable to get system bus connection.*\): add the user to the libvirt group/],
      ['qemu:///system', 'something new went wrong', 'Transient', /strata cannot connect to libvirt at qemu:\/\/\/system \(something new went wrong\): check the URI/],
    ];
    for (const [uri, reason, kind, says] of cases) {
      const error = connect(uri, reason, uri === 'qemu:///sytem' ? '--libvirt-uri or STRATA_LIBVIRT_URI' : undefined);
      expect([uri, reason, error.kind]).toEqual([uri, reason, kind]);
      expect(error.message).toMatch(says);
      expect(error.detail).toContain(reason);
      if (!/does not exist|refuses connections/.test(error.message)) expect(error.message).not.toMatch(/libvirtd running/);
    }
    // A connection that drops in the middle of a command: libvirtd stopped or restarted.
    const dropped = map('error: End of file while reading data: Input/output error');
    expect(dropped.kind).toBe('Transient');
    expect(dropped.message).toMatch(/closed the connection \(End of file while reading data: Input\/output error\): libvirtd may have stopped or restarted/);
  });

  it('quotes virsh arguments so a name with spaces or quotes stays one argument', () => {
    expect(virshQuote('plain-name_1.qcow2')).toBe('plain-name_1.qcow2');
    expect(virshQuote("a b'c")).toBe(`'a b'\\''c'`);
  });
});

/** One virsh command line as virshQuote wrote it, back into its words. */
function words(command: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < command.length) {
    while (command[i] === ' ') i++;
    if (i >= command.length) break;
    let word = '';
    while (i < command.length && command[i] !== ' ') {
      if (command[i] === "'") {
        const end = command.indexOf("'", i + 1);
        word += command.slice(i + 1, end);
        i = end + 1;
      } else if (command[i] === '\\') {
        word += command[i + 1];
        i += 2;
      } else word += command[i++];
    }
    out.push(word);
  }
  return out;
}

interface FakeAnswers {
  start?: () => never;
  backingGone?: boolean;
  state?: number;
  agent?: boolean;
  /** The network "default" exists and is active. */
  network?: boolean;
  /** net-dhcp-leases answers: a lease for every domain on a network. */
  leases?: boolean;
}

/**
 * A host that answers as virsh (libvirt 9) and qemu-img do, for one pool layout; records every call. Several
 * commands in one run behave as virsh's do: each runs, a failing one does not stop the rest, and the
 * run's status is its last command's. Domains, filters and volumes can be made to vanish between a listing
 * and the read that follows it (a busy host).
 */
function fakeHost(dir: string, answers: FakeAnswers = {}) {
  const calls: string[][] = [];
  const domains = new Map<string, { uuid: string; xml: string }>();
  const filters = new Map<string, string>();
  const pools: Record<string, string> = { strata: join(dir, 'strata'), 'strata-vendor': join(dir, 'strata-vendor'), 'strata-servers': join(dir, 'strata-servers') };
  const volumes = new Map<string, Set<string>>([['strata', new Set(['base'])]]);
  /** Listed, but gone by the time they are read. */
  const vanishing = { domains: new Set<string>(), filters: new Set<string>(), volumes: new Set<string>() };
  let uuids = 0;
  for (const path of Object.values(pools)) mkdirSync(path, { recursive: true });
  const define = (given: string) => {
    // libvirt gives every interface a MAC address at define, and keeps it.
    let macs = 0;
    const xml = given.replace(/<interface type='network'>(?!\s*<mac)/g, () => `<interface type='network'>\n      <mac address='52:54:00:00:${String(uuids + 1).padStart(2, '0')}:${String(++macs).padStart(2, '0')}'/>`);
    const name = /<name>(.*?)<\/name>/.exec(xml)![1]!;
    const uuid = domains.get(name)?.uuid ?? `${String(++uuids).padStart(8, '0')}-0000-4000-8000-000000000000`;
    domains.set(name, { uuid, xml });
    return uuid;
  };
  const byId = (id: string) => [...domains.entries()].find(([n, d]) => n === id || d.uuid === id);
  type Answer = { out?: string; err?: string };
  const one = (cmd: string[]): Answer => {
    const [verb, ...rest] = cmd;
    const last = rest[rest.length - 1]!;
    switch (verb) {
      case 'capabilities':
        return { out: "<capabilities><host><cpu><arch>x86_64</arch></cpu></host><guest><arch name='x86_64'><domain type='qemu'/></arch></guest></capabilities>" };
      case 'pool-dumpxml':
        return pools[last] ? { out: `<pool><target><path>${pools[last]}</path></target></pool>` } : { err: `error: failed to get pool '${last}'\nerror: Storage pool not found: no storage pool with matching name '${last}'\n` };
      case 'pool-define-as': {
        const at = rest[rest.indexOf('--target') + 1]!;
        pools[rest[0]!] = at;
        mkdirSync(at, { recursive: true });
        return { out: `Pool ${rest[0]} defined\n` };
      }
      case 'pool-info':
        return { out: 'State:          running\n' };
      case 'vol-list': {
        const names = [...(volumes.get(last) ?? [])];
        return { out: names.map((n) => ` ${n}   ${pools[last]}/${n}\n`).join('') };
      }
      case 'vol-dumpxml': {
        const pool = rest[rest.indexOf('--pool') + 1]!;
        if (!volumes.get(pool)?.has(last) || vanishing.volumes.has(last)) {
          return { err: `error: failed to get vol '${last}'\nerror: Storage volume not found: no storage vol with matching path '${last}'\n` };
        }
        return { out: `<volume><name>${last}</name><target><path>${pools[pool]}/${last}</path><format type='qcow2'/></target><capacity>1073741824</capacity></volume>\n` };
      }
      case 'nwfilter-list':
        return { out: [...filters.keys()].map((n, i) => ` ${String(i).padStart(8, '0')}-1111-4000-8000-000000000000   ${n}\n`).join('') };
      case 'nwfilter-dumpxml':
        return filters.has(last) && !vanishing.filters.has(last)
          ? { out: filters.get(last)! }
          : { err: `error: failed to get nwfilter '${last}'\nerror: Network filter not found: no nwfilter with matching name '${last}'\n` };
      case 'nwfilter-define': {
        const xml = readFileSync(last, 'utf8');
        filters.set(/<filter name='([^']*)'/.exec(xml)![1]!, xml);
        return { out: '' };
      }
      case 'nwfilter-undefine':
        return filters.delete(last) ? { out: '' } : { err: `error: failed to get nwfilter '${last}'\nerror: Network filter not found: no nwfilter with matching name '${last}'\n` };
      case 'net-info':
        return answers.network ? { out: `Name:           ${last}\nActive:         yes\n` } : { err: `error: failed to get network '${last}'\nerror: Network not found: no network with matching name '${last}'\n` };
      case 'list':
        return { out: [...domains.entries()].map(([n, d]) => `${d.uuid} ${n}\n`).join('') };
      case 'domstats':
        return { out: [...domains.keys()].map((n) => `Domain: '${n}'\n  state.state=${answers.state ?? 5}\n  state.reason=${answers.state === 1 ? 1 : 6}\n\n`).join('') };
      case 'dumpxml': {
        const found = byId(last);
        if (!found || vanishing.domains.has(found[0])) return { err: `error: failed to get domain '${last}'\n` };
        const [n, d] = found;
        return { out: d.xml.replace(`<name>${n}</name>`, `<name>${n}</name><uuid>${d.uuid}</uuid>`) };
      }
      case 'define':
        define(readFileSync(last, 'utf8'));
        return { out: '' };
      case 'domuuid':
        return { out: `${byId(last)![1].uuid}\n` };
      case 'start':
        answers.start?.();
        return { out: '' };
      case 'undefine': {
        const found = byId(rest[0]!);
        if (!found) return { err: `error: failed to get domain '${rest[0]}'\n` };
        domains.delete(found[0]);
        return { out: '' };
      }
      case 'metadata': {
        const name = rest[0]!;
        const json = /<launch>(.*)<\/launch>/.exec(rest[rest.indexOf('--set') + 1]!)![1]!;
        const d = domains.get(name)!;
        d.xml = d.xml.replace(/<strata:launch([^>]*)>.*<\/strata:launch>/, `<strata:launch$1>${json}</strata:launch>`);
        return { out: '' };
      }
      case 'echo':
        // virsh -q prints an echo without a newline.
        return { out: rest.join(' ') };
      case 'net-dhcp-leases': {
        if (!answers.leases) return { err: `error: failed to get network '${last}'\n` };
        const lines = [...domains.values()].flatMap((d, i) => [...d.xml.matchAll(/<mac address='([^']+)'\/>/g)].map((m) => ` 2026-12-06 13:04:10   ${m[1]}   ipv4   192.168.122.${10 + i}/24   web   -\n`));
        return { out: ` Expiry Time           MAC address         Protocol   IP address          Hostname   Client ID or DUID\n---\n${lines.join('')}` };
      }
      case 'qemu-agent-command':
        return answers.agent ? { out: '{"return":{}}\n' } : { err: 'error: Guest agent is not responding: QEMU guest agent is not connected\n' };
      default:
        return { out: '' };
    }
  };
  const run: Runner = async (file, args) => {
    calls.push([file, ...args]);
    const ok = (stdout = '') => ({ stdout, stderr: '' });
    if (file === 'qemu-img') {
      if (args[0] === 'info' && args.includes('--backing-chain') && answers.backingGone && String(args[args.length - 1]).includes('root')) {
        throw new ToolFailure('qemu-img', "qemu-img: Could not open '/p/web.root.qcow2': Could not open backing file: No such file or directory", 1, 'exit');
      }
      if (args[0] === 'info') return ok(JSON.stringify({ format: 'qcow2', 'virtual-size': 1 << 30 }));
      return ok();
    }
    if (file === 'mkfs.vfat' || file === 'mcopy') {
      if (file === 'mkfs.vfat') writeFileSync(args[3]!, Buffer.alloc(512));
      return ok();
    }
    const given = args.slice(3);
    const commands = given.length === 1 ? given[0]!.split(' ; ').map(words) : [given];
    let stdout = '';
    let stderr = '';
    let failed = false;
    for (const cmd of commands) {
      const answer = one(cmd);
      stdout += answer.out ?? '';
      stderr += answer.err ?? '';
      failed = answer.err !== undefined;
    }
    if (failed) throw new ToolFailure('virsh', stderr, 1, 'exit');
    return { stdout, stderr };
  };
  return { run, calls, domains, filters, volumes, pools, vanishing, define };
}

describe('launch against a recorded host', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'strata-libvirt-unit-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const options = (d: string) => ({ home: join(d, 'home'), libvirtUri: 'test:///fake', libvirt: { poolDirectory: d, network: 'none' } });
  const spec = { name: 'web', imageId: 'strata/base', productId: 'small', firewallIds: [], count: 1 };

  it('says a start that failed on a gone image in its own words, and keeps the server, failed', async () => {
    const host = fakeHost(dir, {
      backingGone: true,
      start: () => {
        throw new ToolFailure('virsh', "error: Failed to start domain 'web'\nerror: internal error: process exited while connecting to monitor: Could not open backing file", 1, 'exit');
      },
    });
    const provider = new LibvirtProvider(options(dir), host.run);
    const [server] = await provider.launch(spec, 'tok-gone');
    expect(server!.phase).toBe('failed');
    expect(server!.failureReason).toBe('It cannot start: its image strata/base is gone (the backing file ' + join(dir, 'strata', 'base') + ' of its disk no longer exists).');
    expect(server!.failureReason).not.toMatch(/internal error|monitor/);
    // The same token again answers with that server; nothing is defined twice.
    await provider.launch(spec, 'tok-gone');
    expect(host.calls.filter((c) => c[4] === 'define')).toHaveLength(1);
  });

  it('reads readiness from the console log: cloud-init\'s finished line is ready, and stays ready while more is printed', async () => {
    const host = fakeHost(dir, { state: 1 });
    const provider = new LibvirtProvider(options(dir), host.run);
    const [server] = await provider.launch(spec, 'tok-console');
    expect(server!.phase).toBe('booting');
    const log = join(dir, 'strata-servers', 'web.console.log');
    writeFileSync(log, '[    1.0] Linux version 6.1\r\n');
    expect((await provider.listServers([server!.id]))[0]!.phase).toBe('running');
    appendFileSync(log, "Cloud-init v. 22.4 running 'modules:final' at Tue, 01 Dec 2026 16:39:03 +0000. Up 4 seconds.\r\n");
    expect((await provider.listServers([server!.id]))[0]!.phase).toBe('initializing');
    appendFileSync(log, 'Cloud-init v. 22.4 finished at Tue, 01 Dec 2026 16:39:04 +0000. Datasource DataSourceNoCloud.  Up 4.1 seconds\r\n');
    const ready = (await provider.listServers([server!.id]))[0]!;
    expect(ready.phase).toBe('ready');
    appendFileSync(log, 'a chatty service\r\n'.repeat(10_000));
    expect((await provider.listServers([server!.id]))[0]!.phase).toBe('ready');
    expect((await provider.listServers([server!.id]))[0]!.phaseSince).toBe(ready.phaseSince);
    expect(await provider.consoleOutput(server!.id)).not.toContain('\r');
  });

  it('takes a guest agent\'s answer as ready where the console shows no cloud-init, and asks no agent once cloud-init speaks', async () => {
    const host = fakeHost(dir, { state: 1, agent: true });
    const provider = new LibvirtProvider(options(dir), host.run);
    const [server] = await provider.launch(spec, 'tok-agent');
    const log = join(dir, 'strata-servers', 'web.console.log');
    writeFileSync(log, "Cloud-init v. 22.4 running 'init' at Tue, 01 Dec 2026 16:39:03 +0000. Up 4 seconds.\n");
    host.calls.length = 0;
    expect((await provider.listServers([server!.id]))[0]!.phase).toBe('initializing');
    expect(host.calls.some((c) => c.join(' ').includes('qemu-agent-command'))).toBe(false);
    writeFileSync(log, '[    1.0] Linux version 6.1\n');
    expect((await provider.listServers([server!.id]))[0]!.phase).toBe('ready');
    const quiet = fakeHost(mkdtempSync(join(dir, 'b-')), { state: 1, agent: false });
    const other = new LibvirtProvider({ ...options(dir), home: join(dir, 'home-b') }, quiet.run);
    const [s2] = await other.launch(spec, 'tok-agent-2');
    expect((await other.listServers([s2!.id]))[0]!.phase).toBe('booting');
  });

  it('runs every tool with its arguments as a list: no shell sees a name', async () => {
    const host = fakeHost(dir);
    const provider = new LibvirtProvider(options(dir), host.run);
    await provider.launch({ ...spec, name: 'a.b_c-d' }, 'tok-args');
    const create = host.calls.find((c) => c[0] === 'qemu-img' && c[1] === 'create')!;
    expect(create).toEqual(['qemu-img', 'create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', join(dir, 'strata', 'base'), join(dir, 'strata-servers', 'a.b_c-d.root.qcow2'), '10G']);
  });

  it('refuses a region other than its one, and a launch before anything is made when the spec is wrong', async () => {
    const host = fakeHost(dir);
    expect(() => new LibvirtProvider({ ...options(dir), region: 'eu-west' }, host.run)).toThrow(/one region, "local"/);
    const provider = new LibvirtProvider(options(dir), host.run);
    await expect(provider.launch({ ...spec, productId: 'huge' }, 'tok-bad')).rejects.toMatchObject({ kind: 'Invalid', field: 'productId' });
    await expect(provider.launch({ ...spec, firewallIds: ['strata-fw-x'] }, 'tok-bad2')).rejects.toBeInstanceOf(StrataError);
    expect(host.calls.some((c) => c[0] === 'qemu-img' && c[1] === 'create')).toBe(false);
  });
});

describe('a busy host (recorded): what goes away between a listing and its read', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'strata-libvirt-busy-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const options = (d: string, network = 'none') => ({ home: join(d, 'home'), libvirtUri: 'test:///fake', libvirt: { poolDirectory: d, network } });
  const spec = { name: 'web', imageId: 'strata/base', productId: 'small', firewallIds: [], count: 1 };

  it('lists the servers that are still there when another one is undefined between the listing and the read', async () => {
    const host = fakeHost(dir);
    const provider = new LibvirtProvider(options(dir), host.run);
    const [web] = await provider.launch(spec, 'tok-web');
    // Another session's server, undefined after strata listed it and before strata read its XML.
    const otherId = host.define(host.domains.get('web')!.xml.replace('<name>web</name>', '<name>other</name>'));
    host.vanishing.domains.add('other');
    expect((await provider.listServers()).map((s) => s.name)).toEqual(['web']);
    expect((await provider.listServers([web!.id, otherId])).map((s) => s.id)).toEqual([web!.id]);
    expect(await provider.serversByToken('tok-web')).toHaveLength(1);
  });

  it('calls a server it knew that went away terminated, for a caller that asks for it by id', async () => {
    const host = fakeHost(dir);
    const provider = new LibvirtProvider(options(dir), host.run);
    const [web] = await provider.launch(spec, 'tok-web');
    expect((await provider.listServers([web!.id]))[0]!.phase).toBe('failed');
    host.domains.delete('web'); // undefined behind strata's back (virsh undefine, another strata)
    const [gone] = await provider.listServers([web!.id]);
    expect(gone?.phase).toBe('terminated');
    expect(gone?.name).toBe('web');
    expect(await provider.listServers()).toEqual([]);
    // Remembered, also by a provider started afterwards on the same home.
    const later = new LibvirtProvider(options(dir), host.run);
    expect((await later.listServers([web!.id]))[0]?.phase).toBe('terminated');
  });

  it('lists the firewalls that are still there when one is deleted between the listing and the read', async () => {
    const host = fakeHost(dir, { network: true });
    const provider = new LibvirtProvider(options(dir, 'default'), host.run);
    await provider.createFirewall('a', [{ protocol: 'tcp', fromPort: 22, toPort: 22, source: '10.0.0.0/8' }]);
    await provider.createFirewall('b', [{ protocol: 'tcp', fromPort: 80, toPort: 80, source: '10.0.0.0/8' }]);
    host.vanishing.filters.add('strata-fw-b');
    expect((await provider.listFirewalls()).map((f) => f.name)).toEqual(['a']);
    // strata lists its own filters only (strata-fw-NAME): every one is strata's.
    expect((await provider.listFirewalls()).every((f) => f.madeByStrata === true)).toBe(true);
  });

  it('lists the images that are still there when one is deleted between the listing and the read', async () => {
    const host = fakeHost(dir);
    const provider = new LibvirtProvider(options(dir), host.run);
    host.volumes.get('strata')!.add('zz-doomed');
    host.vanishing.volumes.add('zz-doomed');
    expect((await provider.listImages({ scope: 'own' })).items.map((i) => i.name)).toEqual(['base']);
  });

  it('gives a running server on a network its DHCP lease as its address (what s connects to), in one virsh run', async () => {
    const host = fakeHost(dir, { state: 1, network: true, leases: true });
    const provider = new LibvirtProvider({ ...options(dir), libvirt: { poolDirectory: dir, network: 'default' } }, host.run);
    const [web] = await provider.launch(spec, 'tok-lease');
    host.calls.length = 0;
    const [listed] = await provider.listServers([web!.id]);
    expect(listed!.privateAddress).toBe('192.168.122.10');
    expect(host.calls.filter((c) => c.join(' ').includes('net-dhcp-leases'))).toHaveLength(1);
    // A network whose leases cannot be read: the server is listed, without an address.
    const dark = fakeHost(mkdtempSync(join(dir, 'dark-')), { state: 1, network: true });
    const other = new LibvirtProvider({ ...options(dir), home: join(dir, 'home-dark'), libvirt: { poolDirectory: dir, network: 'default' } }, dark.run);
    const [s2] = await other.launch(spec, 'tok-dark');
    expect((await other.listServers([s2!.id]))[0]!.privateAddress).toBeUndefined();
  });

  it('reads virsh net-dhcp-leases: an IPv4 lease before an IPv6 one, by MAC address', () => {
    const text = [
      ' Expiry Time           MAC address         Protocol   IP address                Hostname   Client ID or DUID',
      '-------------------------------------------------------------------------------------------------------------',
      ' 2026-12-06 13:04:10   52:54:00:8e:1f:3a   ipv6       fd00::5/64                web-1      00:04:…',
      ' 2026-12-06 13:04:10   52:54:00:8E:1F:3A   ipv4       192.168.122.57/24         web-1      ff:00:…',
      ' 2026-12-06 13:04:11   52:54:00:aa:bb:cc   ipv6       fd00::6/64                -          -',
    ].join('\n');
    expect([...parseLeases(text)]).toEqual([
      ['52:54:00:8e:1f:3a', '192.168.122.57'],
      ['52:54:00:aa:bb:cc', 'fd00::6'],
    ]);
  });

  it('still fails a listing for what is not a thing going away (a libvirt that stops answering)', async () => {
    const host = fakeHost(dir);
    const provider = new LibvirtProvider(options(dir), host.run);
    await provider.launch(spec, 'tok-web');
    const broken: Runner = async (file, args, opts) => {
      if (file === 'virsh' && String(args[3]).startsWith('dumpxml')) {
        throw new ToolFailure('virsh', 'error: Cannot recv data: Connection reset by peer\nerror: failed to get domain', 1, 'exit');
      }
      return host.run(file, args, opts);
    };
    const other = new LibvirtProvider({ ...options(dir), home: join(dir, 'home-2') }, broken);
    await expect(other.listServers()).rejects.toMatchObject({ kind: 'Transient' });
  });
});

describe('pools and firewalls (recorded host)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'strata-libvirt-pools-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('makes only the pools that are strata\'s: a vendorPool named in config.yaml that does not exist is refused with how to make it', async () => {
    const host = fakeHost(dir);
    const named = new LibvirtProvider({ home: join(dir, 'home'), libvirtUri: 'test:///fake', libvirt: { poolDirectory: dir, network: 'none', vendorPool: 'vendr' } }, host.run);
    const error = await named.describe().then(() => undefined, (e: unknown) => e as StrataError);
    expect(error).toBeInstanceOf(StrataError);
    expect(error!.kind).toBe('NotFound');
    expect(error!.field).toBe('libvirt.vendorPool');
    expect(error!.message).toBe(
      `The vendor pool "vendr" (libvirt.vendorPool in config.yaml) does not exist at test:///fake: correct the name, or create it (virsh -c test:///fake pool-define-as vendr dir --target ${join(dir, 'vendr')}; then pool-build, pool-start and pool-autostart it).`,
    );
    const defined = () => host.calls.filter((c) => c[4] === 'pool-define-as').map((c) => c[5]);
    expect(defined()).toEqual([]);
    // Asked to (the user said yes), it is made.
    const asked = new LibvirtProvider({ home: join(dir, 'home'), libvirtUri: 'test:///fake', libvirt: { poolDirectory: dir, network: 'none', vendorPool: 'vendr' }, libvirtCreateVendorPool: true }, host.run);
    expect((await asked.describe()).profile).toMatch(/templates in pool vendr/);
    expect(defined()).toEqual(['vendr']);
    // Not named, the vendor pool is strata's own (strata-vendor) and made like the others.
    delete host.pools['strata-vendor'];
    delete host.pools.strata;
    const unnamed = new LibvirtProvider({ home: join(dir, 'home'), libvirtUri: 'test:///fake', libvirt: { poolDirectory: join(dir, 'fresh'), network: 'none' } }, host.run);
    await unnamed.describe();
    expect(defined()).toEqual(['vendr', 'strata-vendor', 'strata']);
    // Named as it is by default (as config.yaml's example does), it is strata's own all the same.
    delete host.pools['strata-vendor'];
    const asDefault = new LibvirtProvider({ home: join(dir, 'home'), libvirtUri: 'test:///fake', libvirt: { poolDirectory: join(dir, 'fresh'), network: 'none', vendorPool: 'strata-vendor' } }, host.run);
    await asDefault.describe();
    expect(defined()).toEqual(['vendr', 'strata-vendor', 'strata', 'strata-vendor']);
  });

  it('deletes a firewall no server uses, and refuses one a server uses (also a stopped one), naming it', async () => {
    const host = fakeHost(dir, { network: true });
    const provider = new LibvirtProvider({ home: join(dir, 'home'), libvirtUri: 'test:///fake', libvirt: { poolDirectory: dir, network: 'default' } }, host.run);
    const fw = await provider.createFirewall('ssh', [{ protocol: 'tcp', fromPort: 22, toPort: 22, source: '10.0.0.0/8' }]);
    const [web] = await provider.launch({ name: 'web', imageId: 'strata/base', productId: 'small', firewallIds: [fw.id], count: 1 }, 'tok-fw');
    expect(web!.phase).toBe('failed'); // the recorded host's domains are shut off
    await expect(provider.deleteFirewall(fw.id)).rejects.toMatchObject({ kind: 'Conflict', message: 'Firewall ssh cannot be deleted: server web uses it. Terminate it first.' });
    expect(host.filters.has('strata-fw-ssh')).toBe(true);
    await provider.terminate(web!.id);
    await provider.deleteFirewall(fw.id);
    expect(host.filters.has('strata-fw-ssh')).toBe(false);
    await expect(provider.deleteFirewall(fw.id)).rejects.toMatchObject({ kind: 'NotFound' });
    await expect(provider.deleteFirewall('allow-arp')).rejects.toMatchObject({ kind: 'NotFound' });
  });
});
