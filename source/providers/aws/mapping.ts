// EC2's objects as strata's domain objects, and strata's launch as EC2's RunInstances request. Pure: only
// type imports from the SDK (erased at build time), so loading this never loads the SDK.
import type {
  _InstanceType,
  BlockDeviceMapping,
  Image as Ec2Image,
  Instance,
  InstanceStatus,
  InstanceStatusSummary,
  InstanceTypeInfo,
  IpPermission,
  KeyPairInfo,
  RunInstancesCommandInput,
  SecurityGroup,
  Tag,
} from '@aws-sdk/client-ec2';
import type { Capabilities, NameRules, VolumeDevice } from '../../core/capabilities.js';
import { parseCatalogueQuery } from '../../core/query.js';
import { shellQuote } from '../../core/shell.js';
import { BILLING_TAG, COPIED_FROM_TAG, GROUP_TAG, LAUNCH_TAG, NAME_TAG, SOURCE_IMAGE_TAG, SOURCE_SERVER_TAG, TAG_PREFIX, parseCopiedFrom } from '../../core/tags.js';
import type {
  Architecture,
  DeleteProtection,
  Firewall,
  FirewallRule,
  Image,
  ImageKind,
  ImageState,
  Keypair,
  LaunchSpec,
  Phase,
  Product,
  Server,
} from '../../core/types.js';

// ---- capabilities ---------------------------------------------------------------------------------------

/**
 * Extra EBS volumes are attached at /dev/sdf, /dev/sdg, … (the names EC2 recommends for data volumes).
 * 16 of them: /dev/sdf … /dev/sdu.
 */
export const EBS_DEVICE_NAMES: readonly string[] = Array.from({ length: 16 }, (_, i) => `/dev/sd${String.fromCharCode(0x66 + i)}`);

/**
 * What the guest is told to look for: the names the volumes are attached as. The guest's own names
 * depend on the instance type (Xen: /dev/xvdf …; Nitro: NVMe disks numbered in no set order), so the
 * volume script finds each volume in the guest (core/volumes.ts: by that name, or the EBS data disks as
 * a set, never the root disk or instance storage); one user data works on every instance type.
 */
export const EC2_VOLUME_DEVICES: readonly VolumeDevice[] = EBS_DEVICE_NAMES.map((device) => ({ naming: 'ec2' as const, device }));

/** AMI names: 3 to 128 characters of letters, digits, spaces and ( ) [ ] . / ' @ _ -; unique per account and region. */
export const IMAGE_NAME_RULES: NameRules = {
  minLength: 3,
  maxLength: 128,
  allowed: "A-Za-z0-9 ()\\[\\]./'@_\\-",
  description: "3 to 128 characters: letters, digits, spaces and ( ) [ ] . / ' @ _ -",
  unique: true,
};

/**
 * Server (Name tag), security group and keypair names. EC2 allows more (Name tags of 256 characters of
 * anything, keypair names of 255 ASCII characters); strata keeps to what all three accept and what is
 * safe in a file name (the private key is saved under the keypair's name).
 */
export const RESOURCE_NAME_RULES: NameRules = {
  minLength: 1,
  maxLength: 64,
  allowed: 'A-Za-z0-9._@\\-',
  description: '1 to 64 characters: letters, digits and . _ @ -',
  unique: true,
};

