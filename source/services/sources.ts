// Sources (DESIGN.md "Sources and the fleet"): a source is a provider opened with its own options (an AWS
// profile, a libvirt URI, a sandbox home), a name and its own read-only, in one or more regions. config.yaml
// lists them; --source NAME (or --fleet, every one) opens strata on them. Without sources strata works on
// one provider and region, as it always has.
//
// What strata records about a source (local names and labels, the launch journal, jobs, stored listings,
// the audit log) is kept under its provider's id when the source uses the default account (no profile,
// endpoint, URI, own pool or home of its own), and under "provider@account" when it names one: two sandbox
// homes, two AWS profiles, or two own pools of one libvirt host, never share a journal or a job, even where
// their ids look alike.
import { StrataError } from '../core/errors.js';
import type { SourceConfig, StrataConfig } from './config.js';
import type { SessionOptions } from './session.js';

export type { SourceConfig } from './config.js';

/** What opens a source's sessions besides the source itself (strata's own directories and flags). */
export interface SourceBase {
  /** strata's data directory. */
  home: string;
  configDir?: string;
  config?: StrataConfig;
  /** --read-only: every source is read-only, whatever config.yaml says. */
  readOnly?: boolean;
}

/** The sources config.yaml lists (none: an empty list). */
export function configuredSources(config: StrataConfig | undefined): SourceConfig[] {
  return config?.sources ?? [];
}

/** Splits --source values ("a,b" or several --source): the names in order, each once. */
export function sourceNames(values: readonly string[] | string | undefined): string[] {
  const list: readonly string[] = values === undefined ? [] : typeof values === 'string' ? [values] : values;
  const out: string[] = [];
  for (const value of list) {
    for (const name of value.split(',').map((n: string) => n.trim())) if (name && !out.includes(name)) out.push(name);
  }
  return out;
}

/**
 * The sources --source NAME… or --fleet asks for, in config.yaml's order; an unknown name (or no sources at
 * all) is refused with a sentence naming what there is. Names are matched without regard to case.
 */
export function selectSources(config: StrataConfig | undefined, names: readonly string[], all: boolean, where = 'config.yaml'): SourceConfig[] {
  const sources = configuredSources(config);
  if (sources.length === 0) {
    throw new StrataError(
      'Invalid',
      `${all ? '--fleet' : `--source ${names[0] ?? ''}`.trim()} needs sources, and ${where} lists none: add a sources list (README "The fleet"), e.g. sources: [{ name: lab, provider: sandbox, regions: all }].`,
      { field: 'source' },
    );
  }
  if (all) return sources;
  const picked: SourceConfig[] = [];
  for (const name of names) {
    const found = sources.find((s) => s.name.toLowerCase() === name.toLowerCase());
    if (!found) {
      throw new StrataError('Invalid', `There is no source "${name}" in ${where}; the sources are ${sources.map((s) => s.name).join(', ')}.`, { field: 'source' });
    }
    if (!picked.includes(found)) picked.push(found);
  }
  return sources.filter((s) => picked.includes(s));
}

/** The account a source names of its own (its records are kept apart), or undefined for the default account. */
export function accountOf(source: SourceConfig): string | undefined {
  if (source.provider === 'aws') {
    const parts = [source.profile ? `profile=${source.profile}` : '', source.endpoint ? `endpoint=${source.endpoint}` : ''].filter(Boolean);
    return parts.length ? parts.join(',') : undefined;
  }
  if (source.provider === 'libvirt') {
    // Another own pool on the same host is another account: its images, names and jobs are its own.
    const parts = [source.uri ? `uri=${source.uri}` : '', source.libvirt?.pool ? `pool=${source.libvirt.pool}` : ''].filter(Boolean);
    return parts.length ? parts.join(',') : undefined;
  }
  if (source.provider === 'sandbox') return source.home ? `home=${source.home}` : undefined;
  return undefined;
}

/** The regions a source names (undefined: 'all', or the provider's default: only the provider can say). */
export function namedRegions(source: SourceConfig): string[] | undefined {
  return Array.isArray(source.regions) ? source.regions : undefined;
}

/** The options of a session on one region of a source (region undefined: the provider's default). */
export function sourceSessionOptions(source: SourceConfig, region: string | undefined, base: SourceBase): SessionOptions {
  const account = accountOf(source);
  const sandbox = source.sandbox ?? {};
  const readOnly = base.readOnly === true || source.readOnly === true;
  const trusted = base.config?.trustedVendorOwners.length ? base.config.trustedVendorOwners : undefined;
  return {
    providerId: source.provider,
    ...(region !== undefined ? { region } : {}),
    home: base.home,
    ...(base.configDir !== undefined ? { configDir: base.configDir } : {}),
    ...(base.config !== undefined ? { config: base.config } : {}),
    source: source.name,
    ...(account !== undefined ? { account } : {}),
    ...(source.home !== undefined ? { providerHome: source.home } : {}),
    ...(source.profile !== undefined ? { profile: source.profile } : {}),
    ...(source.endpoint !== undefined ? { endpoint: source.endpoint } : {}),
    ...(source.uri !== undefined ? { libvirtUri: source.uri } : {}),
    ...(source.libvirt !== undefined ? { libvirt: source.libvirt } : {}),
    ...(sandbox.seed !== undefined ? { sandboxSeed: sandbox.seed } : {}),
    ...(sandbox.speed !== undefined ? { sandboxSpeed: sandbox.speed } : {}),
    ...(sandbox.faults !== undefined ? { sandboxFaults: sandbox.faults } : {}),
    ...(sandbox.latency !== undefined ? { sandboxLatencyMs: sandbox.latency } : {}),
    ...(sandbox.delay !== undefined ? { sandboxDelayMs: sandbox.delay } : {}),
    ...(trusted ? { trustedOwnerIds: trusted } : {}),
    ...(readOnly ? { readOnly: true } : {}),
    // The refusal names the source where its own readOnly refuses (--read-only says itself).
    ...(source.readOnly && !base.readOnly ? { readOnlySource: source.name } : {}),
  };
}

/** "prod-eu/eu-west-1": how a row's source and region are shown (the SOURCE column). */
export function whereLabel(source: string, region: string): string {
  return `${source}/${region}`;
}
