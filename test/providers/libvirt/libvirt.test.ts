// The libvirt provider's parts that need no libvirt: its XML reader, the domain and filter XML it writes
// and reads back, the console's readiness lines, the error mapping, and launch paths driven by a recorded
// host (a fake Runner answering as virsh and qemu-img do).
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

  it('quotes virsh arguments so a name with spaces or quotes stays one argument', () => {
    expect(virshQuote('plain-name_1.qcow2')).toBe('plain-name_1.qcow2');
    expect(virshQuote("a b'c")).toBe(`'a b'\\''c'`);
  });
});

/** A host that answers as virsh and qemu-img do, for one pool layout; records every call. */
function fakeHost(dir: string, answers: { start?: () => never; backingGone?: boolean; state?: number; agent?: boolean } = {}) {
  const calls: string[][] = [];
  const domains = new Map<string, string>();
  const pools: Record<string, string> = { strata: join(dir, 'strata'), 'strata-vendor': join(dir, 'strata-vendor'), 'strata-servers': join(dir, 'strata-servers') };
  for (const path of Object.values(pools)) mkdirSync(path);
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
    const cmd = args.slice(3);
    const line = cmd.join(' ');
    if (cmd[0] === 'capabilities') return ok("<capabilities><host><cpu><arch>x86_64</arch></cpu></host><guest><arch name='x86_64'><domain type='qemu'/></arch></guest></capabilities>");
    if (cmd[0] === 'pool-dumpxml') return ok(`<pool><target><path>${pools[cmd[1]!]}</path></target></pool>`);
    if (cmd[0] === 'pool-info') return ok('State:          running\n');
    if (line.startsWith('pool-refresh strata ; vol-dumpxml')) {
      return ok(`<volume><name>base</name><target><path>${pools.strata}/base</path><format type='qcow2'/></target><capacity>1073741824</capacity></volume>`);
    }
    if (line.startsWith('pool-refresh') || cmd[0] === 'nwfilter-list') return ok();
    if (line.startsWith('echo')) {
      // virsh prints a batch's echoes without newlines; an agent answers {"return":{}}.
      return ok([...line.matchAll(/<<strata-agent ([0-9a-f-]+)>>/g)].map((m) => `<<strata-agent ${m[1]}>>${answers.agent ? '{"return":{}}\n' : ''}`).join(''));
    }
    if (line.startsWith('list --all --uuid --name')) {
      return ok([...domains.keys()].map((n, i) => `0000000${i}-0000-4000-8000-000000000000 ${n}`).join('\n') + '\n' + [...domains.keys()].map((n) => `Domain: '${n}'\n  state.state=${answers.state ?? 5}\n  state.reason=${answers.state === 1 ? 1 : 6}\n`).join(''));
    }
    if (line.startsWith('dumpxml')) {
      return ok([...domains.entries()].map(([n, xml], i) => xml.replace(`<name>${n}</name>`, `<name>${n}</name><uuid>0000000${i}-0000-4000-8000-000000000000</uuid>`)).join('\n'));
    }
    if (cmd[0] === 'define') {
      const xml = (await import('node:fs')).readFileSync(cmd[1]!, 'utf8');
      domains.set(/<name>(.*?)<\/name>/.exec(xml)![1]!, xml);
      return ok();
    }
    if (cmd[0] === 'start') answers.start?.();
    if (cmd[0] === 'metadata') {
      const name = cmd[1]!;
      const json = /<launch>(.*)<\/launch>/.exec(cmd[cmd.indexOf('--set') + 1]!)![1]!;
      domains.set(name, domains.get(name)!.replace(/<strata:launch([^>]*)>.*<\/strata:launch>/, `<strata:launch$1>${json}</strata:launch>`));
      return ok();
    }
    return ok();
  };
  return { run, calls, domains };
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
