// Image families across regions: a copy is the same version wherever it is; versions are a family by
// lineage, then by name without its date or version; the versions come oldest first, each with where it
// runs.
import { describe, expect, it } from 'vitest';
import { familyName, imageFamilies, type FamilyImage, type FamilyServer } from '../../source/core/families.js';

const img = (where: string, id: string, name: string, createdAt: string, extra: Partial<FamilyImage> = {}): FamilyImage => ({
  account: 'sandbox',
  where,
  region: where.split('/')[1]!,
  id,
  name,
  createdAt,
  ...extra,
});
const srv = (where: string, imageId: string, phase = 'ready'): FamilyServer => ({ account: 'sandbox', where, region: where.split('/')[1]!, imageId, phase });

describe('image families', () => {
  it('takes the date or version off a name', () => {
    expect(familyName('payments-api-2026-01-03')).toBe('payments-api');
    expect(familyName('payments-api v1.2')).toBe('payments-api');
    expect(familyName('payments-api-20260103')).toBe('payments-api');
    expect(familyName('[prod] payments-api @ 2026-01-03')).toBe('prod-payments-api');
    // Words joined by hyphens, whatever separated them: one family.
    expect(familyName('api gateway')).toBe('api-gateway');
    expect(familyName('API_Gateway 2.1')).toBe('api-gateway');
    expect(familyName('api-gateway-v7-4')).toBe('api-gateway');
    expect(familyName('base debian-12 hardened (Jan 2026)')).toBe('base-debian-12-hardened');
    expect(familyName('golden-ubuntu-24.04-20260101')).toBe('golden-ubuntu');
    expect(familyName('2026')).toBe('2026');
  });

  it('shows which regions run which version, oldest first; a copy is the same version', () => {
    const images = [
      img('lab/eu-west', 'img-1', 'payments-api-2026-01-03', '2026-01-03T00:00:00Z'),
      img('lab/us-east', 'img-9', 'payments-api-2026-01-03', '2026-02-01T00:00:00Z', { copiedFrom: { region: 'eu-west', imageId: 'img-1' } }),
      img('lab/eu-west', 'img-2', 'payments-api-2026-03-01', '2026-03-01T00:00:00Z'),
      img('lab/eu-west', 'img-3', 'grafana-2025-12-01', '2025-12-01T00:00:00Z'),
    ];
    const servers = [srv('lab/eu-west', 'img-2'), srv('lab/eu-west', 'img-2'), srv('lab/us-east', 'img-9'), srv('lab/us-east', 'img-9', 'terminated')];
    const [payments, grafana] = imageFamilies(images, servers);
    expect(payments!.name).toBe('payments-api');
    expect(payments!.servers).toBe(3);
    expect(payments!.versions.map((v) => [v.origin.id, v.places.map((p) => [p.where, p.servers])])).toEqual([
      ['img-1', [['lab/eu-west', 0], ['lab/us-east', 1]]],
      ['img-2', [['lab/eu-west', 2]]],
    ]);
    expect(grafana!.versions).toHaveLength(1);
  });

  it('a copy is its original\'s version whatever it is called; the same name elsewhere is the same version; never a copy across accounts', () => {
    const images = [
      img('a/eu-west', 'img-1', 'base-2026-01-01', '2026-01-01T00:00:00Z'),
      img('a/us-east', 'img-7', 'renamed-copy', '2026-01-05T00:00:00Z', { copiedFrom: { region: 'eu-west', imageId: 'img-1' } }),
      img('b/ap-south', 'img-3', 'base-2026-01-01', '2026-01-02T00:00:00Z'),
      // captured from a server of base: another thing, not base's next version
      img('a/eu-west', 'img-2', 'web-tier-2026-02-01', '2026-02-01T00:00:00Z', { sourceImageId: 'img-1' }),
      // another account's image of the same id as a's original: no copy of it
      { ...img('c/us-east', 'img-8', 'other-2026-01-01', '2026-01-01T00:00:00Z', { copiedFrom: { region: 'eu-west', imageId: 'img-1' } }), account: 'sandbox@home=/c' },
    ];
    const families = imageFamilies(images, []);
    expect(families.map((f) => [f.name, f.versions.map((v) => v.places.map((p) => `${p.where}:${p.image.id}`))])).toEqual([
      ['base', [['a/eu-west:img-1', 'a/us-east:img-7', 'b/ap-south:img-3']]],
      ['other', [['c/us-east:img-8']]],
      ['web-tier', [['a/eu-west:img-2']]],
    ]);
  });
});
