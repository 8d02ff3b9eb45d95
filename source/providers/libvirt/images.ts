// Images on a libvirt host: qcow2 (or raw) volumes of the pool strata keeps its own images in, and of the
// pool whose volumes are vendor templates. An image id is pool/volume. Volumes hold no tags: where each
// captured, imported or copied image came from (and a copy's client token) is kept in strata's state file.
import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { checkResourceName } from '../../core/checks.js';
import { StrataError, conflict, invalid, notFound, unsupported } from '../../core/errors.js';
import { SCOPES, type Image, type Page } from '../../core/types.js';
import { inspectImageFile } from '../image-file.js';
import { decodePageToken, encodePageToken, matchesTerms, pageSizeOf, queryTerms } from '../paging.js';
import type { ImportImageOptions, ListImagesOptions } from '../provider.js';
import { VOLUME_NAMES } from './capabilities.js';
import { GONE, type Connection, type Host, type PoolInfo } from './connection.js';
import type { DomainInfo } from './domain.js';
import type { StoredImage } from './state.js';
import { child, parseXmlFragments, textAt, type XmlElement } from './xml.js';
import { processAlive } from '../../core/process.js';

const GIB = 1024 ** 3;
/** The partial files this process is writing now (writeVolume): any other of its own was left by a kill's like. */
const WRITING = new Set<string>();
/** Images a page holds when the caller does not say. */
const PAGE_SIZE = 100;

export interface Volume {
  pool: PoolInfo;
  name: string;
  path: string;
  format: string;
  capacity: number;
  /** Bytes the file takes up on the host (virsh vol-info's Allocation): what deleting it frees. */
  allocation?: number;
  mtime?: number;
}

export function checkVolumeName(what: string, name: unknown, field = 'name'): string {
  const checked = checkResourceName(what, name, VOLUME_NAMES, field);
  if (checked.startsWith('.')) throw invalid(`The ${what} name is refused: it cannot start with a dot (such files are hidden).`, field);
  return checked;
}

export class Images {
  constructor(
    private readonly conn: Connection,
    /** Every domain of the host (the servers whose disks may be overlays of an image). */
    private readonly domains: () => Promise<DomainInfo[]>,
  ) {}

  /** Every disk-image volume of a pool (refreshed first: files may have been added by hand). */
  private async volumes(pool: PoolInfo, doing: string): Promise<Volume[]> {
    const listing = await this.conn.virshBatch([['pool-refresh', pool.name], ['vol-list', pool.name]], { doing });
    const names: string[] = [];
    for (const raw of listing.split('\n')) {
      const line = raw.trim();
      if (line === '' || /^Pool .* refreshed$/.test(line)) continue;
      const marker = ` ${pool.dir}/`;
      let at = line.lastIndexOf(marker);
      while (at > 0) {
        const name = line.slice(0, at).trim();
        if (line.slice(at + 1) === `${pool.dir}/${name}`) {
          names.push(name);
          break;
        }
        at = line.lastIndexOf(marker, at - 1);
      }
    }
    const wanted = names.filter((n) => !n.startsWith('.') && !n.includes("'") && !/[\x00-\x1f]/.test(n));
    // A volume deleted between the listing and the read is not listed.
    const xml = await this.conn.readEach(wanted.map((n) => ['vol-dumpxml', '--pool', pool.name, n]), GONE.volume, { doing });
    const volumes: Volume[] = [];
    for (const element of parseXmlFragments(xml)) {
      const volume = this.volumeFrom(pool, element);
      if (volume) volumes.push(volume);
    }
    return volumes;
  }

  private volumeFrom(pool: PoolInfo, element: XmlElement): Volume | undefined {
    const name = textAt(element, 'name');
    const path = textAt(element, 'target/path');
    const format = child(element, 'target/format')?.attrs.type ?? 'raw';
    if (!name || !path || (format !== 'qcow2' && format !== 'raw')) return undefined;
    const mtime = Number(textAt(element, 'target/timestamps/mtime'));
    const allocation = Number(textAt(element, 'allocation') ?? Number.NaN);
    return {
      pool,
      name,
      path,
      format,
      capacity: Number(textAt(element, 'capacity') ?? 0),
      ...(Number.isFinite(allocation) && allocation >= 0 ? { allocation } : {}),
      ...(Number.isFinite(mtime) ? { mtime } : {}),
    };
  }

