// :risk across sources: a vendor template of one name (its own id in each region) is one group, with every
// server on it, wherever it is; other risks stay with their place.
import { describe, expect, it } from 'vitest';
import { fleetRiskReport } from '../../source/core/fleetRisk.js';
import { lookupFrom, riskReport } from '../../source/core/lineage.js';
import type { Image, Server } from '../../source/core/types.js';

const NOW = Date.parse('2026-12-06T00:00:00Z');
const template = (id: string, deleteAt?: string): Image => ({
  id,
  name: 'ubuntu-24.04-amd64-20261101',
  kind: 'vendor',
  owner: 'vendor',
  architecture: 'x86_64',
  state: deleteAt ? 'deprecated' : 'available',
  createdAt: '2026-11-01T00:00:00Z',
  owned: false,
  tags: {},
  ...(deleteAt ? { deprecatedAt: '2026-12-01T00:00:00Z', deleteAt } : {}),
});
const server = (id: string, imageId: string): Server => ({ id, name: id, imageId, productId: 'p', phase: 'ready', phaseSince: '', launchedAt: '', firewallIds: [], tags: {} });

describe('risk across sources', () => {
  it('groups one template across regions, soonest date, every server with its place', () => {
    const eu = template('img-v-eu', '2026-12-20T00:00:00Z');
    const us = template('img-v-us', '2026-12-18T00:00:00Z');
    const places = [
      { where: 'lab/eu-west', groups: riskReport([server('s1', 'img-v-eu'), server('s2', 'img-v-eu')], [], lookupFrom([eu]), NOW) },
      { where: 'prod/us-east', groups: riskReport([server('s3', 'img-v-us')], [], lookupFrom([us]), NOW) },
    ];
    const groups = fleetRiskReport(places, NOW);
    expect(groups).toHaveLength(1);
    expect(groups[0]!.worst).toBe('scheduled-deletion');
    expect(groups[0]!.date).toBe('2026-12-18T00:00:00Z');
    expect(groups[0]!.servers.map((s) => `${s.where}:${s.server.id}`)).toEqual(['lab/eu-west:s1', 'lab/eu-west:s2', 'prod/us-east:s3']);
    expect(groups[0]!.sentence).toBe(
      'Vendor template ubuntu-24.04-amd64-20261101 (in lab/eu-west, prod/us-east) will be deleted on 2026-12-18 (in 12 days): 3 servers run on it directly (lab/eu-west 2, prod/us-east 1).',
    );
  });
});
