// The cloud-init NoCloud seed a server boots with: a small vfat disk labelled CIDATA holding meta-data
// (instance id, hostname, the keypair's public key) and user-data (strata's cloud-init document and the
// user's own). Made with mkfs.vfat and mcopy, without mounting anything, and written 0600: the user data
// can hold a LUKS passphrase.
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Runner } from './exec.js';

export interface SeedInput {
  instanceId: string;
  hostname: string;
  publicKeys: string[];
  userData?: string;
}

/** meta-data as YAML; every value is a double-quoted scalar (JSON strings are valid YAML). */
export function metaData(input: SeedInput): string {
  const lines = [`instance-id: ${JSON.stringify(input.instanceId)}`, `local-hostname: ${JSON.stringify(input.hostname)}`];
  if (input.publicKeys.length > 0) {
    lines.push('public-keys:');
    for (const key of input.publicKeys) lines.push(`  - ${JSON.stringify(key)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Writes the seed image at path (replacing one left by an interrupted attempt). */
export async function writeSeed(run: Runner, path: string, input: SeedInput): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'strata-seed-'));
  try {
    const meta = join(work, 'meta-data');
    const user = join(work, 'user-data');
    writeFileSync(meta, metaData(input), { mode: 0o600 });
    writeFileSync(user, input.userData && input.userData.trim() !== '' ? input.userData : '#cloud-config\n{}\n', { mode: 0o600 });
    rmSync(path, { force: true });
    // 2 MiB holds the largest user data strata sends (16 KiB) many times over. The file is empty of
    // secrets until it is 0600: mcopy writes into it after the chmod.
    await run('mkfs.vfat', ['-n', 'CIDATA', '-C', path, '2048'], { doing: 'making the cloud-init seed' });
    chmodSync(path, 0o600);
    for (const file of [meta, user]) {
      await run('mcopy', ['-o', '-i', path, file, `::${file === meta ? 'meta-data' : 'user-data'}`], { doing: 'writing the cloud-init seed' });
    }
    if (statSync(path).size === 0) throw new Error(`The seed ${path} came out empty.`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