export const AWS_CAPABILITIES: Capabilities = {
  images: {
    tags: true,
    renameNative: false,
    capture: 'optional',
    delete: 'optional',
    publicCatalogue: true,
    serverSideSearch: true,
    // EC2's ImportImage reads from an S3 bucket through the VM Import service role; strata does not do it.
    import: 'none',
    // CopyImage: into another region of the account (another account needs the image shared first).
    copy: { regions: true, sources: false },
    nameRules: IMAGE_NAME_RULES,
    // EnableImageDeprecation / DisableImageDeprecation on an own AMI; DescribeImages' DeregistrationProtection.
    deprecate: 'optional',
    deleteProtection: true,
  },
  launch: {
    product: 'required',
    firewall: 'optional',
    createFirewall: true,
    keypair: 'optional',
    createKeypair: true,
    importKeypair: true,
    group: 'optional',
    billingCode: 'optional',
    volumes: 'optional',
    maxVolumes: 16,
    minVolumeGiB: 1,
    maxVolumeGiB: 16_384,
    // RAID is assembled in the guest by strata's cloud-init volume script (mdadm), not by EC2.
    raidLevels: ['none', '0', '1', '5', '10'],
    volumeDevices: [...EC2_VOLUME_DEVICES],
    filesystems: ['ext4', 'xfs'],
    encryption: true,
    userData: 'optional',
    maxCount: 20,
    nameRules: RESOURCE_NAME_RULES,
  },
  servers: {
    consoleOutput: true,
    terminate: true,
    expectedReadySeconds: 1200,
    loginConvention: 'ec2',
  },
};

export const AWS_PROFILE_LINE = 'EC2: tags, RAID in the guest, keypair creation; volumes found in the guest on Xen and Nitro';

export function awsCapabilities(): Capabilities {
  return structuredClone(AWS_CAPABILITIES);
}

/** The names AWS gives its regions in the console, for the region picker; an unknown id is shown as itself. */
const REGION_NAMES: Record<string, string> = {
  'us-east-1': 'US East (N. Virginia)',
  'us-east-2': 'US East (Ohio)',
  'us-west-1': 'US West (N. California)',
  'us-west-2': 'US West (Oregon)',
  'af-south-1': 'Africa (Cape Town)',
  'ap-east-1': 'Asia Pacific (Hong Kong)',
  'ap-south-1': 'Asia Pacific (Mumbai)',
  'ap-south-2': 'Asia Pacific (Hyderabad)',
  'ap-northeast-1': 'Asia Pacific (Tokyo)',
  'ap-northeast-2': 'Asia Pacific (Seoul)',
  'ap-northeast-3': 'Asia Pacific (Osaka)',
  'ap-southeast-1': 'Asia Pacific (Singapore)',
  'ap-southeast-2': 'Asia Pacific (Sydney)',
  'ap-southeast-3': 'Asia Pacific (Jakarta)',
  'ap-southeast-4': 'Asia Pacific (Melbourne)',
  'ca-central-1': 'Canada (Central)',
  'ca-west-1': 'Canada West (Calgary)',
  'eu-central-1': 'Europe (Frankfurt)',
  'eu-central-2': 'Europe (Zurich)',
  'eu-west-1': 'Europe (Ireland)',
  'eu-west-2': 'Europe (London)',
  'eu-west-3': 'Europe (Paris)',
  'eu-north-1': 'Europe (Stockholm)',
  'eu-south-1': 'Europe (Milan)',
  'eu-south-2': 'Europe (Spain)',
  'il-central-1': 'Israel (Tel Aviv)',
  'me-south-1': 'Middle East (Bahrain)',
  'me-central-1': 'Middle East (UAE)',
  'sa-east-1': 'South America (São Paulo)',
  'ap-east-2': 'Asia Pacific (Taipei)',
  'ap-southeast-5': 'Asia Pacific (Malaysia)',
  'ap-southeast-7': 'Asia Pacific (Thailand)',
  'mx-central-1': 'Mexico (Central)',
  'us-gov-east-1': 'AWS GovCloud (US-East)',
  'us-gov-west-1': 'AWS GovCloud (US-West)',
  'cn-north-1': 'China (Beijing)',
  'cn-northwest-1': 'China (Ningxia)',
};

/** The regions strata knows by name (EC2 may have newer ones: DescribeRegions is the authority). */
export const KNOWN_REGIONS: readonly string[] = Object.keys(REGION_NAMES);

export function regionName(id: string): string {
  return REGION_NAMES[id] ?? id;
}

// ---- helpers ------------------------------------------------------------------------------------------------

/** An SDK timestamp (a Date) or an API date string as an ISO 8601 string in UTC; undefined when unusable. */
export function toIso(value: Date | string | undefined | null): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

