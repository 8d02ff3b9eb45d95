// The JSON documents of the command line, described once with zod and printed as JSON Schema by
// `strata schema NAME` (also config.yaml and launch recipes, from the very schemas strata reads them
// with). Loaded only by `strata schema` and the tests: the other subcommands never pay for zod here.
import { z } from 'zod';
import { ALL_PHASES } from '../core/readiness.js';
import { RISK_KINDS } from '../core/lineage.js';
import { LABEL_COLOURS, SCOPES } from '../core/types.js';
import { configSchema } from '../services/config.js';
import { LAUNCH_STEPS } from '../services/launcher.js';
import { recipeSchema } from '../services/recipes.js';
import { JOB_STEPS } from '../store/jobs.js';
import { SCHEMA_VERSION } from './rows.js';

const str = z.string();
const nstr = z.string().nullable();
const tags = z.record(z.string(), z.string());
const phase = z.enum(ALL_PHASES as [string, ...string[]]);
const label = z.enum(LABEL_COLOURS);

const ImageRow = z
  .object({
    id: str,
    name: str.describe("the provider's name"),
    shownName: str.describe('the name to show: the local name, else the Name tag, else the provider\'s name'),
    nameSource: z.enum(['provider', 'tag', 'local']),
    label: label.nullable(),
    labelSource: z.enum(['tag', 'local']).nullable(),
    kind: z.enum(['own', 'vendor', 'public']),
    owner: str,
    owned: z.boolean(),
    sharedMeta: z.boolean().describe('name and label are tags at the provider (shared with teammates)'),
    architecture: z.enum(['x86_64', 'arm64']),
    state: z.enum(['available', 'pending', 'deprecated', 'failed', 'deleted']),
    createdAt: str,
    deprecatedAt: nstr,
    deleteAt: nstr,
    sourceImageId: nstr,
    sourceServerId: nstr,
    platform: nstr,
    sizeGiB: z.number().nullable(),
    storageGiB: z.number().nullable().describe('what the image takes up in storage (EBS snapshots, the file), where the provider says'),
    deleteProtection: z
      .object({ on: z.boolean(), cooldown: z.boolean(), until: nstr })
      .nullable()
      .describe("EC2's deregistration protection: deleting is refused while on (until a time, once turned off with a cooldown)"),
    description: nstr,
    tags,
    copiedFrom: z.object({ region: str, imageId: str }).nullable().describe('the image this one is a copy of, in another region'),
    encrypted: z.boolean().nullable(),
    source: nstr.describe("the source (config.yaml's sources) it was listed through; null without sources"),
    region: nstr,
  })
  .meta({ id: 'ImageRow' });

const ImageRef = z
  .object({ id: str, name: nstr, kind: nstr, state: nstr, deprecatedAt: nstr, deleteAt: nstr })
  .meta({ id: 'ImageRef' });

const ServerRow = z
  .object({
    id: str,
    name: str,
    phase,
    phaseSince: str,
    launchedAt: str,
    observedAt: nstr.describe("the provider's clock when it described the server"),
    imageId: str,
    productId: str,
    clientToken: nstr,
    firewallIds: z.array(str),
    keypairName: nstr,
    group: nstr,
    billingCode: nstr,
    publicAddress: nstr,
    privateAddress: nstr,
    failureReason: nstr,
    imageGone: z.boolean(),
    tags,
    readiness: z.object({
      elapsedSeconds: z.number(),
      expectedSeconds: z.number(),
      progress: z.number().min(0).max(1),
      overdue: z.boolean(),
      label: str,
    }),
    source: nstr.describe("the source (config.yaml's sources) it was listed through; null without sources"),
    region: nstr,
  })
  .meta({ id: 'ServerRow' });

const ServerRef = z.object({ id: str, name: str, phase, source: nstr, region: nstr }).meta({ id: 'ServerRef' });

const SourceRow = z
  .object({ name: str, provider: str, regions: z.array(str), readOnly: z.boolean(), state: z.enum(['ok', 'error']), error: nstr })
  .meta({ id: 'SourceRow' });

const RiskRow = z
  .object({
    kind: z.enum(RISK_KINDS as [string, ...string[]]),
    imageId: str,
    templateId: nstr,
    date: nstr,
    subject: z.object({ type: z.enum(['server', 'image']), id: str }),
    informational: z.boolean(),
    sentence: str,
  })
  .meta({ id: 'RiskRow' });

