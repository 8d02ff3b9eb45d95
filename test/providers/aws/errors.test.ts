// SDK errors as strata's typed errors: the table of codes, the SSO advice, and what never reaches a message.
import { afterEach, describe, expect, it } from 'vitest';
import { StrataError, describeError, isRetryable, type ErrorKind } from '../../../source/core/errors.js';
import { mapAwsError, scrubProviderMessage } from '../../../source/providers/aws/errors.js';
import { ec2Error } from './recorded.js';

const ctx = { action: 'DescribeImages', doing: 'listing images', region: 'eu-west-1' };

describe('mapAwsError: the table of EC2 codes', () => {
  const table: Array<[string, ErrorKind]> = [
    ['RequestLimitExceeded', 'Throttled'],
    ['Throttling', 'Throttled'],
    ['ThrottlingException', 'Throttled'],
    ['UnauthorizedOperation', 'AuthFailed'],
    ['AuthFailure', 'AuthFailed'],
    ['InvalidClientTokenId', 'AuthFailed'],
    ['ExpiredToken', 'AuthFailed'],
    ['InvalidAMIID.NotFound', 'NotFound'],
    ['InvalidAMIID.Malformed', 'NotFound'],
    ['InvalidAMIID.Unavailable', 'NotFound'],
    ['InvalidInstanceID.NotFound', 'NotFound'],
    ['InvalidInstanceID.Malformed', 'NotFound'],
    ['InvalidKeyPair.NotFound', 'NotFound'],
    ['InvalidGroup.NotFound', 'NotFound'],
    ['InvalidParameterValue', 'Invalid'],
    ['InvalidParameterCombination', 'Invalid'],
    ['MissingParameter', 'Invalid'],
    ['IdempotentParameterMismatch', 'Conflict'],
    ['InvalidKeyPair.Duplicate', 'Conflict'],
    ['InvalidGroup.Duplicate', 'Conflict'],
    ['InsufficientInstanceCapacity', 'Transient'],
    ['UnsupportedOperation', 'Unsupported'],
  ];
  it.each(table)('%s → %s', (code, kind) => {
    const error = mapAwsError(ec2Error(code), ctx);
    expect(error).toBeInstanceOf(StrataError);
    expect(error.kind).toBe(kind);
    expect(error.message.length).toBeGreaterThan(10);
    expect(error.detail).toContain(code);
    expect(error.detail).toContain('ec2:DescribeImages');
  });

  it('makes throttling and 5xx retryable, and nothing it calls Invalid', () => {
    expect(isRetryable(mapAwsError(ec2Error('RequestLimitExceeded'), ctx))).toBe(true);
    expect(isRetryable(mapAwsError(ec2Error('InternalError', 'We encountered an internal error', 500), ctx))).toBe(true);
    expect(isRetryable(mapAwsError(ec2Error('SomethingNew', 'x', 503), ctx))).toBe(true);
    expect(isRetryable(mapAwsError(ec2Error('InvalidParameterValue'), ctx))).toBe(false);
    expect(mapAwsError(ec2Error('SomethingNew', 'x', 503), ctx).kind).toBe('Transient');
    expect(mapAwsError(ec2Error('SomethingNew', 'x', 400), ctx).kind).toBe('Invalid');
  });

  it('says HTTP 429 is throttling whatever the code', () => {
    expect(mapAwsError(ec2Error('TooManyRequests', 'slow down', 429), ctx).kind).toBe('Throttled');
  });

  it('treats network failures below the SDK as Transient', () => {
    for (const code of ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN']) {
      const error = Object.assign(new Error(`connect ${code} 10.0.0.1:443`), { code });
      const mapped = mapAwsError(error, ctx);
      expect(mapped.kind).toBe('Transient');
      expect(mapped.message).toContain(code);
    }
    expect(mapAwsError(Object.assign(new Error('Socket timed out'), { name: 'TimeoutError' }), ctx).kind).toBe('Transient');
  });

  it('names the refused action in AuthFailed messages', () => {
    const error = mapAwsError(ec2Error('UnauthorizedOperation', 'You are not authorized to perform this operation. Encoded authorization failure message: ' + 'A'.repeat(400)), {
      action: 'RunInstances',
      profile: 'prod',
    });
    expect(error.kind).toBe('AuthFailed');
    expect(error.message).toContain('ec2:RunInstances');
    expect(error.message).toContain('"prod"');
    // The encoded authorization message is neither in the message nor whole in the detail.
    expect(error.message).not.toContain('AAAA');
    expect(error.detail).not.toContain('A'.repeat(40));
    expect(describeError(error, 'Launching')).toMatch(/^Launching failed: the credentials of profile "prod" are not allowed to call ec2:RunInstances; ask for that permission/);
  });

  it('turns fields of the call into Invalid with the field (a launch from a missing image)', () => {
    const error = mapAwsError(ec2Error('InvalidAMIID.NotFound'), { action: 'RunInstances', fields: { 'InvalidAMIID.': 'imageId' } });
    expect(error.kind).toBe('Invalid');
    expect(error.field).toBe('imageId');
    const key = mapAwsError(ec2Error('InvalidKey.Format'), { action: 'ImportKeyPair', fields: { 'InvalidKey.Format': 'publicKey' } });
    expect(key.kind).toBe('Invalid');
    expect(key.field).toBe('publicKey');
  });

  it('says a reused client token with another request is a Conflict, in words', () => {
    const error = mapAwsError(ec2Error('IdempotentParameterMismatch'), { action: 'RunInstances', doing: 'launching web' });
    expect(error.kind).toBe('Conflict');
    expect(error.message).toMatch(/client token was already used/);
  });

  it('passes a StrataError through unchanged', () => {
    const original = new StrataError('NotFound', 'Image ami-1 does not exist.');
    expect(mapAwsError(original, ctx)).toBe(original);
  });
});

