// The command line across sources (strata images|servers|risk --source A,B or --fleet): one session per
// source and region, opened at most fleet.concurrency at once (config.yaml; default 4), each listing's rows
// carrying their source and region. A place that cannot be opened or listed is said on stderr and in the
// document's sources, and never hides the others' rows (the exit status is then 1).
import { describeError } from '../core/errors.js';
import type { SourceConfig } from '../services/config.js';
import { DEFAULT_CONCURRENCY, Limiter } from '../services/limit.js';
import type { Session } from '../services/session.js';
import { namedRegions, sourceSessionOptions } from '../services/sources.js';
import type { Context } from './context.js';
import type { Place, SourceRow } from './rows.js';

export interface CliPlace {
  source: SourceConfig;
  /** undefined only where the source's first session could not open (its regions unknown). */
  region?: string;
  session?: Session;
  error?: string;
}

/** Where a session's rows are: its source (null without sources) and its region. */
export function placeOf(session: Pick<Session, 'source' | 'region'>): Place {
  return { source: session.source ?? null, region: session.region };
}

/** Opens every region of every source (regions: all asks the provider which), a few at a time. */
export async function openPlaces(ctx: Context, sources: readonly SourceConfig[], limiter = new Limiter(ctx.config?.fleet?.concurrency ?? DEFAULT_CONCURRENCY)): Promise<CliPlace[]> {
  const { Session } = await import('../services/session.js');
  const base = { home: ctx.home.data, configDir: ctx.home.config, ...(ctx.config ? { config: ctx.config } : {}), readOnly: ctx.parsed.session.readOnly };
  const open = async (source: SourceConfig, region: string | undefined): Promise<CliPlace> => {
    try {
      const session = await limiter.run(() => Session.open(sourceSessionOptions(source, region, base), ctx.store));
      ctx.adopt(session);
      return { source, region: session.region, session };
    } catch (error) {
      return { source, ...(region !== undefined ? { region } : {}), error: describeError(error, `Opening ${source.name}${region ? ` in ${region}` : ''}`) };
    }
  };
  const perSource = await Promise.all(
    sources.map(async (source) => {
      const named = namedRegions(source);
      if (named) return Promise.all(named.map((region) => open(source, region)));
      const first = await open(source, undefined);
      if (!first.session || source.regions !== 'all') return [first];
      const others = first.session.description.regions.map((r) => r.id).filter((r) => r !== first.region);
      return [first, ...(await Promise.all(others.map((region) => open(source, region))))];
    }),
  );
  return perSource.flat();
}

/** Each source as the document reports it (its error: the first of its places'). */
export function sourceRows(places: readonly CliPlace[], errors: ReadonlyMap<CliPlace, string> = new Map()): SourceRow[] {
  const out: SourceRow[] = [];
  for (const place of places) {
    let row = out.find((r) => r.name === place.source.name);
    if (!row) {
      row = { name: place.source.name, provider: place.source.provider, regions: [], readOnly: place.source.readOnly === true, state: 'ok', error: null };
      out.push(row);
    }
    if (place.region && !row.regions.includes(place.region)) row.regions.push(place.region);
    const error = place.error ?? errors.get(place);
    if (error) {
      row.state = 'error';
      row.error = row.error ?? (place.region ? `${place.region}: ${error}` : error);
    }
  }
  return out;
}
