// EC2's objects as strata's, from recorded responses; and a launch as EC2's RunInstances request and the
// equivalent `aws ec2 run-instances` line.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { checkName } from '../../../source/core/capabilities.js';
import { shellQuote } from '../../../source/core/shell.js';
import { validateLaunch } from '../../../source/core/launch.js';
import type { LaunchSpec } from '../../../source/core/types.js';
import {
  AWS_CAPABILITIES,
  EBS_DEVICE_NAMES,
  firewallFromEc2,
  imageFromEc2,
  keypairFromEc2,
  nameFilterValues,
  phaseOf,
  previewRequest,
  productsFromEc2,
  rulesToIpPermissions,
  runInstancesCli,
  runInstancesInput,
  serverFromEc2,
  transitionTime,
} from '../../../source/providers/aws/mapping.js';
import { fixture } from './recorded.js';

const NOW = Date.parse('2026-12-01T15:30:00.000Z');
const OBSERVED = '2026-12-01T15:30:00.000Z';

describe('images', () => {
  const own = fixture('describe-images-own').Images;
  const vendor = fixture('describe-images-vendor').Images;

  it('maps an own image: Name tag as display name, lineage tags, root size, snapshot storage, platform, encryption', () => {
    const image = imageFromEc2(own[0], { nowMs: NOW, accountId: '123456789012' });
    expect(image).toEqual({
      id: 'ami-0a1b2c3d4e5f60001',
      name: 'web-base-2026-11-20',
      displayName: 'Web base (Nov)',
      description: 'Web tier base, captured from i-0f00000000000aaaa',
      kind: 'own',
      owner: 'self',
      architecture: 'x86_64',
      state: 'available',
      createdAt: '2026-11-20T09:14:05.000Z',
      sourceImageId: 'ami-0c7217cdde317cfec',
      sourceServerId: 'i-0f00000000000aaaa',
      platform: 'Linux/UNIX',
      sizeGiB: 16,
      storageGiB: 16,
      encrypted: false,
      owned: true,
      tags: {
        Name: 'Web base (Nov)',
        'strata:label': 'green',
        'strata:source-image': 'ami-0c7217cdde317cfec',
        'strata:source-server': 'i-0f00000000000aaaa',
      },
    });
  });

  it('maps a copy: where it was copied from, and that its disks are encrypted', () => {
    const copy = imageFromEc2(
      {
        ...own[0],
        ImageId: 'ami-0c0c0c0c0c0c0c0c0',
        BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { SnapshotId: 'snap-1', VolumeSize: 16, Encrypted: true } }],
        Tags: [{ Key: 'strata:copied-from', Value: 'eu-west-1/ami-0a1b2c3d4e5f60001' }],
      },
      { nowMs: NOW, accountId: '123456789012' },
    );
    expect(copy.copiedFrom).toEqual({ region: 'eu-west-1', imageId: 'ami-0a1b2c3d4e5f60001' });
    expect(copy.encrypted).toBe(true);
    expect(copy.sourceImageId).toBeUndefined();
  });

  it('maps states and architectures (pending, arm64) and leaves out what is unknown', () => {
    const image = imageFromEc2(own[1], { nowMs: NOW, scope: 'own' });
    expect(image.state).toBe('pending');
    expect(image.architecture).toBe('arm64');
    expect(image.displayName).toBeUndefined();
    expect(image.sizeGiB).toBe(30);
    expect(image.tags).toEqual({});
  });

  it('classifies vendors: Amazon and Marketplace aliases, trusted owner ids; public otherwise', () => {
    const kinds = (trusted: string[]) => vendor.map((i: any) => imageFromEc2(i, { nowMs: NOW, accountId: '123456789012', trustedOwnerIds: trusted }).kind);
    expect(kinds([])).toEqual(['public', 'vendor', 'vendor', 'public']);
    expect(kinds(['099720109477'])).toEqual(['vendor', 'vendor', 'vendor', 'public']);
    for (const image of vendor) expect(imageFromEc2(image, { nowMs: NOW }).owned).toBe(false);
  });

  it('the list an image came from decides its kind there (Amazon images in the public catalogue are public)', () => {
    expect(imageFromEc2(vendor[1], { nowMs: NOW, scope: 'public' }).kind).toBe('public');
    expect(imageFromEc2(own[0], { nowMs: NOW, scope: 'own' }).owned).toBe(true);
  });

  it('takes DeprecationTime as deprecatedAt, and a past one as the deprecated state', () => {
    const ubuntu = imageFromEc2(vendor[0], { nowMs: NOW });
    expect(ubuntu.deprecatedAt).toBe('2026-01-11T20:38:00.000Z');
    expect(ubuntu.state).toBe('deprecated');
    expect(ubuntu.sizeGiB).toBe(8);
    const al2023 = imageFromEc2(vendor[1], { nowMs: NOW });
    expect(al2023.deprecatedAt).toBe('2028-11-18T03:10:00.000Z');
    expect(al2023.state).toBe('available');
    expect(al2023.owner).toBe('amazon');
  });

  it('maps a deregistered image as deleted and keeps a hostile name as data (sanitising is the UI\'s)', () => {
    const gone = imageFromEc2(vendor[3], { nowMs: NOW });
    expect(gone.state).toBe('deleted');
    expect(gone.architecture).toBe('x86_64');
    expect(gone.name).toContain('\u001b[31m');
    expect(imageFromEc2(vendor[2], { nowMs: NOW }).platform).toBe('Windows');
  });

  it('builds server-side name filters that find a word in the usual spellings, with glob characters escaped', () => {
    expect(nameFilterValues('ubuntu')).toEqual(['*ubuntu*', '*UBUNTU*', '*Ubuntu*']);
    expect(nameFilterValues('Jammy')).toEqual(['*Jammy*', '*jammy*', '*JAMMY*']);
    expect(nameFilterValues('a*b?')).toEqual(['*a\\*b\\?*', '*A\\*B\\?*', '*A\\*b\\?*']);
    expect(nameFilterValues('  ')).toEqual([]);
  });
});