describe('mapAwsError: credentials that never reached AWS', () => {
  it('tells which aws sso login to run when the SSO session expired (the SDK message)', () => {
    const sdk = Object.assign(
      new Error('The SSO session associated with this profile has expired. To refresh this SSO session run aws sso login with the corresponding profile.'),
      { name: 'TokenProviderError' },
    );
    const error = mapAwsError(sdk, { action: 'DescribeInstances', profile: 'dev-admin' });
    expect(error.kind).toBe('AuthFailed');
    expect(error.message).toContain('`aws sso login --profile dev-admin`');
  });

  it('takes the profile from the SDK message when strata was given none', () => {
    const sdk = Object.assign(
      new Error('The SSO session token associated with profile=team-sso was not found or is invalid. To refresh this SSO session run aws sso login with the corresponding profile.'),
      { name: 'CredentialsProviderError' },
    );
    expect(mapAwsError(sdk, { action: 'DescribeImages' }).message).toContain('aws sso login --profile team-sso');
  });

  it('says how to set up credentials when the default chain found none', () => {
    const sdk = Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
    const error = mapAwsError(sdk, { action: 'DescribeImages' });
    expect(error.kind).toBe('AuthFailed');
    expect(error.message).toMatch(/--profile|AWS_PROFILE/);
  });
});

// What the SDK (3.1169) throws, as seen in this project: no credentials anywhere, a region EC2 does not
// have, an endpoint that does not listen, an EC2-compatible endpoint (moto) failing in an unknown region.
const noCredentials = () => Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError', tryNextLink: false });
const networkError = (message: string, fields: Record<string, unknown>) => Object.assign(new Error(message), { ...fields, $metadata: { attempts: 1, totalRetryDelay: 0 } });
const unknownHost = networkError('getaddrinfo ENOTFOUND ec2.eu-westt-1.amazonaws.com', { code: 'ENOTFOUND', errno: -3008, syscall: 'getaddrinfo', hostname: 'ec2.eu-westt-1.amazonaws.com' });
const refused = networkError('connect ECONNREFUSED 127.0.0.1:5399', { code: 'ECONNREFUSED', errno: -111, syscall: 'connect', address: '127.0.0.1', port: 5399 });
const emulator500 = Object.assign(new Error('@aws-sdk XML parse error: mismatched tags <html> and </title>.'), { $metadata: { httpStatusCode: 500, attempts: 1, totalRetryDelay: 0 } });
const endpoint = { url: 'http://127.0.0.1:5399', from: 'STRATA_AWS_ENDPOINT' };

/** Two or three lines at 80 columns, after the "… failed: " the UI puts before it. */
function fitsThreeLines(error: StrataError): void {
  expect(describeError(error, 'Listing images').length).toBeLessThanOrEqual(240);
}

