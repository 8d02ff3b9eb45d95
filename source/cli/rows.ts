// The JSON rows of the command line: the documented, versioned field names (schemas.ts describes them;
// README "Scripting: strata as a command"). Every string that came from a provider is sanitised here, so
// the table and the JSON print the same safe text. Absent values are null, never missing: a script can
// rely on every key being there.
import type { Risk, RiskGroup } from '../core/lineage.js';
import { readinessOf } from '../core/readiness.js';
import { sanitize, sanitizeRecord } from '../core/sanitize.js';
import type { Image, Server } from '../core/types.js';
import type { CatalogueImage } from '../services/catalogue.js';
import type { JobActions, JobRecord } from '../services/jobs.js';
import type { AuditEntry } from '../store/audit.js';

/**
 * The version of every document's field names: more fields do not change it, a renamed or removed one does.
 * 2: rows carry their source and region (strata --source / --fleet); a listing's provider and region may be
 * null (several places), with its sources' states beside it.
 */
export const SCHEMA_VERSION = 2;

/** Where a row is: the source (null without sources) and the region. */
export interface Place {
  source?: string | null;
  region?: string | null;
}

// Printable ASCII within its length is what sanitize would give back unchanged: the common case, checked
// without sanitize's work (100,000 public images are many fields).
const PLAIN = /^[\x20-\x7e]*$/;
const s = (value: unknown, max = 512): string => (typeof value === 'string' && value.length <= max && PLAIN.test(value) ? value : sanitize(value, max));
const opt = (value: unknown, max = 512): string | null => (value === undefined || value === null || value === '' ? null : s(value, max));
const tags = (value: unknown): Record<string, string> => {
  if (!value || typeof value !== 'object') return {};
  const entries = Object.entries(value);
  if (entries.length === 0) return {};
  return sanitizeRecord(Object.fromEntries(entries.filter(([, v]) => typeof v === 'string')));
};

export interface ImageRow {
  id: string;
  name: string;
  shownName: string;
  nameSource: string;
  label: string | null;
  labelSource: string | null;
  kind: string;
  owner: string;
  owned: boolean;
  sharedMeta: boolean;
  architecture: string;
  state: string;
  createdAt: string;
  deprecatedAt: string | null;
  deleteAt: string | null;
  sourceImageId: string | null;
  sourceServerId: string | null;
  platform: string | null;
  sizeGiB: number | null;
  /** What the image takes up in storage (GiB), where the provider says. */
  storageGiB: number | null;
  /** Deleting it is refused now (EC2's deregistration protection), and until when where it is being turned off. */
  deleteProtection: { on: boolean; cooldown: boolean; until: string | null } | null;
  description: string | null;
  tags: Record<string, string>;
  /** The image this one is a copy of, in another region (strata copied it). */
  copiedFrom: { region: string; imageId: string } | null;
  encrypted: boolean | null;
  /** The source (config.yaml) it was listed through, or null without sources. */
  source: string | null;
  region: string | null;
}

export function imageRow(image: CatalogueImage, place: Place = {}): ImageRow {
  return {
    id: s(image.id, 256),
    name: s(image.name, 256),
    shownName: s(image.shownName, 256),
    nameSource: s(image.nameSource, 16),
    label: opt(image.label, 16),
    labelSource: opt(image.labelSource, 16),
    kind: s(image.kind, 16),
    owner: s(image.owner, 128),
    owned: image.owned === true,
    sharedMeta: image.sharedMeta === true,
    architecture: s(image.architecture, 16),
    state: s(image.state, 16),
    createdAt: s(image.createdAt, 64),
    deprecatedAt: opt(image.deprecatedAt, 64),
    deleteAt: opt(image.deleteAt, 64),
    sourceImageId: opt(image.sourceImageId, 256),
    sourceServerId: opt(image.sourceServerId, 256),
    platform: opt(image.platform, 64),
    sizeGiB: typeof image.sizeGiB === 'number' && Number.isFinite(image.sizeGiB) ? image.sizeGiB : null,
    storageGiB: typeof image.storageGiB === 'number' && Number.isFinite(image.storageGiB) ? image.storageGiB : null,
    deleteProtection: image.deleteProtection
      ? { on: image.deleteProtection.on === true, cooldown: image.deleteProtection.cooldown === true, until: opt(image.deleteProtection.until, 64) }
      : null,
    description: opt(image.description, 1024),
    tags: tags(image.tags),
    copiedFrom: image.copiedFrom ? { region: s(image.copiedFrom.region, 128), imageId: s(image.copiedFrom.imageId, 256) } : null,
    encrypted: typeof image.encrypted === 'boolean' ? image.encrypted : null,
    source: opt(place.source, 64),
    region: opt(place.region, 128),
  };
}

