// What the libvirt provider keeps that libvirt has no place for, one small JSON file per connection URI
// below strata's home: imported public keys (libvirt has no keypairs), where each captured, imported or
// copied image came from and the client token of each copy (volumes hold no tags), and the servers it
// terminated (so a watcher sees "terminated", not a server that vanished). Every change re-reads the file and replaces it whole (write, fsync, rename), so
// two strata sessions lose nothing but a simultaneous write to the same entry.
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Server } from '../../core/types.js';

export interface StoredKeypair {
  name: string;
  publicKey: string;
  fingerprint: string;
  createdAt: string;
}

export interface StoredImage {
  sourceImageId?: string;
  sourceServerId?: string;
  description?: string;
  createdAt?: string;
  /** A deprecation date set on the image (ISO 8601): libvirt keeps none. */
  deprecatedAt?: string;
  /** The client token of the copy that made this image (copyImage is idempotent on it). */
  copyToken?: string;
  /** The image this one copies: its id (pool/volume) on the connection `uri`, in region `region`. */
  copiedFrom?: { region: string; imageId: string; uri: string };
  /**
   * Written before a copy's first byte: the copy is not whole yet. Its volume, where it exists, was renamed
   * into place whole (a strata that went away before it could clear this); where it does not, the copy is
   * made again from the start (what was partly written is removed first).
   */
  copying?: boolean;
}

export interface LibvirtState {
  keypairs: StoredKeypair[];
  /** By image id (pool/volume). */
  images: Record<string, StoredImage>;
  /** By server id: the last view of servers strata terminated (the newest 500). */
  terminated: Record<string, Server>;
  /** QEMU could not open /dev/kvm here although libvirt lists KVM (a container): guests run under TCG. */
  kvmUnusable?: boolean;
}

const EMPTY: LibvirtState = { keypairs: [], images: {}, terminated: {} };
const MAX_TERMINATED = 500;

export class StateFile {
  readonly path: string;

  constructor(home: string, uri: string) {
    const dir = join(home, 'libvirt');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.path = join(dir, `${createHash('sha256').update(uri).digest('hex').slice(0, 16)}.json`);
  }

  read(): LibvirtState {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch {
      return structuredClone(EMPTY);
    }
    try {
      const parsed = JSON.parse(text) as Partial<LibvirtState>;
      return {
        keypairs: Array.isArray(parsed.keypairs) ? parsed.keypairs : [],
        images: parsed.images && typeof parsed.images === 'object' ? parsed.images : {},
        terminated: parsed.terminated && typeof parsed.terminated === 'object' ? parsed.terminated : {},
        ...(parsed.kvmUnusable === true ? { kvmUnusable: true } : {}),
      };
    } catch {
      // A file cut short by a crash of another writer cannot happen (rename is atomic); anything else
      // unreadable is kept aside rather than silently overwritten.
      renameSync(this.path, `${this.path}.unreadable-${Date.now()}`);
      return structuredClone(EMPTY);
    }
  }

  update<T>(change: (state: LibvirtState) => T): T {
    const state = this.read();
    const result = change(state);
    const ids = Object.keys(state.terminated);
    if (ids.length > MAX_TERMINATED) {
      ids
        .sort((a, b) => (state.terminated[a]!.phaseSince ?? '').localeCompare(state.terminated[b]!.phaseSince ?? ''))
        .slice(0, ids.length - MAX_TERMINATED)
        .forEach((id) => delete state.terminated[id]);
    }
    const temp = `${this.path}.${process.pid}.tmp`;
    const fd = openSync(temp, 'w', 0o600);
    try {
      writeSync(fd, JSON.stringify(state));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, this.path);
    return result;
  }
}
