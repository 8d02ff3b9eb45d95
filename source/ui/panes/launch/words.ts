// The review screen's words for a launch, from the facts the launcher returns (LaunchFacts): the launcher
// returns data; what the screen says of it is the UI's.
import { money, monthlyCost } from '../../../services/billing.js';
import type { LaunchFacts } from '../../../services/launcher.js';
import { plural } from '../../../core/sentence.js';

/** One line per part of the launch, for the review screen. */
export function reviewSummary(f: LaunchFacts): string[] {
  const lines: string[] = [];
  const n = f.count;
  const names = n > 1 ? `${f.names[0]} … ${f.names[n - 1]}` : (f.names[0] ?? '');
  const image = f.image ? `${f.image.displayName ?? f.image.name} (${f.image.id})` : f.imageId;
  lines.push(`Launch ${plural(n, 'server')} (${names}) from ${image} in ${f.where.displayName} ${f.where.region}.`);
  if (f.requests.length > 1) {
    lines.push(`Sent as ${f.requests.length} requests, one per server (each its own client token${f.volumes?.encrypt ? ' and volume passphrase' : ''}).`);
  }
  const p = f.product;
  if (p) {
    const price = p.hourlyPrice !== undefined ? `, ${p.hourlyPrice} an hour (${money(monthlyCost(p.hourlyPrice), '').trim()} a month each)` : '';
    lines.push(`Size ${p.id}: ${p.vcpus} vCPU, ${gib(p.memoryMiB / 1024)} memory, ${p.storageGiB} GiB storage${price}.`);
  } else {
    lines.push(`Size ${f.productId}.`);
  }
  const fws = f.firewalls.map((fw) => (fw.name ? `${fw.name} (${fw.id})` : fw.id));
  if (f.newFirewall) fws.push(`new firewall "${f.newFirewall.name}" with ${plural(f.newFirewall.rules.length, 'rule')}`);
  lines.push(`Firewalls: ${fws.length ? fws.join(', ') : 'none'}.`);
  const k = f.keypair;
  if (k.mode === 'none') lines.push('Keypair: none.');
  else if (k.mode === 'existing') lines.push(`Keypair: ${k.name} (existing).`);
  else {
    lines.push(
      f.keyFile?.how === 'imported'
        ? `Keypair: "${k.name}", generated here with ssh-keygen (ed25519) and imported; the private key goes to ${f.keyFile.path} (mode 0600).`
        : `Keypair: "${k.name}", created by the provider at launch; the private key goes to ${f.keyFile?.path ?? 'the key directory'} (mode 0600).`,
    );
  }
  if (f.group || f.billingCode) {
    const where = f.tagsAtProvider ? 'as tags at the provider' : 'in the local store (this provider holds no tags)';
    const parts = [f.group ? `group ${f.group}` : '', f.billingCode ? `billing code ${f.billingCode}` : ''].filter(Boolean);
    lines.push(`${capitalise(parts.join(', '))}, kept ${where}.`);
  }
  if (f.volumes) {
    const v = f.volumes;
    lines.push(
      `Volumes: ${v.count} x ${v.sizeGiB} GiB, ${v.raid === 'none' ? 'no RAID' : `RAID ${v.raid}`}, ${v.filesystem} at ${v.mountPoint}` +
        (v.encrypt
          ? `, encrypted (LUKS; ${n > 1 ? 'each server gets its own passphrase, generated and' : 'a passphrase is generated and'} kept in the keychain, or a 0600 file, under the server's id).`
          : '.'),
    );
  }
  if (f.userDataFile) lines.push(`User data: ${f.userDataFile}, appended after strata's own cloud-init parts.`);
  const q = f.quota;
  if (q?.servers) lines.push(`Billing code ${q.code}: ${q.servers.current + q.servers.adding} of ${plural(q.servers.max, 'server')} after this launch.`);
  if (q?.monthlyCost) {
    const c = q.monthlyCost;
    lines.push(`Billing code ${q.code}: ${money(c.current + c.adding, c.currency)} of ${money(c.max, c.currency)} a month after this launch.`);
  }
  return lines;
}

function gib(n: number): string {
  return `${Number.isInteger(n) ? n : n.toFixed(1)} GiB`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