describe('servers and readiness', () => {
  const reservations = fixture('describe-instances').Reservations;
  const instances = reservations.flatMap((r: any) => r.Instances);
  const statuses = new Map(fixture('describe-instance-status').InstanceStatuses.map((s: any) => [s.InstanceId, s]));
  const byId = (id: string) => instances.find((i: any) => i.InstanceId === id);
  const server = (id: string) => serverFromEc2(byId(id), statuses.get(id) as any, OBSERVED);

  it('maps a running server with its launch tags (group, billing code, token) and addresses', () => {
    expect(server('i-0000000000000b001')).toEqual({
      id: 'i-0000000000000b001',
      name: 'web-1',
      imageId: 'ami-0a1b2c3d4e5f60001',
      productId: 't3.medium',
      phase: 'initializing',
      phaseSince: '2026-12-01T15:00:00.000Z',
      launchedAt: '2026-12-01T15:00:00.000Z',
      observedAt: OBSERVED,
      clientToken: 'strata-launch-42',
      firewallIds: ['sg-0123456789abcdef0'],
      keypairName: 'ops-2026',
      group: 'web',
      billingCode: 'cc-1234',
      publicAddress: '203.0.113.11',
      privateAddress: '10.0.1.11',
      tags: { Name: 'web-1', 'strata:group': 'web', 'strata:billing-code': 'cc-1234', 'strata:launch-id': 'strata-launch-42' },
    });
  });

  it('walks the phases: pending, initializing, ready, failed (impaired), stopped, terminated', () => {
    const phases = Object.fromEntries(instances.map((i: any) => [i.InstanceId, server(i.InstanceId).phase]));
    expect(phases).toEqual({
      'i-0000000000000b002': 'pending',
      'i-0000000000000b001': 'initializing',
      'i-0000000000000c001': 'ready',
      'i-0000000000000c002': 'failed',
      'i-0000000000000c003': 'failed',
      'i-0000000000000c004': 'terminated',
      'i-0000000000000c005': 'terminated',
    });
  });

  it('an impaired attached EBS volume fails the server too', () => {
    const status = {
      InstanceId: 'i-0000000000000c001',
      SystemStatus: { Status: 'ok' },
      InstanceStatus: { Status: 'ok' },
      AttachedEbsStatus: { Status: 'impaired', Details: [{ Name: 'reachability', Status: 'failed', ImpairedSince: new Date('2026-12-01T14:30:00Z') }] },
    } as const;
    const result = phaseOf(byId('i-0000000000000c001'), status as any);
    expect(result).toEqual({ phase: 'failed', since: '2026-12-01T14:30:00.000Z', failureReason: 'The attached EBS volume status check failed (reachability) since 2026-12-01T14:30:00.000Z.' });
  });

  it('a running server without status checks yet is running', () => {
    expect(phaseOf(byId('i-0000000000000c001'), undefined).phase).toBe('running');
  });

  it('says which check failed and since when', () => {
    const impaired = server('i-0000000000000c002');
    expect(impaired.failureReason).toBe('The instance status check failed (reachability) since 2026-12-01T13:06:00.000Z.');
    expect(impaired.phaseSince).toBe('2026-12-01T13:06:00.000Z');
    expect(Date.parse(impaired.phaseSince)).toBeGreaterThanOrEqual(Date.parse(impaired.launchedAt));
  });

  it('a stopped server is failed with the reason and the time it stopped', () => {
    const stopped = server('i-0000000000000c003');
    expect(stopped.failureReason).toMatch(/^The server is stopped: .*User initiated shutdown/);
    expect(stopped.phaseSince).toBe('2026-11-30T18:30:00.000Z');
    expect(stopped.name).toBe('i-0000000000000c003');
  });

  it('a server EC2 ended is terminated with a failure reason; one the user ended has none', () => {
    const ended = server('i-0000000000000c004');
    expect(ended.failureReason).toBe('EC2 ended the server: Server.InternalError: Internal error on launch.');
    expect(ended.phaseSince).toBe('2026-12-01T12:00:40.000Z');
    const going = server('i-0000000000000c005');
    expect(going.failureReason).toBeUndefined();
    expect(going.phaseSince).toBe('2026-12-01T15:10:00.000Z');
  });

  it('reads the time in a state transition reason', () => {
    expect(transitionTime('User initiated (2026-11-30 18:30:00 GMT)')).toBe('2026-11-30T18:30:00.000Z');
    expect(transitionTime('')).toBeUndefined();
    expect(transitionTime(undefined)).toBeUndefined();
  });
});

