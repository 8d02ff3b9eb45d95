// `:risk` across every source and region: the risk report of each place (core/lineage.ts riskReport), with a
// vendor template that exists in several regions (one build, its own id in each: the same name) grouped
// once, so "does anything anywhere stand on a template that goes away next week?" is one group per
// template, with every server and image on it, wherever they are. Pure.
import { riskOrder, riskSeverity, type RiskGroup, type RiskKind } from './lineage.js';
import { sanitize } from './sanitize.js';
import type { Image, Server } from './types.js';
import { plural } from './sentence.js';

export interface PlaceRisk {
  /** "prod-eu/eu-west-1". */
  where: string;
  groups: readonly RiskGroup[];
}

export interface FleetRiskGroup {
  key: string;
  worst: RiskKind;
  /** The date that matters (the soonest of the places'). */
  date?: string;
  /** The places' own groups. */
  places: { where: string; group: RiskGroup }[];
  servers: { where: string; server: Server }[];
  images: { where: string; image: Image }[];
  sentence: string;
}

const DAY = 86_400_000;

function relative(dateMs: number, nowMs: number): string {
  const diff = dateMs - nowMs;
  if (diff >= DAY) return `in ${plural(Math.floor(diff / DAY), 'day')}`;
  if (diff > 0) return 'within a day';
  if (-diff >= DAY) return `${plural(Math.floor(-diff / DAY), 'day')} ago`;
  return 'today';
}

function ms(iso: string | undefined): number | undefined {
  const t = iso ? Date.parse(iso) : Number.NaN;
  return Number.isFinite(t) ? t : undefined;
}

function what(group: RiskGroup): string {
  const image = group.image;
  const id = sanitize(group.imageId, 80);
  if (!image) return `image ${id}`;
  const name = sanitize(image.displayName || image.name, 80);
  return `${image.kind === 'vendor' ? 'vendor template' : 'image'} ${name}`;
}

/** "lab/eu-west 2, lab/us-east 1": how many per place. */
function spread<T>(items: readonly { where: string; value: T }[]): string {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item.where, (counts.get(item.where) ?? 0) + 1);
  return [...counts].map(([where, n]) => `${where} ${n}`).join(', ');
}

function sentenceOf(group: Omit<FleetRiskGroup, 'sentence'>, nowMs: number): string {
  const first = group.places[0]!.group;
  const one = group.places.length === 1;
  const subject = `${what(first).charAt(0).toUpperCase()}${what(first).slice(1)}${one ? ` (${group.places[0]!.where}${first.image ? `, ${sanitize(first.imageId, 40)}` : ''})` : ` (in ${group.places.map((p) => p.where).join(', ')})`}`;
  const parts: string[] = [];
  if (group.servers.length) {
    parts.push(`${plural(group.servers.length, 'server')} ${group.servers.length === 1 ? 'runs' : 'run'} on it${first.image?.kind === 'vendor' ? ' directly' : ''} (${spread(group.servers.map((s) => ({ where: s.where, value: s })))})`);
  }
  if (group.images.length) {
    parts.push(`${plural(group.images.length, 'image')} ${group.images.length === 1 ? 'descends' : 'descend'} from it (${spread(group.images.map((i) => ({ where: i.where, value: i })))})`);
  }
  const who = parts.join(' and ');
  const at = ms(group.date);
  const when = group.date && at !== undefined ? ` on ${group.date.slice(0, 10)} (${relative(at, nowMs)})` : '';
  switch (group.worst) {
    case 'image-gone':
      return `${subject} no longer exists: ${who}. ${group.servers.length ? 'Running servers are not affected, but they cannot be rebuilt from it.' : 'Those images are whole, but cannot be rebuilt from the same source.'}`;
    case 'scheduled-deletion':
      return `${subject} will be deleted${when}: ${who}.`;
    case 'deprecated':
      return `${subject} has been deprecated${group.date ? ` since ${group.date.slice(0, 10)}` : ''}: ${who}.`;
    default:
      return `${subject}: ${who}; vendors deprecate and delete templates, so capture your own image and launch from that.`;
  }
}

/**
 * The risk groups of every place, a vendor template of one name grouped once across places; most urgent
 * first (gone, then the soonest deletion, then deprecated, then templates used directly), then the most
 * dependants.
 */
export function fleetRiskReport(places: readonly PlaceRisk[], nowMs: number): FleetRiskGroup[] {
  const merged = new Map<string, Omit<FleetRiskGroup, 'sentence'>>();
  for (const place of places) {
    for (const group of place.groups) {
      const key = group.image?.kind === 'vendor' ? `template\u0000${group.image.name}` : `${place.where}\u0000${group.imageId}`;
      let entry = merged.get(key);
      if (!entry) merged.set(key, (entry = { key, worst: group.worst, places: [], servers: [], images: [] }));
      entry.places.push({ where: place.where, group });
      if (riskSeverity(group.worst) > riskSeverity(entry.worst)) entry.worst = group.worst;
      for (const server of group.servers) entry.servers.push({ where: place.where, server });
      for (const image of group.images) entry.images.push({ where: place.where, image });
    }
  }
  const out: FleetRiskGroup[] = [];
  for (const entry of merged.values()) {
    const dates = entry.places.filter((p) => p.group.worst === entry.worst && p.group.date).map((p) => p.group.date!);
    const date = dates.sort()[0];
    const group = { ...entry, ...(date ? { date } : {}) };
    out.push({ ...group, sentence: sentenceOf(group, nowMs) });
  }
  return out.sort((a, b) => riskOrder(a, b) || a.key.localeCompare(b.key));
}