  private imageFrom(volume: Volume, host: Host, storedImages: Record<string, StoredImage>): Image {
    const own = volume.pool.name === host.own.name;
    const id = `${volume.pool.name}/${volume.name}`;
    const stored = storedImages[id];
    const createdAt = stored?.createdAt ?? new Date(Math.round((volume.mtime ?? 0) * 1000)).toISOString();
    const deprecatedMs = own && stored?.deprecatedAt ? Date.parse(stored.deprecatedAt) : Number.NaN;
    return {
      id,
      name: volume.name,
      kind: own ? 'own' : 'vendor',
      owner: own ? 'self' : volume.pool.name,
      architecture: host.arch,
      state: Number.isFinite(deprecatedMs) && deprecatedMs <= Date.now() ? 'deprecated' : 'available',
      createdAt,
      sizeGiB: Math.max(1, Math.ceil(volume.capacity / GIB)),
      ...(volume.allocation !== undefined ? { storageGiB: Math.round((volume.allocation / GIB) * 100) / 100 } : {}),
      ...(Number.isFinite(deprecatedMs) ? { deprecatedAt: new Date(deprecatedMs).toISOString() } : {}),
      platform: volume.format,
      owned: own,
      tags: {},
      description: stored?.description ?? (own ? `${volume.format} volume in pool ${volume.pool.name}` : `vendor template in pool ${volume.pool.name}`),
      ...(stored?.sourceImageId ? { sourceImageId: stored.sourceImageId } : {}),
      ...(stored?.sourceServerId ? { sourceServerId: stored.sourceServerId } : {}),
      ...(own && stored?.copiedFrom ? { copiedFrom: { region: stored.copiedFrom.region, imageId: stored.copiedFrom.imageId } } : {}),
    };
  }

