// SDK errors as strata's typed errors: the table of codes, the SSO advice, and what never reaches a message.
import { describe, expect, it } from 'vitest';
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
    expect(describeError(error, 'Launching')).toMatch(/^Launching failed: the provider refused the credentials: /);
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