export function tagsToRecord(tags: Tag[] | undefined): Record<string, string> {
  const record: Record<string, string> = {};
  for (const tag of tags ?? []) if (typeof tag.Key === 'string') record[tag.Key] = tag.Value ?? '';
  return record;
}

export function recordToTags(record: Record<string, string>): Tag[] {
  return Object.entries(record).map(([Key, Value]) => ({ Key, Value }));
}

export function architectureOf(value: string | undefined): Architecture {
  return value === 'arm64' || value === 'arm64_mac' ? 'arm64' : 'x86_64';
}

// ---- images ---------------------------------------------------------------------------------------------

/** Owner aliases whose images are vendor templates. */
export const VENDOR_ALIASES = ['amazon', 'aws-marketplace'];

/**
 * Publishers whose AMIs count as vendor templates unless the user names others: the distributions' own
 * accounts in the commercial AWS partition (Canonical for Ubuntu, Debian, Red Hat). Their images carry no
 * owner alias, so without these the templates most servers start from would show as merely public.
 * (GovCloud and China use other accounts; pass trustedOwnerIds there.)
 */
export const DEFAULT_TRUSTED_OWNER_IDS: readonly string[] = ['099720109477', '136693071363', '309956199498'];

export interface ImageContext {
  /** The account's own id, where known (an image it owns is "own"). */
  accountId?: string;
  /** Owner ids the user trusts as vendors (e.g. Canonical 099720109477, Debian 136693071363). */
  trustedOwnerIds?: readonly string[];
  /**
   * The list the image was asked for decides its kind there: Owners=["self"] lists own images,
   * Owners=["amazon", trusted…] vendor templates, the public catalogue public ones (even Amazon's).
   */
  scope?: 'own' | 'vendor' | 'public';
  /** Now, ms since 1970 (the provider's clock): a DeprecationTime in the past makes the image deprecated. */
  nowMs: number;
}

export function imageKind(image: Ec2Image, ctx: ImageContext): ImageKind {
  if (ctx.scope) return ctx.scope;
  if ( image.ImageOwnerAlias === 'self' || (ctx.accountId !== undefined && image.OwnerId === ctx.accountId)) return 'own';
  if ((image.ImageOwnerAlias !== undefined && VENDOR_ALIASES.includes(image.ImageOwnerAlias)) || (image.OwnerId !== undefined && ctx.trustedOwnerIds?.includes(image.OwnerId))) {
    return 'vendor';
  }
  return 'public';
}

export function imageState(image: Ec2Image, nowMs: number): ImageState {
  switch (image.State) {
    case 'available': {
      const deprecated = image.DeprecationTime ? Date.parse(image.DeprecationTime) : NaN;
      return Number.isFinite(deprecated) && deprecated <= nowMs ? 'deprecated' : 'available';
    }
    case 'pending':
    case 'transient':
      return 'pending';
    case 'deregistered':
    case 'disabled':
      return 'deleted';
    default:
      // failed, error, invalid
      return 'failed';
  }
}

