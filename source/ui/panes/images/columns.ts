// The image list's columns, chosen for the terminal's width: at 80 columns the name keeps its room and
// the architecture and creation date give way.
import { isGone, UNKNOWN, type ImageLookup } from '../../../core/lineage.js';
import type { CatalogueImage } from '../../../services/catalogue.js';
import type { ImageRows } from '../../../services/rows.js';

export interface Columns {
  chip: number;
  name: number;
  id: number;
  kind: number;
  arch: number;
  state: number;
  created: number;
  lifecycle: number;
}

const GAP = 1;

export function columnsFor(width: number, idWidth: number): Columns {
  const chip = 4; // the selection marker, then the label chip (three cells with its trailing space)
  const id = Math.max(8, Math.min(idWidth, 24));
  const kind = 6;
  const state = 10;
  const lifecycle = 14;
  let arch = 6;
  let created = 10;
  // Every column after the name has one space before it.
  const others = () => [id, kind, arch, state, created, lifecycle].filter((w) => w > 0);
  const fixed = () => chip + others().reduce((sum, w) => sum + w + GAP, 0);
  if (width - fixed() < 28) created = 0;
  if (width - fixed() < 24) arch = 0;
  const name = Math.max(12, width - fixed());
  return { chip, name, id, kind, arch, state, created, lifecycle };
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
