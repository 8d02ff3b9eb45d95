// Lineage and risk (DESIGN.md mission 5): every image knows the image it was captured from
// (Image.sourceImageId) and every server the image it was launched from (Server.imageId). From those links
// and the images' own dates this module says which servers and images depend on a vendor template (or
// any image) that is deprecated, scheduled for deletion, or gone. Pure: the caller passes a lookup and now.
//
// What counts as at risk (the seed: "If the backing image of a running server is deleted, it can lead to
// imaging problems going forward. It will not affect the running server."):
//   - A server is at risk through the image it was launched from, and only that one: it runs directly on a
//     vendor template (the safe workflow is template -> own image -> servers), or that image is
//     deprecated, scheduled for deletion, or gone. A server on an own image that exists is NOT at risk,
//     whatever happened to the template the image was captured from: its backing image is its own.
//     Terminated servers are at no risk.
//   - An image is at risk when it is itself deprecated or scheduled for deletion. Its ancestry (the images
//     it was captured from, up to the root) is reported for information: the image is complete, but it
//     can no longer be rebuilt from the same source once that is gone. Those risks carry informational.
//   - The lookup is the caller's knowledge of images now: an Image, undefined for "the provider says it
//     does not exist" (gone), or UNKNOWN where it could not be told (a throttled call) — unknown is never
//     reported as gone. An image whose deleteAt has passed, or whose state is 'deleted', is gone too
//     (a remembered template can be passed that way, so the sentence can name it and its date).
import { sanitize } from './sanitize.js';
import type { Image, Server } from './types.js';
import { plural } from './sentence.js';

export type RiskKind = 'vendor-template' | 'deprecated' | 'scheduled-deletion' | 'image-gone';

/** From least to most urgent. */
export const RISK_KINDS: readonly RiskKind[] = ['vendor-template', 'deprecated', 'scheduled-deletion', 'image-gone'];

export function riskSeverity(kind: RiskKind): number {
  return RISK_KINDS.indexOf(kind);
}

/** The lookup could not tell whether the image exists (treated as neither present nor gone). */
export const UNKNOWN = 'unknown' as const;
export type LookupResult = Image | undefined | typeof UNKNOWN;
/** The caller's knowledge of images: the image, undefined when it no longer exists, or UNKNOWN. */
export type ImageLookup = (id: string) => LookupResult;

/** A lookup over a list of images: ids not in it are gone (use only where the list is complete). */
export function lookupFrom(images: Iterable<Image>): ImageLookup {
  const byId = new Map<string, Image>();
  for (const image of images) byId.set(image.id, image);
  return (id) => byId.get(id);
}

export interface Risk {
  kind: RiskKind;
  /** The image the risk is about: the template or image that is deprecated, scheduled for deletion, or gone. */
  imageId: string;
  /** The vendor template involved, where known (the image itself when it is a template). */
  templateId?: string;
  /** The date that goes with it (ISO 8601): deleteAt for scheduled-deletion and image-gone, deprecatedAt for deprecated. */
  date?: string;
  /** What is at risk. */
  subject: { type: 'server' | 'image'; id: string };
  /** true for an image's ancestry: the image itself is whole, only its source changed. */
  informational: boolean;
  sentence: string;
}

// ---- the state of one image --------------------------------------------------------------------------

const DAY = 86_400_000;
const HOUR = 3_600_000;

function ms(iso: string | undefined): number | undefined {
  if (iso === undefined) return undefined;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : undefined;
}

/** Whether the image no longer exists at nowMs (deleted state, or its delete date has passed). */
export function isGone(image: Image, nowMs: number): boolean {
  const deleteMs = ms(image.deleteAt);
  return image.state === 'deleted' || (deleteMs !== undefined && deleteMs <= nowMs);
}

/** Deprecated at nowMs: by state, or a deprecation date that has come (a future one does not count yet). */
export function isDeprecated(image: Image, nowMs: number): boolean {
  const deprecatedMs = ms(image.deprecatedAt);
  return image.state === 'deprecated' || (deprecatedMs !== undefined && deprecatedMs <= nowMs);
}