export function imageFromEc2(image: Ec2Image, ctx: ImageContext): Image {
  const tags = tagsToRecord(image.Tags);
  const kind = imageKind(image, ctx);
  const id = image.ImageId ?? '';
  const result: Image = {
    id,
    name: image.Name ?? id,
    kind,
    owner: kind === 'own' ? 'self' : (image.ImageOwnerAlias ?? image.OwnerId ?? 'unknown'),
    architecture: architectureOf(image.Architecture),
    state: imageState(image, ctx.nowMs),
    createdAt: toIso(image.CreationDate) ?? new Date(0).toISOString(),
    owned: kind === 'own',
    tags,
  };
  if (tags[NAME_TAG] !== undefined) result.displayName = tags[NAME_TAG];
  if (image.Description) result.description = image.Description;
  const deprecatedAt = toIso(image.DeprecationTime);
  if (deprecatedAt) result.deprecatedAt = deprecatedAt;
  if (tags[SOURCE_IMAGE_TAG]) result.sourceImageId = tags[SOURCE_IMAGE_TAG];
  if (tags[SOURCE_SERVER_TAG]) result.sourceServerId = tags[SOURCE_SERVER_TAG];
  const copiedFrom = parseCopiedFrom(tags[COPIED_FROM_TAG]);
  if (copiedFrom) result.copiedFrom = copiedFrom;
  const ebs = (image.BlockDeviceMappings ?? []).filter((m) => m.Ebs);
  if (ebs.length > 0) result.encrypted = ebs.some((m) => m.Ebs?.Encrypted === true);
  const platform = image.PlatformDetails ?? image.Platform;
  if (platform) result.platform = platform;
  const root = image.BlockDeviceMappings?.find((m) => m.DeviceName === image.RootDeviceName) ?? image.BlockDeviceMappings?.find((m) => m.Ebs);
  if (root?.Ebs?.VolumeSize !== undefined) result.sizeGiB = root.Ebs.VolumeSize;
  // What the AMI keeps: its EBS snapshots, each the size of the volume it was taken of.
  const snapshots = (image.BlockDeviceMappings ?? []).filter((m) => m.Ebs?.VolumeSize !== undefined && (m.Ebs.SnapshotId !== undefined || m === root));
  if (snapshots.length > 0) result.storageGiB = snapshots.reduce((sum, m) => sum + (m.Ebs!.VolumeSize ?? 0), 0);
  const protection = deleteProtectionOf(image.DeregistrationProtection, ctx.nowMs);
  if (protection) result.deleteProtection = protection;
  return result;
}

/**
 * DescribeImages' DeregistrationProtection: "enabled", "enabled-with-cooldown", "disabled-until <time>"
 * (turned off with a cooldown: still protected until then), or "disabled" (absent here).
 */
export function deleteProtectionOf(value: string | undefined, nowMs: number): DeleteProtection | undefined {
  const text = (value ?? '').trim().toLowerCase();
  if (text === '' || text === 'disabled') return undefined;
  if (text === 'enabled') return { on: true, cooldown: false };
  if (text === 'enabled-with-cooldown') return { on: true, cooldown: true };
  const until = /^disabled-until\s+(\S+)$/.exec(value!.trim());
  if (until) {
    const at = Date.parse(until[1]!);
    if (!Number.isFinite(at)) return undefined;
    return at > nowMs ? { on: true, cooldown: true, until: new Date(at).toISOString() } : undefined;
  }
  return undefined;
}

/**
 * A catalogue query: words match the name, in any order; `arch:arm64`, `owner:amazon` (an alias or an
 * account id) and `deprecated` (include deprecated images, which EC2 hides unless asked) become EC2's own
 * filters (core/query.ts; the local fuzzy filter skips them too).
 */
export interface ImageQuery {
  /** The words, as typed, joined by single spaces. */
  name: string;
  words: string[];
  architecture?: string;
  owner?: string;
  includeDeprecated: boolean;
}

export function parseImageQuery(query: string): ImageQuery {
  const parsed = parseCatalogueQuery(query);
  return {
    name: parsed.words.join(' '),
    words: parsed.words,
    ...(parsed.architecture ? { architecture: parsed.architecture } : {}),
    ...(parsed.owner ? { owner: parsed.owner } : {}),
    includeDeprecated: parsed.includeDeprecated,
  };
}

/**
 * The word EC2 is asked for (its name filter takes wildcards, ORed, so several words in any order would
 * need one pattern per order): the longest, most likely the rarest. The other words are matched here, on
 * what EC2 returns (nameHasWords).
 */
export function nameFilterWord(words: readonly string[]): string | undefined {
  return words.reduce<string | undefined>((best, word) => (best === undefined || word.length > best.length ? word : best), undefined);
}

/** Every word in the image's name, in any order, case-insensitively. */
export function nameHasWords(name: string, words: readonly string[]): boolean {
  const text = name.toLowerCase();
  return words.every((word) => text.includes(word.toLowerCase()));
}

/** A DescribeImages name filter for one word: *word*, in the spellings a name is likely to use. */
export function nameFilterValues(query: string): string[] {
  const escaped = query.trim().replace(/[\\*?]/g, (ch) => `\\${ch}`);
  if (escaped === '') return [];
  const capitalised = escaped[0].toUpperCase() + escaped.slice(1).toLowerCase();
  return [...new Set([escaped, escaped.toLowerCase(), escaped.toUpperCase(), capitalised])].map((v) => `*${v}*`);
}

