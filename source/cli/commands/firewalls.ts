// strata firewalls, firewall delete: the session's firewalls service (one retry policy; the delete refused
// in use, for the default group and read-only, and audited as the TUI's d on :firewalls is).
import { StrataError } from '../../core/errors.js';
import { sanitize } from '../../core/sanitize.js';
import type { FirewallEntry } from '../../services/firewalls.js';
import { usersSentence } from '../../services/firewalls.js';
import type { Session } from '../../services/session.js';
import { EXIT, Refused, type Context } from '../context.js';
import type { Column } from '../output.js';
import { placeOf } from '../places.js';
import type { Place } from '../rows.js';

export interface FirewallRow {
  id: string;
  name: string;
  description: string | null;
  rules: number;
  usedBy: { id: string; name: string }[];
  madeByStrata: boolean;
  launch: string | null;
  default: boolean;
  deletable: boolean;
  refusal: string | null;
  source: string | null;
  region: string | null;
}

/** A firewall as the command line prints it (the service sanitised its strings already). */
export function firewallRow(fw: FirewallEntry, place: Place): FirewallRow {
  return {
    id: fw.id,
    name: fw.name,
    description: fw.description ?? null,
    rules: fw.rules,
    usedBy: fw.usedBy,
    madeByStrata: fw.madeByStrata,
    launch: fw.launch ?? null,
    default: fw.isDefault,
    deletable: fw.refusal === undefined,
    refusal: fw.refusal ?? null,
    source: place.source ?? null,
    region: place.region ?? null,
  };
}

export const FIREWALL_COLUMNS: Column<FirewallRow>[] = [
  { title: 'ID', value: (r) => r.id },
  { title: 'NAME', value: (r) => r.name, flex: true },
  { title: 'USED BY', value: (r) => (r.usedBy.length === 0 ? '-' : `${r.usedBy.length}: ${usersSentence(r.usedBy, 2)}`), colour: (r) => (r.usedBy.length ? 'yellow' : undefined) },
  { title: 'STRATA', value: (r) => (r.madeByStrata ? 'yes' : 'no'), colour: (r) => (r.madeByStrata ? 'cyan' : undefined) },
  { title: 'RULES', value: (r) => String(r.rules) },
];

function where(session: Session): string {
  return `${sanitize(session.description.displayName)} ${sanitize(session.region)}`;
}

/** strata firewalls */
export async function list(ctx: Context): Promise<number> {
  const { out } = ctx;
  const session = await ctx.session();
  const rows = (await session.firewalls.list()).map((fw) => firewallRow(fw, placeOf(session)));
  if (ctx.values.ids === true) {
    out.io.stdout.write(rows.map((r) => `${r.id}\n`).join(''));
    return EXIT.done;
  }
  if (out.mode === 'ndjson') for (const row of rows) out.event('firewall-row', { firewall: row });
  out.document('firewalls', { provider: session.providerId, region: session.region, count: rows.length, firewalls: out.mode === 'ndjson' ? undefined : rows });
  out.table(FIREWALL_COLUMNS, rows, { empty: `No firewalls in ${where(session)}.` });
  return EXIT.done;
}

/** strata firewall delete ID --confirm NAME */
export async function remove(ctx: Context): Promise<number> {
  const { out } = ctx;
  const session = await ctx.session();
  const id = ctx.arg('ID');
  const found = (await session.firewalls.list()).find((f) => f.id === id);
  if (!found) throw new StrataError('NotFound', `No firewall ${sanitize(id, 128)} in ${where(session)}.`);
  // Refused before asking: a firewall in use or the default group is never deleted, whatever is typed.
  if (found.refusal) throw new Refused(`${found.refusal} Nothing was deleted.`);
  const typed = (ctx.values.confirm as string | undefined) ?? (await out.ask(`Type the firewall's name (${found.name}) to delete ${found.id}: `));
  if (typed === undefined) {
    throw new Refused(`Deleting ${found.id} needs --confirm ${JSON.stringify(found.name)} (the firewall's name, as the TUI makes you type it); without a terminal there is no prompt.`);
  }
  if (typed !== found.name) {
    throw new Refused(`${typed === found.id ? 'That is the id, not the name' : 'That is not the name'}; type ${found.name} exactly. Nothing was deleted.`);
  }
  const deleted = await session.firewalls.delete(found.id);
  out.document('firewall-changed', { action: 'deleted', firewall: firewallRow(deleted, placeOf(session)) });
  out.note(`Deleted firewall ${deleted.name} (${deleted.id}).`);
  return EXIT.done;
}
