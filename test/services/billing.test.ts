// Groups and billing codes on every provider, and hard quotas, against the real sandbox and store.
import { describe, expect, it } from 'vitest';
import { BILLING_TAG, GROUP_TAG } from '../../source/core/tags.js';
import type { Server } from '../../source/core/types.js';
import { Billing, billingCodeOf, groupOf, monthlyCost } from '../../source/services/billing.js';
import type { StrataConfig } from '../../source/services/config.js';
import type { ServerRecord } from '../../source/store/launches.js';
import { basicRequest, openWorld, type World } from './launcher.fixture.js';

function billingFor(world: World, config: StrataConfig): Billing {
  return new Billing({
    provider: world.provider,
    description: world.description,
    store: world.store,
    providerId: 'sandbox',
    region: world.description.region,
    config,
    retry: { attempts: 40, baseDelayMs: 1 },
  });
}

const CONFIG: StrataConfig = {
  billingCodes: { 'ops-42': { maxServers: 4, maxMonthlyCost: 100, currency: 'EUR' }, research: {} },
  groups: ['web', 'batch'],
  trustedVendorOwners: [],
};

describe('groups and billing codes', () => {
  it('known: from the config file, from launches before, and from the servers, each with where it came from', async () => {
    const world = await openWorld({ config: CONFIG });
    const request = basicRequest(world, { group: 'web', billingCode: 'new-code' });
    const review = await world.launcher.review(request);
    await world.launcher.launch(request, { clientToken: review.clientToken });
    // a teammate's launch (another strata, straight at the provider): its tags are seen on the server
    await world.provider.launch({ ...review.spec, name: 'theirs', group: 'analytics', billingCode: 'team-9' }, 'teammate-token');

    const known = await billingFor(world, CONFIG).known();
    expect(known.groups).toEqual([
      { name: 'analytics', sources: ['server'] },
      { name: 'batch', sources: ['config'] },
      { name: 'web', sources: ['config', 'used', 'server'] },
    ]);
    expect(known.billingCodes).toEqual([
      { name: 'new-code', sources: ['used', 'server'] },
      { name: 'ops-42', sources: ['config'], quota: { maxServers: 4, maxMonthlyCost: 100, currency: 'EUR' } },
      { name: 'research', sources: ['config'] },
      { name: 'team-9', sources: ['server'] },
    ]);
  });

  it('a server’s code and group: the provider’s field, else its tag, else the local store', () => {
    const base: Server = {
      id: 'srv-1',
      name: 'a',
      imageId: 'img',
      productId: 'p',
      phase: 'running',
      phaseSince: '2026-01-01T00:00:00Z',
      launchedAt: '2026-01-01T00:00:00Z',
      firewallIds: [],
      tags: {},
    };
    const local = new Map<string, ServerRecord>([['srv-1', { serverId: 'srv-1', clientToken: 't', productId: 'p', group: 'g-local', billingCode: 'c-local' }]]);
    expect(billingCodeOf(base, local)).toBe('c-local');
    expect(groupOf(base, local)).toBe('g-local');
    const tagged = { ...base, tags: { [BILLING_TAG]: 'c-tag', [GROUP_TAG]: 'g-tag' } };
    expect(billingCodeOf(tagged, local)).toBe('c-tag');
    expect(groupOf(tagged, local)).toBe('g-tag');
    expect(billingCodeOf({ ...tagged, billingCode: 'c-field' }, local)).toBe('c-field');
    expect(billingCodeOf(base)).toBeUndefined();
  });

  it('quota: counts the code’s servers that are not terminated and their monthly cost (hourly x 730)', async () => {
    const world = await openWorld({ config: CONFIG });
    const billing = billingFor(world, CONFIG);
    expect(await billing.check({ billingCode: 'research', count: 50, productId: 'sb.4xlarge' })).toEqual({ problems: [] });
    expect(await billing.check({ count: 50, productId: 'sb.small' })).toEqual({ problems: [] });

    const request = basicRequest(world, { count: 3, billingCode: 'ops-42', productId: 'sb.medium' });
    const review = await world.launcher.review(request);
    expect(review.quota).toEqual({
      code: 'ops-42',
      servers: { current: 0, adding: 3, max: 4 },
      monthlyCost: { current: 0, adding: monthlyCost(0.0416, 3), max: 100, currency: 'EUR' },
    });
    expect(monthlyCost(0.0416, 3)).toBe(91.1);
    const outcome = await world.launcher.launch(request, { clientToken: review.clientToken });

    const check = await billing.check({ billingCode: 'ops-42', count: 2, productId: 'sb.nano' });
    expect(check.quota).toEqual({
      code: 'ops-42',
      servers: { current: 3, adding: 2, max: 4 },
      monthlyCost: { current: 91.1, adding: 7.59, max: 100, currency: 'EUR' },
    });
    expect(check.problems).toEqual([{ field: 'billingCode', message: 'Billing code ops-42 allows 4 servers; 3 are running and this launch adds 2 (5).' }]);

    await world.provider.terminate(outcome.servers[0]!.id);
    const after = await billing.check({ billingCode: 'ops-42', count: 1, productId: 'sb.large' });
    expect(after.quota!.servers).toEqual({ current: 2, adding: 1, max: 4 });
    expect(after.problems).toEqual([
      { field: 'billingCode', message: 'Billing code ops-42 allows 100.00 EUR a month; its servers cost 60.74 EUR and this launch adds 60.74 EUR (121.48 EUR).' },
    ]);
  });

  it('ap-south (no tags): the quota counts from the local store all the same', async () => {
    const config: StrataConfig = { billingCodes: { 'ops-42': { maxServers: 2 } }, groups: [], trustedVendorOwners: [] };
    const world = await openWorld({ region: 'ap-south', config });
    const request = basicRequest(world, { count: 2, billingCode: 'ops-42' });
    const review = await world.launcher.review(request);
    await world.launcher.launch(request, { clientToken: review.clientToken });
    const [server] = await world.provider.listServers();
    expect(server!.tags).toEqual({});
    const next = await world.launcher.review(basicRequest(world, { name: 'more', billingCode: 'ops-42' }));
    expect(next.problems).toEqual([{ field: 'billingCode', message: 'Billing code ops-42 allows 2 servers; 2 are running and this launch adds 1 (3).' }]);
  });
});