describe('sizes, firewalls, keypairs', () => {
  it('maps instance types to sizes: vCPU, memory, instance storage; leaves out Mac hosts', () => {
    const products = productsFromEc2(fixture('describe-instance-types').InstanceTypes);
    expect(products.map((p) => p.id)).toEqual(['m7g.large', 't3.nano', 't3.micro', 'c5d.xlarge']);
    expect(products.find((p) => p.id === 'c5d.xlarge')).toEqual({
      id: 'c5d.xlarge',
      name: 'c5d.xlarge (4 vCPU, 8 GiB, 100 GB local)',
      vcpus: 4,
      memoryMiB: 8192,
      storageGiB: 100,
      architecture: 'x86_64',
    });
    expect(products.find((p) => p.id === 'm7g.large')?.architecture).toBe('arm64');
    expect(products.find((p) => p.id === 't3.nano')?.name).toBe('t3.nano (2 vCPU, 0.5 GiB)');
  });

  it("marks the security groups strata made: a strata: tag (a launch's token), or strata's description", () => {
    const [fallback, web] = fixture('describe-security-groups').SecurityGroups.map(firewallFromEc2);
    expect(fallback!.madeByStrata).toBeUndefined();
    expect(web!.madeByStrata).toBeUndefined();
    expect(firewallFromEc2({ GroupId: 'sg-1', GroupName: 'x', Description: 'hand made', Tags: [{ Key: 'strata:launch-id', Value: 'tok' }] }).madeByStrata).toBe(true);
    expect(firewallFromEc2({ GroupId: 'sg-2', GroupName: 'y', Description: 'Created by strata at launch tok' }).madeByStrata).toBe(true);
    expect(firewallFromEc2({ GroupId: 'sg-3', GroupName: 'z', Description: 'Not Created by strata', Tags: [{ Key: 'Name', Value: 'z' }] }).madeByStrata).toBeUndefined();
  });

  it('maps security groups to firewalls in a stable rule order, counting rules it cannot show', () => {
    const [fallback, web] = fixture('describe-security-groups').SecurityGroups.map(firewallFromEc2);
    expect(fallback).toEqual({ id: 'sg-0default00000000a', name: 'default', rules: [], description: 'default VPC security group (+1 inbound rule strata cannot show)' });
    expect(web.rules).toEqual([
      { protocol: 'tcp', fromPort: 22, toPort: 22, source: '203.0.113.0/24' },
      { protocol: 'tcp', fromPort: 443, toPort: 443, source: '0.0.0.0/0' },
      { protocol: 'tcp', fromPort: 443, toPort: 443, source: '::/0' },
      { protocol: 'udp', fromPort: 60000, toPort: 61000, source: '198.51.100.0/24' },
      { protocol: 'icmp', fromPort: -1, toPort: -1, source: '2001:db8::/32' },
    ]);
    expect(web.description).toBe('web servers (+2 inbound rules strata cannot show)');
  });

  it('writes rules as EC2 permissions (icmp with an IPv6 source is icmpv6) and reads them back the same', () => {
    const rules = [
      { protocol: 'tcp' as const, fromPort: 22, toPort: 22, source: '203.0.113.0/24' },
      { protocol: 'icmp' as const, fromPort: -1, toPort: -1, source: '2001:db8::/32' },
    ];
    const permissions = rulesToIpPermissions(rules);
    expect(permissions).toEqual([
      { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '203.0.113.0/24' }] },
      { IpProtocol: 'icmpv6', FromPort: -1, ToPort: -1, Ipv6Ranges: [{ CidrIpv6: '2001:db8::/32' }] },
    ]);
    expect(firewallFromEc2({ GroupId: 'sg-1', GroupName: 'x', IpPermissions: permissions }).rules).toEqual(rules);
  });

  it('maps key pairs without any key material', () => {
    const keys = fixture('describe-key-pairs').KeyPairs.map(keypairFromEc2);
    expect(keys[0]).toEqual({
      id: 'key-0a1b2c3d4e5f60001',
      name: 'ops-2026',
      fingerprint: '1f:51:ae:28:bf:89:e9:d8:1f:25:5d:37:2d:7d:b8:ca:9f:f5:f1:6f',
      createdAt: '2026-01-05T09:00:00.000Z',
    });
    expect(keys[1].fingerprint).toMatch(/^SHA256:/);
  });
});

