// The seeded part of the sandbox world, written to its database once, when the world is created: each
// region's own images (the account's history: golden images, app builds, a few still pending or failed,
// many captured from vendor templates that may since have been deprecated or deleted), its firewalls and
// a shared keypair. The same seed gives the same world; dates are relative to the world's epoch.
import type { Architecture, FirewallRule } from '../../core/types.js';
import { hexHash, rngFor, type Rng } from '../../core/random.js';
import { NAME_TAG } from '../../core/tags.js';
import type { SandboxRegion } from './profiles.js';
import { latestBuild, vendorImageId, VENDOR_FAMILIES, type VendorFamily } from './vendor.js';
import { ed25519FromSeed, fingerprintOf, publicBlobOf } from './keys.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * Every region holds one own image whose name carries terminal escape sequences (an OSC that retitles the
 * window, a CSI that clears the screen): a real cloud stores any string, and strata must sanitise it.
 */
export const HOSTILE_IMAGE_NAME = 'evil\u001b]0;pwned\u0007-image\u001b[2J';
const HOSTILE_DESCRIPTION = 'Imported by a script \u001b[31min red\u001b[0m\nwith a second line';

export interface SeedImage {
  id: string;
  name: string;
  description: string;
  architecture: Architecture;
  platform: 'linux' | 'windows';
  sizeGiB: number;
  createdMs: number;
  availableMs: number | null;
  failedReason: string | null;
  sourceImageId: string | null;
  tags: Record<string, string>;
}