/** An image the lineage or a risk names: what is known of it (it may be gone). */
export interface ImageRef {
  id: string;
  name: string | null;
  kind: string | null;
  state: string | null;
  deprecatedAt: string | null;
  deleteAt: string | null;
}

export function imageRef(id: string, image: Image | undefined): ImageRef {
  return {
    id: s(id, 256),
    name: image ? s(image.displayName || image.name, 256) : null,
    kind: image ? s(image.kind, 16) : null,
    state: image ? s(image.state, 16) : null,
    deprecatedAt: opt(image?.deprecatedAt, 64),
    deleteAt: opt(image?.deleteAt, 64),
  };
}

export interface ReadinessRow {
  elapsedSeconds: number;
  expectedSeconds: number;
  progress: number;
  overdue: boolean;
  label: string;
}

export interface ServerRow {
  id: string;
  name: string;
  phase: string;
  phaseSince: string;
  launchedAt: string;
  observedAt: string | null;
  imageId: string;
  productId: string;
  clientToken: string | null;
  firewallIds: string[];
  keypairName: string | null;
  group: string | null;
  billingCode: string | null;
  publicAddress: string | null;
  privateAddress: string | null;
  failureReason: string | null;
  imageGone: boolean;
  tags: Record<string, string>;
  readiness: ReadinessRow;
  /** The source (config.yaml) it was listed through, or null without sources. */
  source: string | null;
  region: string | null;
}

/** The provider's clock where it says what it reads (the sandbox's runs at its own speed), else ours. */
export function clockOf(servers: readonly Server[]): number {
  for (const server of servers) {
    const t = server.observedAt ? Date.parse(server.observedAt) : Number.NaN;
    if (Number.isFinite(t)) return t;
  }
  return Date.now();
}

export function serverRow(server: Server, expectedSeconds: number, nowMs: number = clockOf([server]), place: Place = {}): ServerRow {
  const r = readinessOf(server, server.observedAt ? Date.parse(server.observedAt) || nowMs : nowMs, expectedSeconds);
  return {
    id: s(server.id, 256),
    name: s(server.name, 256),
    phase: s(server.phase, 16),
    phaseSince: s(server.phaseSince, 64),
    launchedAt: s(server.launchedAt, 64),
    observedAt: opt(server.observedAt, 64),
    imageId: s(server.imageId, 256),
    productId: s(server.productId, 128),
    clientToken: opt(server.clientToken, 128),
    firewallIds: Array.isArray(server.firewallIds) ? server.firewallIds.map((id) => s(id, 256)) : [],
    keypairName: opt(server.keypairName, 256),
    group: opt(server.group, 128),
    billingCode: opt(server.billingCode, 128),
    publicAddress: opt(server.publicAddress, 128),
    privateAddress: opt(server.privateAddress, 128),
    failureReason: opt(server.failureReason, 1024),
    imageGone: server.imageGone === true,
    tags: tags(server.tags),
    readiness: {
      elapsedSeconds: Math.round(r.elapsedMs / 1000),
      expectedSeconds: Math.round(r.expectedMs / 1000),
      progress: Math.round(r.progress * 1000) / 1000,
      overdue: r.overdue,
      label: s(r.label, 128),
    },
    source: opt(place.source, 64),
    region: opt(place.region, 128),
  };
}

/** A server as a risk or a dependant names it. */
export interface ServerRef {
  id: string;
  name: string;
  phase: string;
  source: string | null;
  region: string | null;
}

export function serverRef(server: Pick<Server, 'id' | 'name' | 'phase'>, place: Place = {}): ServerRef {
  return { id: s(server.id, 256), name: s(server.name, 256), phase: s(server.phase, 16), source: opt(place.source, 64), region: opt(place.region, 128) };
}

export interface RiskRow {
  kind: string;
  imageId: string;
  templateId: string | null;
  date: string | null;
  subject: { type: 'server' | 'image'; id: string };
  informational: boolean;
  sentence: string;
}

export function riskRow(risk: Risk): RiskRow {
  return {
    kind: risk.kind,
    imageId: s(risk.imageId, 256),
    templateId: opt(risk.templateId, 256),
    date: opt(risk.date, 64),
    subject: { type: risk.subject.type, id: s(risk.subject.id, 256) },
    informational: risk.informational,
    sentence: s(risk.sentence, 1024),
  };
}

export interface RiskGroupRow {
  imageId: string;
  image: ImageRef;
  worst: string;
  date: string | null;
  /** Within the window: gone, or to be deleted before its end (these make the exit status 6). */
  due: boolean;
  servers: ServerRef[];
  images: { id: string; name: string; source: string | null; region: string | null }[];
  risks: RiskRow[];
  sentence: string;
  /** Where the template or image is (each place its own id): one place, or several across the fleet. */
  places: { source: string | null; region: string | null; imageId: string }[];
}