/** Scheduled for deletion: a delete date in the future. */
export function isScheduledForDeletion(image: Image, nowMs: number): boolean {
  const deleteMs = ms(image.deleteAt);
  return deleteMs !== undefined && deleteMs > nowMs && image.state !== 'deleted';
}

type Known = { state: 'present'; image: Image } | { state: 'gone'; image?: Image } | { state: 'unknown' };

function resolve(id: string, lookup: ImageLookup, nowMs: number): Known {
  const found = lookup(id);
  if (found === UNKNOWN) return { state: 'unknown' };
  if (found === undefined) return { state: 'gone' };
  return isGone(found, nowMs) ? { state: 'gone', image: found } : { state: 'present', image: found };
}

// ---- words -------------------------------------------------------------------------------------------

const day = (iso: string) => iso.slice(0, 10);

/** "vendor template ubuntu-24.04-amd64-20260101 (img-v-…)", "image golden-web (img-…)", "image img-…". */
function imageWords(id: string, image: Image | undefined): string {
  const safeId = sanitize(id, 80);
  if (!image) return `image ${safeId}`;
  const what = image.kind === 'vendor' ? 'vendor template' : 'image';
  const name = sanitize(image.displayName || image.name, 80);
  return name && name !== safeId ? `${what} ${name} (${safeId})` : `${what} ${safeId}`;
}

function serverWords(server: Server): string {
  const name = sanitize(server.name, 80);
  const id = sanitize(server.id, 80);
  return name && name !== id ? `Server ${name} (${id})` : `Server ${id}`;
}

/** "in 12 days", "in 5 hours", "within the hour", "3 days ago". */
function relative(dateMs: number, nowMs: number): string {
  const diff = dateMs - nowMs;
  if (diff >= DAY) return `in ${plural(Math.floor(diff / DAY), 'day')}`;
  if (diff >= HOUR) return `in ${plural(Math.floor(diff / HOUR), 'hour')}`;
  if (diff > 0) return 'within the hour';
  if (-diff >= DAY) return `${plural(Math.floor(-diff / DAY), 'day')} ago`;
  return 'today';
}

function on(iso: string | undefined, nowMs: number): string {
  const t = ms(iso);
  return t === undefined ? '' : ` on ${day(iso!)} (${relative(t, nowMs)})`;
}

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

// ---- the chain ---------------------------------------------------------------------------------------

export interface LineageLink {
  id: string;
  /** The image, where the lookup knows it (also a remembered image that is gone). */
  image?: Image;
  /** The image no longer exists. */
  gone: boolean;
  /** The lookup could not tell. */
  unknown: boolean;
  /** The chain led back to an image already in it (a broken provider); the walk stopped here. */
  cycle?: boolean;
}

/** How far a chain is followed (a provider that links images in a very long line is cut there). */
export const MAX_CHAIN = 64;

/**
 * The image and the images it was captured from, up to the root, nearest first. A gone or unknown image
 * ends the chain (its source cannot be learnt), unless the lookup remembers it with a sourceImageId.
 */
export function lineageChain(imageId: string, lookup: ImageLookup, nowMs: number = Number.NEGATIVE_INFINITY): LineageLink[] {
  const chain: LineageLink[] = [];
  const seen = new Set<string>();
  let id: string | undefined = imageId;
  while (id !== undefined && id !== '' && chain.length < MAX_CHAIN) {
    if (seen.has(id)) {
      chain[chain.length - 1].cycle = true;
      break;
    }
    seen.add(id);
    const known = resolve(id, lookup, nowMs);
    const link: LineageLink = { id, gone: known.state === 'gone', unknown: known.state === 'unknown' };
    if (known.state !== 'unknown' && known.image) link.image = known.image;
    chain.push(link);
    id = link.image?.sourceImageId;
  }
  return chain;
}

// ---- risks -------------------------------------------------------------------------------------------

const bySeverity = (a: Risk, b: Risk) => riskSeverity(b.kind) - riskSeverity(a.kind);

/**
 * The risks an image carries of itself: deprecated, scheduled for deletion (present images only). lead
 * starts the sentence for a dependant ("Server web-1 runs on"); without one the sentence is about the image.
 */