const JobRow = z
  .object({
    id: str,
    state: z.enum([...JOB_STEPS, 'done', 'failed', 'cancelled'] as [string, ...string[]]),
    templateImageId: str,
    templateName: nstr,
    imageName: str,
    label: label.nullable(),
    terminateBuilder: z.boolean(),
    builderName: str,
    clientToken: str,
    serverId: nstr,
    imageId: nstr,
    builder: z.enum(['terminate', 'terminated', 'kept', 'inspect']).nullable(),
    note: nstr,
    error: nstr,
    failedStep: z.enum(JOB_STEPS).nullable(),
    cancelRequested: z.boolean(),
    retries: z.number().int(),
    runner: z.object({ pid: z.number().int(), host: str, heartbeatAt: str, here: z.boolean() }).nullable(),
    createdAt: str,
    updatedAt: str,
    finishedAt: nstr,
  })
  .meta({ id: 'JobRow' });

const Action = z.object({ allowed: z.boolean(), reason: nstr });
const JobActions = z.object({ cancel: Action, retry: Action, terminateBuilder: Action, keepBuilder: Action }).meta({ id: 'JobActions' });

const AuditRow = z
  .object({ id: z.number().int(), at: str, actor: str, provider: str, region: str, action: str, target: str, detail: z.unknown() })
  .meta({ id: 'AuditRow' });

const Problem = z.object({ field: str, message: str }).meta({ id: 'Problem' });

const FirewallRow = z
  .object({
    id: str,
    name: str,
    description: nstr,
    rules: z.number().int().describe('inbound rules'),
    usedBy: z.array(z.object({ id: str, name: str })).describe('the servers that are not terminated and use it'),
    madeByStrata: z.boolean().describe("strata made it (the provider's marks, or the launch journal)"),
    launch: nstr.describe('the client token of the launch that made it, where strata recorded one'),
    default: z.boolean().describe("the provider's default group, never deleted"),
    deletable: z.boolean(),
    refusal: nstr.describe('why it cannot be deleted now'),
    source: nstr,
    region: nstr,
  })
  .meta({ id: 'FirewallRow' });

const WaitPayload = z.object({
  for: z.enum(['ready', 'terminated']),
  done: z.boolean(),
  timedOut: z.boolean(),
  servers: z.array(ServerRow.extend({ reached: z.boolean() })),
  missing: z.array(str),
  failed: z.array(str),
});

/** Every document's envelope: the version of its field names and its kind. */
function doc<K extends string, T extends z.ZodRawShape>(kind: K, shape: T, description: string) {
  return z.object({ schemaVersion: z.literal(SCHEMA_VERSION), kind: z.literal(kind), ...shape }).describe(description);
}

const where = { provider: str, region: str };
/** A listing of one place (provider and region), or of several (--fleet, --source A,B: both null, the sources beside). */
const whereOrFleet = {
  provider: nstr.describe('null where several sources were listed'),
  region: nstr.describe('null where several regions were listed'),
  sources: z.array(SourceRow).nullable().describe('with --source/--fleet: each source, its regions, and whether it answered'),
};

