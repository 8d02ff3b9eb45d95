// An image file on this machine, checked before a provider imports it (ProviderService.importImage): the
// path is absolute, the file exists, is a regular file, can be read, is not empty, and its first bytes
// say it is a disk image (qcow2 or raw). Every refusal is an Invalid StrataError with field "path" and a
// sentence that names the file and what is wrong with it.
import { open, stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { DISK_PROBE_BYTES, probeDiskImage, type DiskFormat } from '../core/diskimage.js';
import { invalid } from '../core/errors.js';

export interface ImageFile {
  path: string;
  format: DiskFormat;
  /** The file's length. */
  bytes: number;
  /** qcow2: the disk's size as the guest sees it (from the header). */
  virtualBytes?: number;
}

const GiB = 1024 ** 3;

/** Whole GiB a file of this many bytes takes (at least 1). */
export function gibOf(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / GiB));
}

function why(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ELOOP') return 'its symbolic links go round in a loop';
  if (code === 'ENAMETOOLONG') return 'its path is too long';
  return typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
}

function kindOf(st: { isDirectory(): boolean; isBlockDevice(): boolean; isCharacterDevice(): boolean; isFIFO(): boolean; isSocket(): boolean }): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isFIFO()) return 'a named pipe';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** Checks the file and tells its format; throws Invalid (field "path") with a sentence when it is not one. */
export async function inspectImageFile(path: unknown): Promise<ImageFile> {
  if (typeof path !== 'string' || path === '') throw invalid('An import needs the path of an image file (qcow2 or raw).', 'path');
  if (!isAbsolute(path)) {
    throw invalid(`The image file path "${path}" is not absolute; give the full path, e.g. /var/tmp/disk.qcow2.`, 'path');
  }
  let st;
  try {
    st = await stat(path);
  } catch (error) {
    const code = (error as { code?: unknown })?.code;
    if (code === 'ENOENT') throw invalid(`The image file ${path} does not exist.`, 'path');
    if (code === 'ENOTDIR') throw invalid(`The image file ${path} does not exist (a part of its path is not a directory).`, 'path');
    throw invalid(`The image file ${path} cannot be read: ${why(error)}.`, 'path');
  }
  if (!st.isFile()) {
    const kind = kindOf(st);
    throw invalid(`The image file ${path} is ${kind === 'not a regular file' ? kind : `${kind}, not a regular file`}.`, 'path');
  }
  let head: Uint8Array;
  try {
    const handle = await open(path, 'r');
    try {
      const buffer = Buffer.alloc(Math.min(DISK_PROBE_BYTES, st.size));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      head = buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw invalid(`The image file ${path} cannot be read: ${why(error)}.`, 'path');
  }
  const probe = probeDiskImage(head, st.size);
  if ('refused' in probe) throw invalid(`The image file ${path} ${probe.refused}.`, 'path');
  return { path, format: probe.format, bytes: st.size, ...(probe.virtualBytes !== undefined ? { virtualBytes: probe.virtualBytes } : {}) };
}
