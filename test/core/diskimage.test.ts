// Telling a disk image from its first bytes: qcow2 by its magic and version, raw for anything plausibly a
// disk, and a reason for what plainly is not one.
import { describe, expect, it } from 'vitest';
import { probeDiskImage } from '../../source/core/diskimage.js';

function qcow2(version: number, virtualBytes: bigint): Uint8Array {
  const b = Buffer.alloc(512);
  b.write('QFI\xfb', 0, 'latin1');
  b.writeUInt32BE(version, 4);
  b.writeBigUInt64BE(virtualBytes, 24);
  return b;
}

describe('probeDiskImage', () => {
  it('knows qcow2 (versions 2 and 3) and reads the virtual size', () => {
    expect(probeDiskImage(qcow2(3, 10n * 1024n ** 3n), 196_624)).toEqual({ format: 'qcow2', virtualBytes: 10 * 1024 ** 3 });
    expect(probeDiskImage(qcow2(2, 1024n), 512)).toEqual({ format: 'qcow2', virtualBytes: 1024 });
    expect(probeDiskImage(qcow2(4, 1024n), 512)).toEqual({ refused: expect.stringContaining('version 4 (qemu knows versions 2 and 3)') });
    expect(probeDiskImage(qcow2(3, 1n).subarray(0, 8), 8)).toEqual({ refused: expect.stringContaining('too short to hold its header') });
  });

  it('takes anything else that could be a disk as raw', () => {
    const mbr = Buffer.alloc(4096);
    mbr[0] = 0xeb;
    mbr[510] = 0x55;
    mbr[511] = 0xaa;
    expect(probeDiskImage(mbr, 8 * 1024 ** 3)).toEqual({ format: 'raw' });
    expect(probeDiskImage(Buffer.alloc(4096), 4096)).toEqual({ format: 'raw' });
  });

  it('refuses empty and tiny files, archives, other formats and text, saying why', () => {
    expect(probeDiskImage(new Uint8Array(0), 0)).toEqual({ refused: 'is empty' });
    expect(probeDiskImage(Buffer.alloc(511), 511)).toEqual({ refused: 'is only 511 bytes; a disk image (qcow2 or raw) has at least 512' });
    expect(probeDiskImage(Buffer.from([0x1f, 0x8b, 8, 0, ...Buffer.alloc(600)]), 604)).toEqual({ refused: expect.stringContaining('gzip') });
    expect(probeDiskImage(Buffer.from('KDMV' + '\0'.repeat(600), 'latin1'), 604)).toEqual({ refused: expect.stringContaining('VMDK') });
    expect(probeDiskImage(Buffer.from('vhdxfile' + '\0'.repeat(600), 'latin1'), 608)).toEqual({ refused: expect.stringContaining('VHDX') });
    expect(probeDiskImage(Buffer.from('#cloud-config\nusers: [ops]\n'.repeat(40)), 1080)).toEqual({
      refused: 'looks like a text file, not a disk image (qcow2 or raw)',
    });
    // Text cut in the middle of a character at the end of the probe is still text.
    const cut = Buffer.from('é'.repeat(300)).subarray(0, 599);
    expect(probeDiskImage(cut, 10_000)).toEqual({ refused: expect.stringContaining('text file') });
  });
});
