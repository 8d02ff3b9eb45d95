// The aws provider's requests and how it reads the answers, with EC2 answered from recorded responses at
// the provider's one seam (Ec2Api). What is asserted is what EC2 is asked (paging, batching, tokens,
// filters) and what strata makes of the answer; the real EC2 runs in aws.contract.test.ts.
import { describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { StrataError } from '../../../source/core/errors.js';
import type { LaunchSpec } from '../../../source/core/types.js';
import { AwsProvider, ENDPOINT_ENV, IDS_PER_FILTER, type AwsProviderOptions } from '../../../source/providers/aws/index.js';
import { runInstancesInput } from '../../../source/providers/aws/mapping.js';
import { expectStrataError } from '../../contract/contract.js';
import { RecordedEc2, ec2Error, fixture, type Handler } from './recorded.js';

const OPTIONS: AwsProviderOptions = { home: '/nonexistent', region: 'eu-west-1', profile: 'prod' };

function provider(handlers: Record<string, Handler | unknown>, options: Partial<AwsProviderOptions> = {}) {
  const api = new RecordedEc2({ DescribeSecurityGroups: fixture('describe-security-groups'), ...handlers });
  return { api, aws: new AwsProvider(api, { ...OPTIONS, ...options }) };
}

const ownImages = fixture('describe-images-own');
const vendorImages = fixture('describe-images-vendor');
const reservations = fixture('describe-instances');
const statuses = fixture('describe-instance-status');

function sshEd25519Line(): string {
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const str = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  return `ssh-ed25519 ${Buffer.concat([str(Buffer.from('ssh-ed25519')), str(raw)]).toString('base64')} me@host`;
}

describe('describe()', () => {
  it('names the region among the regions EC2 lists, with the aws capabilities', async () => {
    const { aws } = provider({ DescribeRegions: fixture('describe-regions') });
    const description = await aws.describe();
    expect(description.id).toBe('aws');
    expect(description.region).toBe('eu-west-1');
    expect(description.regions).toEqual([
      { id: 'eu-central-1', name: 'Europe (Frankfurt)' },
      { id: 'eu-west-1', name: 'Europe (Ireland)' },
      { id: 'us-east-1', name: 'US East (N. Virginia)' },
    ]);
    expect(description.capabilities.launch.volumeDevices).toHaveLength(16);
    expect(description.capabilities.images.tags).toBe(true);
  });
});

describe('images', () => {
  it('pages own images with EC2 tokens wrapped in strata tokens', async () => {
    const { api, aws } = provider({
      DescribeImages: (input: any) => (input.NextToken ? { Images: [ownImages.Images[1]] } : { Images: [ownImages.Images[0]], NextToken: ownImages.NextToken }),
    });
    const first = await aws.listImages({ scope: 'own', pageSize: 50 });
    expect(first.items.map((i) => [i.id, i.kind, i.owned])).toEqual([['ami-0a1b2c3d4e5f60001', 'own', true]]);
    expect(first.next).toBeDefined();
    expect(first.next).not.toBe(ownImages.NextToken);
    const second = await aws.listImages({ scope: 'own', pageSize: 50, page: first.next });
    expect(second.items.map((i) => i.id)).toEqual(['ami-0a1b2c3d4e5f60002']);
    expect(second.next).toBeUndefined();
    expect(api.of('DescribeImages').map((c) => c.input)).toEqual([
      { MaxResults: 50, Owners: ['self'], IncludeDeprecated: true },
      { MaxResults: 50, Owners: ['self'], IncludeDeprecated: true, NextToken: ownImages.NextToken },
    ]);
    // A token is only good for the list and the search it came from.
    await expectStrataError(aws.listImages({ scope: 'vendor', page: first.next }), 'Invalid', 'page');
    await expectStrataError(aws.listImages({ scope: 'own', query: 'web', page: first.next }), 'Invalid', 'page');
    await expectStrataError(aws.listImages({ scope: 'own', page: 'not-a-token' }), 'Invalid', 'page');
  });

  it('searches own images here, case-insensitively, on the name and the Name tag, across all pages', async () => {
    const { api, aws } = provider({
      DescribeImages: (input: any) => (input.NextToken ? { Images: [ownImages.Images[1]] } : { Images: [ownImages.Images[0]], NextToken: 't2' }),
    });
    expect((await aws.listImages({ scope: 'own', query: 'WEB' })).items.map((i) => i.id)).toEqual(['ami-0a1b2c3d4e5f60001']);
    expect((await aws.listImages({ scope: 'own', query: 'nov' })).items.map((i) => i.id)).toEqual(['ami-0a1b2c3d4e5f60001']);
    expect((await aws.listImages({ scope: 'own', query: 'db-arm' })).items.map((i) => i.id)).toEqual(['ami-0a1b2c3d4e5f60002']);
    for (const call of api.of('DescribeImages')) expect(call.input.Filters).toBeUndefined();
  });

  it('asks for vendor templates from Amazon and the trusted owners, searching by name on the EC2 side', async () => {
    const jammyArm = { ...vendorImages.Images[0], ImageId: 'ami-0a00000000000a001', Name: 'ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-arm64-server-20240111', Architecture: 'arm64' };
    const { api, aws } = provider({ DescribeImages: { Images: [vendorImages.Images[0], jammyArm] } }, { trustedOwnerIds: ['099720109477'] });
    const page = await aws.listImages({ scope: 'vendor', query: 'jammy', pageSize: 1 });
    expect(page.items.map((i) => [i.id, i.kind, i.owned])).toEqual([['ami-0c7217cdde317cfec', 'vendor', false]]);
    // EC2 takes at least 5 per call: the rest of its answer is the next page, asked for again with the same token.
    const rest = await aws.listImages({ scope: 'vendor', query: 'jammy', pageSize: 1, page: page.next });
    expect(rest.items.map((i) => i.id)).toEqual(['ami-0a00000000000a001']);
    expect(rest.next).toBeUndefined();
    expect(api.of('DescribeImages')[1].input.NextToken).toBeUndefined();
    expect(api.of('DescribeImages')[0].input).toEqual({
      MaxResults: 5,
      Owners: ['amazon', '099720109477'],
      Filters: [
        { Name: 'state', Values: ['available'] },
        { Name: 'name', Values: ['*jammy*', '*JAMMY*', '*Jammy*'] },
      ],
    });
  });

  it('counts the distributions\' own accounts (Canonical, Debian, Red Hat) as vendors unless told otherwise', async () => {
    const { api, aws } = provider({ DescribeImages: { Images: vendorImages.Images.slice(0, 1) } });
    await aws.listImages({ scope: 'vendor' });
    expect(api.of('DescribeImages')[0].input.Owners).toEqual(['amazon', '099720109477', '136693071363', '309956199498']);
  });

  it('asks the public catalogue for public images, all of kind public', async () => {
    const { api, aws } = provider({ DescribeImages: { Images: vendorImages.Images.slice(0, 3), NextToken: 'p2' } });
    const page = await aws.listImages({ scope: 'public', pageSize: 2000 });
    expect(page.items.every((i) => i.kind === 'public' && !i.owned)).toBe(true);
    expect(page.next).toBeDefined();
    expect(api.of('DescribeImages')[0].input).toEqual({
      MaxResults: 1000,
      ExecutableUsers: ['all'],
      Filters: [
        { Name: 'is-public', Values: ['true'] },
        { Name: 'state', Values: ['available'] },
      ],
    });
  });

  it('finds the README\'s example: filters go to EC2, several words match in any order', async () => {
    const image = (id: string, name: string) => ({ ...vendorImages.Images[0], ImageId: id, Name: name, Architecture: 'arm64' });
    // EC2 answers the name filter for one word ("ubuntu"); the other word is matched here.
    const { api, aws } = provider({
      DescribeImages: {
        Images: [
          image('ami-0000000000000e001', 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-arm64-server-20240701'),
          image('ami-0000000000000e002', 'ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-arm64-server-20240701'),
          image('ami-0000000000000e003', '24.04 minimal Ubuntu (arm64)'),
        ],
      },
    });
    const page = await aws.listImages({ scope: 'public', query: 'ubuntu 24.04 arch:arm64 owner:099720109477', pageSize: 1000 });
    expect(page.items.map((i) => i.id)).toEqual(['ami-0000000000000e001', 'ami-0000000000000e003']);
    expect(api.of('DescribeImages')[0].input).toEqual({
      MaxResults: 1000,
      ExecutableUsers: ['all'],
      Owners: ['099720109477'],
      Filters: [
        { Name: 'is-public', Values: ['true'] },
        { Name: 'state', Values: ['available'] },
        { Name: 'architecture', Values: ['arm64'] },
        // The longest word, in the spellings a name uses; never one pattern of all words ("*ubuntu 24.04*").
        { Name: 'name', Values: ['*ubuntu*', '*UBUNTU*', '*Ubuntu*'] },
      ],
    });
  });

  it('with words matched here, reads on through a few EC2 pages for a page of matches, then hands back EC2\'s token', async () => {
    const pages: Record<string, { Images: object[]; NextToken?: string }> = {
      '': { Images: [{ ...vendorImages.Images[0], ImageId: 'ami-0000000000000f001', Name: 'debian-12-amd64' }], NextToken: 'e2' },
      e2: { Images: [{ ...vendorImages.Images[0], ImageId: 'ami-0000000000000f002', Name: 'debian-12-backports-amd64' }], NextToken: 'e3' },
      e3: { Images: [{ ...vendorImages.Images[0], ImageId: 'ami-0000000000000f003', Name: 'debian-11-backports-amd64' }], NextToken: 'e4' },
      e4: { Images: [{ ...vendorImages.Images[0], ImageId: 'ami-0000000000000f004', Name: 'debian-12-backports-arm64' }] },
    };
    const { api, aws } = provider({ DescribeImages: (input: any) => pages[input.NextToken ?? ''] });
    const first = await aws.listImages({ scope: 'public', query: 'backports debian-12', pageSize: 100 });
    expect(first.items.map((i) => i.id)).toEqual(['ami-0000000000000f002']);
    expect(api.of('DescribeImages').map((c) => c.input.NextToken)).toEqual([undefined, 'e2', 'e3']);
    const second = await aws.listImages({ scope: 'public', query: 'backports debian-12', pageSize: 100, page: first.next });
    expect(second.items.map((i) => i.id)).toEqual(['ami-0000000000000f004']);
    expect(second.next).toBeUndefined();
  });

  it('searches own images for every word and the architecture here', async () => {
    const { aws } = provider({ DescribeImages: { Images: ownImages.Images } });
    expect(ownImages.Images.map((i: any) => i.Architecture)).toEqual(['x86_64', 'arm64']);
    expect((await aws.listImages({ scope: 'own', query: 'arch:arm64' })).items.map((i) => i.id)).toEqual(['ami-0a1b2c3d4e5f60002']);
    expect((await aws.listImages({ scope: 'own', query: 'arm db arch:arm64' })).items.map((i) => i.id)).toEqual(['ami-0a1b2c3d4e5f60002']);
    expect((await aws.listImages({ scope: 'own', query: 'db arch:x86_64' })).items).toEqual([]);
  });

  it('gets an image as own when the account owns it (account id from its security groups)', async () => {
    const { api, aws } = provider({ DescribeImages: (input: any) => ({ Images: ownImages.Images.filter((i: any) => input.ImageIds.includes(i.ImageId)) }) });
    const image = await aws.getImage('ami-0a1b2c3d4e5f60001');
    expect([image.kind, image.owned, image.displayName]).toEqual(['own', true, 'Web base (Nov)']);
    expect(api.of('DescribeImages')[0].input).toEqual({ ImageIds: ['ami-0a1b2c3d4e5f60001'], IncludeDeprecated: true, IncludeDisabled: true });
    await expectStrataError(aws.getImage('ami-0000000000000none'), 'NotFound');
  });

  it('asks EC2 whether the account owns an image when the account id cannot be read', async () => {
    const { api, aws } = provider({
      DescribeSecurityGroups: ec2Error('UnauthorizedOperation'),
      DescribeImages: (input: any) => ({ Images: ownImages.Images.filter((i: any) => input.ImageIds.includes(i.ImageId)) }),
    });
    const image = await aws.getImage('ami-0a1b2c3d4e5f60001');
    expect([image.kind, image.owned]).toEqual(['own', true]);
    expect(api.of('DescribeImages')[1].input).toEqual({ ImageIds: ['ami-0a1b2c3d4e5f60001'], Owners: ['self'] });
  });

  it('says NotFound for a deregistered image and for a malformed id', async () => {
    const { aws } = provider({
      DescribeImages: (input: any) =>
        input.ImageIds[0] === 'ami-00000000000000bad' ? { Images: [vendorImages.Images[3]] } : ec2Error('InvalidAMIID.Malformed', 'Invalid id: "img-x"'),
    });
    await expectStrataError(aws.getImage('ami-00000000000000bad'), 'NotFound');
    await expectStrataError(aws.getImage('img-x'), 'NotFound');
  });

  it('sets and removes tags on an own image in one call each, and refuses a vendor image before any change', async () => {
    const { api, aws } = provider({
      DescribeImages: (input: any) => ({ Images: [...ownImages.Images, ...vendorImages.Images].filter((i: any) => input.ImageIds.includes(i.ImageId)) }),
      CreateTags: {},
      DeleteTags: {},
    });
    const image = await aws.setImageTags('ami-0a1b2c3d4e5f60001', { Name: 'Web base (Dec)', 'strata:label': null });
    expect(image.displayName).toBe('Web base (Dec)');
    expect(image.tags['strata:label']).toBeUndefined();
    expect(image.tags['strata:source-image']).toBe('ami-0c7217cdde317cfec');
    expect(api.of('CreateTags').map((c) => c.input)).toEqual([{ Resources: ['ami-0a1b2c3d4e5f60001'], Tags: [{ Key: 'Name', Value: 'Web base (Dec)' }] }]);
    expect(api.of('DeleteTags').map((c) => c.input)).toEqual([{ Resources: ['ami-0a1b2c3d4e5f60001'], Tags: [{ Key: 'strata:label' }] }]);
    await expectStrataError(aws.setImageTags('ami-05576a079321f21f8', { Name: 'mine now' }), 'Unsupported');
    await expectStrataError(aws.setImageTags('ami-0a1b2c3d4e5f60001', { 'aws:x': 'y' }), 'Invalid', 'tags');
    expect(api.of('CreateTags')).toHaveLength(1);
  });

  it('captures with lineage tags on the image; a taken name is Invalid on name', async () => {
    const instance = reservations.Reservations[1].Instances[0];
    let taken = false;
    const { api, aws } = provider({
      DescribeInstances: { Reservations: [{ Instances: [instance] }] },
      CreateImage: () => (taken ? ec2Error('InvalidAMIName.Duplicate', 'AMI name ready-image is already in use by AMI ami-1') : ((taken = true), { ImageId: 'ami-0new000000000000a' })),
      DescribeImages: (input: any) => ({ Images: input.Filters?.[0]?.Values?.[0] === 'taken-name' ? [{ ImageId: 'ami-1', Name: 'taken-name', State: 'available' }] : [] }),
    });
    const image = await aws.captureImage('i-0000000000000c001', { name: 'ready-image', noReboot: true });
    expect([image.id, image.kind, image.state, image.sourceImageId, image.sourceServerId]).toEqual(['ami-0new000000000000a', 'own', 'pending', 'ami-0c7217cdde317cfec', 'i-0000000000000c001']);
    const tags = [
      { Key: 'strata:source-image', Value: 'ami-0c7217cdde317cfec' },
      { Key: 'strata:source-server', Value: 'i-0000000000000c001' },
    ];
    expect(api.of('CreateImage')[0].input).toEqual({
      InstanceId: 'i-0000000000000c001',
      Name: 'ready-image',
      Description: 'Captured by strata from i-0000000000000c001',
      NoReboot: true,
      TagSpecifications: [{ ResourceType: 'image', Tags: tags }],
    });
    await expectStrataError(aws.captureImage('i-0000000000000c001', { name: 'ready-image' }), 'Invalid', 'name');
    await expectStrataError(aws.captureImage('i-0000000000000c001', { name: 'x'.repeat(129) }), 'Invalid', 'name');
    await expectStrataError(aws.captureImage('i-0000000000000c001', { name: 'taken-name' }), 'Invalid', 'name');
    expect(api.of('CreateImage')).toHaveLength(2);
  });

  it('deletes an own image with its snapshots; a vendor image is refused', async () => {
    const { api, aws } = provider({
      DescribeImages: (input: any) => ({ Images: [...ownImages.Images, ...vendorImages.Images].filter((i: any) => input.ImageIds.includes(i.ImageId)) }),
      DeregisterImage: {},
    });
    await aws.deleteImage('ami-0a1b2c3d4e5f60001');
    expect(api.of('DeregisterImage').map((c) => c.input)).toEqual([{ ImageId: 'ami-0a1b2c3d4e5f60001', DeleteAssociatedSnapshots: true }]);
    await expectStrataError(aws.deleteImage('ami-05576a079321f21f8'), 'Unsupported');
    await expectStrataError(aws.deleteImage('ami-0000000000000none'), 'NotFound');
    expect(api.of('DeregisterImage')).toHaveLength(1);
  });
});

describe('image lifecycle', () => {
  const lifecycle = fixture('describe-images-lifecycle');
  // EC2's clock in these answers: 2026-12-01 12:00 UTC.
  const NOW = Date.parse('2026-12-01T12:00:00Z');
  const at = (options: Partial<AwsProviderOptions> = {}, handlers: Record<string, Handler | unknown> = {}) => {
    const api = new RecordedEc2(
      {
        DescribeSecurityGroups: fixture('describe-security-groups'),
        DescribeImages: (input: any) => ({ Images: [...lifecycle.Images, ...vendorImages.Images].filter((i: any) => !input.ImageIds || input.ImageIds.includes(i.ImageId)) }),
        ...handlers,
      },
      'eu-west-1',
      NOW - Date.now(),
    );
    return { api, aws: new AwsProvider(api, { ...OPTIONS, ...options }) };
  };

  it('reads the storage of every EBS snapshot, the deprecation date and the deregistration protection with its cooldown', async () => {
    const { aws } = at();
    const [db, web, batch] = (await aws.listImages({ scope: 'own', pageSize: 50 })).items;
    expect([db.id, db.storageGiB, db.sizeGiB, db.state, db.deprecatedAt]).toEqual(['ami-0a1b2c3d4e5f60101', 116, 16, 'deprecated', '2026-01-01T00:00:00.000Z']);
    expect(db.deleteProtection).toEqual({ on: true, cooldown: true });
    // Turned off with a cooldown that has not run out: still protected, until then.
    expect([web.state, web.deprecatedAt, web.deleteProtection]).toEqual(['available', '2027-06-01T00:00:00.000Z', { on: true, cooldown: true, until: '2026-12-02T09:30:00.000Z' }]);
    expect([batch.storageGiB, batch.deleteProtection]).toEqual([30, undefined]);
  });

  it('sets a deprecation date with EnableImageDeprecation and clears it with DisableImageDeprecation; a vendor image is refused first', async () => {
    const { api, aws } = at({}, { EnableImageDeprecation: { Return: true }, DisableImageDeprecation: { Return: true } });
    const set = await aws.setImageDeprecation('ami-0a1b2c3d4e5f60103', '2027-03-01T08:00:20Z');
    // Rounded to the nearest minute, as EC2 does.
    expect([set.deprecatedAt, set.state]).toEqual(['2027-03-01T08:00:00.000Z', 'available']);
    // A moment EC2 would refuse as past (now, a slow answer) goes as the first whole minute a minute from EC2's now.
    const now = await aws.setImageDeprecation('ami-0a1b2c3d4e5f60103', new Date(NOW - 5_000).toISOString());
    const soon = Date.parse(now.deprecatedAt!);
    expect(soon % 60_000).toBe(0);
    expect(soon - NOW).toBeGreaterThanOrEqual(60_000);
    expect(soon - NOW).toBeLessThanOrEqual(180_000);
    const cleared = await aws.setImageDeprecation('ami-0a1b2c3d4e5f60101', null);
    expect([cleared.deprecatedAt, cleared.state]).toEqual([undefined, 'available']);
    expect(api.of('EnableImageDeprecation').map((c) => [c.input.ImageId, new Date(c.input.DeprecateAt).toISOString()])).toEqual([
      ['ami-0a1b2c3d4e5f60103', '2027-03-01T08:00:00.000Z'],
      ['ami-0a1b2c3d4e5f60103', now.deprecatedAt],
    ]);
    expect(api.of('DisableImageDeprecation').map((c) => c.input)).toEqual([{ ImageId: 'ami-0a1b2c3d4e5f60101' }]);
    await expectStrataError(aws.setImageDeprecation('ami-05576a079321f21f8', null), 'Unsupported');
    await expectStrataError(aws.setImageDeprecation('ami-0a1b2c3d4e5f60103', 'soon'), 'Invalid', 'deprecateAt');
    expect(api.of('EnableImageDeprecation')).toHaveLength(2);
    expect(api.of('DisableImageDeprecation')).toHaveLength(1);
  });

  it('says which field EC2 refused a deprecation date on', async () => {
    const { aws } = at({}, { EnableImageDeprecation: ec2Error('InvalidParameterValue', 'The deprecation date must be within 10 years') });
    await expectStrataError(aws.setImageDeprecation('ami-0a1b2c3d4e5f60103', '2030-01-01T00:00:00Z'), 'Invalid', 'deprecateAt');
  });
});

describe('servers', () => {
  const allInstances = reservations.Reservations.flatMap((r: any) => r.Instances);

  it('lists many servers with a few filtered calls; status checks only for the running ones; unknown ids absent', async () => {
    const ids = Array.from({ length: 450 }, (_, i) => `i-${String(i).padStart(17, '0')}`);
    ids.splice(10, 0, ...allInstances.map((i: any) => i.InstanceId));
    const { api, aws } = provider({
      DescribeInstances: (input: any) => ({
        Reservations: [{ Instances: allInstances.filter((i: any) => input.Filters[0].Values.includes(i.InstanceId)) }],
      }),
      DescribeInstanceStatus: (input: any) => ({ InstanceStatuses: statuses.InstanceStatuses.filter((s: any) => input.InstanceIds.includes(s.InstanceId)) }),
    });
    const servers = await aws.listServers([...ids, ids[0]]);
    expect(servers.map((s) => s.id).sort()).toEqual(allInstances.map((i: any) => i.InstanceId).sort());
    const describeCalls = api.of('DescribeInstances');
    expect(describeCalls.map((c) => c.input.Filters[0].Values.length)).toEqual([IDS_PER_FILTER, IDS_PER_FILTER, 457 - 2 * IDS_PER_FILTER]);
    expect(describeCalls.every((c) => c.input.Filters[0].Name === 'instance-id' && c.input.InstanceIds === undefined)).toBe(true);
    expect(api.of('DescribeInstanceStatus').map((c) => c.input.InstanceIds.sort())).toEqual([['i-0000000000000b001', 'i-0000000000000c001', 'i-0000000000000c002']]);
    expect(Object.fromEntries(servers.map((s) => [s.id, s.phase]))['i-0000000000000c001']).toBe('ready');
    expect(await aws.listServers([])).toEqual([]);
    expect(api.of('DescribeInstances')).toHaveLength(3);
  });

  it('measures observedAt on EC2\'s clock', async () => {
    const api = new RecordedEc2({ DescribeInstances: reservations, DescribeInstanceStatus: statuses }, 'eu-west-1', -3_600_000);
    const aws = new AwsProvider(api, OPTIONS);
    const [server] = await aws.listServers();
    expect(Math.abs(Date.parse(server.observedAt!) - (Date.now() - 3_600_000))).toBeLessThan(5_000);
    expect(api.of('DescribeInstances')[0].input).toEqual({ MaxResults: 1000 });
  });

  it('finds a launch by its client token, in launch order', async () => {
    const { api, aws } = provider({ DescribeInstances: { Reservations: [reservations.Reservations[0]] }, DescribeInstanceStatus: statuses });
    const servers = await aws.serversByToken('strata-launch-42');
    expect(servers.map((s) => s.name)).toEqual(['web-1', 'web-2']);
    expect(api.of('DescribeInstances')[0].input.Filters).toEqual([{ Name: 'client-token', Values: ['strata-launch-42'] }]);
  });

  it('terminates by id; an unknown server is NotFound; the console is decoded from base64', async () => {
    const { api, aws } = provider({
      TerminateInstances: (input: any) => (input.InstanceIds[0] === 'i-0123456789abcdef0' ? ec2Error('InvalidInstanceID.NotFound') : { TerminatingInstances: [] }),
      GetConsoleOutput: (input: any) => (input.InstanceId === 'i-0000000000000c009' && input.Latest ? ec2Error('UnsupportedOperation', 'Latest is only supported on Nitro') : fixture('get-console-output')),
    });
    await aws.terminate('i-0000000000000c001');
    await expectStrataError(aws.terminate('i-0123456789abcdef0'), 'NotFound');
    expect(await aws.consoleOutput('i-0000000000000c001')).toContain('Cloud-init v24.1 finished');
    // The live buffer first; on a Xen instance, the published snapshot.
    expect(await aws.consoleOutput('i-0000000000000c009')).toContain('Cloud-init v24.1 finished');
    expect(api.of('GetConsoleOutput').map((c) => c.input)).toEqual([
      { InstanceId: 'i-0000000000000c001', Latest: true },
      { InstanceId: 'i-0000000000000c009', Latest: true },
      { InstanceId: 'i-0000000000000c009' },
    ]);
  });

  it('passes throttling on as Throttled, naming the action', async () => {
    const { aws } = provider({ DescribeInstances: ec2Error('RequestLimitExceeded', 'Request limit exceeded.', 503) });
    const error = await expectStrataError(aws.listServers(), 'Throttled');
    expect(error.message).toContain('ec2:DescribeInstances');
  });
});

describe('launch', () => {
  const spec: LaunchSpec = {
    name: 'api',
    imageId: 'ami-0a1b2c3d4e5f60001',
    productId: 't3.micro',
    firewallIds: ['sg-0123456789abcdef0'],
    keypairName: 'ops-2026',
    group: 'web',
    billingCode: 'cc-1234',
    count: 2,
  };

  function launchable(extra: Record<string, Handler | unknown> = {}) {
    return provider({
      DescribeInstances: { Reservations: [] },
      DescribeImages: (input: any) => ({ Images: ownImages.Images.filter((i: any) => input.ImageIds.includes(i.ImageId)) }),
      DescribeInstanceTypes: fixture('describe-instance-types'),
      DescribeKeyPairs: fixture('describe-key-pairs'),
      RunInstances: fixture('run-instances'),
      CreateTags: {},
      ...extra,
    });
  }

  it('sends one RunInstances with the token, then names each server name-1, name-2', async () => {
    const { api, aws } = launchable();
    const servers = await aws.launch(spec, 'strata-launch-43');
    expect(api.of('RunInstances').map((c) => c.input)).toEqual([JSON.parse(JSON.stringify(runInstancesInput(spec, 'strata-launch-43')))]);
    expect(servers.map((s) => [s.id, s.name, s.phase, s.group, s.billingCode])).toEqual([
      ['i-0000000000000d001', 'api-1', 'pending', 'web', 'cc-1234'],
      ['i-0000000000000d002', 'api-2', 'pending', 'web', 'cc-1234'],
    ]);
    expect(api.of('CreateTags').map((c) => c.input)).toEqual([
      { Resources: ['i-0000000000000d001'], Tags: [{ Key: 'Name', Value: 'api-1' }] },
      { Resources: ['i-0000000000000d002'], Tags: [{ Key: 'Name', Value: 'api-2' }] },
    ]);
  });

  it('answers a repeated launch from the servers its token started, without a second RunInstances', async () => {
    const { api, aws } = launchable({ DescribeInstances: { Reservations: [reservations.Reservations[0]] }, DescribeInstanceStatus: statuses });
    const servers = await aws.launch(spec, 'strata-launch-42');
    expect(servers.map((s) => s.id)).toEqual(['i-0000000000000b001', 'i-0000000000000b002']);
    expect(api.of('RunInstances')).toEqual([]);
  });

  it('refuses bad input with the field before anything is started', async () => {
    const { api, aws } = launchable();
    await expectStrataError(aws.launch({ ...spec, count: 0 }, 't-1'), 'Invalid', 'count');
    await expectStrataError(aws.launch({ ...spec, productId: 'no-such-size' }, 't-2'), 'Invalid', 'productId');
    await expectStrataError(aws.launch({ ...spec, imageId: 'ami-0000000000000none' }, 't-3'), 'Invalid', 'imageId');
    await expectStrataError(aws.launch({ ...spec, productId: 'm7g.large' }, 't-4'), 'Invalid', 'productId');
    await expectStrataError(aws.launch({ ...spec, keypairName: 'nobody' }, 't-5'), 'Invalid', 'keypairName');
    await expectStrataError(aws.launch({ ...spec, name: 'n'.repeat(65) }, 't-6'), 'Invalid', 'name');
    const tooMany = { count: 17, sizeGiB: 10, raid: 'none' as const, filesystem: 'ext4' as const, mountPoint: '/data', encrypt: false };
    await expectStrataError(aws.launch({ ...spec, volumes: tooMany }, 't-7'), 'Invalid', /^volumes/);
    await expectStrataError(aws.launch(spec, 'has space'), 'Invalid', 'clientToken');
    expect(api.of('RunInstances')).toEqual([]);
  });

  it('maps what RunInstances refuses onto the launch form\'s fields', async () => {
    const { aws } = launchable({ RunInstances: ec2Error('InvalidGroup.NotFound', "The security group 'sg-0123456789abcdef0' does not exist") });
    await expectStrataError(aws.launch(spec, 'strata-launch-44'), 'Invalid', 'firewallIds');
  });

  it('creates a firewall at launch tagged with the token, and reuses it when the launch is retried', async () => {
    let created = 0;
    const groups = fixture('describe-security-groups');
    const { api, aws } = launchable({
      DescribeSecurityGroups: (input: any) =>
        input.Filters?.[0]?.Name === 'tag:strata:launch-id' ? { SecurityGroups: created > 0 ? [{ GroupId: 'sg-0new', GroupName: 'api-fw' }] : [] } : groups,
      CreateSecurityGroup: () => ((created += 1), { GroupId: 'sg-0new' }),
      AuthorizeSecurityGroupIngress: {},
      RunInstances: (() => {
        let calls = 0;
        return () => (++calls === 1 ? ec2Error('InternalError', 'We encountered an internal error', 500) : fixture('run-instances'));
      })(),
    });
    const withFirewall: LaunchSpec = { ...spec, newFirewall: { name: 'api-fw', rules: [{ protocol: 'tcp', fromPort: 443, toPort: 443, source: '0.0.0.0/0' }] } };
    await expectStrataError(aws.launch(withFirewall, 'strata-launch-45'), 'Transient');
    await aws.launch(withFirewall, 'strata-launch-45');
    expect(created).toBe(1);
    expect(api.of('CreateSecurityGroup')[0].input.TagSpecifications[0].Tags).toContainEqual({ Key: 'strata:launch-id', Value: 'strata-launch-45' });
    expect(api.of('RunInstances').map((c) => c.input.SecurityGroupIds)).toEqual([
      ['sg-0123456789abcdef0', 'sg-0new'],
      ['sg-0123456789abcdef0', 'sg-0new'],
    ]);
  });

  it('adds the rules an earlier attempt did not get to add to the launch\'s own firewall, and reuses it', async () => {
    // The earlier attempt stopped between CreateSecurityGroup and AuthorizeSecurityGroupIngress: the group
    // is there, tagged with the token, with one of its two rules.
    const half = {
      GroupId: 'sg-0half', GroupName: 'api-fw', OwnerId: '123456789012',
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      Tags: [{ Key: 'strata:launch-id', Value: 'strata-launch-48' }],
    };
    const groups = fixture('describe-security-groups');
    const { api, aws } = launchable({
      DescribeSecurityGroups: (input: any) => (input.Filters?.[0]?.Name === 'tag:strata:launch-id' ? { SecurityGroups: [half] } : { SecurityGroups: [...groups.SecurityGroups, half] }),
      AuthorizeSecurityGroupIngress: {},
    });
    const rules = [
      { protocol: 'tcp' as const, fromPort: 443, toPort: 443, source: '0.0.0.0/0' },
      { protocol: 'tcp' as const, fromPort: 22, toPort: 22, source: '203.0.113.0/24' },
    ];
    await aws.launch({ ...spec, newFirewall: { name: 'api-fw', rules } }, 'strata-launch-48');
    expect(api.of('CreateSecurityGroup')).toEqual([]);
    expect(api.of('AuthorizeSecurityGroupIngress').map((c) => c.input)).toEqual([
      { GroupId: 'sg-0half', IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '203.0.113.0/24' }] }] },
    ]);
    expect(api.of('RunInstances')[0].input.SecurityGroupIds).toEqual(['sg-0123456789abcdef0', 'sg-0half']);
  });

  it('previews with nothing started: the request, the CLI line, and EC2\'s own dry run', async () => {
    const { api, aws } = launchable({ RunInstances: ec2Error('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412) });
    const preview = await aws.previewLaunch({ ...spec, userData: '#!/bin/sh\necho secret-ish\n' }, 'strata-launch-46');
    expect(JSON.stringify(preview.request)).toContain('"api"');
    expect(JSON.stringify(preview.request)).not.toContain('secret-ish');
    expect(preview.cli).toMatch(/^aws ec2 run-instances --profile 'prod' --region 'eu-west-1' /);
    expect(preview.cli).not.toContain('\n');
    // The one call is the dry run: RunInstances with DryRun, which EC2 answers without starting anything.
    expect(api.calls.map((c: any) => [c.action, c.input.DryRun, c.input.ClientToken])).toEqual([['RunInstances', true, 'strata-launch-46']]);
    expect(preview.check).toEqual({ allowed: true, sentence: 'EC2 says the launch would be allowed (a dry run of RunInstances).' });
  });

  it('says in the review when EC2 would refuse the launch (dry run)', async () => {
    const { aws } = launchable({ RunInstances: ec2Error('UnauthorizedOperation', 'You are not authorized to perform this operation.', 403) });
    const preview = await aws.previewLaunch(spec, 'strata-launch-47');
    expect(preview.check).toEqual({ allowed: false, sentence: expect.stringMatching(/^EC2 refuses the launch: these credentials may not call RunInstances/) });
  });
});

describe('firewalls and keypairs', () => {
  it('creates a security group with its rules; bad rules are refused with the field before any call', async () => {
    const { api, aws } = provider({ CreateSecurityGroup: { GroupId: 'sg-0new' }, AuthorizeSecurityGroupIngress: {} });
    await expectStrataError(aws.createFirewall('web2', [{ protocol: 'tcp', fromPort: 80, toPort: 70000, source: '0.0.0.0/0' }]), 'Invalid', /toPort/);
    await expectStrataError(aws.createFirewall('web2', [{ protocol: 'tcp', fromPort: 80, toPort: 80, source: '300.1.2.3/8' }]), 'Invalid', /source/);
    expect(api.calls).toEqual([]);
    const rules = [
      { protocol: 'tcp' as const, fromPort: 22, toPort: 22, source: '203.0.113.0/24' },
      { protocol: 'icmp' as const, fromPort: -1, toPort: -1, source: '2001:db8::/32' },
    ];
    const fw = await aws.createFirewall('web2', rules, 'made by a test');
    expect(fw).toEqual({ id: 'sg-0new', name: 'web2', rules, description: 'made by a test' });
    expect(api.of('CreateSecurityGroup')[0].input).toEqual({
      GroupName: 'web2',
      Description: 'made by a test',
      TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: 'Name', Value: 'web2' }] }],
    });
    expect(api.of('AuthorizeSecurityGroupIngress')[0].input.IpPermissions).toHaveLength(2);
  });

  it('removes the new group when its rules are refused, and says a taken name is a Conflict', async () => {
    const { api, aws } = provider({
      CreateSecurityGroup: (input: any) => (input.GroupName === 'web' ? ec2Error('InvalidGroup.Duplicate', "The security group 'web' already exists") : { GroupId: 'sg-0new' }),
      AuthorizeSecurityGroupIngress: ec2Error('InvalidPermission.Malformed'),
      DeleteSecurityGroup: {},
    });
    const rules = [{ protocol: 'tcp' as const, fromPort: 22, toPort: 22, source: '203.0.113.0/24' }];
    await expectStrataError(aws.createFirewall('web3', rules), 'Invalid');
    expect(api.of('DeleteSecurityGroup').map((c) => c.input)).toEqual([{ GroupId: 'sg-0new' }]);
    await expectStrataError(aws.createFirewall('web', rules), 'Conflict');
  });

  it('deletes a security group; an unknown or malformed id is NotFound; the default group is refused', async () => {
    const { api, aws } = provider({
      DeleteSecurityGroup: (input: any) =>
        input.GroupId === 'sg-0gone0000000000000'
          ? ec2Error('InvalidGroup.NotFound', "The security group 'sg-0gone0000000000000' does not exist")
          : input.GroupId === 'nonsense'
            ? ec2Error('InvalidGroupId.Malformed', 'Invalid id: "nonsense"')
            : input.GroupId === 'sg-0default000000000'
              ? ec2Error('CannotDelete', 'the specified group: "sg-0default000000000" name: "default" cannot be deleted by a user')
              : {},
      DescribeInstances: { Reservations: [] },
    });
    await aws.deleteFirewall('sg-0123456789abcdef0');
    expect(api.of('DeleteSecurityGroup').map((c) => c.input)).toEqual([{ GroupId: 'sg-0123456789abcdef0' }]);
    const gone = await expectStrataError(aws.deleteFirewall('sg-0gone0000000000000'), 'NotFound');
    expect(gone.message).toBe('Deleting firewall sg-0gone0000000000000 failed: the firewall (security group) does not exist in eu-west-1.');
    await expectStrataError(aws.deleteFirewall('nonsense'), 'NotFound');
    await expectStrataError(aws.deleteFirewall('sg-0default000000000'), 'Invalid', 'firewallId');
    await expectStrataError(aws.deleteFirewall(''), 'Invalid', 'firewallId');
  });

  it('says what uses a security group before deleting it (its servers, the groups whose rules refer to it), and what EC2 names when it refuses', async () => {
    const inUse = ec2Error('DependencyViolation', 'resource sg-0123456789abcdef0 has a dependent object');
    const { api, aws } = provider({
      DeleteSecurityGroup: inUse,
      DescribeInstances: { Reservations: [{ Instances: [{ InstanceId: 'i-0000000000000a001', Tags: [{ Key: 'Name', Value: 'api-1' }], State: { Name: 'running' } }] }] },
      DescribeSecurityGroups: (input: any) =>
        input.Filters?.[0]?.Name === 'ip-permission.group-id' ? { SecurityGroups: [{ GroupId: 'sg-0lb00000000000000', GroupName: 'lb' }] } : fixture('describe-security-groups'),
    });
    const error = await expectStrataError(aws.deleteFirewall('sg-0123456789abcdef0'), 'Conflict');
    expect(error.message).toBe(
      'Firewall sg-0123456789abcdef0 is in use by server api-1 (i-0000000000000a001), the rules of firewall lb (sg-0lb00000000000000); move those servers to another firewall (or terminate them) and remove those rules first.',
    );
    // Its servers are asked about first: an endpoint that would delete a group in use (an emulator) is not asked to.
    expect(api.of('DeleteSecurityGroup')).toHaveLength(0);
    // Its servers looked up once: the sentence names the ones the check found.
    expect(api.of('DescribeInstances')).toHaveLength(1);
    expect(api.of('DescribeInstances')[0].input.Filters).toEqual([
      { Name: 'instance.group-id', Values: ['sg-0123456789abcdef0'] },
      { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped', 'shutting-down'] },
    ]);
    // Nothing strata can list: it says so, and what it may be.
    const other = provider({ DeleteSecurityGroup: inUse, DescribeInstances: { Reservations: [] }, DescribeSecurityGroups: { SecurityGroups: [] } });
    const unlisted = await expectStrataError(other.aws.deleteFirewall('sg-0123456789abcdef0'), 'Conflict');
    expect(unlisted.message).toMatch(/^Firewall sg-0123456789abcdef0 is still in use \(EC2: DependencyViolation\), by something strata does not list: a network interface/);
    expect(unlisted.detail).toContain('DependencyViolation');
  });

  it('lists security groups as firewalls, sorted by name', async () => {
    const { aws } = provider({});
    expect((await aws.listFirewalls()).map((f) => f.name)).toEqual(['default', 'web']);
  });

  it('creates an ed25519 keypair and returns its private key once; imports a checked public key', async () => {
    const { api, aws } = provider({
      CreateKeyPair: { KeyName: 'k1', KeyPairId: 'key-01', KeyFingerprint: 'SHA256:abcdefghijklmnop', KeyMaterial: '-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----\n' },
      ImportKeyPair: (input: any) => ({ KeyName: input.KeyName, KeyPairId: 'key-02', KeyFingerprint: 'SHA256:zyxwvutsrqponmlk' }),
      DescribeKeyPairs: fixture('describe-key-pairs'),
    });
    const created = await aws.createKeypair('k1');
    expect(created.privateKeyPem).toMatch(/-----BEGIN [A-Z ]*PRIVATE KEY-----/);
    expect(api.of('CreateKeyPair')[0].input).toEqual({ KeyName: 'k1', KeyType: 'ed25519', KeyFormat: 'pem' });
    const line = sshEd25519Line();
    const imported = await aws.importKeypair('k2', `${line}\n`);
    expect(imported).toEqual({ id: 'key-02', name: 'k2', fingerprint: 'SHA256:zyxwvutsrqponmlk' });
    expect(Buffer.from(api.of('ImportKeyPair')[0].input.PublicKeyMaterial).toString()).toBe(line);
    await expectStrataError(aws.importKeypair('k3', 'ssh-ed25519 not*base64'), 'Invalid', 'publicKey');
    await expectStrataError(aws.importKeypair('k3', '-----BEGIN OPENSSH PRIVATE KEY-----'), 'Invalid', 'publicKey');
    expect(api.of('ImportKeyPair')).toHaveLength(1);
    expect(JSON.stringify(await aws.listKeypairs())).not.toContain('PRIVATE KEY');
  });

  it('says a taken keypair name is a Conflict', async () => {
    const { aws } = provider({ CreateKeyPair: ec2Error('InvalidKeyPair.Duplicate', "The keypair 'k1' already exists.") });
    const error = await expectStrataError(aws.createKeypair('k1'), 'Conflict');
    expect(error).toBeInstanceOf(StrataError);
  });
});