/** The result documents (--json; the last line of --ndjson). A list absent from an --ndjson last line came as rows before it. */
export const DOCUMENTS = {
  images: doc('images', { ...whereOrFleet, scope: z.enum(SCOPES), query: nstr, images: z.array(ImageRow).optional(), count: z.number().int(), complete: z.boolean() }, 'strata images'),
  image: doc(
    'image',
    {
      ...where,
      image: ImageRow,
      lineage: z.array(ImageRef.extend({ gone: z.boolean(), unknown: z.boolean() })).describe('where it came from, nearest first'),
      dependants: z.object({
        servers: z.array(ServerRef),
        images: z.array(z.object({ id: str, name: str })),
        descendants: z.array(z.object({ id: str, name: str })),
        count: z.number().int(),
        sentence: nstr,
      }),
      risks: z.array(RiskRow),
    },
    'strata image show',
  ),
  'image-changed': doc(
    'image-changed',
    {
      action: z.enum(['renamed', 'labelled', 'deleted', 'imported', 'deprecated']),
      imageId: str,
      image: ImageRow,
      from: z.union([str, z.null()]).optional(),
      dependants: z.number().int().optional(),
      path: str.optional(),
      warnings: z.array(str),
    },
    'strata image rename|label|delete|import|deprecate',
  ),
  servers: doc('servers', { ...whereOrFleet, observedAt: nstr, phase: phase.nullable(), count: z.number().int(), servers: z.array(ServerRow).optional() }, 'strata servers'),
  server: doc(
    'server',
    {
      ...where,
      server: ServerRow,
      launch: z
        .object({ clientToken: str, group: nstr, billingCode: nstr, productId: nstr, hourlyPrice: z.number().nullable(), request: z.unknown() })
        .nullable()
        .describe("the launch as strata recorded it (null for a server strata did not launch)"),
      timeline: z.array(z.object({ phase, at: str })),
      console: z.union([z.object({ lines: z.array(str), error: z.null() }), z.object({ lines: z.null(), error: str })]),
      risks: z.array(RiskRow),
      audit: z.array(AuditRow),
    },
    'strata server show',
  ),
  'server-changed': doc('server-changed', { action: z.literal('terminated'), server: ServerRow, already: z.boolean() }, 'strata server terminate'),
  console: doc('console', { serverId: str, lines: z.array(str) }, 'strata console'),
  launch: doc(
    'launch',
    {
      ...where,
      clientToken: str,
      how: z.enum(['launched', 'completed', 'adopted', 'found']),
      servers: z.array(ServerRow),
      keyFile: z.object({ path: str, fingerprint: str, how: z.enum(['created', 'imported']) }).nullable(),
      passphrase: z.object({ describe: str, accounts: z.array(str) }).nullable().describe('where the volume passphrases are kept (never a passphrase)'),
      refused: z.array(z.object({ name: str, reason: str })),
      warnings: z.array(str),
      wait: WaitPayload.nullable(),
    },
    'strata launch',
  ),
  'launch-review': doc(
    'launch-review',
    {
      clientToken: str,
      sent: z.literal(false),
      wouldLaunch: z.boolean(),
      summary: z.array(str),
      warnings: z.array(str),
      problems: z.array(Problem),
      request: z.unknown().describe('the exact request the provider will receive (secrets replaced)'),
      requests: z.array(z.object({ index: z.number().int(), clientToken: str, name: str })),
      cli: nstr.describe("the provider's own command line for it, where it has one"),
      check: z.object({ allowed: z.boolean(), sentence: str }).nullable().describe("the provider's own dry-run verdict, where it has one"),
      userData: nstr.describe('the user data as it will be sent, secrets hidden'),
      cloudInit: nstr,
      quota: z.unknown(),
    },
    'strata launch --dry-run',
  ),
  capture: doc('capture', { serverId: str, image: ImageRow, available: z.boolean(), warnings: z.array(str) }, 'strata capture'),
  wait: doc('wait', WaitPayload.shape, 'strata wait'),
  jobs: doc('jobs', { provider: str.optional(), region: str.optional(), count: z.number().int(), jobs: z.array(JobRow).optional() }, 'strata jobs'),
  job: doc('job', { job: JobRow, actions: JobActions }, 'strata jobs show|cancel|resume, strata workflow safe'),
  'stale-images': doc(
    'stale-images',
    {
      ...where,
      now: str.describe("the provider's clock"),
      days: z.number(),
      cutoff: str.describe('images created before this are old enough'),
      considered: z.number().int().describe('own images looked at'),
      totalGiB: z.number().describe('what deleting the deletable ones frees, of those whose size is known'),
      unknownSize: z.number().int(),
      deleted: z.literal(false).describe('a dry run: nothing is deleted'),
      images: z.array(
        ImageRow.extend({
          ageDays: z.number().int(),
          family: str.describe('lineage root, then name prefix'),
          newerId: nstr.describe("the family's newest image, which is kept"),
          deletable: z.boolean(),
          protectedReason: nstr,
        }),
      ),
      sentence: str,
    },
    'strata images stale',
  ),
  risk: doc(
    'risk',
    {
      ...whereOrFleet,
      now: str.describe("the provider's clock"),
      withinSeconds: z.number().int(),
      due: z.boolean().describe('something stands on an image gone or due for deletion within the window (exit status 6)'),
      groups: z.array(
        z.object({
          imageId: str,
          image: ImageRef,
          worst: z.enum(RISK_KINDS as [string, ...string[]]),
          date: nstr,
          due: z.boolean(),
          servers: z.array(ServerRef),
          images: z.array(z.object({ id: str, name: str, source: nstr, region: nstr })),
          risks: z.array(RiskRow),
          sentence: str,
          places: z.array(z.object({ source: nstr, region: nstr, imageId: str })).describe('where the template or image is; several across the fleet'),
        }),
      ),
    },
    'strata risk',
  ),
  firewalls: doc('firewalls', { ...where, count: z.number().int(), firewalls: z.array(FirewallRow).optional() }, 'strata firewalls'),
  'firewall-changed': doc('firewall-changed', { action: z.literal('deleted'), firewall: FirewallRow }, 'strata firewall delete'),
  audit: doc('audit', { since: nstr, count: z.number().int(), entries: z.array(AuditRow).optional() }, 'strata audit'),
  error: doc('error', { exitCode: z.number().int(), error: str, problems: z.array(Problem) }, 'any command that failed (with --json or --ndjson)'),
} as const;

