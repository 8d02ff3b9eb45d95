// Copies of own images into this provider's own pool (ProviderService.copyImage), from another libvirt
// source: another own pool of this host (a source on the same URI with a pool of its own, or another URI of
// this machine such as qemu:///session), or a pool of another host by URI (qemu+ssh://host/system).
//
// Made once per client token. The token is written to strata's state file, beside the image it names (where
// the provider keeps all it knows of its images), BEFORE the first byte is copied, marked `copying`; the
// file is written under a hidden partial name and renamed into place when whole; then `copying` is cleared.
// Asked again with the token:
//   - its copy is whole: that image (never a second volume);
//   - its copy was cut short (a kill): a volume renamed into place is whole (the rename is atomic) and is the
//     copy; where there is none, the partial file the dead strata left is removed and the copy made again;
//   - the token was used for another image: Conflict.
// On this machine (a local URI whose pool files this process can read) the source file is read by qemu-img
// convert, which flattens a backing chain and keeps the format. From another host it is streamed through
// libvirt: virsh vol-download from the source's connection into the partial file. strata runs on the host
// it manages (index.ts), so the own pool is a directory of this machine and is written as a file.
import { accessSync, constants, existsSync } from 'node:fs';
import { join } from 'node:path';
import { StrataError, conflict, invalid, notFound, unsupported } from '../../core/errors.js';
import type { Image } from '../../core/types.js';
import type { CopyOptions, CopySource } from '../provider.js';
import { REGION, type Connection } from './connection.js';
import { checkVolumeName, type Images } from './images.js';
import { child, parseXmlFragments, textAt } from './xml.js';

/** A copy of a large image takes a while: one tool run may last this long. */
const COPY_TIMEOUT_MS = 3 * 60 * 60_000;

/** Whether a libvirt URI names this machine (no host, or localhost): its pools' files are files here. */
export function isLocalUri(uri: string): boolean {
  const m = /^[a-z][a-z0-9.+-]*:\/\/([^/?]*)/i.exec(uri);
  if (!m) return false;
  const host = m[1]!
    .replace(/^[^@]*@/, '')
    .replace(/:\d+$/, '')
    .toLowerCase();
  return host === '' || host === 'localhost' || host === '127.0.0.1' || host === '[::1]';
}

function readable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

interface SourceVolume {
  path: string;
  format: 'qcow2' | 'raw';
}

