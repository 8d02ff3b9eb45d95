// The provider contract against the aws provider, through the real SDK, at the EC2 endpoint named by
// STRATA_AWS_ENDPOINT (an EC2-compatible emulator, or https://ec2.<region>.amazonaws.com for real EC2 —
// which costs money and needs an own image in the account). Without that variable nothing here touches
// the network: the suite is skipped, and says so.
//
//   STRATA_AWS_ENDPOINT   the endpoint (required to run)
//   STRATA_AWS_REGION     the region (else AWS_REGION, else us-east-1)
//   STRATA_AWS_PROFILE    a profile of ~/.aws (else the SDK's default chain: AWS_ACCESS_KEY_ID, …)
//   STRATA_AWS_SKIP_LAUNCH=1   leave out the tests that start servers
//   STRATA_AWS_UP_TIMEOUT_MS   how long servers may take to come up (default 15 minutes)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { ENDPOINT_ENV, createAwsProvider } from '../../../source/providers/aws/index.js';
import { describeProviderContract } from '../../contract/contract.js';

const endpoint = process.env[ENDPOINT_ENV];

if (!endpoint) {
  console.log(`aws contract: skipped, ${ENDPOINT_ENV} is not set`);
  describe.skip('provider contract: aws', () => {
    it(`runs only when ${ENDPOINT_ENV} is set`, () => undefined);
  });
} else {
  const region = process.env.STRATA_AWS_REGION ?? process.env.AWS_REGION ?? 'us-east-1';
  const profile = process.env.STRATA_AWS_PROFILE;
  describeProviderContract(
    `aws ${region} at ${endpoint}`,
    async () => {
      const home = mkdtempSync(join(tmpdir(), 'strata-aws-contract-'));
      const provider = await createAwsProvider({ home, region, endpoint, ...(profile ? { profile } : {}) });
      return {
        provider,
        cleanup: async () => {
          await provider.close();
          rmSync(home, { recursive: true, force: true });
        },
      };
    },
    {
      upTimeoutMs: Number(process.env.STRATA_AWS_UP_TIMEOUT_MS ?? 15 * 60_000),
      pollMs: 5_000,
      missingImageId: 'ami-0000000000000c0de',
      missingServerId: 'i-0000000000000c0de',
      skipLaunch: process.env.STRATA_AWS_SKIP_LAUNCH === '1',
    },
  );
}