function ownStateRisks(image: Image, nowMs: number, subject: Risk['subject'], informational: boolean, lead?: string): Risk[] {
  const risks: Risk[] = [];
  const words = imageWords(image.id, image);
  const templateId = image.kind === 'vendor' ? image.id : undefined;
  if (isDeprecated(image, nowMs)) {
    risks.push({
      kind: 'deprecated',
      imageId: image.id,
      ...(templateId ? { templateId } : {}),
      ...(image.deprecatedAt ? { date: image.deprecatedAt } : {}),
      subject,
      informational,
      sentence: lead
        ? `${lead} ${words}, deprecated${image.deprecatedAt ? ` since ${day(image.deprecatedAt)}` : ''}.`
        : `${capital(words)} has been deprecated${image.deprecatedAt ? ` since ${day(image.deprecatedAt)}` : ''}.`,
    });
  }
  if (isScheduledForDeletion(image, nowMs)) {
    risks.push({
      kind: 'scheduled-deletion',
      imageId: image.id,
      ...(templateId ? { templateId } : {}),
      date: image.deleteAt!,
      subject,
      informational,
      sentence: lead
        ? `${lead} ${words}, which will be deleted${on(image.deleteAt, nowMs)}.`
        : `${capital(words)} will be deleted${on(image.deleteAt, nowMs)}.`,
    });
  }
  return risks;
}

/**
 * A server's risks, worst first: through the image it was launched from only (see the top of this file).
 * Empty for a terminated server, and where the lookup cannot tell.
 */
export function serverRisks(server: Server, lookup: ImageLookup, nowMs: number): Risk[] {
  if (server.phase === 'terminated') return [];
  const subject = { type: 'server', id: server.id } as const;
  let known = resolve(server.imageId, lookup, nowMs);
  // The provider's own word (a libvirt overlay whose backing file is gone) outweighs a catalogue not yet refreshed.
  if (server.imageGone && known.state !== 'gone') known = { state: 'gone', ...(known.state === 'present' ? { image: known.image } : {}) };
  if (known.state === 'unknown') return [];
  const who = serverWords(server);
  if (known.state === 'gone') {
    const tomb = known.image;
    const date = tomb?.deleteAt && ms(tomb.deleteAt)! <= nowMs ? tomb.deleteAt : undefined;
    return [
      {
        kind: 'image-gone',
        imageId: server.imageId,
        ...(tomb?.kind === 'vendor' ? { templateId: server.imageId } : {}),
        ...(date ? { date } : {}),
        subject,
        informational: false,
        sentence:
          `${who} was launched from ${imageWords(server.imageId, tomb)}, which no longer exists` +
          `${date ? ` (deleted on ${day(date)})` : ''}. The running server is not affected, ` +
          'but it cannot be rebuilt from that image; capture an image of it to keep what it runs.',
      },
    ];
  }
  const image = known.image;
  const risks: Risk[] = [];
  if (image.kind === 'vendor') {
    risks.push({
      kind: 'vendor-template',
      imageId: image.id,
      templateId: image.id,
      subject,
      informational: false,
      sentence:
        `${who} runs directly on ${imageWords(image.id, image)}; vendors deprecate and delete templates, ` +
        'so capture your own image from it and launch from that.',
    });
  }
  risks.push(...ownStateRisks(image, nowMs, subject, false, `${who} runs on`));
  return risks.sort(bySeverity);
}

/**
 * An image's risks, worst first: its own deprecation or deletion date, then (informational) any image in
 * its ancestry that is deprecated, scheduled for deletion, or gone. Empty for an image that is gone itself.
 */
