// The session the TUI and the subcommands open from the same command-line options: one mapping, so an
// option added to the TUI reaches the subcommands too. With --source NAME (or --fleet) the session is the
// first source's (its first region, or the one --region names), as config.yaml describes it.
import type { CliOptions } from '../args.js';
import { StrataError } from '../core/errors.js';
import type { SourceConfig, StrataConfig } from '../services/config.js';
import type { SessionOptions } from '../services/session.js';
import { namedRegions, selectSources, sourceSessionOptions } from '../services/sources.js';
import type { StrataHome } from '../store/paths.js';

/** The sources --source or --fleet asks for (undefined: neither was given); an unknown name is refused. */
export function selectedSources(options: CliOptions, config: StrataConfig | undefined): SourceConfig[] | undefined {
  if (!options.fleet && !options.sources?.length) return undefined;
  return selectSources(config, options.sources ?? [], options.fleet === true);
}

/** Whether the sources open in the fleet view (several places) rather than in one place's image list. */
export function opensFleet(options: CliOptions, sources: readonly SourceConfig[] | undefined): boolean {
  if (!sources) return false;
  if (options.fleet || sources.length > 1) return true;
  const regions = namedRegions(sources[0]!);
  return options.region === undefined && (sources[0]!.regions === 'all' || (regions?.length ?? 1) > 1);
}

export function sessionOptionsFor(options: CliOptions, home: StrataHome, config: StrataConfig | undefined, sources?: readonly SourceConfig[]): SessionOptions {
  if (sources && sources.length > 0) {
    const source = sources[0]!;
    const named = namedRegions(source);
    if (options.region !== undefined && named && !named.includes(options.region)) {
      throw new StrataError('Invalid', `${options.region} is not a region of source ${source.name}; its regions are ${named.join(', ')}.`, { field: 'region' });
    }
    return sourceSessionOptions(source, options.region ?? named?.[0], { home: home.data, configDir: home.config, ...(config ? { config } : {}), readOnly: options.readOnly });
  }
  return {
    providerId: options.provider,
    // The services refuse every change too (defence in depth): nothing a read-only session runs writes.
    readOnly: options.readOnly,
    region: options.region,
    home: home.data,
    sandboxSpeed: options.sandboxSpeed,
    sandboxSeed: options.sandboxSeed,
    sandboxFaults: options.sandboxFaults,
    sandboxLatencyMs: options.sandboxLatencyMs,
    profile: options.profile,
    endpoint: options.endpoint,
    libvirtUri: options.libvirtUri,
    trustedOwnerIds: config?.trustedVendorOwners.length ? config.trustedVendorOwners : undefined,
    configDir: home.config,
    config,
  };
}