  async listImages(options: ListImagesOptions): Promise<Page<Image>> {
    const scope = options?.scope;
    if (!SCOPES.includes(scope)) throw invalid(`Unknown image scope "${String(scope)}"; use own, vendor or public.`, 'scope');
    const terms = queryTerms(options.query);
    const size = pageSizeOf(options.pageSize, PAGE_SIZE);
    const offset = decodePageToken(options.page, scope, terms);
    if (scope === 'public') return { items: [], total: 0 };
    const host = await this.conn.ready();
    const pool = scope === 'own' ? host.own : host.vendor;
    const stored = this.conn.state.read().images;
    const all = (await this.volumes(pool, 'listing images'))
      .map((v) => this.imageFrom(v, host, stored))
      .filter((image) => matchesTerms(`${image.name}\n${image.id}\n${image.description ?? ''}`, terms))
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.name.localeCompare(b.name));
    const items = all.slice(offset, offset + size);
    const end = offset + items.length;
    return { items, total: all.length, ...(end < all.length ? { next: encodePageToken(scope, terms, end) } : {}) };
  }

  /** The file of an image id (pool/volume) on this host; an id of no known pool is taken as the own pool's. */
  pathOf(host: Host, imageId: string): string {
    const slash = imageId.indexOf('/');
    const pool = [host.own, host.vendor].find((p) => p.name === imageId.slice(0, slash)) ?? host.own;
    return join(pool.dir, imageId.slice(slash + 1));
  }

  /**
   * An image id is pool/volume. Images are those of the own pool and the vendor pool; `foreign` is the
   * name of any other pool an id names (a server launched by another strata, or before config.yaml changed).
   */
  private async locate(id: unknown, field = 'imageId'): Promise<{ host: Host; pool?: PoolInfo; foreign: string; name: string }> {
    if (typeof id !== 'string' || id === '') throw invalid('An image id is needed.', field);
    const host = await this.conn.ready();
    const slash = id.indexOf('/');
    const poolName = slash > 0 ? id.slice(0, slash) : '';
    const name = id.slice(slash + 1);
    if (poolName === '' || name === '' || name.includes('/')) {
      throw notFound(`Image ${id} does not exist: images here are named pool/volume, in pool ${host.own.name} or ${host.vendor.name}.`);
    }
    const pool = [host.own, host.vendor].find((p) => p.name === poolName);
    return { host, ...(pool ? { pool } : {}), foreign: pool ? '' : poolName, name };
  }

  private async volume(pool: PoolInfo, name: string, doing: string): Promise<Volume | undefined> {
    let xml: string;
    try {
      xml = await this.conn.virshBatch([['pool-refresh', pool.name], ['vol-dumpxml', '--pool', pool.name, name]], { doing });
    } catch (error) {
      if (error instanceof StrataError && error.kind === 'NotFound') return undefined;
      throw error;
    }
    const element = parseXmlFragments(xml)[0];
    return element ? this.volumeFrom(pool, element) : undefined;
  }

  async getImage(id: string): Promise<Image> {
    const { host, pool, foreign, name } = await this.locate(id);
    if (!pool) {
      // Gone is what libvirt does not have (that pool, or that volume in it). A volume it has in a pool
      // strata does not use is not strata's to show, but not gone either: its servers run on it.
      try {
        await this.conn.virshBatch([['pool-refresh', foreign], ['vol-dumpxml', '--pool', foreign, name]], { doing: `reading image ${id}` });
      } catch (error) {
        if (error instanceof StrataError && error.kind === 'NotFound') {
          throw notFound(`Image ${id} does not exist: libvirt at ${this.conn.uri} has no pool ${foreign} with a volume ${name}.`, error.detail);
        }
        throw error;
      }
      throw invalid(
        `Image ${id} is in pool ${foreign}, which strata does not use (own images: ${host.own.name}, templates: ${host.vendor.name}); to use its images, set libvirt.vendorPool to ${foreign} in config.yaml.`,
        'imageId',
      );
    }
    const volume = await this.volume(pool, name, `reading image ${id}`);
    if (!volume) throw notFound(`Image ${id} does not exist in pool ${pool.name}.`);
    return this.imageFrom(volume, host, this.conn.state.read().images);
  }

  /**
   * Sets or clears the deprecation date of an own image: libvirt keeps no such thing, so strata's state file
   * for this connection does (every strata on this home sees it). A date at most 10 years ahead.
   */
  async setImageDeprecation(id: string, at: string | null): Promise<Image> {
    let when: string | undefined;
    if (at !== null) {
      const ms = typeof at === 'string' ? Date.parse(at) : Number.NaN;
      if (!Number.isFinite(ms)) throw invalid('A deprecation date is an ISO 8601 date and time (or null to clear it).', 'deprecateAt');
      if (ms - Date.now() > 3652 * 86_400_000) throw invalid('A deprecation date can be at most 10 years ahead.', 'deprecateAt');
      const now = Date.now();
      when = new Date(ms <= now ? now : Math.max(now, Math.round(ms / 60_000) * 60_000)).toISOString();
    }
    // NotFound where libvirt has no such volume; Invalid for one in a pool strata does not use.
    const image = await this.getImage(id);
    if (!image.owned) {
      const host = await this.conn.ready();
      throw unsupported(`Image ${id} is a vendor template in pool ${image.owner}; only own images (pool ${host.own.name}) take a deprecation date.`);
    }
    this.conn.state.update((s) => {
      const entry = { ...(s.images[id] ?? {}) };
      if (when) entry.deprecatedAt = when;
      else delete entry.deprecatedAt;
      s.images[id] = entry;
    });
    return this.getImage(id);
  }

  async setImageTags(id: string): Promise<Image> {
    await this.getImage(id);
    throw unsupported('libvirt volumes hold no tags; strata keeps names and labels of these images in its own store.');
  }

  /**
   * A new file in a pool, written under a hidden name first (.NAME.PID.partial, never listed) and renamed
   * when whole.
   */
  async writeVolume(pool: PoolInfo, name: string, write: (partial: string) => Promise<void>): Promise<string> {
    const final = join(pool.dir, name);
    const partial = join(pool.dir, `.${name}.${process.pid}.partial`);
    WRITING.add(partial);
    try {
      await write(partial);
      if (existsSync(final)) throw invalid(`An image named "${name}" appeared in pool ${pool.name} meanwhile; choose another name.`, 'name');
      renameSync(partial, final);
    } finally {
      WRITING.delete(partial);
      rmSync(partial, { force: true });
    }
    await this.conn.virsh(['pool-refresh', pool.name], { doing: `refreshing pool ${pool.name}` });
    return final;
  }

  /**
   * Removes the partial files of a volume that a strata which went away in the middle of writing it left
   * (killed: its cleanup never ran); those a live process is writing stay. Returns what was removed.
   */
  removeLeftPartials(pool: PoolInfo, name: string): string[] {
    const escaped = name.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
    const pattern = new RegExp(`^\\.${escaped}\\.(\\d+)\\.partial$`);
    const removed: string[] = [];
    let files: string[];
    try {
      files = readdirSync(pool.dir);
    } catch {
      return removed;
    }
    for (const file of files) {
      const pid = Number(pattern.exec(file)?.[1] ?? Number.NaN);
      if (!Number.isInteger(pid)) continue;
      const path = join(pool.dir, file);
      if (pid === process.pid ? WRITING.has(path) : processAlive(pid)) continue;
      rmSync(path, { force: true });
      removed.push(path);
    }
    return removed;
  }

  async refuseTakenName(pool: PoolInfo, name: string): Promise<void> {
    if ((await this.volume(pool, name, 'checking the image name')) || existsSync(join(pool.dir, name))) {
      throw invalid(`An image named "${name}" already exists in pool ${pool.name}; image names are unique in a pool.`, 'name');
    }
  }

  async importImage(options: ImportImageOptions): Promise<Image> {
    const name = checkVolumeName('image', options?.name);
    const { path } = await inspectImageFile(options.path);
    const host = await this.conn.ready();
    await this.refuseTakenName(host.own, name);
    const info = await this.imageInfo(path, `reading ${path}`, 'path');
    if (info['backing-filename']) {
      throw invalid(`${path} is an overlay backed by ${String(info['backing-filename'])}; import a standalone image (qemu-img convert flattens it).`, 'path');
    }
    const format = String(info.format ?? 'raw');
    await this.writeVolume(host.own, name, (partial) =>
      this.conn.tool('qemu-img', ['convert', '-q', '-f', format, '-O', 'qcow2', path, partial], { doing: `importing ${basename(path)}`, timeoutMs: 60 * 60_000 }).then(() => undefined),
    );
    const id = `${host.own.name}/${name}`;
    this.conn.state.update((s) => {
      s.images[id] = { createdAt: new Date().toISOString(), description: options.description ?? `Imported from ${basename(path)}` };
    });
    return this.getImage(id);
  }

  /** qemu-img info as JSON; with the chain, a missing backing file fails here ("Could not open backing file"). */
  async imageInfo(path: string, doing: string, field?: string, chain = false): Promise<Record<string, unknown>> {
    let out: string;
    try {
      out = await this.conn.tool('qemu-img', ['info', '-U', '--output=json', ...(chain ? ['--backing-chain'] : []), path], { doing });
    } catch (error) {
      if (error instanceof StrataError && error.kind === 'Invalid' && field) throw new StrataError('Invalid', error.message, { field, detail: error.detail });
      throw error;
    }
    const parsed = JSON.parse(out) as Record<string, unknown> | Record<string, unknown>[];
    return Array.isArray(parsed) ? parsed[0]! : parsed;
  }

  async deleteImage(id: string): Promise<void> {
    const { host, pool, foreign, name } = await this.locate(id);
    if (!pool) throw unsupported(`Image ${id} is in pool ${foreign}, which strata does not use; strata deletes only own images (pool ${host.own.name}).`);
    if (pool.name !== host.own.name) {
      throw unsupported(`Image ${id} is a vendor template in pool ${pool.name}; strata deletes only own images (pool ${host.own.name}).`);
    }
    const volume = await this.volume(pool, name, `reading image ${id}`);
    if (!volume) throw notFound(`Image ${id} does not exist in pool ${pool.name}.`);
    const dependants = (await this.domains()).filter((d) => d.record?.imagePath === volume.path || d.disks.some((k) => k.backing === volume.path));
    if (dependants.length > 0) {
      const names = dependants.map((d) => d.name);
      throw conflict(
        `Image ${name} cannot be deleted: the disk${names.length === 1 ? ' of server' : 's of servers'} ${names.join(', ')} ${names.length === 1 ? 'is an overlay' : 'are overlays'} backed by it, and deleting it would break ${names.length === 1 ? 'it' : 'them'}. Terminate ${names.length === 1 ? 'it' : 'them'}, or capture ${names.length === 1 ? 'it' : 'them'} to an image of ${names.length === 1 ? 'its' : 'their'} own, first.`,
      );
    }
    await this.conn.virsh(['vol-delete', '--pool', pool.name, name], { doing: `deleting image ${id}` });
    this.conn.state.update((s) => {
      delete s.images[id];
    });
  }
}