describe('capabilities', () => {
  it('tells the guest to find each volume by the EC2 name it is attached as (Xen and Nitro name them differently)', () => {
    expect(AWS_CAPABILITIES.launch.maxVolumes).toBe(16);
    expect(AWS_CAPABILITIES.launch.volumeDevices).toHaveLength(16);
    expect(AWS_CAPABILITIES.launch.volumeDevices[0]).toEqual({ naming: 'ec2', device: '/dev/sdf' });
    // The names in the capabilities are the names RunInstances attaches the volumes at.
    expect(AWS_CAPABILITIES.launch.volumeDevices.map((d) => (typeof d === 'string' ? d : d.device))).toEqual(EBS_DEVICE_NAMES);
    expect(EBS_DEVICE_NAMES[0]).toBe('/dev/sdf');
    expect(EBS_DEVICE_NAMES[15]).toBe('/dev/sdu');
    expect(AWS_CAPABILITIES.launch.raidLevels).toEqual(['none', '0', '1', '5', '10']);
    expect([AWS_CAPABILITIES.launch.minVolumeGiB, AWS_CAPABILITIES.launch.maxVolumeGiB]).toEqual([1, 16_384]);
  });

  it('image name rules follow EC2: 3 to 128 characters of the AMI name alphabet', () => {
    const rules = AWS_CAPABILITIES.images.nameRules;
    expect(checkName("web base (2026-12) [v2] ./'@_", rules)).toBeUndefined();
    expect(checkName('ab', rules)).toMatch(/at least 3/);
    expect(checkName('a'.repeat(129), rules)).toMatch(/at most 128/);
    expect(checkName('web:base', rules)).toMatch(/not allowed/);
  });
});