export async function copyImage(conn: Connection, images: Images, source: CopySource, options: CopyOptions): Promise<Image> {
  if (source === null || typeof source !== 'object' || typeof source.imageId !== 'string') throw invalid('A copy needs the image to copy.', 'source');
  const token = options?.clientToken;
  if (typeof token !== 'string' || !/^[\x21-\x7e]{1,64}$/.test(token)) {
    throw invalid('The client token must be 1 to 64 printable ASCII characters without spaces.', 'clientToken');
  }
  const asked = checkVolumeName('image', options.name);
  if (options.description !== undefined && typeof options.description !== 'string') throw invalid('A description is text.', 'description');
  const fromUri = source.address ?? conn.uri;
  if (typeof fromUri !== 'string' || fromUri === '') throw invalid('The source of a copy is named by its connection URI.', 'address');
  const slash = source.imageId.indexOf('/');
  const fromPool = slash > 0 ? source.imageId.slice(0, slash) : '';
  const fromName = source.imageId.slice(slash + 1);
  if (fromPool === '' || fromName === '' || fromName.includes('/')) {
    throw notFound(`Image ${source.imageId} does not exist at ${fromUri}: libvirt images are named pool/volume.`);
  }
  if (source.image && source.image.owned === false) {
    throw unsupported(`Image ${source.imageId} is not yours (a ${source.image.kind} image): only own images are copied.`);
  }
  const host = await conn.ready();
  const own = host.own;
  if (fromUri === conn.uri && fromPool === own.name) {
    throw invalid(`Image ${source.imageId} is in pool ${own.name} at ${conn.uri} already; a copy goes to another pool or host.`, 'source');
  }
  const from = { region: typeof source.region === 'string' && source.region !== '' ? source.region : REGION, imageId: source.imageId, uri: fromUri };

  // Asked before with this token?
  const before = Object.entries(conn.state.read().images).find(([id, s]) => s.copyToken === token && id.startsWith(`${own.name}/`));
  let name = asked;
  if (before) {
    const [id, stored] = before;
    if (stored.copiedFrom?.imageId !== from.imageId || stored.copiedFrom.uri !== from.uri) {
      throw conflict(`Client token ${token} was already used for another copy into pool ${own.name}; a new copy needs a new token.`);
    }
    name = id.slice(own.name.length + 1);
    // Renamed into place: whole (a strata that went away after the rename could not say so yet).
    if (existsSync(join(own.dir, name))) {
      if (stored.copying) finished(conn, id);
      return images.getImage(id);
    }
    // Made, then its file was removed outside strata: the copy this token made is gone, and says so.
    if (!stored.copying) return images.getImage(id);
  } else {
    await images.refuseTakenName(own, name);
  }
  const id = `${own.name}/${name}`;

  let volume: SourceVolume;
  try {
    volume = await sourceVolume(conn, fromUri, fromPool, fromName, source.imageId);
  } catch (error) {
    // The copy cannot be made: an unfinished record of it is dropped (nothing of it was listed).
    if (error instanceof StrataError && error.kind === 'NotFound' && before) forget(conn, id, token);
    throw error;
  }
  if (!before) {
    const generated = new RegExp(`^(?:qcow2|raw) volume in pool ${fromPool.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')}$`);
    const given = options.description ?? source.image?.description;
    const description = given !== undefined && !generated.test(given) ? given : `Copied from ${source.imageId} at ${fromUri}`;
    conn.state.update((s) => {
      s.images[id] = { copyToken: token, copiedFrom: from, copying: true, description, createdAt: new Date().toISOString() };
    });
  }

  // What a killed strata left of this copy goes first; a live one's stays (and its rename then refuses ours).
  images.removeLeftPartials(own, name);
  const doing = `copying image ${source.imageId} from ${fromUri}`;
  const local = isLocalUri(fromUri) && readable(volume.path);
  await images.writeVolume(own, name, async (partial) => {
    if (local) {
      // Flattened (a backing chain becomes one file), in the format it has.
      await conn.tool('qemu-img', ['convert', '-q', '-U', '-f', volume.format, '-O', volume.format, volume.path, partial], { doing, timeoutMs: COPY_TIMEOUT_MS });
      return;
    }
    await conn.virshAt(fromUri, [['vol-download', '--sparse', '--pool', fromPool, fromName, partial]], { doing, timeoutMs: COPY_TIMEOUT_MS });
    const info = await images.imageInfo(partial, doing);
    if (info['backing-filename']) {
      throw invalid(`Image ${source.imageId} at ${fromUri} is an overlay backed by ${String(info['backing-filename'])} on that host; only a standalone image is copied from another host.`, 'source');
    }
  });
  finished(conn, id);
  return images.getImage(id);
}

/** The copy is whole: its record says so (and when it became so). */
function finished(conn: Connection, id: string): void {
  conn.state.update((s) => {
    const entry = s.images[id];
    if (!entry) return;
    delete entry.copying;
    entry.createdAt = new Date().toISOString();
  });
}

function forget(conn: Connection, id: string, token: string): void {
  conn.state.update((s) => {
    if (s.images[id]?.copyToken === token && s.images[id]?.copying) delete s.images[id];
  });
}

/** The source volume as its own connection describes it; NotFound, in a sentence, where it is gone. */
async function sourceVolume(conn: Connection, uri: string, pool: string, name: string, imageId: string): Promise<SourceVolume> {
  let xml: string;
  try {
    xml = await conn.virshAt(uri, [['pool-refresh', pool], ['vol-dumpxml', '--pool', pool, name]], { doing: `reading image ${imageId} at ${uri}` });
  } catch (error) {
    if (error instanceof StrataError && error.kind === 'NotFound') {
      throw new StrataError('NotFound', `Image ${imageId} is gone from ${uri} (deleted, or its pool ${pool} is gone); nothing was copied.`, error.detail !== undefined ? { detail: error.detail } : {});
    }
    throw error;
  }
  const element = parseXmlFragments(xml).find((e) => e.name === 'volume');
  const path = textAt(element, 'target/path');
  const format = child(element, 'target/format')?.attrs.type ?? 'raw';
  if (!element || !path) throw notFound(`Image ${imageId} is gone from ${uri}; nothing was copied.`);
  if (format !== 'qcow2' && format !== 'raw') throw unsupported(`Image ${imageId} at ${uri} is a ${format} volume; strata copies qcow2 and raw images.`);
  return { path, format };
}
