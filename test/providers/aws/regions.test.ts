// AWS across regions, through the real SDK: a source of two regions makes one session per region, and the
// request for each region goes to that region — to its own endpoint where strata talks to EC2 itself
// (ec2.<region>.amazonaws.com, seen by an HTTP handler that sends nothing), and signed for that region
// where an EC2-compatible endpoint is given (a local server that answers in EC2's query protocol, as
// recorded from the EC2 API reference). A copy from one region to the other is CopyImage in the target
// region, from the source region, encrypted as the original, tagged with where it came from.
//
// Against a real EC2-compatible endpoint (moto) the fleet of two regions runs too, where STRATA_AWS_ENDPOINT
// is set (as the AWS contract suite does), and is skipped with a line saying so elsewhere.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { HttpResponse } from '@smithy/core/protocols';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENDPOINT_ENV, createAwsProvider } from '../../../source/providers/aws/index.js';
import type { SourceConfig } from '../../../source/services/config.js';
import { Fleet } from '../../../source/services/fleet.js';
import { openStore } from '../../../source/store/db.js';

const NS = 'http://ec2.amazonaws.com/doc/2016-11-15/';
const ACCOUNT = '123456789012';
const savedEnv = { ...process.env };

beforeAll(() => {
  process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE';
  process.env.AWS_SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
  delete process.env.AWS_PROFILE;
  delete process.env[ENDPOINT_ENV];
});
afterAll(() => {
  process.env = savedEnv;
});

const REGIONS_XML = `<?xml version="1.0" encoding="UTF-8"?>
<DescribeRegionsResponse xmlns="${NS}"><requestId>r</requestId><regionInfo>
<item><regionName>eu-west-1</regionName><regionEndpoint>ec2.eu-west-1.amazonaws.com</regionEndpoint></item>
<item><regionName>us-east-1</regionName><regionEndpoint>ec2.us-east-1.amazonaws.com</regionEndpoint></item>
</regionInfo></DescribeRegionsResponse>`;

describe('aws: each region through its own endpoint (no network: the SDK is handed an HTTP handler)', () => {
  it('sends a region-1 call to ec2.eu-west-1.amazonaws.com and a us-east-1 call to ec2.us-east-1.amazonaws.com, each signed for its region', async () => {
    const seen: { hostname: string; authorization: string }[] = [];
    const requestHandler = {
      handle: async (request: { hostname: string; headers: Record<string, string> }) => {
        seen.push({ hostname: request.hostname, authorization: request.headers.authorization ?? '' });
        return { response: new HttpResponse({ statusCode: 200, headers: { 'content-type': 'text/xml' }, body: Readable.from([Buffer.from(REGIONS_XML)]) }) };
      },
    };
    for (const region of ['eu-west-1', 'us-east-1']) {
      const provider = await createAwsProvider({ home: '/nonexistent', region, requestHandler });
      const description = await provider.describe();
      expect(description.region).toBe(region);
      expect(description.regions.map((r) => r.id)).toEqual(['eu-west-1', 'us-east-1']);
      await provider.close();
    }
    expect(seen.map((r) => r.hostname)).toEqual(['ec2.eu-west-1.amazonaws.com', 'ec2.us-east-1.amazonaws.com']);
    expect(seen[0]!.authorization).toContain('/eu-west-1/ec2/aws4_request');
    expect(seen[1]!.authorization).toContain('/us-east-1/ec2/aws4_request');
  });
});

// ---- a local EC2 endpoint: two regions, each with images of its own ---------------------------------------

interface Call {
  action: string;
  region: string;
  params: URLSearchParams;
}

function imageXml(id: string, name: string, tags: Record<string, string>, encrypted: boolean): string {
  const tagSet = Object.entries(tags)
    .map(([k, v]) => `<item><key>${k}</key><value>${v}</value></item>`)
    .join('');
  return `<item><imageId>${id}</imageId><imageLocation>${ACCOUNT}/${name}</imageLocation><imageState>available</imageState><imageOwnerId>${ACCOUNT}</imageOwnerId><creationDate>2026-11-20T09:14:05.000Z</creationDate><isPublic>false</isPublic><architecture>x86_64</architecture><imageType>machine</imageType><name>${name}</name><rootDeviceType>ebs</rootDeviceType><rootDeviceName>/dev/xvda</rootDeviceName><blockDeviceMapping><item><deviceName>/dev/xvda</deviceName><ebs><snapshotId>snap-1</snapshotId><volumeSize>8</volumeSize><encrypted>${encrypted}</encrypted></ebs></item></blockDeviceMapping><tagSet>${tagSet}</tagSet></item>`;
}

