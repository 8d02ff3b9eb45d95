// The aws provider: Amazon EC2 through @aws-sdk/client-ec2, imported lazily (STACK.md "AWS SDK": 28 MB,
// 300–650 ms to import) the first time a call needs it, never when this module loads.
//
// Credentials and region come from the SDK's default chain (environment, ~/.aws profiles, SSO), with
// --profile and --region on top; options.endpoint (or STRATA_AWS_ENDPOINT) points it at an EC2-compatible
// endpoint (an emulator in tests). Names, labels, group, billing code and lineage live in tags.
// Every EC2 call goes through one seam (Ec2Api.call) so a test can answer it from recorded responses.
import type { EC2Client } from '@aws-sdk/client-ec2';
import type {
  DescribeImagesCommandInput,
  DescribeImagesCommandOutput,
  DescribeInstancesCommandInput,
  DescribeInstancesCommandOutput,
  DescribeInstanceStatusCommandOutput,
  DescribeInstanceTypesCommandOutput,
  DescribeKeyPairsCommandOutput,
  DescribeRegionsCommandOutput,
  DescribeSecurityGroupsCommandOutput,
  CreateImageCommandOutput,
  CopyImageCommandOutput,
  CreateKeyPairCommandOutput,
  CreateSecurityGroupCommandOutput,
  Filter,
  GetConsoleOutputCommandOutput,
  Image as Ec2Image,
  ImportKeyPairCommandOutput,
  Instance,
  InstanceStatus,
  RunInstancesCommandOutput,
  SecurityGroup,
} from '@aws-sdk/client-ec2';
import type { ProviderDescription } from '../../core/capabilities.js';
import { shellWord } from '../../core/shell.js';
import { StrataError, invalid, notFound, unsupported } from '../../core/errors.js';
import { validateLaunch } from '../../core/launch.js';
import { COPIED_FROM_TAG, COPY_TOKEN_TAG, LAUNCH_TAG, NAME_TAG, REGIONAL_TAGS, SOURCE_IMAGE_TAG, SOURCE_SERVER_TAG, TAG_PREFIX } from '../../core/tags.js';
import {
  SCOPES,
  type CreatedKeypair,
  type Firewall,
  type FirewallRule,
  type Image,
  type Keypair,
  type LaunchSpec,
  type Page,
  type Product,
  type Scope,
  type Server,
} from '../../core/types.js';
import type {
  CaptureOptions,
  CopyOptions,
  CopySource,
  ImportImageOptions,
  LaunchPreview,
  ListImagesOptions,
  ProviderOptions,
  ProviderService,
  RowReferences,
} from '../provider.js';
import { awsErrorCode, mapAwsError, type AwsErrorContext } from './errors.js';
import {
  AWS_PROFILE_LINE,
  DEFAULT_TRUSTED_OWNER_IDS,
  IMAGE_NAME_RULES,
  RESOURCE_NAME_RULES,
  awsCapabilities,
  firewallFromEc2,
  imageFromEc2,
  keypairFromEc2,
  nameFilterValues,
  nameFilterWord,
  nameHasWords,
  parseImageQuery,
  previewRequest,
  productsFromEc2,
  recordToTags,
  regionName,
  rulesToIpPermissions,
  runInstancesCli,
  runInstancesInput,
  serverFromEc2,
  tagsToRecord,
} from './mapping.js';
import { checkClientToken, checkDescription, checkFirewallRules, checkPublicKey, checkResourceName, checkTagChanges } from './validate.js';

export { mapAwsError } from './errors.js';
export { AWS_CAPABILITIES } from './mapping.js';

/** For the registry (next step of the issue): loading this module does not load the SDK. */
export const AWS_PROVIDER_INFO = {
  id: 'aws',
  displayName: 'Amazon EC2',
  summary: 'Amazon EC2 with the AWS SDK\'s credentials (environment, ~/.aws profiles, SSO); --profile and --region',
} as const;

/** The environment variable that points the provider at an EC2-compatible endpoint (tests, emulators). */
export const ENDPOINT_ENV = 'STRATA_AWS_ENDPOINT';

export interface AwsProviderOptions extends ProviderOptions {
  profile?: string;
  endpoint?: string;
  /** Owner account ids whose images count as vendor templates besides Amazon's (default: DEFAULT_TRUSTED_OWNER_IDS). */
  trustedOwnerIds?: string[];
  /** Tests: the SDK's HTTP handler (to see where a request goes without sending it). */
  requestHandler?: unknown;
}

/** The one way the provider reaches EC2: an action name ("DescribeImages") and its input. */
export interface Ec2Api {
  call<T>(action: string, input: object): Promise<T>;
  /** The region the calls go to (the SDK's default chain decides when none was given). */
  region(): Promise<string>;
  /** EC2's clock minus this machine's, in ms, from the Date header of the latest answer (0 until one came). */
  clockOffsetMs(): number;
  close(): void;
}

/** Filter values per filter in one call (EC2 documents up to 200 values per filter for some actions). */
export const IDS_PER_FILTER = 200;
/** DescribeInstanceStatus takes at most 100 explicit instance ids. */
export const IDS_PER_STATUS_CALL = 100;
/** Above this many running servers, one paged DescribeInstanceStatus for the region beats calls per 100 ids. */
export const STATUS_BY_ID_LIMIT = 500;
const DEFAULT_PAGE = 100;
/** EC2 calls one page of a catalogue search may make when words are matched here (each returns up to 1000). */
export const FILTERED_CALLS_PER_PAGE = 3;

