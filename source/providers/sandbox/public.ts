// The public catalogue: 100,000 images per region, generated procedurally from (seed, region, index).
// Nothing is stored. An image is generated from its index when a page asks for it; for search, the
// catalogue keeps its names lower-cased in one string with an offset table (a few megabytes, not 100,000
// objects), built on the first search, a slice at a time.
import type { Architecture, Image } from '../../core/types.js';
import { hashParts, hexHash, rngAt, type Rng } from '../../core/random.js';

export const PUBLIC_CATALOGUE_SIZE = 100_000;
export const PUBLIC_ID_PREFIX = 'img-p-';

const DAY = 86_400_000;
/** Public images are dated within this window (fixed, so the catalogue depends on the seed alone). */
const FIRST_DATE = Date.UTC(2019, 0, 1);
const LAST_DATE = Date.UTC(2026, 8, 30);
/** Like a real cloud's public images, each is deprecated two years after it was published. */
const DEPRECATE_AFTER = 730 * DAY;

interface PublicEntry {
  name: string;
  owner: string;
  description: string;
  architecture: Architecture;
  platform: 'linux' | 'windows';
  createdMs: number;
  sizeGiB: number;
}

// ---- word lists -------------------------------------------------------------------------------------

/** [value, release date]: an image only uses versions released before it was built. */
type Release = readonly [string, number];
const UBUNTU: readonly Release[] = [
  ['bionic-18.04', Date.UTC(2018, 3, 26)],
  ['focal-20.04', Date.UTC(2020, 3, 23)],
  ['jammy-22.04', Date.UTC(2022, 3, 21)],
  ['noble-24.04', Date.UTC(2024, 3, 25)],
  ['oracular-24.10', Date.UTC(2024, 9, 10)],
  ['plucky-25.04', Date.UTC(2025, 3, 17)],
];
const DEBIAN: readonly Release[] = [
  ['10', Date.UTC(2019, 6, 6)],
  ['11', Date.UTC(2021, 7, 14)],
  ['12', Date.UTC(2023, 5, 10)],
  ['13', Date.UTC(2025, 7, 9)],
];
const RHEL: readonly Release[] = [
  ['8.1.0', Date.UTC(2019, 10, 5)],
  ['8.4.0', Date.UTC(2021, 4, 18)],
  ['8.6.0', Date.UTC(2022, 4, 10)],
  ['8.8.0', Date.UTC(2023, 4, 16)],
  ['8.10.0', Date.UTC(2024, 4, 22)],
  ['9.2.0', Date.UTC(2023, 4, 10)],
  ['9.4.0', Date.UTC(2024, 3, 30)],
  ['9.5.0', Date.UTC(2024, 10, 12)],
  ['10.0.0', Date.UTC(2025, 4, 20)],
];
const WINDOWS: readonly Release[] = [
  ['2016', Date.UTC(2016, 9, 12)],
  ['2019', Date.UTC(2018, 9, 2)],
  ['2022', Date.UTC(2021, 7, 18)],
  ['2025', Date.UTC(2024, 10, 1)],
];
const SLES = ['12-sp5', '15-sp4', '15-sp5', '15-sp6'];
const WINDOWS_LANGS = ['English', 'German', 'French', 'Japanese', 'Spanish', 'Portuguese_Brazil', 'Korean', 'Italian'];
const WINDOWS_EDITIONS = [
  'Full-Base',
  'Core-Base',
  'Full-ECS_Optimized',
  'Core-ContainersLatest',
  'Full-SQL_2019_Standard',
  'Full-SQL_2022_Enterprise',
  'Full-SQL_2019_Web',
];
const APPS = [
  'wordpress', 'nginx', 'apache', 'tomcat', 'jenkins', 'gitlab-ce', 'gitlab-ee', 'postgresql', 'mysql', 'mariadb',
  'mongodb', 'redis', 'elasticsearch', 'opensearch', 'kafka', 'rabbitmq', 'nodejs', 'python', 'django', 'rails',
  'php', 'lamp', 'lemp', 'mean', 'magento', 'drupal', 'joomla', 'moodle', 'nextcloud', 'odoo', 'grafana',
  'prometheus', 'zabbix', 'nagios', 'openvpn', 'wireguard', 'haproxy', 'traefik', 'consul', 'vault', 'nomad',
  'k3s', 'rancher', 'docker-ce', 'podman', 'jupyterhub', 'rstudio', 'tensorflow', 'pytorch', 'splunk',
  'sonarqube', 'nexus', 'artifactory', 'keycloak', 'minio', 'matomo', 'mattermost', 'rocketchat', 'discourse',
  'ghost', 'strapi', 'superset', 'airflow', 'spark', 'hadoop', 'clickhouse', 'cassandra', 'couchdb', 'neo4j',
  'influxdb', 'timescaledb', 'memcached', 'varnish', 'squid', 'bind9', 'postfix', 'asterisk', 'freepbx', 'jitsi',
  'redmine', 'suitecrm', 'metabase', 'n8n', 'wikijs', 'bookstack', 'gitea', 'harbor', 'argocd', 'openldap',
];
const MARKET_VENDORS = [
  'cognosys', 'jetware', 'turnkey', 'procomputers', 'miri-infotech', 'supportedimages', 'tidelift', 'openlogic',
  'cloudimg', 'webcore', 'intuz', 'techlatest', 'ntegral', 'solvedevops', 'apps4rent', 'kcloudhub',
];
const MARKET_DISTROS = ['ubuntu-20-04', 'ubuntu-22-04', 'ubuntu-24-04', 'debian-11', 'debian-12', 'centos-stream-9', 'rocky-9', 'alma-9', 'amazon-linux-2023'];
const COMMUNITY_USERS = ['acme', 'devops', 'platform', 'sre', 'infra', 'qa', 'build', 'data', 'ml', 'edge', 'labs', 'ops'];
const COMMUNITY_ROLES = ['golden', 'base', 'agent', 'worker', 'runner', 'bastion', 'proxy', 'gateway', 'node', 'builder'];
const CIS_TARGETS = [
  'Ubuntu Linux 20.04 LTS',
  'Ubuntu Linux 22.04 LTS',
  'Ubuntu Linux 24.04 LTS',
  'Debian Linux 11',
  'Debian Linux 12',
  'Red Hat Enterprise Linux 8',
  'Red Hat Enterprise Linux 9',
  'Rocky Linux 9',
  'AlmaLinux OS 9',
  'Amazon Linux 2023',
  'Microsoft Windows Server 2019',
  'Microsoft Windows Server 2022',
];