// ---- servers --------------------------------------------------------------------------------------------

/** "User initiated (2024-01-15 10:20:30 GMT)" → the time in it, as ISO. */
export function transitionTime(reason: string | undefined): string | undefined {
  const match = /\((\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d) GMT\)/.exec(reason ?? '');
  return match ? toIso(`${match[1]}T${match[2]}Z`) : undefined;
}

function impairment(summary: InstanceStatusSummary | undefined, which: string): { reason: string; since?: string } | undefined {
  if (summary?.Status !== 'impaired') return undefined;
  const failed = summary.Details?.find((d) => d.Status === 'failed');
  const since = toIso(failed?.ImpairedSince);
  return {
    reason: `The ${which} status check failed${failed?.Name ? ` (${failed.Name})` : ''}${since ? ` since ${since}` : ''}.`,
    ...(since ? { since } : {}),
  };
}

/** State reasons that are no failure: the user (or the instance itself) shut it down. */
const ORDINARY_STOPS = new Set(['Client.UserInitiatedShutdown', 'Client.InstanceInitiatedShutdown', 'Client.UserInitiatedHibernate']);

export interface PhaseResult {
  phase: Phase;
  since: string;
  failureReason?: string;
}

/**
 * Readiness from EC2's signals: the instance state, and for a running instance its status checks
 * (system: the host; instance: the guest's network reachability; attached EBS, where reported).
 * pending → pending; running without status yet → running; running with checks initializing or
 * insufficient data → initializing; system and instance ok (or not applicable) → ready; any check
 * impaired → failed (naming the check);
 * stopping/stopped → failed with "stopped" and the reason (a stopped server will not become ready, and it
 * still costs its volumes); shutting-down/terminated → terminated, with a failure reason when EC2 ended it
 * (Server.* codes, e.g. an unusable image or a volume limit).
 * phaseSince: EC2 gives no time for running→ok; LaunchTime is the best known lower bound for the up
 * phases, ImpairedSince for failures, the time in the state transition reason for stops and terminations.
 */
export function phaseOf(instance: Instance, status: InstanceStatus | undefined): PhaseResult {
  const launched = toIso(instance.LaunchTime) ?? new Date(0).toISOString();
  const state = instance.State?.Name;
  const transitioned = transitionTime(instance.StateTransitionReason);
  const stateReason = instance.StateReason;
  switch (state) {
    case 'pending':
      return { phase: 'pending', since: launched };
    case 'running': {
      const broken =
        impairment(status?.SystemStatus, 'system') ??
        impairment(status?.InstanceStatus, 'instance') ??
        impairment(status?.AttachedEbsStatus, 'attached EBS volume');
      if (broken) return { phase: 'failed', since: laterOf(broken.since, launched), failureReason: broken.reason };
      const system = status?.SystemStatus?.Status;
      const guest = status?.InstanceStatus?.Status;
      const passed = (check: string | undefined) => check === 'ok' || check === 'not-applicable';
      if (passed(system) && passed(guest)) return { phase: 'ready', since: launched };
      if (system === undefined && guest === undefined) return { phase: 'running', since: launched };
      return { phase: 'initializing', since: launched };
    }
    case 'stopping':
    case 'stopped': {
      const why = stateReason?.Message ? `: ${stateReason.Message}` : '';
      return { phase: 'failed', since: laterOf(transitioned, launched), failureReason: `The server is ${state}${why}.` };
    }
    case 'shutting-down':
    case 'terminated': {
      const result: PhaseResult = { phase: 'terminated', since: laterOf(transitioned, launched) };
      if (stateReason?.Code && !ORDINARY_STOPS.has(stateReason.Code)) {
        result.failureReason = `EC2 ended the server: ${stateReason.Message ?? stateReason.Code}.`;
      }
      return result;
    }
    default:
      return { phase: 'pending', since: launched };
  }
}