/** The real EC2, through the SDK, loaded on the first call. */
export function sdkApi(options: AwsProviderOptions): Ec2Api {
  let loaded: Promise<{ client: EC2Client; commands: Record<string, new (input: object) => unknown> }> | undefined;
  let offset = 0;
  const endpoint = options.endpoint ?? process.env[ENDPOINT_ENV] ?? undefined;
  const load = () =>
    (loaded ??= (async () => {
      const sdk = await import('@aws-sdk/client-ec2');
      const client = new sdk.EC2Client({
        ...(options.region ? { region: options.region } : {}),
        ...(options.profile ? { profile: options.profile } : {}),
        ...(endpoint ? { endpoint } : {}),
        ...(options.requestHandler ? { requestHandler: options.requestHandler as never } : {}),
        // One retry policy: strata's (services/retry.ts), which sees Throttled/Transient and backs off.
        maxAttempts: 1,
      });
      // EC2's clock, for observedAt: elapsed times are measured against the provider's clock.
      client.middlewareStack.add(
        (next) => async (args) => {
          const result = await next(args);
          const headers = (result.response as { headers?: Record<string, string> } | undefined)?.headers;
          const date = headers?.date ?? headers?.Date;
          const ms = date ? Date.parse(date) : NaN;
          if (Number.isFinite(ms)) offset = ms - Date.now();
          return result;
        },
        { step: 'deserialize', name: 'strataServerClock' },
      );
      return { client, commands: sdk as unknown as Record<string, new (input: object) => unknown> };
    })());
  return {
    async call<T>(action: string, input: object): Promise<T> {
      const { client, commands } = await load();
      const Command = commands[`${action}Command`];
      if (!Command) throw new Error(`The EC2 SDK has no ${action}Command.`);
      return (await client.send(new Command(input) as never)) as T;
    },
    async region() {
      const { client } = await load();
      return client.config.region();
    },
    clockOffsetMs: () => offset,
    close() {
      void loaded?.then(({ client }) => client.destroy()).catch(() => undefined);
    },
  };
}

interface PageToken {
  s: Scope;
  q: string;
  /** EC2's NextToken. */
  t?: string;
  /** An offset into a list filtered here (own images with a query). */
  o?: number;
}