/** The lines of --ndjson that come before the result: events as they happen, and list rows. */
export const EVENTS = {
  'image-row': doc('image-row', { image: ImageRow }, 'strata images --ndjson: one image'),
  'server-row': doc('server-row', { server: ServerRow }, 'strata servers --ndjson: one server'),
  'job-row': doc('job-row', { job: JobRow }, 'strata jobs --ndjson: one job'),
  'audit-row': doc('audit-row', { entry: AuditRow }, 'strata audit --ndjson: one entry'),
  'firewall-row': doc('firewall-row', { firewall: FirewallRow }, 'strata firewalls --ndjson: one firewall'),
  'server-phase': doc('server-phase', { server: ServerRow, from: phase, to: phase }, 'a server moved to another phase (wait, launch --wait)'),
  'poll-failed': doc('poll-failed', { error: str, retryInMs: z.number().nullable() }, 'a poll of the servers failed; the watcher tries again'),
  'console-line': doc('console-line', { serverId: str, line: str }, 'console --follow: a new line'),
  'launch-token': doc('launch-token', { clientToken: str }, 'launch: the client token made for it (before anything is sent)'),
  'launch-progress': doc(
    'launch-progress',
    {
      clientToken: str,
      step: z.enum(LAUNCH_STEPS),
      request: z.object({ index: z.number().int(), of: z.number().int(), name: str }).nullable(),
      name: nstr,
      made: nstr,
      servers: z.number().int().nullable(),
      retry: z.object({ kind: z.enum(['Throttled', 'Transient']), attempt: z.number().int(), attempts: z.number().int(), delayMs: z.number() }).nullable(),
      message: str,
    },
    'launch: a step of the launcher',
  ),
  'image-state': doc('image-state', { imageId: str, state: str }, 'capture: the image as the provider says it is'),
  'job-started': doc('job-started', { job: JobRow }, 'workflow safe: the job was written down'),
  'job-update': doc('job-update', { job: JobRow }, 'a job moved on (every change written down)'),
  'job-progress': doc('job-progress', { jobId: str, step: z.enum(JOB_STEPS), event: str, message: str }, 'a job: what its step is doing'),
} as const;

export type SchemaName = keyof typeof DOCUMENTS | keyof typeof EVENTS | 'events' | 'config' | 'recipe';

/** Every name `strata schema` takes, with a line each. */
export function schemaNames(): { name: string; about: string }[] {
  return [
    ...Object.entries(DOCUMENTS).map(([name, s]) => ({ name, about: s.description ?? '' })),
    { name: 'events', about: 'any line of --ndjson: the events and rows below, or a result document' },
    ...Object.entries(EVENTS).map(([name, s]) => ({ name, about: s.description ?? '' })),
    { name: 'config', about: `config.yaml (in strata's config directory)` },
    { name: 'recipe', about: 'a launch recipe (strata launch --recipe FILE)' },
  ];
}

/** The JSON Schema of a document (undefined: no such name). */
export function jsonSchema(name: string): Record<string, unknown> | undefined {
  let schema: z.ZodType | undefined;
  if (name === 'config') schema = configSchema;
  else if (name === 'recipe') schema = recipeSchema;
  else if (name === 'events') schema = z.union([...Object.values(EVENTS), ...Object.values(DOCUMENTS)] as unknown as [z.ZodType, z.ZodType, ...z.ZodType[]]);
  else schema = (DOCUMENTS as Record<string, z.ZodType>)[name] ?? (EVENTS as Record<string, z.ZodType>)[name];
  if (!schema) return undefined;
  const out = z.toJSONSchema(schema, { unrepresentable: 'any' }) as Record<string, unknown>;
  return {
    $schema: out.$schema,
    $id: `https://strata.invalid/schema/${name}/v${name === 'config' || name === 'recipe' ? 1 : SCHEMA_VERSION}.json`,
    title: name === 'config' ? 'strata config.yaml' : name === 'recipe' ? 'strata launch recipe' : `strata ${name} (schemaVersion ${SCHEMA_VERSION})`,
    ...out,
  };
}