describe('references: y, Y and o on a row', () => {
  it("gives the CLI line that describes an image or an instance, and its page in the EC2 console of its region", () => {
    // EC2 itself: no endpoint of the environment either (the contract suite's STRATA_AWS_ENDPOINT, where set).
    const saved = process.env[ENDPOINT_ENV];
    delete process.env[ENDPOINT_ENV];
    try {
      const { aws } = provider({});
      expect(aws.references('image', 'ami-0123456789abcdef0')).toEqual({
        cli: 'aws ec2 describe-images --profile prod --region eu-west-1 --image-ids ami-0123456789abcdef0',
        web: 'https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1#ImageDetails:imageId=ami-0123456789abcdef0',
      });
      expect(aws.references('server', 'i-0abc')).toEqual({
        cli: 'aws ec2 describe-instances --profile prod --region eu-west-1 --instance-ids i-0abc',
        web: 'https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1#InstanceDetails:instanceId=i-0abc',
      });
    } finally {
      if (saved !== undefined) process.env[ENDPOINT_ENV] = saved;
    }
  });

  it('another EC2-compatible endpoint: its URL in the line, and no AWS console link', () => {
    const { aws } = provider({}, { endpoint: 'http://127.0.0.1:4566' });
    expect(aws.references('server', 'i-0abc')).toEqual({ cli: 'aws ec2 describe-instances --profile prod --region eu-west-1 --endpoint-url http://127.0.0.1:4566 --instance-ids i-0abc' });
  });
});