function encodeToken(token: PageToken): string {
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

function decodeToken(page: string | undefined, scope: Scope, query: string): PageToken | undefined {
  if (page === undefined || page === '') return undefined;
  let token: PageToken | undefined;
  try {
    token = JSON.parse(Buffer.from(page, 'base64url').toString('utf8')) as PageToken;
  } catch {
    token = undefined;
  }
  if (!token || token.s !== scope || token.q !== query) {
    throw invalid('This page token belongs to another list or search; start again from the first page.', 'page');
  }
  return token;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Own images: every word in the name, the Name tag or the id, in any order, case-insensitively. */
function matchesWords(image: Image, words: readonly string[]): boolean {
  const text = `${image.name}\n${image.displayName ?? ''}\n${image.id}`.toLowerCase();
  return words.every((word) => text.includes(word.toLowerCase()));
}

export class AwsProvider implements ProviderService {
  private readonly caps = awsCapabilities();
  private products?: Promise<Product[]>;
  private regions?: Promise<ProviderDescription['regions']>;
  private account?: Promise<string | undefined>;
  private regionName?: string;
  /** The endpoint cannot filter instances by client token: launches are found by strata's launch tag. */
  private tokenByTag = false;

  constructor(
    private readonly api: Ec2Api,
    private readonly options: AwsProviderOptions,
  ) {}

  // ---- plumbing ---------------------------------------------------------------------------------------

  private async call<T>(action: string, input: object, context: Omit<AwsErrorContext, 'action'> = {}): Promise<T> {
    try {
      return await this.api.call<T>(action, input);
    } catch (error) {
      throw mapAwsError(error, this.errorContext(action, context));
    }
  }

  /** What an error sentence may name: the action, the profile, the region, the endpoint and where it was set. */
  private errorContext(action: string, context: Omit<AwsErrorContext, 'action'> = {}): AwsErrorContext {
    const endpoint = this.options.endpoint
      ? { url: this.options.endpoint, from: '--endpoint' }
      : process.env[ENDPOINT_ENV]
        ? { url: process.env[ENDPOINT_ENV], from: ENDPOINT_ENV }
        : undefined;
    return { action, profile: this.options.profile, region: this.regionName ?? this.options.region, ...(endpoint ? { endpoint } : {}), ...context };
  }

  private nowMs(): number {
    return Date.now() + this.api.clockOffsetMs();
  }

  private async region(): Promise<string> {
    if (this.regionName) return this.regionName;
    try {
      this.regionName = this.options.region ?? (await this.api.region());
    } catch (error) {
      if (error instanceof StrataError) throw error;
      throw invalid('No AWS region is set: pass --region, or set one in the profile (aws configure) or in AWS_REGION.', 'region');
    }
    return this.regionName;
  }

  /** The account's id, from the owner of its security groups (every VPC has a default one); cached. */
  private accountId(): Promise<string | undefined> {
    this.account ??= this.call<DescribeSecurityGroupsCommandOutput>('DescribeSecurityGroups', { MaxResults: 5 })
      .then((out) => out.SecurityGroups?.find((g) => g.OwnerId)?.OwnerId)
      .catch(() => undefined);
    return this.account;
  }

  private trustedOwners(): readonly string[] {
    return this.options.trustedOwnerIds ?? DEFAULT_TRUSTED_OWNER_IDS;
  }

  private imageContext(scope?: Scope, accountId?: string) {
    return { nowMs: this.nowMs(), accountId, trustedOwnerIds: this.trustedOwners(), ...(scope ? { scope } : {}) };
  }

  // ---- description ------------------------------------------------------------------------------------

  async describe(): Promise<ProviderDescription> {
    const region = await this.region();
    this.regions ??= this.call<DescribeRegionsCommandOutput>('DescribeRegions', {}, { doing: 'listing regions' }).then((out) =>
      (out.Regions ?? [])
        .map((r) => r.RegionName)
        .filter((r): r is string => typeof r === 'string')
        .sort()
        .map((id) => ({ id, name: regionName(id) })),
    );
    let regions: ProviderDescription['regions'];
    try {
      regions = await this.regions;
    } catch (error) {
      this.regions = undefined;
      throw error;
    }
    if (!regions.some((r) => r.id === region)) regions = [...regions, { id: region, name: regionName(region) }];
    return { id: AWS_PROVIDER_INFO.id, displayName: AWS_PROVIDER_INFO.displayName, region, regions, profile: AWS_PROFILE_LINE, capabilities: awsCapabilities() };
  }

  // ---- images -----------------------------------------------------------------------------------------

  async listImages(options: ListImagesOptions): Promise<Page<Image>> {
    const scope = options?.scope;
    if (!SCOPES.includes(scope)) throw invalid(`Unknown image scope "${String(scope)}"; use own, vendor or public.`, 'scope');
    await this.region();
    const query = (options.query ?? '').trim();
    // EC2 takes MaxResults of 5 to 1000; a smaller page is cut here (see the offset below).
    const pageSize = Math.min(1000, Math.max(1, Math.floor(Number(options.pageSize ?? DEFAULT_PAGE)) || DEFAULT_PAGE));
    const token = decodeToken(options.page, scope, query);
    const doing = 'listing images';

    const asked = parseImageQuery(query);
    if (scope === 'own' && query !== '') {
      // Own images are few: search them here, case-insensitively, on the name and the Name tag.
      const all: Image[] = [];
      let next: string | undefined;
      do {
        const out = await this.call<DescribeImagesCommandOutput>(
          'DescribeImages',
          { Owners: ['self'], IncludeDeprecated: true, MaxResults: 1000, ...(next ? { NextToken: next } : {}) },
          { doing },
        );
        for (const image of out.Images ?? []) all.push(imageFromEc2(image, this.imageContext('own')));
        next = out.NextToken;
      } while (next);
      const matching = all
        .filter((image) => matchesWords(image, asked.words) && (asked.architecture === undefined || image.architecture === asked.architecture))
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
      const start = token?.o ?? 0;
      const items = matching.slice(start, start + pageSize);
      const end = start + items.length;
      return { items, total: matching.length, ...(end < matching.length ? { next: encodeToken({ s: scope, q: query, o: end }) } : {}) };
    }

    const filters: Filter[] = [];
    const input: DescribeImagesCommandInput = {};
    if (scope === 'own') {
      input.Owners = ['self'];
      input.IncludeDeprecated = true;
    } else if (scope === 'vendor') {
      input.Owners = asked.owner ? [asked.owner] : ['amazon', ...this.trustedOwners()];
      filters.push({ Name: 'state', Values: ['available'] });
    } else {
      input.ExecutableUsers = ['all'];
      if (asked.owner) input.Owners = [asked.owner];
      filters.push({ Name: 'is-public', Values: ['true'] }, { Name: 'state', Values: ['available'] });
    }
    // Deprecated templates and public images are shown when asked for ("deprecated" in the query).
    if (asked.includeDeprecated) input.IncludeDeprecated = true;
    if (asked.architecture) filters.push({ Name: 'architecture', Values: [asked.architecture] });
    // EC2 is asked for one word (nameFilterWord); every word is matched here on what comes back.
    const word = nameFilterWord(asked.words);
    if (word !== undefined) filters.push({ Name: 'name', Values: nameFilterValues(word) });
    if (filters.length > 0) input.Filters = filters;
    const filtering = asked.words.length > 1;
    // EC2 takes MaxResults of 5 to 1000; with words matched here, as many as it gives, and a few calls.
    input.MaxResults = filtering ? 1000 : Math.max(5, pageSize);
    const calls = filtering ? FILTERED_CALLS_PER_PAGE : 1;

    // A page: matches from EC2's pages from the token on. EC2 honours MaxResults; an EC2-compatible endpoint
    // may not, and words matched here leave fewer: a page ends inside an EC2 page with an offset into its
    // matches (that EC2 page is asked for again, with the same token, for the next page).
    const items: Image[] = [];
    let ec2Token = token?.t;
    let skip = token?.o ?? 0;
    let next: PageToken | undefined;
    for (let call = 1; ; call++) {
      const out = await this.call<DescribeImagesCommandOutput>('DescribeImages', { ...input, ...(ec2Token ? { NextToken: ec2Token } : {}) }, { doing });
      const matches = (out.Images ?? []).filter((image) => nameHasWords(image.Name ?? '', asked.words)).slice(skip);
      const room = pageSize - items.length;
      if (matches.length > room) {
        items.push(...matches.slice(0, room).map((image) => imageFromEc2(image, this.imageContext(scope))));
        next = { s: scope, q: query, ...(ec2Token ? { t: ec2Token } : {}), o: skip + room };
        break;
      }
      items.push(...matches.map((image) => imageFromEc2(image, this.imageContext(scope))));
      skip = 0;
      if (!out.NextToken) break;
      ec2Token = out.NextToken;
      if (items.length === pageSize || call >= calls) {
        next = { s: scope, q: query, t: ec2Token };
        break;
      }
    }
    return { items, ...(next ? { next: encodeToken(next) } : {}) };
  }

  private async describeImage(id: string): Promise<Ec2Image> {
    if (typeof id !== 'string' || id === '') throw invalid('An image id is needed.', 'imageId');
    const out = await this.call<DescribeImagesCommandOutput>(
      'DescribeImages',
      { ImageIds: [id], IncludeDeprecated: true, IncludeDisabled: true },
      { doing: `reading image ${id}` },
    );
    const image = out.Images?.find((i) => i.ImageId === id);
    if (!image || image.State === 'deregistered') throw notFound(`Image ${id} does not exist in ${this.regionName ?? 'this region'}.`);
    return image;
  }

  async getImage(id: string): Promise<Image> {
    await this.region();
    const [image, accountId] = await Promise.all([this.describeImage(id), this.accountId()]);
    if (accountId === undefined && image.OwnerId !== undefined && image.ImageOwnerAlias === undefined) {
      // The account id is unknown (no ec2:DescribeSecurityGroups): ask whether the account owns this one.
      const mine = await this.call<DescribeImagesCommandOutput>('DescribeImages', { ImageIds: [id], Owners: ['self'] }, { doing: `reading image ${id}` });
      if (mine.Images?.some((i) => i.ImageId === id)) return imageFromEc2(image, this.imageContext('own'));
    }
    return imageFromEc2(image, this.imageContext(undefined, accountId));
  }

  private async ownImage(id: string, doing: string): Promise<Image> {
    const image = await this.getImage(id);
    if (!image.owned) {
      throw unsupported(`Image ${image.id} belongs to ${image.owner}; ${doing} is possible only for your own images.`);
    }
    return image;
  }

  async setImageTags(id: string, tags: Record<string, string | null>): Promise<Image> {
    const changes = checkTagChanges(tags);
    const image = await this.ownImage(id, 'tagging');
    const set = Object.entries(changes).filter((e): e is [string, string] => e[1] !== null);
    const removed = Object.entries(changes)
      .filter(([, v]) => v === null)
      .map(([Key]) => ({ Key }));
    const doing = `tagging image ${id}`;
    if (set.length > 0) await this.call('CreateTags', { Resources: [id], Tags: recordToTags(Object.fromEntries(set)) }, { doing });
    if (removed.length > 0) await this.call('DeleteTags', { Resources: [id], Tags: removed }, { doing });
    const merged = { ...image.tags };
    for (const [key, value] of Object.entries(changes)) {
      if (value === null) delete merged[key];
      else merged[key] = value;
    }
    const result: Image = { ...image, tags: merged };
    delete result.displayName;
    if (merged[NAME_TAG] !== undefined) result.displayName = merged[NAME_TAG];
    return result;
  }

  /**
   * EnableImageDeprecation (at: EC2 takes a moment from a minute ahead up to 10 years ahead, rounded to the
   * minute: a moment nearer than that is sent as a minute from EC2's now) or DisableImageDeprecation (null),
   * on an own image only. The image comes back with the date EC2 was given (DescribeImages may lag behind).
   */
  async setImageDeprecation(id: string, at: string | null): Promise<Image> {
    let when: Date | undefined;
    if (at !== null) {
      const ms = typeof at === 'string' ? Date.parse(at) : Number.NaN;
      if (!Number.isFinite(ms)) throw invalid('A deprecation date is an ISO 8601 date and time (or null to clear it).', 'deprecateAt');
      const soonest = Math.ceil((this.nowMs() + 60_000) / 60_000) * 60_000;
      when = new Date(Math.max(soonest, Math.round(ms / 60_000) * 60_000));
    }
    const image = await this.ownImage(id, 'a deprecation date');
    const doing = `${when ? 'deprecating' : 'taking the deprecation date off'} image ${id}`;
    if (when) await this.call('EnableImageDeprecation', { ImageId: id, DeprecateAt: when }, { doing, fields: { InvalidParameterValue: 'deprecateAt', InvalidParameter: 'deprecateAt' } });
    else await this.call('DisableImageDeprecation', { ImageId: id }, { doing });
    const result: Image = { ...image };
    delete result.deprecatedAt;
    if (when) result.deprecatedAt = when.toISOString();
    if (result.state === 'available' || result.state === 'deprecated') result.state = when && when.getTime() <= this.nowMs() ? 'deprecated' : 'available';
    return result;
  }

  async captureImage(serverId: string, options: CaptureOptions): Promise<Image> {
    const name = checkResourceName('image', options?.name, IMAGE_NAME_RULES);
    const description = checkDescription(options.description);
    await this.region();
    const instance = await this.describeInstance(serverId);
    // EC2 refuses a taken name too (InvalidAMIName.Duplicate); asking first gives the same answer before
    // anything is started, also where an endpoint does not check.
    const taken = await this.call<DescribeImagesCommandOutput>(
      'DescribeImages',
      { Owners: ['self'], Filters: [{ Name: 'name', Values: [name.replace(/[\\*?]/g, (ch) => `\\${ch}`)] }] },
      { doing: 'checking the image name' },
    );
    if ((taken.Images ?? []).some((i) => i.Name === name && i.State !== 'deregistered')) {
      throw invalid(`An image named "${name}" already exists in ${this.regionName}; image names are unique per account and region.`, 'name');
    }
    const tags = recordToTags({ [SOURCE_IMAGE_TAG]: instance.ImageId ?? '', [SOURCE_SERVER_TAG]: serverId });
    const out = await this.call<CreateImageCommandOutput>(
      'CreateImage',
      {
        InstanceId: serverId,
        Name: name,
        Description: description ?? `Captured by strata from ${serverId}`,
        NoReboot: options.noReboot ?? false,
        // The lineage lives on the image. (Its snapshots are not tagged: they go with the image when it is
        // deleted, and EC2 emulators refuse snapshot tag specifications here.)
        TagSpecifications: [{ ResourceType: 'image', Tags: tags }],
      },
      { doing: `capturing an image of ${serverId}`, fields: { 'InvalidAMIName.': 'name', IncorrectInstanceState: 'serverId' } },
    );
    const imageId = out.ImageId!;
    try {
      return await this.getImage(imageId);
    } catch (error) {
      if (!(error instanceof StrataError && error.kind === 'NotFound')) throw error;
      // EC2 is eventually consistent: a new AMI can take a moment to be describable.
      const record = { [SOURCE_IMAGE_TAG]: instance.ImageId ?? '', [SOURCE_SERVER_TAG]: serverId };
      return {
        id: imageId,
        name,
        kind: 'own',
        owner: 'self',
        architecture: instance.Architecture === 'arm64' ? 'arm64' : 'x86_64',
        state: 'pending',
        createdAt: new Date(this.nowMs()).toISOString(),
        owned: true,
        tags: record,
        ...(instance.ImageId ? { sourceImageId: instance.ImageId } : {}),
        sourceServerId: serverId,
        ...(description ? { description } : {}),
      };
    }
  }

  /**
   * EC2 CopyImage into this region, from another region of the account: the copy keeps the name given, the
   * description, the tags (strata's among them, but for those naming things of the source's region) and
   * the encryption (an encrypted image is copied encrypted, with this region's default key), and is tagged
   * with where it came from and its client token. Idempotent per token: EC2 answers a repeated CopyImage
   * with the same image; an endpoint that does not is asked for the image tagged with the token first.
   */
  async copyImage(source: CopySource, options: CopyOptions): Promise<Image> {
    const token = checkClientToken(options?.clientToken);
    const name = checkResourceName('image', options.name, IMAGE_NAME_RULES);
    if (source === null || typeof source !== 'object' || typeof source.region !== 'string' || source.region === '' || typeof source.imageId !== 'string' || source.imageId === '') {
      throw invalid('A copy needs the region and the id of the image to copy.', 'source');
    }
    const region = await this.region();
    if (source.region === region) throw invalid(`Image ${source.imageId} is in ${region} already; a copy goes to another region.`, 'region');
    const given = options.description ?? source.image?.description;
    const description = given === undefined ? undefined : checkDescription(given.replace(/[^\x20-\x7e]/g, ' ').slice(0, 255));
    const doing = `copying image ${source.imageId} from ${source.region}`;
    const made = await this.call<DescribeImagesCommandOutput>(
      'DescribeImages',
      { Owners: ['self'], Filters: [{ Name: `tag:${COPY_TOKEN_TAG}`, Values: [token] }] },
      { doing },
    );
    const earlier = made.Images?.find((i) => i.ImageId && i.State !== 'deregistered');
    if (earlier) return imageFromEc2(earlier, this.imageContext('own'));
    const tags: Record<string, string> = {};
    for (const [key, value] of Object.entries(source.image?.tags ?? {})) if (!REGIONAL_TAGS.includes(key) && !key.startsWith('aws:')) tags[key] = value;
    tags[COPIED_FROM_TAG] = `${source.region}/${source.imageId}`;
    tags[COPY_TOKEN_TAG] = token;
    const out = await this.call<CopyImageCommandOutput>(
      'CopyImage',
      {
        SourceRegion: source.region,
        SourceImageId: source.imageId,
        Name: name,
        ...(description ? { Description: description } : {}),
        ClientToken: token,
        ...(source.image?.encrypted ? { Encrypted: true } : {}),
        TagSpecifications: [{ ResourceType: 'image', Tags: recordToTags(tags) }],
      },
      { doing, fields: { 'InvalidAMIName.': 'name', 'InvalidAMIID.': 'imageId', InvalidRegion: 'region' } },
    );
    const imageId = out.ImageId!;
    try {
      let copied = await this.getImage(imageId);
      // An EC2-compatible endpoint that leaves CopyImage's tags out (moto): written now, so the copy says
      // where it came from and a retry finds it by its token. (EC2 itself wrote them with the copy.)
      if (copied.tags[COPY_TOKEN_TAG] !== token || copied.tags[COPIED_FROM_TAG] === undefined) {
        await this.call('CreateTags', { Resources: [imageId], Tags: recordToTags(tags) }, { doing: `tagging the copy ${imageId}` });
        copied = await this.getImage(imageId);
      }
      return copied;
    } catch (error) {
      if (!(error instanceof StrataError && error.kind === 'NotFound')) throw error;
      // EC2 is eventually consistent: the new AMI may not be describable for a moment.
      return {
        id: imageId,
        name,
        kind: 'own',
        owner: 'self',
        architecture: source.image?.architecture ?? 'x86_64',
        state: 'pending',
        createdAt: new Date(this.nowMs()).toISOString(),
        owned: true,
        tags,
        copiedFrom: { region: source.region, imageId: source.imageId },
        ...(description ? { description } : {}),
        ...(source.image?.encrypted !== undefined ? { encrypted: source.image.encrypted } : {}),
      };
    }
  }

  async deleteImage(id: string): Promise<void> {
    await this.region();
    await this.ownImage(id, 'deleting');
    // The AMI's snapshots go with it: left behind they cost money and nothing in strata shows them.
    await this.call('DeregisterImage', { ImageId: id, DeleteAssociatedSnapshots: true }, { doing: `deleting image ${id}` });
  }

  async importImage(_options: ImportImageOptions): Promise<Image> {
    throw unsupported(
      'EC2 imports images from an S3 bucket (aws ec2 import-image, with the VM Import service role), not from a file on this machine; strata does not import images into EC2.',
    );
  }

  // ---- launch catalogue -------------------------------------------------------------------------------

  async listProducts(): Promise<Product[]> {
    await this.region();
    this.products ??= (async () => {
      const infos = [];
      let next: string | undefined;
      do {
        const out = await this.call<DescribeInstanceTypesCommandOutput>(
          'DescribeInstanceTypes',
          { MaxResults: 100, Filters: [{ Name: 'current-generation', Values: ['true'] }], ...(next ? { NextToken: next } : {}) },
          { doing: 'listing sizes' },
        );
        infos.push(...(out.InstanceTypes ?? []));
        next = out.NextToken;
      } while (next);
      return productsFromEc2(infos);
    })();
    try {
      return structuredClone(await this.products);
    } catch (error) {
      this.products = undefined;
      throw error;
    }
  }

  async listFirewalls(): Promise<Firewall[]> {
    await this.region();
    const firewalls: Firewall[] = [];
    let next: string | undefined;
    do {
      const out = await this.call<DescribeSecurityGroupsCommandOutput>(
        'DescribeSecurityGroups',
        { MaxResults: 1000, ...(next ? { NextToken: next } : {}) },
        { doing: 'listing security groups' },
      );
      for (const group of out.SecurityGroups ?? []) firewalls.push(firewallFromEc2(group));
      next = out.NextToken;
    } while (next);
    return firewalls.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  }

  async createFirewall(name: string, rules: FirewallRule[], description?: string, extraTags: Record<string, string> = {}): Promise<Firewall> {
    checkResourceName('firewall', name, RESOURCE_NAME_RULES);
    const checked = checkFirewallRules(rules);
    const text = checkDescription(description) ?? 'Created by strata';
    await this.region();
    const created = await this.call<CreateSecurityGroupCommandOutput>(
      'CreateSecurityGroup',
      {
        GroupName: name,
        Description: text,
        TagSpecifications: [{ ResourceType: 'security-group', Tags: recordToTags({ [NAME_TAG]: name, ...extraTags }) }],
      },
      { doing: `creating security group ${name}`, conflicts: ['InvalidGroup.Duplicate'] },
    );
    const id = created.GroupId!;
    if (checked.length > 0) {
      try {
        await this.call('AuthorizeSecurityGroupIngress', { GroupId: id, IpPermissions: rulesToIpPermissions(checked) }, { doing: `adding rules to ${name}` });
      } catch (error) {
        // Half a firewall is worse than none: remove the group, then report why the rules failed.
        await this.call('DeleteSecurityGroup', { GroupId: id }).catch(() => undefined);
        throw error;
      }
    }
    const made = text.startsWith('Created by strata') || Object.keys(extraTags).some((k) => k.startsWith(TAG_PREFIX));
    return { id, name, rules: checked, ...(description !== undefined ? { description } : {}), ...(made ? { madeByStrata: true } : {}) };
  }

  /**
   * The rules of a launch's own firewall that an earlier attempt did not get to add (it stopped between
   * CreateSecurityGroup and AuthorizeSecurityGroupIngress), added now: one call per rule, since EC2 refuses
   * a whole call when one of its rules is there already (InvalidPermission.Duplicate, which is fine here).
   */
  private async completeRules(group: SecurityGroup, rules: FirewallRule[]): Promise<void> {
    const checked = checkFirewallRules(rules, 'newFirewall.rules');
    const have = firewallFromEc2(group).rules;
    const same = (a: FirewallRule, b: FirewallRule) => a.protocol === b.protocol && a.fromPort === b.fromPort && a.toPort === b.toPort && a.source === b.source;
    for (const rule of checked.filter((r) => !have.some((h) => same(h, r)))) {
      try {
        await this.api.call('AuthorizeSecurityGroupIngress', { GroupId: group.GroupId, IpPermissions: rulesToIpPermissions([rule]) });
      } catch (error) {
        if (awsErrorCode(error) === 'InvalidPermission.Duplicate') continue;
        throw mapAwsError(error, this.errorContext('AuthorizeSecurityGroupIngress', { doing: `adding rules to ${group.GroupName ?? group.GroupId}` }));
      }
    }
  }

  /**
   * Deletes a security group. EC2 refuses one that is in use (DependencyViolation) without saying by
   * what: strata looks for the servers that use it and the groups whose rules refer to it, and names them
   * in a Conflict. An unknown id is NotFound; the VPC's default group cannot be deleted (Invalid).
   */
  async deleteFirewall(id: string): Promise<void> {
    if (typeof id !== 'string' || id === '') throw invalid('A firewall id is needed.', 'firewallId');
    await this.region();
    const doing = `deleting firewall ${id}`;
    // Asked first, so the contract holds on an endpoint that does not refuse itself (EC2 answers
    // DependencyViolation while an instance uses the group; an emulator may delete it regardless).
    const users = await this.instancesUsing(id);
    if (users.length > 0) throw new StrataError('Conflict', await this.inUseSentence(id, users));
    try {
      await this.api.call('DeleteSecurityGroup', { GroupId: id });
    } catch (error) {
      const code = awsErrorCode(error);
      if (code === 'DependencyViolation') throw new StrataError('Conflict', await this.inUseSentence(id), { detail: mapAwsError(error, this.errorContext('DeleteSecurityGroup')).detail });
      if (code === 'CannotDelete') {
        throw new StrataError('Invalid', `Firewall ${id} is the default security group of its VPC, which EC2 never deletes.`, { field: 'firewallId' });
      }
      throw mapAwsError(error, this.errorContext('DeleteSecurityGroup', { doing }));
    }
  }

  /** The instances (not terminated) in a security group. */
  private instancesUsing(id: string): Promise<Instance[]> {
    return this.instancesWhere(
      [
        { Name: 'instance.group-id', Values: [id] },
        { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped', 'shutting-down'] },
      ],
      'looking up what uses a firewall',
    );
  }

  /**
   * What uses a security group, as far as strata can see: servers (not terminated; `servers` where they were
   * just looked up), other groups' rules.
   */
  private async inUseSentence(id: string, known?: Instance[]): Promise<string> {
    const [servers, groups] = await Promise.all([
      known ?? this.instancesUsing(id).catch(() => undefined),
      this.call<DescribeSecurityGroupsCommandOutput>('DescribeSecurityGroups', { Filters: [{ Name: 'ip-permission.group-id', Values: [id] }] })
        .then((out) => (out.SecurityGroups ?? []).filter((g) => g.GroupId !== id))
        .catch(() => undefined),
    ]);
    const users = [
      ...(servers ?? []).map((i) => `server ${tagsToRecord(i.Tags)[NAME_TAG] ?? i.InstanceId} (${i.InstanceId})`),
      ...(groups ?? []).map((g) => `the rules of firewall ${g.GroupName ?? g.GroupId} (${g.GroupId})`),
    ];
    if (users.length === 0) {
      return `Firewall ${id} is still in use (EC2: DependencyViolation), by something strata does not list: a network interface, a load balancer or another account's rule; remove that first.`;
    }
    const named = users.length <= 3 ? users.join(', ') : `${users.slice(0, 2).join(', ')} and ${users.length - 2} more`;
    const hasServers = (servers?.length ?? 0) > 0;
    const hasRules = (groups?.length ?? 0) > 0;
    const what = hasServers && hasRules ? 'move those servers to another firewall (or terminate them) and remove those rules' : hasServers ? 'move those servers to another firewall (or terminate them)' : 'remove those rules';
    return `Firewall ${id} is in use by ${named}; ${what} first.`;
  }

  async listKeypairs(): Promise<Keypair[]> {
    await this.region();
    const out = await this.call<DescribeKeyPairsCommandOutput>('DescribeKeyPairs', {}, { doing: 'listing keypairs' });
    return (out.KeyPairs ?? []).map(keypairFromEc2).sort((a, b) => a.name.localeCompare(b.name));
  }

  async createKeypair(name: string): Promise<CreatedKeypair> {
    checkResourceName('keypair', name, RESOURCE_NAME_RULES);
    await this.region();
    const out = await this.call<CreateKeyPairCommandOutput>(
      'CreateKeyPair',
      { KeyName: name, KeyType: 'ed25519', KeyFormat: 'pem' },
      { doing: `creating keypair ${name}`, conflicts: ['InvalidKeyPair.Duplicate'] },
    );
    return {
      id: out.KeyPairId ?? name,
      name: out.KeyName ?? name,
      fingerprint: out.KeyFingerprint ?? '',
      createdAt: new Date(this.nowMs()).toISOString(),
      privateKeyPem: out.KeyMaterial ?? '',
    };
  }

  async importKeypair(name: string, publicKey: string): Promise<Keypair> {
    checkResourceName('keypair', name, RESOURCE_NAME_RULES);
    const line = checkPublicKey(publicKey);
    await this.region();
    const out = await this.call<ImportKeyPairCommandOutput>(
      'ImportKeyPair',
      { KeyName: name, PublicKeyMaterial: Buffer.from(line, 'utf8') },
      { doing: `importing keypair ${name}`, conflicts: ['InvalidKeyPair.Duplicate'], fields: { 'InvalidKey.Format': 'publicKey' } },
    );
    return { id: out.KeyPairId ?? name, name: out.KeyName ?? name, fingerprint: out.KeyFingerprint ?? '' };
  }

  // ---- servers ----------------------------------------------------------------------------------------

  private observedAt(): string {
    return new Date(this.nowMs()).toISOString();
  }

  private async describeInstance(id: string): Promise<Instance> {
    if (typeof id !== 'string' || id === '') throw invalid('A server id is needed.', 'serverId');
    const [instance] = await this.instancesWhere([{ Name: 'instance-id', Values: [id] }], `reading server ${id}`);
    if (!instance) throw notFound(`Server ${id} does not exist in ${this.regionName ?? 'this region'}.`);
    return instance;
  }

  /** Every instance matching the filters, across pages. Filters never fail on unknown ids (InstanceIds would). */
  private async instancesWhere(filters: Filter[] | undefined, doing: string): Promise<Instance[]> {
    const instances: Instance[] = [];
    let next: string | undefined;
    do {
      const input: DescribeInstancesCommandInput = { MaxResults: 1000, ...(filters ? { Filters: filters } : {}), ...(next ? { NextToken: next } : {}) };
      const out = await this.call<DescribeInstancesCommandOutput>('DescribeInstances', input, { doing });
      for (const reservation of out.Reservations ?? []) instances.push(...(reservation.Instances ?? []));
      next = out.NextToken;
    } while (next);
    return instances;
  }

  /** Status checks of the running instances among these: by id in calls of 100, or the whole region paged. */
  private async statusesOf(instances: Instance[]): Promise<Map<string, InstanceStatus>> {
    const running = instances.filter((i) => i.State?.Name === 'running' && i.InstanceId).map((i) => i.InstanceId!);
    const statuses = new Map<string, InstanceStatus>();
    if (running.length === 0) return statuses;
    const doing = 'reading status checks';
    const add = (out: DescribeInstanceStatusCommandOutput) => {
      for (const status of out.InstanceStatuses ?? []) if (status.InstanceId) statuses.set(status.InstanceId, status);
    };
    if (running.length <= STATUS_BY_ID_LIMIT) {
      const outs = await Promise.all(
        chunks(running, IDS_PER_STATUS_CALL).map((ids) => this.call<DescribeInstanceStatusCommandOutput>('DescribeInstanceStatus', { InstanceIds: ids }, { doing })),
      );
      outs.forEach(add);
    } else {
      let next: string | undefined;
      do {
        const out = await this.call<DescribeInstanceStatusCommandOutput>('DescribeInstanceStatus', { MaxResults: 1000, ...(next ? { NextToken: next } : {}) }, { doing });
        add(out);
        next = out.NextToken;
      } while (next);
    }
    return statuses;
  }

  private async toServers(instances: Instance[]): Promise<Server[]> {
    const statuses = await this.statusesOf(instances);
    const observedAt = this.observedAt();
    return instances.map((i) => serverFromEc2(i, statuses.get(i.InstanceId ?? ''), observedAt));
  }

  async listServers(ids?: string[]): Promise<Server[]> {
    await this.region();
    if (ids === undefined) {
      const all = await this.instancesWhere(undefined, 'listing servers');
      all.sort((a, b) => (b.LaunchTime?.getTime?.() ?? 0) - (a.LaunchTime?.getTime?.() ?? 0));
      return this.toServers(all);
    }
    if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string')) throw invalid('Server ids must be a list of ids.', 'ids');
    const unique = [...new Set(ids)];
    if (unique.length === 0) return [];
    const batches = await Promise.all(chunks(unique, IDS_PER_FILTER).map((batch) => this.instancesWhere([{ Name: 'instance-id', Values: batch }], 'listing servers')));
    const byId = new Map(batches.flat().map((i) => [i.InstanceId, i] as const));
    const found = unique.map((id) => byId.get(id)).filter((i): i is Instance => i !== undefined);
    return this.toServers(found);
  }

  /**
   * The instances a launch with this token started: EC2's client-token filter. An endpoint that cannot
   * filter on it (EC2 emulators answer with a server error) is asked by strata's launch tag instead, which
   * RunInstances writes in the same request (TagSpecifications), and is asked that way from then on.
   */
  private async instancesOfToken(clientToken: string): Promise<Instance[]> {
    const doing = 'looking up a launch';
    let instances: Instance[];
    if (!this.tokenByTag) {
      try {
        instances = await this.instancesWhere([{ Name: 'client-token', Values: [clientToken] }], doing);
        return instances.sort((a, b) => (a.AmiLaunchIndex ?? 0) - (b.AmiLaunchIndex ?? 0));
      } catch (error) {
        if (!(error instanceof StrataError && error.kind === 'Transient' && /HTTP 50[01]\b/.test(error.detail ?? ''))) throw error;
        this.tokenByTag = true;
      }
    }
    instances = await this.instancesWhere([{ Name: `tag:${LAUNCH_TAG}`, Values: [clientToken] }], doing);
    return instances.sort((a, b) => (a.AmiLaunchIndex ?? 0) - (b.AmiLaunchIndex ?? 0));
  }

  async serversByToken(clientToken: string): Promise<Server[]> {
    checkClientToken(clientToken);
    await this.region();
    return this.toServers(await this.instancesOfToken(clientToken));
  }

  /** `aws ec2 describe-images|describe-instances …` for a row, and its page in the EC2 console (not for another endpoint). */
  references(kind: 'image' | 'server', id: string): RowReferences {
    const region = this.regionName ?? this.options.region;
    const endpoint = this.options.endpoint ?? process.env[ENDPOINT_ENV];
    const parts = ['aws', 'ec2', kind === 'image' ? 'describe-images' : 'describe-instances'];
    if (this.options.profile) parts.push('--profile', shellWord(this.options.profile));
    if (region) parts.push('--region', shellWord(region));
    if (endpoint) parts.push('--endpoint-url', shellWord(endpoint));
    parts.push(kind === 'image' ? '--image-ids' : '--instance-ids', shellWord(id));
    const out: RowReferences = { cli: parts.join(' ') };
    if (!endpoint && region && /^[a-z0-9-]+$/.test(region)) {
      const page = kind === 'image' ? `ImageDetails:imageId=${encodeURIComponent(id)}` : `InstanceDetails:instanceId=${encodeURIComponent(id)}`;
      out.web = `https://${region}.console.aws.amazon.com/ec2/home?region=${region}#${page}`;
    }
    return out;
  }

  async previewLaunch(spec: LaunchSpec, clientToken: string): Promise<LaunchPreview> {
    const region = await this.region().catch(() => undefined);
    const extra = spec.newFirewall ? [`<security group ${spec.newFirewall.name}, created at launch>`] : [];
    const input = runInstancesInput(spec, clientToken, { extraFirewallIds: extra });
    return {
      request: previewRequest(input),
      cli: runInstancesCli(input, { ...(region ? { region } : {}), ...(this.options.profile ? { profile: this.options.profile } : {}) }),
      ...(spec.newFirewall ? {} : { check: await this.dryRun(input) }),
    };
  }

  /**
   * EC2's own "would this be allowed?": RunInstances with DryRun answers DryRunOperation when it would be,
   * UnauthorizedOperation when the credentials may not. Nothing is started either way. (Not tried where the
   * launch creates a firewall: the group does not exist yet.)
   */
  private async dryRun(input: object): Promise<{ allowed: boolean; sentence: string }> {
    try {
      await this.api.call('RunInstances', { ...input, DryRun: true });
      return { allowed: true, sentence: 'EC2 did not answer the dry run as expected; the launch itself will say.' };
    } catch (error) {
      const code = awsErrorCode(error);
      if (code === 'DryRunOperation') return { allowed: true, sentence: 'EC2 says the launch would be allowed (a dry run of RunInstances).' };
      if (code === 'UnauthorizedOperation') {
        return { allowed: false, sentence: 'EC2 refuses the launch: these credentials may not call RunInstances with these parameters (dry run).' };
      }
      const mapped = mapAwsError(error, this.errorContext('RunInstances'));
      return { allowed: false, sentence: `The dry run of RunInstances failed: ${mapped.message}` };
    }
  }

  async launch(spec: LaunchSpec, clientToken: string): Promise<Server[]> {
    checkClientToken(clientToken);
    if (spec === null || typeof spec !== 'object') throw invalid('A launch needs a specification.', 'spec');
    await this.region();
    // A launch that already happened (a retry after a lost answer) is answered, not repeated.
    const previous = await this.instancesOfToken(clientToken);
    if (previous.length > 0) return this.toServers(previous);

    // A firewall created by an earlier attempt of this same launch (tagged with its token) is this launch's
    // own: it is reused, not created twice, and not refused as "exists already".
    let reused: SecurityGroup | undefined;
    if (spec.newFirewall) {
      const out = await this.call<DescribeSecurityGroupsCommandOutput>(
        'DescribeSecurityGroups',
        { Filters: [{ Name: `tag:${LAUNCH_TAG}`, Values: [clientToken] }] },
        { doing: 'looking up the launch firewall' },
      );
      reused = out.SecurityGroups?.find((g) => g.GroupName === spec.newFirewall!.name && g.GroupId);
    }
    const reusedFirewall = reused?.GroupId;
    const checkedSpec: LaunchSpec = reusedFirewall ? { ...spec, newFirewall: undefined } : spec;

    const [products, firewalls, keypairs, image] = await Promise.all([
      this.listProducts(),
      this.listFirewalls(),
      this.listKeypairs(),
      typeof spec.imageId === 'string' && spec.imageId !== ''
        ? this.getImage(spec.imageId).catch((error: unknown) => {
            if (error instanceof StrataError && error.kind === 'NotFound') return null;
            throw error;
          })
        : Promise.resolve(undefined),
    ]);
    if (image === null) throw invalid(`Image ${spec.imageId} does not exist in ${this.regionName}; choose another.`, 'imageId');
    const problems = validateLaunch(checkedSpec, this.caps, { products, firewalls, keypairs, ...(image ? { image } : {}) });
    if (problems.length > 0) throw invalid(problems[0].message, problems[0].field);

    const extraFirewallIds: string[] = [];
    if (reused && reusedFirewall && spec.newFirewall) {
      await this.completeRules(reused, spec.newFirewall.rules);
      extraFirewallIds.push(reusedFirewall);
    } else if (spec.newFirewall) {
      const fw = await this.createFirewall(spec.newFirewall.name, spec.newFirewall.rules, `Created by strata for ${spec.name}`, { [LAUNCH_TAG]: clientToken });
      extraFirewallIds.push(fw.id);
    }
    const input = runInstancesInput(spec, clientToken, { extraFirewallIds });
    const out = await this.call<RunInstancesCommandOutput>('RunInstances', input, {
      doing: `launching ${spec.name}`,
      fields: {
        'InvalidAMIID.': 'imageId',
        InvalidInstanceType: 'productId',
        'InvalidKeyPair.NotFound': 'keypairName',
        'InvalidGroup.NotFound': 'firewallIds',
        'InvalidGroupId.': 'firewallIds',
        'InvalidUserData.Malformed': 'userData',
        InvalidBlockDeviceMapping: 'volumes',
      },
    });
    const instances = (out.Instances ?? []).sort((a, b) => (a.AmiLaunchIndex ?? 0) - (b.AmiLaunchIndex ?? 0));
    if (spec.count > 1) await this.nameEach(instances, spec.name);
    const observedAt = this.observedAt();
    return instances.map((i) => serverFromEc2(i, undefined, observedAt));
  }

  /**
   * Several servers of one launch are named name-1 … name-N, as on every provider. RunInstances tags them
   * all alike, so each gets its own Name tag right after; a failure here leaves the shared name, which is
   * cosmetic, and is not reported as a failed launch (the servers exist).
   */
  private async nameEach(instances: Instance[], name: string): Promise<void> {
    await Promise.all(
      instances.map(async (instance, i) => {
        const own = `${name}-${(instance.AmiLaunchIndex ?? i) + 1}`;
        try {
          await this.call('CreateTags', { Resources: [instance.InstanceId], Tags: [{ Key: NAME_TAG, Value: own }] });
          instance.Tags = [...(instance.Tags ?? []).filter((t) => t.Key !== NAME_TAG), { Key: NAME_TAG, Value: own }];
        } catch {
          // cosmetic; see above
        }
      }),
    );
  }

  async terminate(id: string): Promise<void> {
    if (typeof id !== 'string' || id === '') throw invalid('A server id is needed.', 'serverId');
    await this.region();
    await this.call('TerminateInstances', { InstanceIds: [id] }, { doing: `terminating ${id}` });
  }

  async consoleOutput(id: string): Promise<string> {
    if (typeof id !== 'string' || id === '') throw invalid('A server id is needed.', 'serverId');
    await this.region();
    const doing = `reading the console of ${id}`;
    let out: GetConsoleOutputCommandOutput;
    try {
      // Latest: the live buffer (Nitro instances), there from the first second of the boot.
      out = await this.call<GetConsoleOutputCommandOutput>('GetConsoleOutput', { InstanceId: id, Latest: true }, { doing });
    } catch (error) {
      if (!(error instanceof StrataError && (error.kind === 'Unsupported' || error.kind === 'Invalid'))) throw error;
      // Xen instances have only the snapshot EC2 publishes a few minutes after boot (empty until then).
      out = await this.call<GetConsoleOutputCommandOutput>('GetConsoleOutput', { InstanceId: id }, { doing });
    }
    return out.Output ? Buffer.from(out.Output, 'base64').toString('utf8') : '';
  }

  async close(): Promise<void> {
    this.api.close();
  }
}

/** The aws provider. Nothing of the SDK loads until the first call that needs EC2. */
export async function createAwsProvider(options: AwsProviderOptions, api?: Ec2Api): Promise<ProviderService> {
  return new AwsProvider(api ?? sdkApi(options), options);
}