export function imageRisks(image: Image, lookup: ImageLookup, nowMs: number): Risk[] {
  if (isGone(image, nowMs)) return [];
  const subject = { type: 'image', id: image.id } as const;
  const risks = ownStateRisks(image, nowMs, subject, false);
  const self = imageWords(image.id, image);
  if (image.sourceImageId) {
    const chain = lineageChain(image.sourceImageId, lookup, nowMs).filter((link) => link.id !== image.id);
    const templateId = chain.find((link) => link.image?.kind === 'vendor')?.id;
    chain.forEach((link, depth) => {
      const via = depth === 0 ? 'was captured from' : 'descends from';
      if (link.gone) {
        const date = link.image?.deleteAt && ms(link.image.deleteAt)! <= nowMs ? link.image.deleteAt : undefined;
        risks.push({
          kind: 'image-gone',
          imageId: link.id,
          ...(templateId ? { templateId } : {}),
          ...(date ? { date } : {}),
          subject,
          informational: true,
          sentence:
            `${capital(self)} ${via} ${imageWords(link.id, link.image)}, which no longer exists` +
            `${date ? ` (deleted on ${day(date)})` : ''}. The image itself is whole, but it cannot be rebuilt from the same source.`,
        });
      } else if (link.image) {
        const lead = `${capital(self)} ${via}`;
        for (const risk of ownStateRisks(link.image, nowMs, subject, true, lead)) {
          risks.push({ ...risk, ...(templateId && !risk.templateId ? { templateId } : {}) });
        }
      }
    });
  }
  return risks.sort(bySeverity);
}

// ---- the report --------------------------------------------------------------------------------------

export interface RiskGroup {
  /** The template or image the group is about. */
  imageId: string;
  /** It, where the lookup knows it. */
  image?: Image;
  worst: RiskKind;
  /** The date that matters: deleteAt, else deprecatedAt (ISO 8601). */
  date?: string;
  /** Servers at risk through it (launched from it). */
  servers: Server[];
  /** Images that descend from it (captured from it, or from images captured from it). */
  images: Image[];
  /** Every risk of the group, worst first. */
  risks: Risk[];
  sentence: string;
}

function groupSentence(group: Omit<RiskGroup, 'sentence'>, nowMs: number): string {
  const what = capital(imageWords(group.imageId, group.image));
  const parts: string[] = [];
  if (group.servers.length) {
    parts.push(
      `${plural(group.servers.length, 'server')} ${group.servers.length === 1 ? 'runs' : 'run'} on it${group.worst === 'vendor-template' || group.image?.kind === 'vendor' ? ' directly' : ''}`,
    );
  }
  if (group.images.length) {
    parts.push(`${plural(group.images.length, 'image')} ${group.images.length === 1 ? 'descends' : 'descend'} from it`);
  }
  const who = parts.join(' and ');
  switch (group.worst) {
    case 'image-gone':
      return (
        `${what} no longer exists${group.date ? ` (deleted on ${day(group.date)})` : ''}: ${who}. ` +
        (group.servers.length ? 'Running servers are not affected, but they cannot be rebuilt from it.' : 'Those images are whole, but cannot be rebuilt from the same source.')
      );
    case 'scheduled-deletion':
      return `${what} will be deleted${on(group.date, nowMs)}: ${who}.`;
    case 'deprecated':
      return `${what} has been deprecated${group.date ? ` since ${day(group.date)}` : ''}: ${who}.`;
    default: {
      const n = group.servers.length;
      return (
        `${plural(n, 'server')} ${n === 1 ? 'runs' : 'run'} directly on ${imageWords(group.imageId, group.image)}: ` +
        'vendors deprecate and delete templates, so capture your own image and launch from that.'
      );
    }
  }
}

/**
 * Every template or image something depends on that is at risk, with its dependants, most urgent first:
 * gone, then scheduled for deletion (soonest first), then deprecated, then vendor templates used directly.
 * A template or image nothing (among the servers and images given) depends on is not listed: its own state
 * shows in the image list.
 */
export function riskReport(servers: readonly Server[], images: readonly Image[], lookup: ImageLookup, nowMs: number): RiskGroup[] {
  const groups = new Map<string, { risks: Risk[]; servers: Map<string, Server>; images: Map<string, Image> }>();
  const groupOf = (id: string) => {
    let g = groups.get(id);
    if (!g) groups.set(id, (g = { risks: [], servers: new Map(), images: new Map() }));
    return g;
  };
  for (const server of servers) {
    for (const risk of serverRisks(server, lookup, nowMs)) {
      const g = groupOf(risk.imageId);
      g.risks.push(risk);
      g.servers.set(server.id, server);
    }
  }
  for (const image of images) {
    for (const risk of imageRisks(image, lookup, nowMs)) {
      const g = groupOf(risk.imageId);
      g.risks.push(risk);
      if (risk.imageId !== image.id) g.images.set(image.id, image);
    }
  }
  const out: RiskGroup[] = [];
  for (const [imageId, g] of groups) {
    if (g.servers.size === 0 && g.images.size === 0) continue;
    const risks = g.risks.sort(bySeverity);
    const worst = risks[0].kind;
    const found = lookup(imageId);
    const image = found === UNKNOWN ? undefined : found;
    const date = image?.deleteAt ?? image?.deprecatedAt ?? risks.find((r) => r.date)?.date;
    const group = { imageId, ...(image ? { image } : {}), worst, ...(date ? { date } : {}), servers: [...g.servers.values()], images: [...g.images.values()], risks };
    out.push({ ...group, sentence: groupSentence(group, nowMs) });
  }
  return out.sort((a, b) => riskOrder(a, b) || (a.imageId < b.imageId ? -1 : a.imageId > b.imageId ? 1 : 0));
}

