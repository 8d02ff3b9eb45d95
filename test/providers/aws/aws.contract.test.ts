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
//   STRATA_AWS_SEED_OWN_IMAGE=1  when the account has no own image (an emulator's fresh one), capture one
//                                first from a server launched from a vendor template (the suite needs one)
//   STRATA_AWS_SKIP_DEPRECATION=1  leave out the deprecation test (moto 5.2 has no EnableImageDeprecation:
//                                  it answers 500 with an HTML page)
//
// Against moto (tried with moto 5.2 and 5.2.3, all 22 tests pass):
//   python3 -m moto.server -p 5399 &
//   AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test STRATA_AWS_ENDPOINT=http://127.0.0.1:5399 \
//   STRATA_AWS_SEED_OWN_IMAGE=1 STRATA_AWS_SKIP_DEPRECATION=1 STRATA_AWS_UP_TIMEOUT_MS=60000 \
//   vitest run test/providers/aws/aws.contract.test.ts
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { ENDPOINT_ENV, createAwsProvider } from '../../../source/providers/aws/index.js';
import type { ProviderService } from '../../../source/providers/provider.js';
import { describeProviderContract, pollUntil } from '../../contract/contract.js';

const endpoint = process.env[ENDPOINT_ENV];

/** An own image for a fresh account: launch from a vendor template, capture, terminate. */
async function seedOwnImage(provider: ProviderService): Promise<void> {
  if ((await provider.listImages({ scope: 'own', pageSize: 5 })).items.length > 0) return;
  const products = await provider.listProducts();
  const { items } = await provider.listImages({ scope: 'vendor', pageSize: 200 });
  const image = items.find((i) => i.state === 'available' && products.some((p) => p.architecture === i.architecture));
  if (!image) throw new Error('No vendor template to seed an own image from.');
  const product = products.filter((p) => p.architecture === image.architecture).sort((a, b) => a.vcpus - b.vcpus || a.memoryMiB - b.memoryMiB)[0];
  const token = `contract-seed-${Date.now()}`;
  const [server] = await provider.launch({ name: 'contract-seed', imageId: image.id, productId: product.id, firewallIds: [], count: 1 }, token);
  await pollUntil(
    async () => (await provider.listServers([server.id]))[0],
    (s) => s !== undefined && ['running', 'initializing', 'ready'].includes(s.phase),
    { timeoutMs: 15 * 60_000, intervalMs: 5_000, what: 'the seed server to run' },
  );
  await provider.captureImage(server.id, { name: `contract-seed-image-${Date.now()}` });
  await provider.terminate(server.id);
}

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
      if (process.env.STRATA_AWS_SEED_OWN_IMAGE === '1') await seedOwnImage(provider);
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
      ...(process.env.STRATA_AWS_SKIP_DEPRECATION === '1' ? { skipDeprecation: 'STRATA_AWS_SKIP_DEPRECATION=1: the endpoint has no EnableImageDeprecation' } : {}),
    },
  );
}
