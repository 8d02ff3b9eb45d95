// The image list's columns, chosen for the terminal's width: at 80 columns the name keeps its room and
// the architecture and creation date give way.
import { isGone, UNKNOWN, type ImageLookup } from '../../../core/lineage.js';
import type { CatalogueImage } from '../../../services/catalogue.js';
import type { ImageRows } from '../../../services/rows.js';

export interface Columns {
  chip: number;
  name: number;
  /** 0 where the id gives way (the line under the list shows it). */
  id: number;
  kind: number;
  arch: number;
  state: number;
  created: number;
  lifecycle: number;
}

const GAP = 1;
/** The name keeps at least this many cells; the other columns give way before it gets narrower. */
const NAME_MIN = 20;

/**
 * The columns for a width, never wider than it (so no row wraps). The name comes first; below 100 columns
 * the kind (the scope says it) gives way, then the creation date, then the architecture, then the id: each
 * of them is on the line under the list for the selected row.
 */
export function columnsFor(width: number, idWidth: number): Columns {
  const chip = 5; // the selection marker, the mark (*), then the label chip (three cells with its trailing space)
  const state = 10;
  const lifecycle = 14;
  const c = { id: Math.max(8, Math.min(idWidth, 24)), kind: 6, arch: 6, created: 10 };
  // Every column after the name has one space before it.
  const fixed = () => chip + [c.id, c.kind, c.arch, state, c.created, lifecycle].filter((w) => w > 0).reduce((sum, w) => sum + w + GAP, 0);
  // KIND is the scope's (own, vendor, public: the header says which): below 100 columns its room is the name's.
  if (width < 100) c.kind = 0;
  for (const drop of ['created', 'arch', 'kind', 'id'] as const) {
    if (width - fixed() >= NAME_MIN + (drop === 'created' ? 8 : drop === 'arch' ? 4 : 0)) break;
    c[drop] = 0;
  }
  const name = Math.max(8, width - fixed());
  return { chip, name, id: c.id, kind: c.kind, arch: c.arch, state, created: c.created, lifecycle };
}

/** The widest id of a scope's rows, at least 8 (kept with the rows: a stored copy is not read through for it). */
export function idWidthOf(rows: ImageRows): number {
  return rows.idWidth;
}

export function day(iso: string | undefined): string {
  return iso ? iso.slice(0, 10) : '';
}

/**
 * The date that matters for a template's life: when it will be deleted, else when it was deprecated. For
 * an image captured from a template, the source's fate ("src gone", "src del …"): the seed's backing image.
 */
export function lifecycle(image: CatalogueImage, lookup?: ImageLookup, nowMs = Date.now()): { text: string; level: 'none' | 'warning' | 'danger' } {
  if (image.deleteAt) return { text: `del ${day(image.deleteAt)}`, level: 'danger' };
  if (image.deprecatedAt) return { text: `dep ${day(image.deprecatedAt)}`, level: 'warning' };
  if (image.sourceImageId && lookup) {
    const source = lookup(image.sourceImageId);
    if (source === undefined || (source !== UNKNOWN && isGone(source, nowMs))) return { text: 'src gone', level: 'danger' };
    if (source !== UNKNOWN && source.deleteAt) return { text: `src del ${day(source.deleteAt).slice(5)}`, level: 'warning' };
    if (source !== UNKNOWN && source.deprecatedAt) return { text: `src dep ${day(source.deprecatedAt).slice(5)}`, level: 'warning' };
  }
  return { text: '', level: 'none' };
}