function laterOf(a: string | undefined, b: string): string {
  return a !== undefined && Date.parse(a) >= Date.parse(b) ? a : b;
}

/** Status checks answer in ISO strings, the SDK in Dates; both are accepted. */
export function serverFromEc2(instance: Instance, status: InstanceStatus | undefined, observedAt: string): Server {
  const tags = tagsToRecord(instance.Tags);
  const phase = phaseOf(instance, status);
  const id = instance.InstanceId ?? '';
  const server: Server = {
    id,
    name: tags[NAME_TAG] ?? id,
    imageId: instance.ImageId ?? '',
    productId: instance.InstanceType ?? '',
    phase: phase.phase,
    phaseSince: phase.since,
    launchedAt: toIso(instance.LaunchTime) ?? phase.since,
    observedAt,
    firewallIds: (instance.SecurityGroups ?? []).map((g) => g.GroupId).filter((g): g is string => typeof g === 'string'),
    tags,
  };
  if (instance.ClientToken) server.clientToken = instance.ClientToken;
  if (instance.KeyName) server.keypairName = instance.KeyName;
  if (tags[GROUP_TAG]) server.group = tags[GROUP_TAG];
  if (tags[BILLING_TAG]) server.billingCode = tags[BILLING_TAG];
  if (instance.PublicIpAddress) server.publicAddress = instance.PublicIpAddress;
  if (instance.PrivateIpAddress) server.privateAddress = instance.PrivateIpAddress;
  if (phase.failureReason) server.failureReason = phase.failureReason;
  return server;
}

// ---- products -------------------------------------------------------------------------------------------

/** An instance type as a size; undefined for types strata cannot launch a Linux image on (Mac hosts, i386 only). */
export function productFromEc2(info: InstanceTypeInfo): Product | undefined {
  const archs = info.ProcessorInfo?.SupportedArchitectures ?? [];
  const architecture: Architecture | undefined = archs.includes('arm64') ? 'arm64' : archs.includes('x86_64') ? 'x86_64' : undefined;
  const vcpus = info.VCpuInfo?.DefaultVCpus;
  const memoryMiB = info.MemoryInfo?.SizeInMiB;
  if (!info.InstanceType || !architecture || !vcpus || !memoryMiB) return undefined;
  const memory = memoryMiB % 1024 === 0 ? `${memoryMiB / 1024} GiB` : `${(memoryMiB / 1024).toFixed(1)} GiB`;
  const storage = info.InstanceStorageInfo?.TotalSizeInGB ?? 0;
  return {
    id: info.InstanceType,
    name: `${info.InstanceType} (${vcpus} vCPU, ${memory}${storage > 0 ? `, ${storage} GB local` : ''})`,
    vcpus,
    memoryMiB,
    // Instance storage only: EBS-only types have none of their own (the root volume comes from the image).
    storageGiB: storage,
    architecture,
  };
}

export function productsFromEc2(infos: InstanceTypeInfo[]): Product[] {
  return infos
    .map(productFromEc2)
    .filter((p): p is Product => p !== undefined)
    .sort((a, b) => a.architecture.localeCompare(b.architecture) || a.vcpus - b.vcpus || a.memoryMiB - b.memoryMiB || a.id.localeCompare(b.id));
}

// ---- firewalls ----------------------------------------------------------------------------------------

const PROTOCOL_ORDER = { tcp: 0, udp: 1, icmp: 2 } as const;

function sortRules(rules: FirewallRule[]): FirewallRule[] {
  return rules.sort(
    (a, b) => PROTOCOL_ORDER[a.protocol] - PROTOCOL_ORDER[b.protocol] || a.fromPort - b.fromPort || a.toPort - b.toPort || (a.source < b.source ? -1 : a.source > b.source ? 1 : 0),
  );
}

/** EC2's IpProtocol as strata's; icmpv6 (58) is strata's icmp with an IPv6 source. */
function protocolOf(ipProtocol: string | undefined, ipv6: boolean): FirewallRule['protocol'] | undefined {
  switch (ipProtocol) {
    case 'tcp':
    case '6':
      return 'tcp';
    case 'udp':
    case '17':
      return 'udp';
    case 'icmp':
    case '1':
      return ipv6 ? undefined : 'icmp';
    case 'icmpv6':
    case '58':
      return ipv6 ? 'icmp' : undefined;
    default:
      return undefined;
  }
}