describe('the launch request', () => {
  const spec: LaunchSpec = {
    name: 'api',
    imageId: 'ami-0a1b2c3d4e5f60001',
    productId: 't3.medium',
    firewallIds: ['sg-0123456789abcdef0'],
    keypairName: 'ops-2026',
    group: 'web',
    billingCode: 'cc-1234',
    volumes: { count: 3, sizeGiB: 100, raid: '5', filesystem: 'xfs', mountPoint: '/data', encrypt: true },
    userData: "#cloud-config\nruncmd:\n  - echo 'hi' > /tmp/x\n",
    count: 2,
  };
  const tags = [
    { Key: 'Name', Value: 'api' },
    { Key: 'strata:group', Value: 'web' },
    { Key: 'strata:billing-code', Value: 'cc-1234' },
    { Key: 'strata:source-image', Value: 'ami-0a1b2c3d4e5f60001' },
    { Key: 'strata:launch-id', Value: 'strata-launch-43' },
  ];

  it('builds RunInstances: token, counts, volumes as gp3 at /dev/sdf…, user data in base64, tags on servers and volumes', () => {
    const input = runInstancesInput(spec, 'strata-launch-43');
    expect(input).toEqual({
      ImageId: 'ami-0a1b2c3d4e5f60001',
      InstanceType: 't3.medium',
      MinCount: 2,
      MaxCount: 2,
      ClientToken: 'strata-launch-43',
      KeyName: 'ops-2026',
      SecurityGroupIds: ['sg-0123456789abcdef0'],
      BlockDeviceMappings: ['/dev/sdf', '/dev/sdg', '/dev/sdh'].map((DeviceName) => ({
        DeviceName,
        Ebs: { VolumeSize: 100, VolumeType: 'gp3', Encrypted: true, DeleteOnTermination: true },
      })),
      UserData: Buffer.from(spec.userData!).toString('base64'),
      TagSpecifications: [
        { ResourceType: 'instance', Tags: tags },
        { ResourceType: 'volume', Tags: tags },
      ],
    });
  });

  it('leaves out what the spec does not have, and adds a firewall created at launch', () => {
    const input = runInstancesInput({ name: 'x', imageId: 'ami-1', productId: 't3.micro', firewallIds: [], count: 1 }, 'tok', { extraFirewallIds: ['sg-new'] });
    expect(input.KeyName).toBeUndefined();
    expect(input.BlockDeviceMappings).toBeUndefined();
    expect(input.UserData).toBeUndefined();
    expect(input.SecurityGroupIds).toEqual(['sg-new']);
    expect(input.TagSpecifications![0].Tags).toEqual([
      { Key: 'Name', Value: 'x' },
      { Key: 'strata:source-image', Value: 'ami-1' },
      { Key: 'strata:launch-id', Value: 'tok' },
    ]);
  });

  it('a spec the shared validator accepts for aws stays within what RunInstances takes', () => {
    const problems = validateLaunch(spec, AWS_CAPABILITIES, {
      products: [{ id: 't3.medium', name: 't3.medium', vcpus: 2, memoryMiB: 4096, storageGiB: 0, architecture: 'x86_64' }],
      firewalls: [{ id: 'sg-0123456789abcdef0', name: 'web', rules: [] }],
      keypairs: [{ id: 'key-1', name: 'ops-2026', fingerprint: 'x' }],
    });
    expect(problems).toEqual([]);
  });

  it('previews the request with the user data named by size, never shown', () => {
    const preview = previewRequest(runInstancesInput(spec, 'strata-launch-43'));
    expect(preview.UserData).toBe(`<${Buffer.byteLength(spec.userData!)} bytes, from user-data.txt>`);
    expect(JSON.stringify(preview)).not.toContain(Buffer.from(spec.userData!).toString('base64'));
    expect(JSON.stringify(preview)).toContain('"api"');
  });

  it('writes the equivalent aws CLI line: one line, user data from a file, every value one shell word', () => {
    const hostile = { ...spec, name: "it's $(rm -rf /)", group: 'web;ls' };
    const cli = runInstancesCli(runInstancesInput(hostile, 'strata-launch-43'), { region: 'eu-west-1', profile: 'prod' });
    expect(cli).not.toMatch(/\n/);
    expect(cli.startsWith("aws ec2 run-instances --profile 'prod' --region 'eu-west-1' --image-id 'ami-0a1b2c3d4e5f60001' --instance-type 't3.medium' --count '2'")).toBe(true);
    expect(cli).toContain('--user-data fileb://user-data.txt');
    expect(cli).not.toContain(Buffer.from(spec.userData!).toString('base64'));
    expect(cli).toContain("--client-token 'strata-launch-43'");
    // A POSIX shell splits it into exactly the words intended: the hostile name stays one JSON value.
    const argv = JSON.parse(execFileSync('sh', ['-c', `set -- ${cli.replace(/^aws /, '')}; ${shellQuote(process.execPath)} -e 'console.log(JSON.stringify(process.argv.slice(1)))' -- "$@"`], { encoding: 'utf8' }));
    expect(argv.slice(0, 2)).toEqual(['ec2', 'run-instances']);
    const tagArg = JSON.parse(argv[argv.indexOf('--tag-specifications') + 1]);
    expect(tagArg[0].Tags[0]).toEqual({ Key: 'Name', Value: "it's $(rm -rf /)" });
    expect(tagArg[0].Tags[1]).toEqual({ Key: 'strata:group', Value: 'web;ls' });
    expect(argv[argv.indexOf('--security-group-ids') + 1]).toBe('sg-0123456789abcdef0');
    expect(JSON.parse(argv[argv.indexOf('--block-device-mappings') + 1])).toHaveLength(3);
  });
});

describe('catalogue queries', () => {
  it('turns arch:, owner: and deprecated into EC2 filters, the rest into the name', async () => {
    const { parseImageQuery } = await import('../../../source/providers/aws/mapping.js');
    expect(parseImageQuery('ubuntu 24.04 arch:arm64 owner:099720109477 deprecated')).toEqual({
      name: 'ubuntu 24.04', words: ['ubuntu', '24.04'], architecture: 'arm64', owner: '099720109477', includeDeprecated: true,
    });
    expect(parseImageQuery('  debian ')).toEqual({ name: 'debian', words: ['debian'], includeDeprecated: false });
    // Not a filter it knows: part of the name.
    expect(parseImageQuery('arch:sparc owner:$(x)')).toEqual({ name: 'arch:sparc owner:$(x)', words: ['arch:sparc', 'owner:$(x)'], includeDeprecated: false });
  });
});
