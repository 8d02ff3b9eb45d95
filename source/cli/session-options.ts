// The session the TUI and the subcommands open from the same command-line options: one mapping, so an
// option added to the TUI reaches the subcommands too.
import type { CliOptions } from '../args.js';
import type { StrataConfig } from '../services/config.js';
import type { SessionOptions } from '../services/session.js';
import type { StrataHome } from '../store/paths.js';

export function sessionOptionsFor(options: CliOptions, home: StrataHome, config: StrataConfig | undefined): SessionOptions {
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