/** Most urgent first: the worst risk, then the sooner date (of a deletion or deprecation), then the most things on it. */
export function riskOrder(
  a: { worst: RiskKind; date?: string; servers: readonly unknown[]; images: readonly unknown[] },
  b: { worst: RiskKind; date?: string; servers: readonly unknown[]; images: readonly unknown[] },
): number {
  const severity = riskSeverity(b.worst) - riskSeverity(a.worst);
  if (severity) return severity;
  if (a.worst === 'scheduled-deletion' || a.worst === 'deprecated') {
    const da = ms(a.date) ?? Number.POSITIVE_INFINITY;
    const db = ms(b.date) ?? Number.POSITIVE_INFINITY;
    if (da !== db) return da - db;
  }
  return b.servers.length + b.images.length - (a.servers.length + a.images.length);
}

// ---- dependants --------------------------------------------------------------------------------------

export interface Dependants {
  /** Servers launched from the image (not terminated). */
  servers: Server[];
  /** Images captured from it directly. */
  images: Image[];
  /** Images captured from those, and so on (not including the direct ones). */
  descendants: Image[];
  /** servers + images + descendants. */
  count: number;
  /** What deleting the image means for them, or undefined when nothing depends on it. */
  sentence: string | undefined;
}

/**
 * What depends on an image: the servers launched from it and the images captured from it (directly, and
 * transitively). Used to ask for a typed confirmation before deleting an image others depend on.
 */
export function dependantsOf(imageId: string, servers: readonly Server[], images: readonly Image[]): Dependants {
  const onIt = servers.filter((s) => s.imageId === imageId && s.phase !== 'terminated');
  const children = new Map<string, Image[]>();
  for (const image of images) {
    if (!image.sourceImageId || image.id === image.sourceImageId) continue;
    const list = children.get(image.sourceImageId);
    if (list) list.push(image);
    else children.set(image.sourceImageId, [image]);
  }
  const direct = (children.get(imageId) ?? []).filter((i) => i.id !== imageId);
  const seen = new Set<string>([imageId, ...direct.map((i) => i.id)]);
  const descendants: Image[] = [];
  const queue = [...direct];
  while (queue.length) {
    const next = queue.shift()!;
    for (const child of children.get(next.id) ?? []) {
      if (seen.has(child.id)) continue;
      seen.add(child.id);
      descendants.push(child);
      queue.push(child);
    }
  }
  const count = onIt.length + direct.length + descendants.length;
  let sentence: string | undefined;
  if (count > 0) {
    const self = imageWords(imageId, images.find((i) => i.id === imageId));
    const parts: string[] = [];
    if (onIt.length) {
      parts.push(`${plural(onIt.length, 'server')} ${onIt.length === 1 ? 'was' : 'were'} launched from it (${onIt.length === 1 ? 'it keeps' : 'they keep'} running, but cannot be rebuilt from it)`);
    }
    if (direct.length) {
      parts.push(
        `${plural(direct.length, 'image')} ${direct.length === 1 ? 'was' : 'were'} captured from it` +
          (descendants.length ? ` (and ${plural(descendants.length, 'more image')} from those)` : '') +
          '; images stay whole but lose their source',
      );
    }
    sentence = `${capital(self)} is in use: ${parts.join('; ')}.`;
  }
  return { servers: onIt, images: direct, descendants, count, sentence };
}
