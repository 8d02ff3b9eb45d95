// The command line: parsed and checked before anything starts, each mistake said in a sentence.
import { parseArgs } from 'node:util';
import { SCOPES, type Scope } from './core/types.js';

export interface CliOptions {
  help: boolean;
  version: boolean;
  provider: string;
  region?: string;
  scope: Scope;
  readOnly: boolean;
  sandboxSpeed?: number;
  sandboxSeed?: number;
  sandboxFaults?: string;
  sandboxLatencyMs?: number;
  profile?: string;
  endpoint?: string;
  /** libvirt: the connection URI (--libvirt-uri, else STRATA_LIBVIRT_URI). */
  libvirtUri?: string;
}

export class UsageError extends Error {}

export const USAGE = `Usage: strata [options]

A keyboard-driven console for machine images and the servers launched from them.

Options:
  --provider NAME        the cloud to work on (default: sandbox, the embedded cloud; env STRATA_PROVIDER)
  --region NAME          the region to open (default: the provider's first; aws: the SDK's default)
  --profile NAME         aws: a profile of ~/.aws/config (default: the SDK's credential chain)
  --endpoint URL         aws: an EC2-compatible endpoint (env STRATA_AWS_ENDPOINT)
  --libvirt-uri URI      libvirt: the connection URI (default: LIBVIRT_DEFAULT_URI, else qemu:///system; env STRATA_LIBVIRT_URI)
  --scope SCOPE          the list to open: own, vendor or public (default: own)
  --read-only            disable every command that changes anything
  --sandbox-speed N      sandbox: simulated seconds per real second (kept in the world; a new world runs at 1)
  --sandbox-seed N       sandbox: the seed of its world (default 1)
  --sandbox-faults SPEC  sandbox: inject faults, e.g. throttle=0.2,timeout=0.1,fail=0.5,stall=0.5
  --sandbox-latency MS   sandbox: a launch's answer comes back MS milliseconds after the servers exist
  -h, --help             this help
  -v, --version          the version

Environment:
  STRATA_HOME            where strata keeps its data (default: $XDG_DATA_HOME/strata and $XDG_CONFIG_HOME/strata)
  NO_COLOR               draw without colour

Inside strata, press ? for every key binding.
`;

function number(name: string, value: string | undefined, check: (n: number) => boolean, rule: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || !check(n)) throw new UsageError(`--${name} must be ${rule}; got "${value}".`);
  return n;
}

/**
 * A libvirt connection URI, checked loosely (libvirt itself says what it cannot use): a scheme, optionally
 * with a transport (qemu+ssh), then "://" and the rest without spaces, e.g. qemu:///system,
 * qemu+ssh://root@host/system, test:///default.
 */
const LIBVIRT_URI = /^[a-z][a-z0-9.-]*(?:\+[a-z][a-z0-9-]*)?:\/\/\S*$/i;

function checkLibvirtUri(value: string | undefined, where: string): string | undefined {
  if (value === undefined) return undefined;
  if (!LIBVIRT_URI.test(value)) {
    throw new UsageError(
      `${where} must be a libvirt connection URI such as qemu:///system or qemu+ssh://user@host/system; got "${value}".`,
    );
  }
  return value;
}

export function parseCli(argv: string[], env: NodeJS.ProcessEnv = process.env): CliOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
        provider: { type: 'string' },
        region: { type: 'string' },
        scope: { type: 'string' },
        'read-only': { type: 'boolean' },
        'sandbox-speed': { type: 'string' },
        'sandbox-seed': { type: 'string' },
        'sandbox-faults': { type: 'string' },
        'sandbox-latency': { type: 'string' },
        profile: { type: 'string' },
        endpoint: { type: 'string' },
        'libvirt-uri': { type: 'string' },
      },
    });
  } catch (error) {
    // Node's own sentence for an unknown option goes on about positionals; keep its first sentence only.
    const first = (error as Error).message.split(/\.\s/)[0].replace(/\.$/, '');
    throw new UsageError(`${first}. See strata --help.`);
  }
  const { values, positionals } = parsed;
  if (positionals.length > 0) {
    throw new UsageError(`strata takes no arguments besides options; got "${positionals[0]}". See strata --help.`);
  }
  const scope = values.scope ?? 'own';
  if (!(SCOPES as readonly string[]).includes(scope)) {
    throw new UsageError(`--scope must be one of ${SCOPES.join(', ')}; got "${scope}".`);
  }
  const endpoint = values.endpoint;
  if (endpoint !== undefined && !/^https?:\/\/[^\s/]+/.test(endpoint)) {
    throw new UsageError(`--endpoint must be an http:// or https:// URL; got "${endpoint}".`);
  }
  const libvirtUri = checkLibvirtUri(values['libvirt-uri'], '--libvirt-uri') ?? checkLibvirtUri(env.STRATA_LIBVIRT_URI || undefined, 'STRATA_LIBVIRT_URI');
  const faults = values['sandbox-faults'];
  if (faults !== undefined && !/^(?:[a-z]+=(?:0|1|0?\.\d+)(?:,|$))+$/.test(faults)) {
    throw new UsageError(`--sandbox-faults must look like throttle=0.2,fail=0.5 (probabilities from 0 to 1); got "${faults}".`);
  }
  return {
    help: values.help ?? false,
    version: values.version ?? false,
    provider: values.provider ?? env.STRATA_PROVIDER ?? 'sandbox',
    region: values.region,
    scope: scope as Scope,
    readOnly: values['read-only'] ?? false,
    sandboxSpeed: number('sandbox-speed', values['sandbox-speed'], (n) => n > 0 && n <= 1_000_000, 'a number above 0 (at most 1000000)'),
    sandboxSeed: number('sandbox-seed', values['sandbox-seed'], (n) => Number.isInteger(n) && n >= 0, 'a whole number, 0 or more'),
    sandboxFaults: faults,
    profile: values.profile,
    endpoint,
    ...(libvirtUri !== undefined ? { libvirtUri } : {}),
    sandboxLatencyMs: number('sandbox-latency', values['sandbox-latency'], (n) => Number.isInteger(n) && n >= 0 && n <= 600_000, 'a whole number of milliseconds from 0 to 600000'),
  };
}