class LocalEc2 {
  readonly calls: Call[] = [];
  private server?: Server;
  endpoint = '';
  /** Images per region: id -> [name, tags, encrypted]. */
  readonly images: Record<string, Map<string, [string, Record<string, string>, boolean]>> = {
    'eu-west-1': new Map([['ami-0e0e0e0e0e0e0e0e1', ['payments-api-2026-11-20', { Name: 'Payments API', 'strata:source-image': 'ami-0c0c0c0c0c0c0c0c0' }, true]]]),
    'us-east-1': new Map([['ami-0a0a0a0a0a0a0a0a1', ['payments-api-2026-09-01', {}, false]]]),
  };

  async start(): Promise<void> {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        const params = new URLSearchParams(body);
        const action = params.get('Action') ?? '';
        const region = /Credential=[^/]+\/\d{8}\/([a-z0-9-]+)\/ec2\//.exec(String(req.headers.authorization ?? ''))?.[1] ?? '?';
        this.calls.push({ action, region, params });
        res.writeHead(200, { 'content-type': 'text/xml;charset=UTF-8' });
        res.end(this.answer(action, region, params));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.endpoint = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  private answer(action: string, region: string, params: URLSearchParams): string {
    const images = this.images[region] ?? new Map();
    switch (action) {
      case 'DescribeRegions':
        return REGIONS_XML;
      case 'DescribeSecurityGroups':
        return `<DescribeSecurityGroupsResponse xmlns="${NS}"><requestId>r</requestId><securityGroupInfo><item><ownerId>${ACCOUNT}</ownerId><groupId>sg-1</groupId><groupName>default</groupName><groupDescription>default</groupDescription><ipPermissions/></item></securityGroupInfo></DescribeSecurityGroupsResponse>`;
      case 'DescribeInstances':
        return `<DescribeInstancesResponse xmlns="${NS}"><requestId>r</requestId><reservationSet/></DescribeInstancesResponse>`;
      case 'DescribeImages': {
        const id = params.get('ImageId.1');
        const byTag = params.get('Filter.1.Name') === 'tag:strata:copy-token' ? params.get('Filter.1.Value.1') : undefined;
        const chosen = [...images].filter(([imageId, [, tags]]) => (id ? imageId === id : byTag ? tags['strata:copy-token'] === byTag : true));
        return `<DescribeImagesResponse xmlns="${NS}"><requestId>r</requestId><imagesSet>${chosen.map(([i, [n, t, e]]) => imageXml(i, n, t, e)).join('')}</imagesSet></DescribeImagesResponse>`;
      }
      case 'CopyImage': {
        const tags: Record<string, string> = {};
        for (let n = 1; params.has(`TagSpecification.1.Tag.${n}.Key`); n++) tags[params.get(`TagSpecification.1.Tag.${n}.Key`)!] = params.get(`TagSpecification.1.Tag.${n}.Value`)!;
        images.set('ami-0c09c09c09c09c09c1', [params.get('Name')!, tags, params.get('Encrypted') === 'true']);
        return `<CopyImageResponse xmlns="${NS}"><requestId>r</requestId><imageId>ami-0c09c09c09c09c09c1</imageId></CopyImageResponse>`;
      }
      default:
        return `<Response><Errors><Error><Code>InvalidAction</Code><Message>no ${action}</Message></Error></Errors><RequestID>x</RequestID></Response>`;
    }
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

describe('aws: a source of two regions at an EC2-compatible endpoint', () => {
  const ec2 = new LocalEc2();
  let home: string;
  beforeAll(async () => {
    await ec2.start();
    home = mkdtempSync(join(tmpdir(), 'strata-aws-regions-'));
  });
  afterAll(async () => {
    await ec2.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('opens one session per region, lists each region with its own calls (signed for it), and copies between them with CopyImage', async () => {
    const store = openStore(home);
    const sources: SourceConfig[] = [{ name: 'prod', provider: 'aws', endpoint: ec2.endpoint, regions: ['eu-west-1', 'us-east-1'] }];
    const fleet = new Fleet({ sources, base: { home }, store, autoPoll: false, retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 }, copyPollMs: 5 });
    try {
      await fleet.start();
      const snap = fleet.snapshot();
      expect(snap.sources).toMatchObject([{ name: 'prod', state: 'ok', regions: ['eu-west-1', 'us-east-1'] }]);
      expect(snap.rows.map((r) => [r.where, r.id, r.name])).toEqual([
        ['prod/eu-west-1', 'ami-0e0e0e0e0e0e0e0e1', 'Payments API'],
        ['prod/us-east-1', 'ami-0a0a0a0a0a0a0a0a1', 'payments-api-2026-09-01'],
      ]);
      // Every listing of a region was signed for that region; one batched DescribeInstances per region.
      const listings = ec2.calls.filter((c) => c.action === 'DescribeImages' && c.params.get('Owner.1') === 'self');
      expect(listings.map((c) => c.region).sort()).toEqual(['eu-west-1', 'us-east-1']);
      await fleet.pollNow();
      expect(fleet.stats().lastPollCalls).toBe(2);
      expect(ec2.calls.filter((c) => c.action === 'DescribeInstances').map((c) => c.region).sort()).toEqual(['eu-west-1', 'eu-west-1', 'us-east-1', 'us-east-1']);

      // A copy into us-east-1 of the eu-west-1 image: CopyImage asked of us-east-1, from eu-west-1.
      const row = snap.rows.find((r) => r.where === 'prod/eu-west-1')!;
      const from = fleet.session('prod', 'eu-west-1')!;
      const copies = fleet.copies('prod', 'us-east-1')!;
      const copy = await copies.start({ storeId: from.storeId, providerId: from.providerId, region: from.region, source: 'prod', image: row.image! });
      const done = await fleet.runCopy('prod', 'us-east-1', copy.id)!;
      expect(done.state, done.error).toBe('done');
      const call = ec2.calls.find((c) => c.action === 'CopyImage')!;
      expect(call.region).toBe('us-east-1');
      expect(call.params.get('SourceRegion')).toBe('eu-west-1');
      expect(call.params.get('SourceImageId')).toBe('ami-0e0e0e0e0e0e0e0e1');
      expect(call.params.get('Name')).toBe('payments-api-2026-11-20');
      expect(call.params.get('ClientToken')).toBe(copy.clientToken);
      // The encryption kept; the Name tag kept; the lineage of eu-west-1 replaced by where it came from.
      expect(call.params.get('Encrypted')).toBe('true');
      const [, tags, encrypted] = ec2.images['us-east-1']!.get('ami-0c09c09c09c09c09c1')!;
      expect(encrypted).toBe(true);
      expect(tags).toEqual({ Name: 'Payments API', 'strata:copied-from': 'eu-west-1/ami-0e0e0e0e0e0e0e0e1', 'strata:copy-token': copy.clientToken });
    } finally {
      await fleet.close();
      store.close();
    }
  });
});

const endpoint = process.env[ENDPOINT_ENV];
if (!endpoint) {
  console.log(`aws regions: the fleet against a real EC2-compatible endpoint skipped, ${ENDPOINT_ENV} is not set`);
  describe.skip('aws: two regions at a real EC2-compatible endpoint', () => {
    it(`runs only when ${ENDPOINT_ENV} is set`, () => undefined);
  });
} else {
  describe('aws: two regions at a real EC2-compatible endpoint', () => {
    it('opens both regions, each with its own state and rows', async () => {
      const home = mkdtempSync(join(tmpdir(), 'strata-aws-fleet-'));
      const store = openStore(home);
      const fleet = new Fleet({ sources: [{ name: 'aws', provider: 'aws', endpoint, regions: ['us-east-1', 'eu-west-1'] }], base: { home }, store, autoPoll: false });
      try {
        await fleet.start();
        const snap = fleet.snapshot();
        expect(snap.sources[0], snap.sources[0]!.error).toMatchObject({ state: 'ok', regions: ['us-east-1', 'eu-west-1'] });
        expect(fleet.session('aws', 'us-east-1')!.region).toBe('us-east-1');
        expect(fleet.session('aws', 'eu-west-1')!.region).toBe('eu-west-1');
        await fleet.pollNow();
        expect(fleet.stats().lastPollCalls).toBe(2);
        for (const row of snap.rows) expect(['aws/us-east-1', 'aws/eu-west-1']).toContain(row.where);
      } finally {
        await fleet.close();
        store.close();
        rmSync(home, { recursive: true, force: true });
      }
    }, 120_000);
  });
}