export function riskGroupRow(group: RiskGroup, due: boolean, place: Place = {}): RiskGroupRow {
  return {
    imageId: s(group.imageId, 256),
    image: imageRef(group.imageId, group.image),
    worst: group.worst,
    date: opt(group.date, 64),
    due,
    servers: group.servers.map((x) => serverRef(x, place)),
    images: group.images.map((i) => ({ id: s(i.id, 256), name: s(i.displayName || i.name, 256), source: opt(place.source, 64), region: opt(place.region, 128) })),
    risks: group.risks.map(riskRow),
    sentence: s(group.sentence, 1024),
    places: [{ source: opt(place.source, 64), region: opt(place.region, 128), imageId: s(group.imageId, 256) }],
  };
}

/** A source as a fleet listing reports it: its regions, and whether it answered (its error where not). */
export interface SourceRow {
  name: string;
  provider: string;
  regions: string[];
  readOnly: boolean;
  state: 'ok' | 'error';
  error: string | null;
}

export interface JobRow {
  id: string;
  state: string;
  templateImageId: string;
  templateName: string | null;
  imageName: string;
  label: string | null;
  terminateBuilder: boolean;
  builderName: string;
  clientToken: string;
  serverId: string | null;
  imageId: string | null;
  builder: string | null;
  note: string | null;
  error: string | null;
  failedStep: string | null;
  cancelRequested: boolean;
  retries: number;
  runner: { pid: number; host: string; heartbeatAt: string; here: boolean } | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

export function jobRow(job: JobRecord): JobRow {
  const p = job.params ?? ({} as JobRecord['params']);
  return {
    id: s(job.id, 128),
    state: job.state,
    templateImageId: s(p.templateImageId, 256),
    templateName: opt(p.templateName, 256),
    imageName: s(p.imageName, 256),
    label: opt(p.label, 16),
    terminateBuilder: p.terminateBuilder === true,
    builderName: s(p.builder?.name, 256),
    clientToken: s(job.clientToken, 128),
    serverId: opt(job.serverId, 256),
    imageId: opt(job.imageId, 256),
    builder: opt(job.builder, 16),
    note: opt(job.note, 1024),
    error: opt(job.error, 1024),
    failedStep: opt(job.failedStep, 32),
    cancelRequested: job.cancelRequested,
    retries: job.retries,
    runner: job.runner ? { pid: job.runner.pid, host: s(job.runner.host, 256), heartbeatAt: s(job.runner.heartbeatAt, 64), here: job.runner.here } : null,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    finishedAt: opt(job.finishedAt, 64),
  };
}

export type ActionRow = { allowed: true; reason: null } | { allowed: false; reason: string };

export function actionsRow(actions: JobActions): Record<keyof JobActions, ActionRow> {
  const one = (a: JobActions[keyof JobActions]): ActionRow => (a.allowed ? { allowed: true, reason: null } : { allowed: false, reason: s(a.reason, 512) });
  return { cancel: one(actions.cancel), retry: one(actions.retry), terminateBuilder: one(actions.terminateBuilder), keepBuilder: one(actions.keepBuilder) };
}

export interface AuditRow {
  id: number;
  at: string;
  actor: string;
  provider: string;
  region: string;
  action: string;
  target: string;
  detail: unknown;
}

/**
 * A text that may span lines (user data in a request): every piece between line breaks and tabs sanitised,
 * the breaks and tabs kept (JSON escapes them; nothing in them can move a terminal's cursor).
 */
export function sanitizeText(text: string, max = 16_384): string {
  if (!/[\t\n\r]/.test(text)) return s(text, max);
  return text
    .split(/(\r\n|[\t\n\r])/)
    .map((part, i) => (i % 2 === 1 ? part : s(part, max)))
    .join('');
}

/** Sanitises every string in a value (the audit's detail holds provider names; a request, user data). */
export function sanitizeDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return sanitizeText(value);
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => sanitizeDeep(v, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [s(k, 128), sanitizeDeep(v, depth + 1)]));
}

export function auditRow(entry: AuditEntry): AuditRow {
  return {
    id: entry.id,
    at: entry.at,
    actor: s(entry.actor, 128),
    provider: s(entry.provider, 64),
    region: s(entry.region, 128),
    action: s(entry.action, 128),
    target: s(entry.target, 256),
    detail: sanitizeDeep(entry.detail),
  };
}

/** Console output, a line each, every line sanitised (escape sequences out, control characters shown). */
export function consoleLines(text: string): string[] {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => s(l.replace(/\r/g, '').replace(/\t/g, '    '), 4096));
}