describe('mapAwsError: sentences that say what is wrong and what to do', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('no credentials at all: says none were found, where the SDK looked, and what to run', () => {
    delete process.env.AWS_PROFILE;
    delete process.env.AWS_CONFIG_FILE;
    delete process.env.AWS_SHARED_CREDENTIALS_FILE;
    const error = mapAwsError(noCredentials(), { action: 'DescribeRegions', region: 'eu-west-1' });
    expect(error.kind).toBe('AuthFailed');
    expect(error.message).toBe(
      'no AWS credentials were found (the SDK looked at AWS_ACCESS_KEY_ID, ~/.aws/credentials, ~/.aws/config, SSO, instance role); run `aws configure`, or `aws sso login --profile NAME` and use --profile NAME or AWS_PROFILE.',
    );
    // Nothing was refused: nothing reached AWS.
    expect(describeError(error, 'Listing images')).not.toMatch(/refused/);
    fitsThreeLines(error);
  });

  it('no credentials for the profile asked for: names it, the files, and how to list the profiles there are', () => {
    process.env.AWS_CONFIG_FILE = '/etc/aws/config';
    delete process.env.AWS_SHARED_CREDENTIALS_FILE;
    const error = mapAwsError(noCredentials(), { action: 'DescribeRegions', profile: 'prdo' });
    expect(error.message).toBe(
      'no AWS credentials were found for profile "prdo" in /etc/aws/config or ~/.aws/credentials; see `aws configure list-profiles`, or run `aws configure --profile prdo` (or `aws sso login --profile prdo`).',
    );
    fitsThreeLines(error);
    delete process.env.AWS_CONFIG_FILE;
    process.env.AWS_PROFILE = 'from-env';
    expect(mapAwsError(noCredentials(), { action: 'DescribeRegions' }).message).toContain('profile "from-env"');
  });

  it('an unknown region: says EC2 has no such region, the likely one, and how to list them (not "retry")', () => {
    const error = mapAwsError(unknownHost, { action: 'DescribeRegions', region: 'eu-westt-1' });
    expect(error.kind).toBe('Invalid');
    expect(error.field).toBe('region');
    expect(error.message).toBe(
      'EC2 has no region "eu-westt-1": ec2.eu-westt-1.amazonaws.com does not resolve. Did you mean eu-west-1? Pass --region with a real one; `aws ec2 describe-regions --output table` lists them.',
    );
    expect(isRetryable(error)).toBe(false);
    fitsThreeLines(error);
    // A region name the SDK refuses outright.
    const syntax = mapAwsError(new Error('Region not accepted: region="eu west" is not a valid hostname component.'), { action: 'DescribeRegions', region: 'eu west' });
    expect(syntax).toMatchObject({ kind: 'Invalid', field: 'region' });
    expect(syntax.message).toMatch(/^"eu west" is not a region name \(e\.g\. eu-west-1\); pass --region/);
  });

  it('an unknown region at an EC2-compatible endpoint that fails there (moto answers HTTP 500)', () => {
    const error = mapAwsError(emulator500, { action: 'DescribeRegions', region: 'eu-westt-1', endpoint });
    expect(error).toMatchObject({ kind: 'Invalid', field: 'region' });
    expect(error.message).toBe('http://127.0.0.1:5399 fails in "eu-westt-1" (HTTP 500), a region strata does not know. Did you mean eu-west-1? Pass --region with one the endpoint has.');
    fitsThreeLines(error);
    // In a region strata knows, a 500 is the endpoint's trouble, and retryable.
    expect(mapAwsError(emulator500, { action: 'DescribeRegions', region: 'eu-west-1', endpoint }).kind).toBe('Transient');
  });

  it('a known region whose endpoint does not resolve: the network, not the region', () => {
    const offline = networkError('getaddrinfo ENOTFOUND ec2.eu-west-1.amazonaws.com', { code: 'ENOTFOUND', hostname: 'ec2.eu-west-1.amazonaws.com' });
    const error = mapAwsError(offline, { action: 'DescribeRegions', region: 'eu-west-1' });
    expect(error.kind).toBe('Transient');
    expect(error.message).toBe('ec2.eu-west-1.amazonaws.com does not resolve (ENOTFOUND): is this machine online, and its DNS working? It can be retried.');
  });

  it('an endpoint that does not listen: names the URL, where it was set, and that the connection was refused', () => {
    const error = mapAwsError(refused, { action: 'DescribeRegions', region: 'eu-west-1', endpoint });
    expect(error.kind).toBe('Transient');
    expect(error.message).toBe('nothing answers at http://127.0.0.1:5399 (STRATA_AWS_ENDPOINT): connection refused; start the EC2 endpoint there, or fix the URL.');
    fitsThreeLines(error);
    const typo = networkError('getaddrinfo ENOTFOUND ec2.local.invalid', { code: 'ENOTFOUND', hostname: 'ec2.local.invalid' });
    expect(mapAwsError(typo, { action: 'DescribeRegions', region: 'eu-west-1', endpoint: { url: 'https://admin:s3cret@ec2.local.invalid:8443/', from: '--endpoint' } })).toMatchObject({
      kind: 'Invalid',
      field: 'endpoint',
      message: 'the host of https://ec2.local.invalid:8443 (--endpoint) does not resolve (ENOTFOUND); fix the URL.',
    });
  });
});

describe('what never reaches a message', () => {
  it('keeps request and response text (tag values, key material, user data) out of the message', () => {
    const secretish = "Value (ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHk2aW5zaWRlLXRoZS1rZXktbWF0ZXJpYWwtaGVyZQ== me@host) for parameter publicKeyMaterial is invalid. Tag value 'cc-secret-9' too";
    for (const code of ['InvalidParameterValue', 'InvalidKey.Format', 'SomethingNew', 'InternalError']) {
      const error = mapAwsError(ec2Error(code, secretish, code === 'InternalError' ? 500 : 400), { action: 'ImportKeyPair' });
      expect(error.message).not.toContain('AAAAC3');
      expect(error.message).not.toContain('cc-secret-9');
      expect(error.message).not.toContain('publicKeyMaterial');
      expect(error.detail).not.toContain('AAAAC3NzaC1lZDI1NTE5AAAAIHk2aW5zaWRl');
      expect(error.cause).toBeUndefined();
    }
  });

  it('scrubs control characters and long opaque runs from the provider message kept in detail', () => {
    expect(scrubProviderMessage('bad\u001b[31m value\nnext ' + 'x'.repeat(50))).toBe('bad [31m value next […]');
    expect(scrubProviderMessage('y'.repeat(1000)).length).toBeLessThanOrEqual(300);
  });
});
