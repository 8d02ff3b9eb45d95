// What a disk image file is, told from its first bytes (pure: the caller reads them). Used where a file on
// this machine is imported as an own image: qcow2 and raw are taken; what is plainly something else (a
// compressed archive, another hypervisor's format, a text file, a file too small to hold a disk) is
// refused with the words to say why.

export type DiskFormat = 'qcow2' | 'raw';

/** The smallest file taken as a disk: one sector. */
export const MIN_DISK_IMAGE_BYTES = 512;
/** How many bytes from the start of the file the probe looks at (fewer when the file is shorter). */
export const DISK_PROBE_BYTES = 4096;

export type DiskProbe =
  | { format: DiskFormat; /** qcow2: the disk's size as the guest sees it, from the header. */ virtualBytes?: number }
  /** Why the file is not taken, as the end of a sentence that begins "The image file /path …". */
  | { refused: string };

const QCOW2_MAGIC = [0x51, 0x46, 0x49, 0xfb]; // "QFI\xfb"

/** Formats that are plainly not a disk image strata can import, by their magic bytes at offset 0. */
const NOT_A_DISK: { magic: number[]; says: string }[] = [
  { magic: [0x1f, 0x8b], says: 'is compressed with gzip; uncompress it first (gunzip)' },
  { magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], says: 'is compressed with xz; uncompress it first (xz -d)' },
  { magic: [0x42, 0x5a, 0x68], says: 'is compressed with bzip2; uncompress it first (bunzip2)' },
  { magic: [0x28, 0xb5, 0x2f, 0xfd], says: 'is compressed with zstd; uncompress it first (zstd -d)' },
  { magic: [0x50, 0x4b, 0x03, 0x04], says: 'is a zip archive; unpack the disk image from it first' },
  { magic: [0x4b, 0x44, 0x4d, 0x56], says: 'is a VMDK image; convert it first (qemu-img convert -O qcow2)' },
  { magic: [...'vhdxfile'].map((c) => c.charCodeAt(0)), says: 'is a VHDX image; convert it first (qemu-img convert -O qcow2)' },
];

function startsWith(head: Uint8Array, magic: readonly number[], at = 0): boolean {
  if (head.length < at + magic.length) return false;
  return magic.every((b, i) => head[at + i] === b);
}

/** No NUL byte and nothing but printable text and line breaks: a text file, not a disk. */
function looksLikeText(head: Uint8Array): boolean {
  if (head.length === 0) return false;
  for (const b of head) {
    if (b === 0) return false;
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) return false;
    if (b === 0x7f) return false;
  }
  try {
    // stream: a multi-byte character cut at the end of the probe is not an error.
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
  } catch {
    return false;
  }
  return true;
}

function bytes(n: number): string {
  return `${n.toLocaleString('en-US')} byte${n === 1 ? '' : 's'}`;
}

/**
 * What the file is: `head` is its first bytes (up to DISK_PROBE_BYTES), `size` its length in bytes.
 * qcow2 by its magic ("QFI\xfb") and a version qemu knows (2 or 3); anything else that is plausibly a disk
 * is raw.
 */
export function probeDiskImage(head: Uint8Array, size: number): DiskProbe {
  if (size === 0) return { refused: 'is empty' };
  if (startsWith(head, QCOW2_MAGIC)) {
    const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
    if (head.length < 32 || size < 72) return { refused: 'starts like a qcow2 image but is too short to hold its header' };
    const version = view.getUint32(4);
    if (version !== 2 && version !== 3) {
      return { refused: `starts like a qcow2 image but says it is version ${version} (qemu knows versions 2 and 3)` };
    }
    return { format: 'qcow2', virtualBytes: Number(view.getBigUint64(24)) };
  }
  for (const { magic, says } of NOT_A_DISK) if (startsWith(head, magic)) return { refused: says };
  if (size < MIN_DISK_IMAGE_BYTES) {
    return { refused: `is only ${bytes(size)}; a disk image (qcow2 or raw) has at least ${MIN_DISK_IMAGE_BYTES}` };
  }
  if (looksLikeText(head)) return { refused: 'looks like a text file, not a disk image (qcow2 or raw)' };
  return { format: 'raw' };
}