/**
 * A security group as a firewall. Its inbound permissions become one rule per (permission, CIDR range),
 * in a stable order (tcp, udp, icmp; then ports; then source). Permissions strata cannot express (all
 * protocols, other protocol numbers, another security group or a prefix list as source, icmp types) are
 * counted in the description, so a user never takes the shown rules for the whole story.
 */
export function firewallFromEc2(group: SecurityGroup): Firewall {
  const rules: FirewallRule[] = [];
  let hidden = 0;
  for (const permission of group.IpPermissions ?? []) {
    const ranges: Array<[string, boolean]> = [
      ...(permission.IpRanges ?? []).map((r) => [r.CidrIp ?? '', false] as [string, boolean]),
      ...(permission.Ipv6Ranges ?? []).map((r) => [r.CidrIpv6 ?? '', true] as [string, boolean]),
    ];
    hidden += (permission.UserIdGroupPairs?.length ?? 0) + (permission.PrefixListIds?.length ?? 0);
    for (const [source, ipv6] of ranges) {
      const protocol = protocolOf(permission.IpProtocol, ipv6);
      if (!protocol || !source) {
        hidden++;
        continue;
      }
      if (protocol === 'icmp') {
        if (permission.FromPort !== -1 || permission.ToPort !== -1) {
          hidden++;
          continue;
        }
        rules.push({ protocol, fromPort: -1, toPort: -1, source });
      } else {
        rules.push({ protocol, fromPort: permission.FromPort ?? 0, toPort: permission.ToPort ?? 65535, source });
      }
    }
  }
  const firewall: Firewall = { id: group.GroupId ?? '', name: group.GroupName ?? group.GroupId ?? '', rules: sortRules(rules) };
  const note = hidden > 0 ? `(+${hidden} inbound rule${hidden === 1 ? '' : 's'} strata cannot show)` : undefined;
  const description = [group.Description, note].filter(Boolean).join(' ');
  if (description) firewall.description = description;
  // strata tags the groups a launch makes (its token), and every group it makes says so in its description.
  const tags = tagsToRecord(group.Tags);
  if (Object.keys(tags).some((k) => k.startsWith(TAG_PREFIX)) || (group.Description ?? '').startsWith('Created by strata')) firewall.madeByStrata = true;
  return firewall;
}

/** Strata's rules as EC2 permissions: one permission per rule (a source is IPv4 or IPv6 by its form). */
export function rulesToIpPermissions(rules: readonly FirewallRule[]): IpPermission[] {
  return rules.map((rule) => {
    const ipv6 = rule.source.includes(':');
    const permission: IpPermission = {
      IpProtocol: rule.protocol === 'icmp' && ipv6 ? 'icmpv6' : rule.protocol,
      FromPort: rule.fromPort,
      ToPort: rule.toPort,
    };
    if (ipv6) permission.Ipv6Ranges = [{ CidrIpv6: rule.source }];
    else permission.IpRanges = [{ CidrIp: rule.source }];
    return permission;
  });
}

// ---- keypairs -----------------------------------------------------------------------------------------

export function keypairFromEc2(info: KeyPairInfo): Keypair {
  const keypair: Keypair = { id: info.KeyPairId ?? info.KeyName ?? '', name: info.KeyName ?? '', fingerprint: info.KeyFingerprint ?? '' };
  const created = toIso(info.CreateTime);
  if (created) keypair.createdAt = created;
  return keypair;
}

// ---- launch -------------------------------------------------------------------------------------------

/** The file the CLI preview reads the user data from (`fileb://`): user data is never inlined. */
export const USER_DATA_FILE = 'user-data.txt';

export interface LaunchRequestOptions {
  /** Security group ids to use in place of (and in addition to) spec.firewallIds, e.g. one created at launch. */
  extraFirewallIds?: string[];
}

