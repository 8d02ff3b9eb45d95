// The real SDK path (sdkApi): the SDK is loaded on the first call, commands are found by action name,
// EC2's clock is read from the Date header, the SDK's own errors map as errors.ts expects, and strata's
// retry policy is the only one (one request per call). EC2 is a local HTTP server here that answers in
// EC2's query protocol (XML), as recorded from the EC2 API reference; nothing leaves the machine.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsProvider, sdkApi } from '../../../source/providers/aws/index.js';
import { expectStrataError } from '../../contract/contract.js';

const EC2_DATE = 'Tue, 01 Dec 2026 10:00:00 GMT';
const NS = 'http://ec2.amazonaws.com/doc/2016-11-15/';

const ANSWERS: Record<string, { status: number; body: string }> = {
  DescribeRegions: {
    status: 200,
    body: `<?xml version="1.0" encoding="UTF-8"?>
<DescribeRegionsResponse xmlns="${NS}">
  <requestId>59dbff89-35bd-4eac-99ed-be587EXAMPLE</requestId>
  <regionInfo>
    <item><regionName>eu-west-1</regionName><regionEndpoint>ec2.eu-west-1.amazonaws.com</regionEndpoint><optInStatus>opt-in-not-required</optInStatus></item>
    <item><regionName>us-east-1</regionName><regionEndpoint>ec2.us-east-1.amazonaws.com</regionEndpoint><optInStatus>opt-in-not-required</optInStatus></item>
  </regionInfo>
</DescribeRegionsResponse>`,
  },
  DescribeInstances: {
    status: 503,
    body: `<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>ab3f8b6e-0000-4000-8000-0000000000a1</RequestID></Response>`,
  },
  DescribeKeyPairs: {
    status: 403,
    body: `<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not authorized to perform this operation. User: arn:aws:iam::123456789012:user/ops is not authorized to perform: ec2:DescribeKeyPairs. Encoded authorization failure message: ${'Zm9v'.repeat(40)}</Message></Error></Errors><RequestID>ab3f8b6e-0000-4000-8000-0000000000a2</RequestID></Response>`,
  },
  TerminateInstances: {
    status: 400,
    body: `<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>InvalidInstanceID.NotFound</Code><Message>The instance ID 'i-0123456789abcdef0' does not exist</Message></Error></Errors><RequestID>ab3f8b6e-0000-4000-8000-0000000000a3</RequestID></Response>`,
  },
  GetConsoleOutput: {
    status: 200,
    body: `<?xml version="1.0" encoding="UTF-8"?>
<GetConsoleOutputResponse xmlns="${NS}">
  <requestId>59dbff89-35bd-4eac-99ed-be587EXAMPLE</requestId>
  <instanceId>i-0123456789abcdef0</instanceId>
  <timestamp>2026-12-01T09:59:00.000Z</timestamp>
  <output>${Buffer.from('Cloud-init v24.1 finished\n').toString('base64')}</output>
</GetConsoleOutputResponse>`,
  },
};

let server: Server;
let endpoint: string;
const requests: Array<{ action: string; body: string; authorization: string }> = [];
const savedEnv = { ...process.env };

beforeAll(async () => {
  // Credentials for the SDK's default chain: the local server does not check the signature.
  process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE';
  process.env.AWS_SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
  delete process.env.AWS_PROFILE;
  delete process.env.STRATA_AWS_ENDPOINT;
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const action = new URLSearchParams(body).get('Action') ?? '';
      requests.push({ action, body, authorization: String(req.headers.authorization ?? '') });
      // An EC2-compatible endpoint asked about a region it does not have fails with an HTML page (as moto does).
      if (String(req.headers.authorization ?? '').includes('/eu-westt-1/ec2/')) {
        res.writeHead(500, { 'content-type': 'text/html', date: EC2_DATE });
        res.end('<!doctype html><html><head><title>500 Internal Server Error</title></head><body><h1>Internal Server Error</h1></body></html>');
        return;
      }
      const answer = ANSWERS[action] ?? { status: 400, body: `<Response><Errors><Error><Code>InvalidAction</Code><Message>no ${action}</Message></Error></Errors><RequestID>x</RequestID></Response>` };
      res.writeHead(answer.status, { 'content-type': 'text/xml;charset=UTF-8', date: EC2_DATE });
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  process.env = savedEnv;
  await new Promise((resolve) => server.close(resolve));
});