// ---- generation -------------------------------------------------------------------------------------

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** The civil date of a UTC instant (Howard Hinnant's days-to-civil; no Date object per image). */
function civil(ms: number): [number, number, number] {
  const z = Math.floor(ms / DAY) + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}
const compactDate = (ms: number) => {
  const [y, m, d] = civil(ms);
  return `${y}${pad(m)}${pad(d)}`;
};
const dottedDate = (ms: number) => {
  const [y, m, d] = civil(ms);
  return `${y}.${pad(m)}.${pad(d)}`;
};
/** A version already released at `ms` (the oldest one when none is). */
function released(rng: Rng, releases: readonly Release[], ms: number): string {
  const out = releases.filter(([, at]) => at <= ms);
  return (out.length > 0 ? rng.pick(out) : releases[0])[0];
}
const ver = (rng: Rng, majorMin: number, majorMax: number) =>
  `${rng.int(majorMin, majorMax)}.${rng.int(0, 12)}.${rng.int(0, 20)}`;

const entryBase = (seed: number, region: string) => hashParts(seed, 'public', region);

/** One public image, from (seed, region) — hashed into base — and its index alone. */
function publicEntry(base: number, index: number): PublicEntry {
  const rng = rngAt(base, index);
  const createdMs = FIRST_DATE + Math.floor(rng.next() * (LAST_DATE - FIRST_DATE));
  const arm = rng.chance(0.25);
  const arch: Architecture = arm ? 'arm64' : 'x86_64';
  const deb = arm ? 'arm64' : 'amd64';
  const x86 = arm ? 'arm64' : 'x86_64';
  const date = compactDate(createdMs);
  const kind = rng.int(0, 99);
  let name: string;
  let owner: string;
  let platform: 'linux' | 'windows' = 'linux';
  let sizeGiB = rng.pick([8, 8, 10, 16, 20, 30, 50]);

  if (kind < 14) {
    const app = rng.pick(APPS);
    const distro = rng.pick(['debian-11', 'debian-12', 'ubuntu-22.04', 'ubuntu-24.04']);
    name = `bitnami-${app}-${ver(rng, 1, 16)}-${rng.int(0, 3)}-r${pad(rng.int(0, 40))}-linux-${distro}-${x86}-hvm-ebs-nami`;
    owner = 'bitnami';
  } else if (kind < 28) {
    const release = released(rng, UBUNTU, createdMs);
    const flavour = rng.pick(['ubuntu/images/hvm-ssd', 'ubuntu/images/hvm-ssd-gp3', 'ubuntu-minimal/images/hvm-ssd', 'ubuntu-pro-server/images/hvm-ssd']);
    name = `${flavour}/ubuntu-${release}-${deb}-${flavour.includes('minimal') ? 'minimal' : 'server'}-${date}${rng.chance(0.4) ? `.${rng.int(1, 3)}` : ''}`;
    owner = 'canonical';
  } else if (kind < 35) {
    name = `debian-${released(rng, DEBIAN, createdMs)}-${deb}-${date}-${rng.int(1000, 2400)}`;
    owner = 'debian';
  } else if (kind < 45) {
    const variant = rng.int(0, 3);
    if (variant === 0) name = `amzn2-ami-kernel-5.10-hvm-2.0.${date}.${rng.int(0, 3)}-${x86}-gp2`;
    else if (variant === 1) name = `al2023-ami-2023.${rng.int(0, 9)}.${date}.${rng.int(0, 3)}-kernel-6.1-${x86}`;
    else if (variant === 2) name = `amzn2-ami-ecs-hvm-2.0.${date}-${x86}-ebs${rng.chance(0.5) ? `-v${rng.int(1, 4)}` : ''}`;
    else name = `amazon-eks-node-1.${rng.int(24, 32)}-v${date}`;
    owner = 'amazon';
  } else if (kind < 52) {
    name = `RHEL-${released(rng, RHEL, createdMs)}_HVM-${date}-${x86}-${rng.int(0, 99)}-Hourly2-GP3`;
    owner = 'redhat';
  } else if (kind < 57) {
    name = `suse-sles-${rng.pick(SLES)}${rng.chance(0.3) ? '-sap' : ''}-v${date}-hvm-ssd-${x86}`;
    owner = 'suse';
  } else if (kind < 66) {
    name = `Windows_Server-${released(rng, WINDOWS, createdMs)}-${rng.pick(WINDOWS_LANGS)}-${rng.pick(WINDOWS_EDITIONS)}-${dottedDate(createdMs)}`;
    owner = 'microsoft';
    platform = 'windows';
    sizeGiB = rng.pick([30, 30, 50, 60]);
  } else if (kind < 72) {
    const target = rng.pick(CIS_TARGETS);
    name = `CIS ${target} Benchmark v${rng.int(1, 4)}.${rng.int(0, 2)}.${rng.int(0, 9)} - Level ${rng.int(1, 2)} - ${date}`;
    owner = 'cis-benchmarks';
    if (target.includes('Windows')) platform = 'windows';
  } else if (kind < 85) {
    const vendor = rng.pick(MARKET_VENDORS);
    name = `${vendor}-${rng.pick(APPS)}-${ver(rng, 1, 12)}-${rng.pick(MARKET_DISTROS)}-${date}`;
    owner = vendor;
  } else if (kind < 91) {
    const variant = rng.int(0, 4);
    if (variant === 0) name = `Rocky-${rng.pick(['8', '9'])}-EC2-Base-${rng.pick(['8.9', '8.10', '9.3', '9.4', '9.5'])}-${date}.0.${x86}`;
    else if (variant === 1) name = `AlmaLinux OS ${rng.pick(['8.9', '8.10', '9.3', '9.4', '9.5'])}.${date} ${x86}`;
    else if (variant === 2) name = `Fedora-Cloud-Base-AmazonEC2.${x86}-${rng.int(37, 41)}-${date}.${rng.int(0, 3)}`;
    else if (variant === 3) name = `FreeBSD ${rng.pick(['13.2', '13.3', '13.4', '14.0', '14.1', '14.2'])}-RELEASE-${deb} ${date}`;
    else name = `flatcar-${rng.pick(['stable', 'beta', 'alpha', 'lts'])}-${rng.int(3500, 4200)}.${rng.int(0, 3)}.${rng.int(0, 9)}-hvm-${deb}`;
    owner = 'community-distros';
  } else if (kind < 95) {
    const framework = rng.pick(['PyTorch 2.1', 'PyTorch 2.4', 'TensorFlow 2.15', 'TensorFlow 2.16', 'JAX 0.4', 'Base']);
    name = `Deep Learning AMI GPU ${framework} (${rng.pick(['Ubuntu 20.04', 'Ubuntu 22.04', 'Amazon Linux 2'])}) ${date}`;
    owner = 'ml-images';
    sizeGiB = rng.pick([75, 100, 140]);
  } else {
    const user = rng.pick(COMMUNITY_USERS);
    const sep = rng.pick(['-', '_']);
    name = `${user}${sep}${rng.pick(APPS)}${sep}${rng.pick(COMMUNITY_ROLES)}${sep}v${rng.int(1, 60)}${sep}${x86}${sep}${date}`;
    owner = `community-${user}`;
  }
  return {
    name,
    owner,
    description: `Public image published by ${owner}`,
    architecture: arch,
    platform,
    createdMs,
    sizeGiB,
  };
}

// ---- ids: a keyed, invertible scramble of the index (so getImage needs no table) --------------------

const MULTIPLIER = 0x9e3779b1; // odd, so invertible modulo 2^32
const INVERSE = (() => {
  let inv = MULTIPLIER;
  for (let i = 0; i < 5; i++) inv = Math.imul(inv, 2 - Math.imul(MULTIPLIER, inv));
  return inv >>> 0;
})();

function idKey(seed: number, region: string): number {
  return hashParts(seed, region, 'public-id');
}

export function publicImageId(seed: number, region: string, index: number): string {
  const scrambled = (Math.imul(index + 1, MULTIPLIER) ^ idKey(seed, region)) >>> 0;
  return PUBLIC_ID_PREFIX + hexHash(4, seed, region, 'public-tag') + scrambled.toString(16).padStart(8, '0');
}

/** The index an id stands for, or undefined when it is not one of this catalogue's ids. */
export function publicImageIndex(seed: number, region: string, id: string, count = PUBLIC_CATALOGUE_SIZE): number | undefined {
  const tag = PUBLIC_ID_PREFIX + hexHash(4, seed, region, 'public-tag');
  if (!id.startsWith(tag) || !/^[0-9a-f]{8}$/.test(id.slice(tag.length))) return undefined;
  const scrambled = Number.parseInt(id.slice(tag.length), 16);
  const index = (Math.imul((scrambled ^ idKey(seed, region)) >>> 0, INVERSE) >>> 0) - 1;
  return index >= 0 && index < count ? index : undefined;
}

// ---- the catalogue ----------------------------------------------------------------------------------

export class PublicCatalogue {
  /** Every name lower-cased, each followed by "\n": built on the first search (a listing needs none). */
  private lower?: string;
  /** starts[i] is where name i begins in lower; starts[count] is the end. */
  private starts?: Uint32Array;
  /** The matches of the last query, so paging through one result does not search again. */
  private last?: { key: string; matches: Uint32Array };
  private building?: Promise<void>;
  private readonly base: number;

  constructor(
    readonly seed: number,
    readonly region: string,
    readonly count = PUBLIC_CATALOGUE_SIZE,
  ) {
    this.base = entryBase(seed, region);
  }

  name(index: number): string {
    return publicEntry(this.base, index).name;
  }

  /**
   * Builds the search index a slice at a time, letting other work run in between (as a cloud's answer
   * would not hold the caller's process): 100,000 names take about 200 ms to generate.
   */
  prepareSearch(): Promise<void> {
    if (this.lower !== undefined) return Promise.resolve();
    this.building ??= (async () => {
      const names: string[] = new Array(this.count);
      for (let from = 0; from < this.count; from += SEARCH_SLICE) {
        if (from > 0) await new Promise((resolve) => setImmediate(resolve));
        if (this.lower !== undefined) return;
        const to = Math.min(this.count, from + SEARCH_SLICE);
        for (let i = from; i < to; i++) names[i] = publicEntry(this.base, i).name;
      }
      this.index(names);
    })();
    return this.building;
  }

  private index(names: readonly string[]): void {
    if (this.lower !== undefined) return;
    const starts = new Uint32Array(this.count + 1);
    let offset = 0;
    for (let i = 0; i < this.count; i++) {
      starts[i] = offset;
      offset += names[i].length + 1;
    }
    starts[this.count] = offset;
    this.starts = starts;
    this.lower = (names.join('\n') + '\n').toLowerCase();
  }

  /**
   * Indices of the names that contain every term (terms lower-cased, without whitespace), in order.
   * Undefined terms (or none) match everything: the caller pages over 0..count directly.
   */
  search(terms: string[]): Uint32Array | undefined {
    if (terms.length === 0) return undefined;
    const key = terms.join(' ');
    if (this.last?.key === key) return this.last.matches;
    if (this.lower === undefined) this.index(Array.from({ length: this.count }, (_, i) => publicEntry(this.base, i).name));
    const lower = this.lower!;
    const starts = this.starts!;
    // Scan the joined text for the longest term (the rarest, usually), then check the others per name.
    const sorted = [...terms].sort((a, b) => b.length - a.length);
    const [anchor, ...others] = sorted;
    const found: number[] = [];
    let pos = lower.indexOf(anchor, 0);
    let lo = 0;
    while (pos !== -1) {
      // The name that holds pos: binary search from the last one found (positions only grow).
      let hi = this.count - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >>> 1;
        if (starts[mid] <= pos) lo = mid;
        else hi = mid - 1;
      }
      const start = starts[lo];
      const end = starts[lo + 1] - 1;
      if (others.length === 0 || others.every((t) => lower.slice(start, end).includes(t))) found.push(lo);
      pos = lower.indexOf(anchor, end + 1);
    }
    const matches = Uint32Array.from(found);
    this.last = { key, matches };
    return matches;
  }

  /** The Image for an index, as the provider returns it at simulated time `now`. */
  image(index: number, now: number): Image {
    const entry = publicEntry(this.base, index);
    const deprecatedMs = entry.createdMs + DEPRECATE_AFTER;
    const image: Image = {
      id: publicImageId(this.seed, this.region, index),
      name: entry.name,
      description: entry.description,
      kind: 'public',
      owner: entry.owner,
      architecture: entry.architecture,
      state: deprecatedMs <= now ? 'deprecated' : 'available',
      createdAt: new Date(entry.createdMs).toISOString(),
      platform: entry.platform,
      sizeGiB: entry.sizeGiB,
      owned: false,
      tags: {},
    };
    if (deprecatedMs <= now) image.deprecatedAt = new Date(deprecatedMs).toISOString();
    return image;
  }
}

/** Names generated per slice while the search index is built (about 10 ms each). */
const SEARCH_SLICE = 5000;
