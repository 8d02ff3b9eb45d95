// `i` on an image: where it came from (its lineage, up to the root, with what is deprecated or gone), what
// depends on it (servers launched from it, images captured from it), and its tags.
import { Box, Text } from 'ink';
import { dependantsOf, imageRisks, lineageChain } from '../../core/lineage.js';
import { sanitize } from '../../core/sanitize.js';
import { deleteProtectionWords, gib } from '../../core/stale.js';
import { useAppState, useTheme } from '../state/context.js';
import { findImage, imageLookup, listedImages } from '../state/selectors.js';
import { fit, wrap } from './text.js';

let infoRows = 0;
/** How far the details can scroll (for the dispatcher). */
export const INFO_ROWS = () => infoRows;

export function ImageInfo({ width, height }: { width: number; height: number }) {
  const modal = useAppState((s) => (s.overlay?.kind === 'info' ? s.overlay : undefined));
  const image = useAppState((s) => (modal ? findImage(s, modal.imageId) : undefined));
  const lookup = useAppState(imageLookup);
  const servers = useAppState((s) => s.monitor.servers);
  const own = useAppState((s) => listedImages(s, 'own'));
  const theme = useTheme();
  if (!modal) return null;
  const lines: { text: string; colour?: string; bold?: boolean }[] = [];
  const add = (text: string, colour?: string, bold?: boolean) => {
    const indent = /^\s*/.exec(text)![0];
    for (const part of wrap(text, width - 2 - indent.length)) lines.push({ text: indent + part, colour, bold });
  };
  if (!image) add(`Image ${sanitize(modal.imageId)} is no longer listed.`, theme.muted);
  else {
    const now = Date.parse(servers.find((s) => s.observedAt)?.observedAt ?? '') || Date.now();
    add(`${image.shownName} (${image.id})`, theme.accent, true);
    add(`  ${image.kind} image, ${image.architecture}, ${image.state}; owner ${image.owner}; created ${image.createdAt.slice(0, 10)}`);
    if (image.name !== image.shownName) add(`  The provider's name: ${image.name}`);
    if (image.description) add(`  ${image.description}`);
    if (image.deprecatedAt) add(`  Deprecated ${image.deprecatedAt.slice(0, 10)}${image.deleteAt ? `; deleted ${image.deleteAt.slice(0, 10)}` : ''}`, theme.warning);
    const protection = deleteProtectionWords(image.deleteProtection, now);
    if (protection) add(`  ${protection}`, theme.warning);
    if (image.storageGiB !== undefined) add(`  Takes up ${gib(image.storageGiB)} of storage (what deleting it frees)`);
    add(`  Name and label ${image.sharedMeta ? 'are tags at the provider (shared with teammates)' : 'are kept in the local store'}`);
    add('Lineage (where it came from)', theme.accent, true);
    const chain = lineageChain(image.id, lookup, now);
    if (chain.length <= 1 && !image.sourceImageId) add('  An original: strata knows of no image it was captured from.', theme.muted);
    chain.forEach((link, i) => {
      if (i === 0) return;
      const what = link.image ? `${sanitize(link.image.displayName ?? link.image.name)} (${link.id}, ${link.image.kind}${link.image.deprecatedAt ? `, deprecated ${link.image.deprecatedAt.slice(0, 10)}` : ''})` : link.id;
      const state = link.gone ? ' — gone: the provider no longer has it' : link.unknown ? ' — not looked up' : '';
      add(`  ${'  '.repeat(i - 1)}↳ captured from ${what}${state}`, link.gone ? theme.danger : undefined);
    });
    if (image.sourceServerId) add(`  from server ${sanitize(image.sourceServerId)}`);
    for (const risk of imageRisks(image, lookup, now)) add(`  ! ${sanitize(risk.sentence, 400)}`, risk.informational ? theme.warning : theme.danger);
    add('What depends on it', theme.accent, true);
    const deps = dependantsOf(image.id, servers.filter((s) => s.phase !== 'terminated'), own);
    if (deps.count === 0) add('  Nothing strata knows of.', theme.muted);
    for (const s of deps.servers) add(`  server ${sanitize(s.name)} (${s.id}, ${s.phase})`);
    for (const i of deps.images) add(`  image ${sanitize(i.displayName ?? i.name)} (${i.id})`);
    const tags = Object.entries(image.tags);
    if (tags.length) {
      add('Tags', theme.accent, true);
      for (const [k, v] of tags) add(`  ${k} = ${v}`);
    }
  }
  const room = Math.max(1, height - 1);
  infoRows = Math.max(0, lines.length - room);
  const scroll = Math.min(modal.scroll, infoRows);
  const shown = lines.slice(scroll, scroll + room);
  return (
    <Box flexDirection="column" width={width} height={height}>
      {shown.map((l, i) => (
        <Text key={i} color={l.colour} bold={l.bold}>
          {fit(l.text, width).trimEnd() || ' '}
        </Text>
      ))}
      {Array.from({ length: Math.max(0, room - shown.length) }, (_, i) => (
        <Text key={`pad-${i}`}> </Text>
      ))}
      <Text color={theme.muted}>{fit(`Esc or i closes · j/k, PgUp/PgDn, g/G scroll · ${Math.min(scroll + shown.length, lines.length)}/${lines.length} lines`, width - 1).trimEnd()}</Text>
    </Box>
  );
}