/** The tags every server (and each of its volumes) carries. */
export function launchTags(spec: LaunchSpec, clientToken: string): Tag[] {
  const tags: Record<string, string> = { [NAME_TAG]: spec.name };
  if (spec.group) tags[GROUP_TAG] = spec.group;
  if (spec.billingCode) tags[BILLING_TAG] = spec.billingCode;
  tags[SOURCE_IMAGE_TAG] = spec.imageId;
  tags[LAUNCH_TAG] = clientToken;
  return recordToTags(tags);
}

export function blockDeviceMappings(spec: LaunchSpec): BlockDeviceMapping[] {
  const plan = spec.volumes;
  if (!plan) return [];
  return Array.from({ length: plan.count }, (_, i) => ({
    DeviceName: EBS_DEVICE_NAMES[i],
    Ebs: { VolumeSize: plan.sizeGiB, VolumeType: 'gp3', Encrypted: plan.encrypt, DeleteOnTermination: true },
  }));
}

/** The RunInstances input for a launch. The caller has validated the spec. */
export function runInstancesInput(spec: LaunchSpec, clientToken: string, options: LaunchRequestOptions = {}): RunInstancesCommandInput {
  const firewallIds = [...new Set([...spec.firewallIds, ...(options.extraFirewallIds ?? [])])];
  const tags = launchTags(spec, clientToken);
  const input: RunInstancesCommandInput = {
    ImageId: spec.imageId,
    InstanceType: spec.productId as _InstanceType,
    MinCount: spec.count,
    MaxCount: spec.count,
    ClientToken: clientToken,
    TagSpecifications: [
      { ResourceType: 'instance', Tags: tags },
      { ResourceType: 'volume', Tags: tags },
    ],
  };
  if (spec.keypairName) input.KeyName = spec.keypairName;
  if (firewallIds.length > 0) input.SecurityGroupIds = firewallIds;
  const mappings = blockDeviceMappings(spec);
  if (mappings.length > 0) input.BlockDeviceMappings = mappings;
  if (spec.userData) input.UserData = Buffer.from(spec.userData, 'utf8').toString('base64');
  return input;
}

/** The request as the review step shows it: the user data is named by its size, never shown. */
export function previewRequest(input: RunInstancesCommandInput): Record<string, unknown> {
  const { UserData, ...rest } = input;
  return UserData === undefined ? { ...rest } : { ...rest, UserData: `<${Buffer.from(UserData, 'base64').length} bytes, from ${USER_DATA_FILE}>` };
}

/**
 * The equivalent `aws ec2 run-instances …` on one line. Every value is one shell-quoted word (names and
 * tags are the user's text); user data is read from a file (fileb://user-data.txt), never inlined.
 * The tag and block-device arguments use the CLI's JSON form, which needs no escaping of its own.
 */
export function runInstancesCli(input: RunInstancesCommandInput, options: { region?: string; profile?: string } = {}): string {
  const parts: string[] = ['aws', 'ec2', 'run-instances'];
  const add = (flag: string, value: string | number) => parts.push(flag, shellQuote(String(value)));
  if (options.profile) add('--profile', options.profile);
  if (options.region) add('--region', options.region);
  add('--image-id', input.ImageId ?? '');
  add('--instance-type', input.InstanceType ?? '');
  add('--count', input.MinCount === input.MaxCount ? `${input.MinCount}` : `${input.MinCount}:${input.MaxCount}`);
  if (input.KeyName) add('--key-name', input.KeyName);
  if (input.SecurityGroupIds?.length) parts.push('--security-group-ids', ...input.SecurityGroupIds.map(shellQuote));
  if (input.BlockDeviceMappings?.length) add('--block-device-mappings', JSON.stringify(input.BlockDeviceMappings));
  if (input.UserData !== undefined) parts.push('--user-data', `fileb://${USER_DATA_FILE}`);
  if (input.TagSpecifications?.length) {
    add('--tag-specifications', JSON.stringify(input.TagSpecifications));
  }
  if (input.ClientToken) add('--client-token', input.ClientToken);
  return parts.join(' ');
}