describe('the SDK path', () => {
  it('loads the SDK on the first call, signs with the default chain, and reads EC2\'s clock', async () => {
    const api = sdkApi({ home: '/nonexistent', region: 'eu-west-1', endpoint });
    expect(api.clockOffsetMs()).toBe(0);
    const out = await api.call<{ Regions: Array<{ RegionName: string }> }>('DescribeRegions', {});
    expect(out.Regions.map((r) => r.RegionName)).toEqual(['eu-west-1', 'us-east-1']);
    expect(requests.at(-1)?.body).toContain('Action=DescribeRegions');
    expect(requests.at(-1)?.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/ec2\/aws4_request/);
    const expected = Date.parse(EC2_DATE) - Date.now();
    expect(Math.abs(api.clockOffsetMs() - expected)).toBeLessThan(5_000);
    expect(await api.region()).toBe('eu-west-1');
    api.close();
  });

  it('maps the SDK\'s own errors: throttling (one request, no SDK retries), refused actions, unknown servers', async () => {
    const provider = await createAwsProvider({ home: '/nonexistent', region: 'eu-west-1', endpoint, profile: undefined });
    const before = requests.filter((r) => r.action === 'DescribeInstances').length;
    const throttled = await expectStrataError(provider.listServers(), 'Throttled');
    expect(throttled.message).toContain('ec2:DescribeInstances');
    expect(requests.filter((r) => r.action === 'DescribeInstances').length - before).toBe(1);

    const refused = await expectStrataError(provider.listKeypairs(), 'AuthFailed');
    expect(refused.message).toContain('ec2:DescribeKeyPairs');
    expect(refused.message).not.toContain('Zm9v');
    expect(refused.detail).toContain('UnauthorizedOperation');
    expect(refused.detail).toContain('HTTP 403');
    expect(refused.detail).not.toContain('Zm9vZm9vZm9vZm9vZm9vZm9vZm9vZm9vZm9vZm9v');

    await expectStrataError(provider.terminate('i-0123456789abcdef0'), 'NotFound');
    expect(await provider.consoleOutput('i-0123456789abcdef0')).toBe('Cloud-init v24.1 finished\n');
    await provider.close();
  });

  it('takes the endpoint from STRATA_AWS_ENDPOINT when none is given', async () => {
    process.env.STRATA_AWS_ENDPOINT = endpoint;
    try {
      const provider = await createAwsProvider({ home: '/nonexistent', region: 'eu-west-1' });
      expect((await provider.describe()).regions.map((r) => r.id)).toEqual(['eu-west-1', 'us-east-1']);
      await provider.close();
    } finally {
      delete process.env.STRATA_AWS_ENDPOINT;
    }
  });

  it('does not load the SDK to create the provider (STACK.md: import it lazily); the first call loads it', async () => {
    const script = `
      const { registerHooks } = await import('node:module');
      const seen = [];
      registerHooks({ resolve(specifier, context, next) { if (specifier.includes('@aws-sdk')) seen.push(specifier); return next(specifier, context); } });
      const { createAwsProvider } = await import('./source/providers/aws/index.ts');
      const provider = await createAwsProvider({ home: '/nonexistent', region: 'eu-west-1', endpoint: ${JSON.stringify(endpoint)} });
      const before = seen.length;
      await provider.describe();
      console.log(JSON.stringify({ before, after: seen.includes('@aws-sdk/client-ec2') }));
    `;
    // Asynchronously: the child's describe() is answered by the server in this process.
    const { stdout: out } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: process.cwd(), encoding: 'utf8', env: process.env, timeout: 20_000 });
    expect(JSON.parse(out.trim().split('\n').at(-1)!)).toEqual({ before: 0, after: true });
  });

  /** Runs a script in a fresh process with its own HOME and AWS settings; returns its last line as JSON. */
  async function inChild(script: string, env: Record<string, string | undefined>): Promise<any> {
    const childEnv: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...process.env, ...env })) if (v !== undefined && !/^AWS_(ACCESS|SECRET|SESSION|PROFILE|REGION|DEFAULT_REGION)/.test(k)) childEnv[k] = v;
    for (const [k, v] of Object.entries(env)) if (v !== undefined) childEnv[k] = v;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: process.cwd(), encoding: 'utf8', env: childEnv, timeout: 20_000 });
    return JSON.parse(stdout.trim().split('\n').at(-1)!);
  }

  const failure = (options: string, call: string) => `
    const { createAwsProvider } = await import('./source/providers/aws/index.ts');
    const provider = await createAwsProvider(${options});
    try { await provider.${call}; console.log('{}'); } catch (e) { console.log(JSON.stringify({ kind: e.kind, field: e.field, message: e.message })); }
  `;

  it('asks for a region when neither strata nor the profile names one, and says when no credentials exist', async () => {
    const home = mkdtempSync(join(tmpdir(), 'strata-aws-home-'));
    try {
      const env = { HOME: home, AWS_CONFIG_FILE: join(home, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'), AWS_EC2_METADATA_DISABLED: 'true' };
      const noRegion = await inChild(failure(`{ home: '/nonexistent', endpoint: ${JSON.stringify(endpoint)} }`, 'describe()'), env);
      expect(noRegion).toMatchObject({ kind: 'Invalid', field: 'region' });
      expect(noRegion.message).toMatch(/--region/);
      const noCredentials = await inChild(failure(`{ home: '/nonexistent', region: 'eu-west-1', profile: 'nosuch', endpoint: ${JSON.stringify(endpoint)} }`, 'listServers()'), env);
      expect(noCredentials.kind).toBe('AuthFailed');
      expect(noCredentials.message).toContain(`no AWS credentials were found for profile "nosuch" in ${join(home, 'config')} or ${join(home, 'credentials')}`);
      expect(noCredentials.message).toContain('`aws configure list-profiles`');
      // None at all, no profile: where the SDK looked and what to run.
      const none = await inChild(failure(`{ home: '/nonexistent', region: 'eu-west-1', endpoint: ${JSON.stringify(endpoint)} }`, 'listServers()'), env);
      expect(none.kind).toBe('AuthFailed');
      expect(none.message).toMatch(/^no AWS credentials were found \(the SDK looked at AWS_ACCESS_KEY_ID, .*\); run `aws configure`, or `aws sso login --profile NAME` and use --profile NAME or AWS_PROFILE\.$/);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('says a region is unknown where the endpoint fails in it, and which region was likely meant', async () => {
    const provider = await createAwsProvider({ home: '/nonexistent', region: 'eu-westt-1', endpoint });
    const error = await expectStrataError(provider.describe(), 'Invalid', 'region');
    expect(error.message).toBe(`${endpoint} fails in "eu-westt-1" (HTTP 500), a region strata does not know. Did you mean eu-west-1? Pass --region with one the endpoint has.`);
    await provider.close();
  });

  it('names an endpoint that does not listen, and where it was set', async () => {
    // A port nothing listens on: a server that was started and closed.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const dead = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((resolve) => closed.close(resolve));
    const provider = await createAwsProvider({ home: '/nonexistent', region: 'eu-west-1', endpoint: dead });
    const error = await expectStrataError(provider.describe(), 'Transient');
    expect(error.message).toBe(`nothing answers at ${dead} (--endpoint): connection refused; start the EC2 endpoint there, or fix the URL.`);
    await provider.close();
  });

  it('tells which aws sso login to run when the SSO session of the profile has expired (the SDK\'s own error)', async () => {
    const home = mkdtempSync(join(tmpdir(), 'strata-aws-home-'));
    try {
      mkdirSync(join(home, '.aws', 'sso', 'cache'), { recursive: true });
      writeFileSync(
        join(home, '.aws', 'config'),
        [
          '[profile dev-sso]',
          'sso_session = corp',
          'sso_account_id = 123456789012',
          'sso_role_name = Admin',
          'region = eu-west-1',
          '',
          '[sso-session corp]',
          'sso_start_url = https://example.awsapps.com/start',
          'sso_region = eu-west-1',
          'sso_registration_scopes = sso:account:access',
          '',
        ].join('\n'),
      );
      // The token cache as `aws sso login` leaves it, expired a day ago.
      const cacheFile = `${createHash('sha1').update('corp').digest('hex')}.json`;
      writeFileSync(
        join(home, '.aws', 'sso', 'cache', cacheFile),
        JSON.stringify({ accessToken: 'expired', expiresAt: new Date(Date.now() - 86_400_000).toISOString(), region: 'eu-west-1', startUrl: 'https://example.awsapps.com/start' }),
      );
      const env = { HOME: home, AWS_CONFIG_FILE: join(home, '.aws', 'config'), AWS_SHARED_CREDENTIALS_FILE: join(home, '.aws', 'credentials'), AWS_EC2_METADATA_DISABLED: 'true' };
      const expired = await inChild(failure(`{ home: '/nonexistent', profile: 'dev-sso', endpoint: ${JSON.stringify(endpoint)} }`, 'listServers()'), env);
      expect(expired.kind).toBe('AuthFailed');
      expect(expired.message).toContain('`aws sso login --profile dev-sso`');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