const APPS = [
  'web-frontend', 'api-gateway', 'payments-api', 'billing-worker', 'search-indexer', 'postgres-primary',
  'redis-cache', 'kafka-broker', 'jenkins-agent', 'gitlab-runner', 'vpn-gateway', 'bastion', 'nginx-edge',
  'grafana', 'prometheus', 'etl-worker', 'ml-inference', 'auth-service', 'mail-relay', 'legacy-erp',
];
const DISPLAY = [
  'Web frontend', 'API gateway', 'Payments API', 'Billing worker', 'Search indexer', 'Postgres primary',
  'Redis cache', 'Kafka broker', 'Jenkins agent', 'GitLab runner', 'VPN gateway', 'Bastion host', 'Edge proxy',
  'Grafana', 'Prometheus', 'ETL worker', 'ML inference', 'Auth service', 'Mail relay', 'Legacy ERP',
];
const TEAMS = ['payments', 'platform', 'data', 'search', 'identity', 'edge', 'ml'];
const ENVS = ['prod', 'staging', 'dev', 'qa'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const FAILURES = [
  'Snapshot of the root volume failed: the volume was detached while the image was being captured.',
  'The image could not be registered: the source server was terminated during capture.',
];

const iso = (ms: number) => new Date(ms).toISOString();
const dashed = (ms: number) => iso(ms).slice(0, 10);
const compact = (ms: number) => dashed(ms).replaceAll('-', '');

function linuxFamily(rng: Rng, arch: Architecture): VendorFamily {
  return rng.pick(VENDOR_FAMILIES.filter((f) => f.platform === 'linux' && f.architectures.includes(arch)));
}

/** A name in the style the region's users would give it (slugs only where the plain rules apply). */
function ownName(rng: Rng, plain: boolean, family: VendorFamily, arch: Architecture, createdMs: number): string {
  const app = rng.pick(APPS);
  const archWord = arch === 'x86_64' ? 'amd64' : 'arm64';
  if (plain) {
    switch (rng.int(0, 4)) {
      case 0:
        return `${app}-${compact(createdMs)}`;
      case 1:
        return `golden-${family.id.replaceAll('.', '-')}-${compact(createdMs)}`;
      case 2:
        return `ci-runner-${archWord}-v${rng.int(10, 90)}`;
      case 3:
        return `k8s-node-1-${rng.int(26, 32)}-${compact(createdMs)}`;
      default:
        return `${app}-v${rng.int(1, 9)}-${rng.int(0, 30)}`;
    }
  }
  const date = new Date(createdMs);
  switch (rng.int(0, 7)) {
    case 0:
      return `${app}-${dashed(createdMs)}`;
    case 1:
      return `golden-${family.id}-${compact(createdMs)}`;
    case 2:
      return `${rng.pick(TEAMS)}/${app} v${rng.int(1, 9)}.${rng.int(0, 20)}`;
    case 3:
      return `base ${family.id} hardened (${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()})`;
    case 4:
      return `ci-runner-${archWord}-v${rng.int(10, 90)}`;
    case 5:
      return `k8s-node-1.${rng.int(26, 32)}-${archWord}-${compact(createdMs)}`;
    case 6:
      return `${app.replaceAll('-', '_')}_release_${rng.int(1, 9)}.${rng.int(0, 20)}.${rng.int(0, 9)}`;
    default:
      return `[${rng.pick(ENVS)}] ${app} @ ${dashed(createdMs)}`;
  }
}

export function seedOwnImages(seed: number, region: SandboxRegion, epochMs: number): SeedImage[] {
  const rng = rngFor(seed, 'own-images', region.id);
  const plain = region.profile === 'plain';
  const count = rng.int(30, 60);
  const pendingAt = new Set([rng.int(0, count - 1), rng.int(0, count - 1)]);
  const failedAt = new Set([rng.int(0, count - 1), rng.int(0, count - 1)]);
  const hostileAt = rng.int(0, count - 1);
  const names = new Set<string>();
  const images: SeedImage[] = [];

  for (let i = 0; i < count; i++) {
    const id = 'img-' + hexHash(17, seed, region.id, 'own', i);
    const windows = rng.chance(0.06);
    const arch: Architecture = windows || rng.chance(0.75) ? 'x86_64' : 'arm64';
    const family = windows ? VENDOR_FAMILIES.find((f) => f.platform === 'windows')! : linuxFamily(rng, arch);
    let createdMs = epochMs - rng.int(1, 540) * DAY - rng.int(0, 23) * HOUR - rng.int(0, 59) * MINUTE;
    let availableMs: number | null = createdMs + rng.int(3, 12) * MINUTE;
    let failedReason: string | null = null;
    if (pendingAt.has(i)) {
      // Captured just before the world began, still being registered for a while.
      createdMs = epochMs - rng.int(2, 20) * MINUTE;
      availableMs = epochMs + rng.int(10, 240) * MINUTE;
    } else if (failedAt.has(i)) {
      availableMs = null;
      failedReason = rng.pick(FAILURES);
    }

    let name = i === hostileAt ? HOSTILE_IMAGE_NAME : windows ? (plain ? `win2022-iis-${compact(createdMs)}` : `Win2022 IIS base ${dashed(createdMs)}`) : ownName(rng, plain, family, arch, createdMs);
    const base = name;
    for (let n = 2; names.has(name); n++) name = `${base}-${n}`;
    names.add(name);

    // Lineage: most images were captured from the vendor template of their day (which may be long gone),
    // some from an earlier own image, a few were imported from elsewhere.
    let sourceImageId: string | null = null;
    const lineage = rng.next();
    if (lineage < 0.55) {
      sourceImageId = vendorImageId(seed, region.id, family.id, arch, latestBuild(seed, family.id, createdMs) - rng.int(0, 1));
    } else if (lineage < 0.75) {
      const earlier = images.filter((im) => im.architecture === arch && im.createdMs < createdMs && !im.failedReason);
      if (earlier.length > 0) sourceImageId = rng.pick(earlier).id;
    }

    const tags: Record<string, string> = {};
    if (!plain && i !== hostileAt) {
      if (rng.chance(0.35)) tags[NAME_TAG] = `${rng.pick(DISPLAY)}${rng.chance(0.5) ? ` (${rng.pick(ENVS)})` : ''}`;
      if (rng.chance(0.3)) tags.team = rng.pick(TEAMS);
      if (rng.chance(0.25)) tags.env = rng.pick(ENVS);
    }

    images.push({
      id,
      name,
      description: i === hostileAt ? HOSTILE_DESCRIPTION : `${family.title} based image, built ${dashed(createdMs)}`,
      architecture: arch,
      platform: family.platform,
      sizeGiB: Math.max(family.sizeGiB, rng.pick([8, 10, 16, 20, 30, 50, 100])),
      createdMs,
      availableMs,
      failedReason,
      sourceImageId,
      tags,
    });
  }
  return images;
}

export interface SeedFirewall {
  id: string;
  name: string;
  description: string;
  rules: FirewallRule[];
}

export function seedFirewalls(seed: number, region: SandboxRegion): SeedFirewall[] {
  const out: SeedFirewall[] = [
    {
      id: 'sg-' + hexHash(17, seed, region.id, 'firewall', 'default'),
      name: 'default',
      description: 'Default firewall: SSH from anywhere',
      rules: [{ protocol: 'tcp', fromPort: 22, toPort: 22, source: '0.0.0.0/0' }],
    },
  ];
  if (region.profile === 'rich') {
    out.push({
      id: 'sg-' + hexHash(17, seed, region.id, 'firewall', 'web'),
      name: 'web',
      description: 'HTTP and HTTPS from anywhere',
      rules: [
        { protocol: 'tcp', fromPort: 80, toPort: 80, source: '0.0.0.0/0' },
        { protocol: 'tcp', fromPort: 443, toPort: 443, source: '0.0.0.0/0' },
        { protocol: 'tcp', fromPort: 443, toPort: 443, source: '::/0' },
      ],
    });
  }
  return out;
}

export interface SeedKeypair {
  id: string;
  name: string;
  type: string;
  publicKey: string;
  fingerprint: string;
}

/** A keypair the team imported long ago (its private half exists nowhere in the sandbox). */
export function seedKeypairs(seed: number, region: SandboxRegion): SeedKeypair[] {
  const key = ed25519FromSeed(Buffer.from(hexHash(64, seed, 'team-key'), 'hex'));
  const { type, blob } = publicBlobOf(key);
  return [
    {
      id: 'key-' + hexHash(17, seed, region.id, 'keypair', 'ops-shared'),
      name: 'ops-shared',
      type,
      publicKey: `${type} ${blob.toString('base64')} ops@example.org`,
      fingerprint: fingerprintOf(blob),
    },
  ];
}
