// The one command table of strata's command line: the TUI's options and every subcommand's, with their
// help. The parser (args.ts, Node's util.parseArgs driven by this table), `strata --help` and each
// subcommand's help, the shell completions (completion.ts) and the man page (man.ts) are all made from it.
// Data and small value checks only: it is read on the TUI's path too, so it imports nothing heavy.
import { ALL_PHASES } from '../core/readiness.js';
import { LABEL_COLOURS, SCOPES } from '../core/types.js';

export class UsageError extends Error {}

/** What a value completes to in the shell (and what the man page calls it). */
export type Completion = 'image-id' | 'server-id' | 'job-id' | 'file' | 'provider' | 'region' | 'command' | 'source';

export interface OptionSpec {
  name: string;
  short?: string;
  type: 'string' | 'boolean';
  /** May be given more than once (--set). */
  multiple?: boolean;
  /** The value's placeholder in the help ("NAME"). */
  value?: string;
  help: string;
  /** The values it takes (checked, offered as completions, listed in the man page). */
  choices?: readonly string[];
  complete?: Completion;
  /** Checks (and converts) a value; throws UsageError with a sentence. */
  check?: (value: string, where: string) => unknown;
  /** Left out of the help and the completions (kept for scripts that use it). */
  hidden?: boolean;
}

export interface ArgSpec {
  name: string;
  help: string;
  optional?: boolean;
  /** Takes every remaining argument (at least one unless optional). */
  variadic?: boolean;
  choices?: readonly string[];
  complete?: Completion;
}

export interface CommandSpec {
  /** The words that name it: ['image', 'show']. */
  path: readonly string[];
  summary: string;
  /** More about it, for its --help and the man page (one paragraph). */
  description?: string;
  args: readonly ArgSpec[];
  options: readonly OptionSpec[];
  /**
   * Whether it changes anything (at the provider or in the store): a read-only session refuses it before
   * trying. `what` words the refusal ("rename images"); a function decides from the options (--dry-run).
   */
  changes?: { what: string; unless?: (values: Record<string, unknown>) => boolean };
  /** Needs no provider session (help, schema, completion, audit). */
  offline?: boolean;
  /** Left out of the help, the man page and the completion of command names (the completion's helper). */
  hidden?: boolean;
  examples?: readonly string[];
}

// ---- value checks ---------------------------------------------------------------------------------------

function number(check: (n: number) => boolean, rule: string) {
  return (value: string, where: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || !check(n)) throw new UsageError(`${where} must be ${rule}; got "${value}".`);
    return n;
  };
}

/**
 * A libvirt connection URI, checked loosely (libvirt itself says what it cannot use): a scheme, optionally
 * with a transport (qemu+ssh), then "://" and the rest without spaces, e.g. qemu:///system,
 * qemu+ssh://root@host/system, test:///default.
 */
const LIBVIRT_URI = /^[a-z][a-z0-9.-]*(?:\+[a-z][a-z0-9-]*)?:\/\/\S*$/i;

export function checkLibvirtUri(value: string, where: string): string {
  if (!LIBVIRT_URI.test(value)) {
    throw new UsageError(`${where} must be a libvirt connection URI such as qemu:///system or qemu+ssh://user@host/system; got "${value}".`);
  }
  return value;
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** "90s", "15m", "2h", "14d", "1w" (a bare number is seconds) in milliseconds. */
export function parseDuration(value: string, where: string): number {
  const m = DURATION.exec(value.trim());
  const ms = m ? Number(m[1]) * UNIT_MS[m[2] ?? 's']! : Number.NaN;
  if (!Number.isFinite(ms) || ms <= 0) throw new UsageError(`${where} must be a duration such as 90s, 15m, 2h or 14d; got "${value}".`);
  return ms;
}

/** A duration back ("since 24h ago") or a date/time (2026-12-01, 2026-12-01T08:00Z): the moment it names. */
export function parseSince(value: string, where: string, now: number = Date.now()): Date {
  if (DURATION.test(value.trim())) return new Date(now - parseDuration(value, where));
  const at = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(at)) throw new UsageError(`${where} must be a duration back (24h, 7d) or a date (2026-12-01, 2026-12-01T08:00Z); got "${value}".`);
  return new Date(at);
}

const positiveInt = (max: number) => number((n) => Number.isInteger(n) && n >= 1 && n <= max, `a whole number from 1 to ${max}`);

// ---- options --------------------------------------------------------------------------------------------

const provider: OptionSpec = {
  name: 'provider',
  type: 'string',
  value: 'NAME',
  help: 'the cloud to work on (default: sandbox, the embedded cloud; env STRATA_PROVIDER)',
  complete: 'provider',
};

/** The TUI's options, which every subcommand takes too (in the order of `strata --help`). */
export const SESSION_OPTIONS: readonly OptionSpec[] = [
  provider,
  { name: 'region', type: 'string', value: 'NAME', help: "the region to open (default: the provider's first; aws: the SDK's default)", complete: 'region' },
  { name: 'profile', type: 'string', value: 'NAME', help: "aws: a profile of ~/.aws/config (default: the SDK's credential chain)" },
  {
    name: 'endpoint',
    type: 'string',
    value: 'URL',
    help: 'aws: an EC2-compatible endpoint (env STRATA_AWS_ENDPOINT)',
    check: (value, where) => {
      if (!/^https?:\/\/[^\s/]+/.test(value)) throw new UsageError(`${where} must be an http:// or https:// URL; got "${value}".`);
      return value;
    },
  },
  {
    name: 'libvirt-uri',
    type: 'string',
    value: 'URI',
    help: 'libvirt: the connection URI (default: LIBVIRT_DEFAULT_URI, else qemu:///system; env STRATA_LIBVIRT_URI)',
    check: checkLibvirtUri,
  },
  {
    name: 'source',
    type: 'string',
    multiple: true,
    value: 'NAME',
    help: "open strata on a source of config.yaml's sources (repeat it, or NAME,NAME; --region picks one of its regions)",
    complete: 'source',
    check: (value, where) => {
      for (const name of value.split(',')) {
        if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/.test(name.trim())) throw new UsageError(`${where} takes the name of a source of config.yaml (letters, digits, ., _ and -); got "${value}".`);
      }
      return value;
    },
  },
  { name: 'fleet', type: 'boolean', help: "open strata on every source of config.yaml's sources: the fleet view" },
];

/** The TUI's own: which list it opens. */
export const SCOPE_OPTION: OptionSpec = {
  name: 'scope',
  type: 'string',
  value: 'SCOPE',
  help: 'the list to open: own, vendor or public (default: own)',
  choices: SCOPES,
};

export const READ_ONLY_OPTION: OptionSpec = { name: 'read-only', type: 'boolean', help: 'disable every command that changes anything' };

export const SANDBOX_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'sandbox-speed',
    type: 'string',
    value: 'N',
    help: 'sandbox: simulated seconds per real second (kept in the world; a new world runs at 1)',
    check: number((n) => n > 0 && n <= 1_000_000, 'a number above 0 (at most 1000000)'),
  },
  {
    name: 'sandbox-seed',
    type: 'string',
    value: 'N',
    help: 'sandbox: the seed of its world (default 1)',
    check: number((n) => Number.isInteger(n) && n >= 0, 'a whole number, 0 or more'),
  },
  {
    name: 'sandbox-faults',
    type: 'string',
    value: 'SPEC',
    help: 'sandbox: inject faults, e.g. throttle=0.2,timeout=0.1,fail=0.5,stall=0.5',
    check: (value, where) => {
      if (!/^(?:[a-z]+=(?:0|1|0?\.\d+)(?:,|$))+$/.test(value)) {
        throw new UsageError(`${where} must look like throttle=0.2,fail=0.5 (probabilities from 0 to 1); got "${value}".`);
      }
      return value;
    },
  },
  {
    name: 'sandbox-latency',
    type: 'string',
    value: 'MS',
    help: "sandbox: a launch's answer comes back MS milliseconds after the servers exist",
    check: number((n) => Number.isInteger(n) && n >= 0 && n <= 600_000, 'a whole number of milliseconds from 0 to 600000'),
  },
];

export const HELP_OPTION: OptionSpec = { name: 'help', short: 'h', type: 'boolean', help: 'this help' };
export const VERSION_OPTION: OptionSpec = { name: 'version', short: 'v', type: 'boolean', help: 'the version' };

/** The options of `strata` itself (the TUI), in the order of its help. */
export const TUI_OPTIONS: readonly OptionSpec[] = [
  ...SESSION_OPTIONS,
  SCOPE_OPTION,
  READ_ONLY_OPTION,
  ...SANDBOX_OPTIONS,
  HELP_OPTION,
  VERSION_OPTION,
];

/** How a subcommand prints. */
export const OUTPUT_OPTIONS: readonly OptionSpec[] = [
  { name: 'json', type: 'boolean', help: 'print one JSON document (see strata schema)' },
  { name: 'ndjson', type: 'boolean', help: 'print one JSON document a line: events as they happen, then the result' },
];

/** What every subcommand takes besides its own options: the TUI's (without --scope), output, help. */
export const COMMON_OPTIONS: readonly OptionSpec[] = [...SESSION_OPTIONS, READ_ONLY_OPTION, ...SANDBOX_OPTIONS, ...OUTPUT_OPTIONS, HELP_OPTION];

const timeout: OptionSpec = {
  name: 'timeout',
  type: 'string',
  value: 'D',
  help: 'stop waiting after D (90s, 15m, 2h); exit status 5',
  check: parseDuration,
};

const label: OptionSpec = {
  name: 'label',
  type: 'string',
  value: 'COLOUR',
  help: `a colour label for the image (${LABEL_COLOURS.join(', ')})`,
  choices: LABEL_COLOURS,
};

const recipe: OptionSpec = {
  name: 'recipe',
  type: 'string',
  value: 'FILE',
  help: "a launch recipe: a YAML file (the launch form's, saved with s in the review), or the name of one in the recipes directory",
  complete: 'file',
};

const set: OptionSpec = {
  name: 'set',
  type: 'string',
  multiple: true,
  value: 'KEY=VALUE',
  help: "override a field of the recipe (name=web, productId=sb.small, count=2, keypair.name=ops, volumes.sizeGiB=20, firewallIds=fw-1,fw-2); checked with the recipe's own rules",
};

// ---- the subcommands ------------------------------------------------------------------------------------

export const COMMANDS: readonly CommandSpec[] = [
  {
    path: ['images'],
    summary: 'list images: own, vendor templates or the public catalogue',
    description: 'Own images show the name and colour label you gave them (a tag where the provider holds tags, else the local store).',
    args: [],
    options: [
      { name: 'scope', type: 'string', value: 'SCOPE', help: 'own, vendor or public (default: own)', choices: SCOPES },
      { name: 'query', type: 'string', value: 'Q', help: "the provider's own search (words of the name)" },
      { name: 'limit', type: 'string', value: 'N', help: 'at most N images', check: positiveInt(10_000_000) },
      { name: 'ids', type: 'boolean', help: 'print the ids only, one a line' },
    ],
    examples: ['strata images --scope vendor', 'strata images --scope public --query "ubuntu 24.04" --json | jq -r ".images[].id"'],
  },
  {
    path: ['images', 'stale'],
    summary: 'own images nothing uses, older than N days, but the newest of each family: a dry run (the TUI deletes them: :stale)',
    description:
      "An image a server that is not terminated runs on, or that an image was captured from, is never listed; nor the newest of its family (the same lineage root, then the same name without its dates and version numbers). Each with what it takes up in storage (EBS snapshots, the file), and the total deleting them frees. Nothing is deleted.",
    args: [],
    options: [{ name: 'days', type: 'string', value: 'N', help: 'older than N days (default 90)', check: number((n) => Number.isInteger(n) && n >= 0 && n <= 36_500, 'a whole number of days from 0 to 36500') }],
    examples: ['strata images stale --days 30', 'strata images stale --json | jq -r ".images[] | select(.deletable) | .id"'],
  },
  {
    path: ['image', 'show'],
    summary: 'one image: its details, lineage (where it came from), dependants and tags',
    args: [{ name: 'ID', help: 'the image', complete: 'image-id' }],
    options: [],
  },
  {
    path: ['image', 'rename'],
    summary: 'give an image a name (a tag where shared, else the local store); an empty NAME clears it',
    args: [
      { name: 'ID', help: 'the image', complete: 'image-id' },
      { name: 'NAME', help: 'the new name' },
    ],
    options: [],
    changes: { what: 'rename images' },
  },
  {
    path: ['image', 'label'],
    summary: 'give an image a colour label, or none to take it off',
    args: [
      { name: 'ID', help: 'the image', complete: 'image-id' },
      { name: 'COLOUR', help: `${LABEL_COLOURS.join(', ')} or none`, choices: [...LABEL_COLOURS, 'none'] },
    ],
    options: [],
    changes: { what: 'label images' },
  },
  {
    path: ['image', 'delete'],
    summary: 'delete an own image; --confirm ID, the same word the TUI makes you type',
    description: 'Servers launched from the image keep running but cannot be rebuilt from it; images captured from it stay whole. Both are named before anything is deleted.',
    args: [{ name: 'ID', help: 'the image', complete: 'image-id' }],
    options: [{ name: 'confirm', type: 'string', value: 'ID', help: "the image's id again (no prompt without a terminal)" }],
    changes: { what: 'delete images' },
  },
  {
    path: ['image', 'deprecate'],
    summary: 'give an own image a deprecation date (YYYY-MM-DD, +90d, now), or none to take it off',
    description: "From that date the image is deprecated to every user of the account (their :risk names what stands on it), as a vendor's template is. Where the provider can: EC2, the sandbox, libvirt (strata's state file).",
    args: [
      { name: 'ID', help: 'the image', complete: 'image-id' },
      { name: 'WHEN', help: 'YYYY-MM-DD, +90d, now or none' },
    ],
    options: [],
    changes: { what: 'deprecate images' },
  },
  {
    path: ['image', 'import'],
    summary: 'import an image file of this machine (qcow2 or raw) as an own image',
    args: [
      { name: 'PATH', help: 'the image file', complete: 'file' },
      { name: 'NAME', help: "the image's name (default: from the file's name)", optional: true },
    ],
    options: [],
    changes: { what: 'import images' },
  },
  {
    path: ['servers'],
    summary: 'list the servers of the region with their readiness phase',
    args: [],
    options: [
      { name: 'phase', type: 'string', value: 'P', help: `only servers in phase P (${ALL_PHASES.join(', ')})`, choices: ALL_PHASES },
      { name: 'ids', type: 'boolean', help: 'print the ids only, one a line' },
    ],
  },
  {
    path: ['server', 'show'],
    summary: 'one server: its launch, its timeline, the tail of its console and what it stands on',
    args: [{ name: 'ID', help: 'the server', complete: 'server-id' }],
    options: [{ name: 'lines', type: 'string', value: 'N', help: 'console lines to show (default 20)', check: positiveInt(100_000) }],
  },
  {
    path: ['server', 'terminate'],
    summary: "terminate a server; --confirm NAME, the server's name as the TUI makes you type it",
    args: [{ name: 'ID', help: 'the server', complete: 'server-id' }],
    options: [{ name: 'confirm', type: 'string', value: 'NAME', help: "the server's name (no prompt without a terminal)" }],
    changes: { what: 'terminate servers' },
  },
  {
    path: ['firewalls'],
    summary: 'list the firewalls (security groups) of the region: the servers that use each, and whether strata made it',
    description: 'strata makes a firewall at launch (one per launch, reused by its retries); here they are found again. A firewall is deletable when no server that is not terminated uses it and it is not the provider\'s default group.',
    args: [],
    options: [{ name: 'ids', type: 'boolean', help: 'print the ids only, one a line' }],
    examples: ['strata firewalls --json | jq -r \'.firewalls[] | select(.madeByStrata and .deletable) | .id\''],
  },
  {
    path: ['firewall', 'delete'],
    summary: "delete a firewall nothing uses; --confirm NAME, the firewall's name as the TUI makes you type it",
    description: "Refused (exit status 4) while a server that is not terminated uses it (the servers are named), and for the provider's default group.",
    args: [{ name: 'ID', help: 'the firewall' }],
    options: [{ name: 'confirm', type: 'string', value: 'NAME', help: "the firewall's name (no prompt without a terminal)" }],
    changes: { what: 'delete firewalls' },
  },
  {
    path: ['console'],
    summary: "a server's console output",
    args: [{ name: 'ID', help: 'the server', complete: 'server-id' }],
    options: [
      { name: 'follow', short: 'f', type: 'boolean', help: 'keep printing new lines until interrupted (Ctrl+C)' },
      { name: 'interval', type: 'string', value: 'D', help: 'with --follow: how often to look (default 2s)', check: parseDuration },
    ],
  },
  {
    path: ['launch'],
    summary: 'launch servers from a recipe: the same launcher, journal and client token as the TUI',
    description:
      'The client token is written to the journal before anything is sent: run it again with the same --token (after a kill, a dropped session, a timeout) and it takes that launch up where it stopped, never a second set of servers. Without --token a new one is made and printed first.',
    args: [],
    options: [
      { ...recipe },
      set,
      { name: 'count', type: 'string', value: 'N', help: 'how many servers (the same as --set count=N)', check: positiveInt(1000) },
      { name: 'token', type: 'string', value: 'T', help: 'the client token (1 to 64 printable characters); again after an interruption' },
      { name: 'wait', type: 'string', value: 'ready', help: 'wait until every server is ready (exit status 1 if one fails)', choices: ['ready'] },
      timeout,
      { name: 'dry-run', type: 'boolean', help: "print the review and send nothing: the request, the cloud-init (secrets hidden), the provider's CLI line and its own verdict" },
    ],
    changes: { what: 'launch servers', unless: (v) => v['dry-run'] === true },
    examples: ['strata launch --recipe web-eu --set name=web --count 3 --wait ready --token "$BUILD_ID"', 'strata launch --recipe ./web.yaml --dry-run'],
  },
  {
    path: ['capture'],
    summary: 'capture an image from a server',
    args: [{ name: 'SERVER', help: 'the server', complete: 'server-id' }],
    options: [
      { name: 'name', type: 'string', value: 'N', help: "the image's name (default: the server's name and the date)" },
      label,
      { name: 'no-reboot', type: 'boolean', help: 'capture without stopping the server, where the provider offers the choice' },
      { name: 'wait', type: 'string', value: 'available', help: 'wait until the image is available', choices: ['available'] },
      timeout,
    ],
    changes: { what: 'capture images' },
  },
  {
    path: ['workflow', 'safe'],
    summary: 'the safe workflow as a resumable job: builder from a template, capture, label, terminate the builder',
    description:
      "The job is written down first and goes on from where it was after an interruption (strata jobs resume, or the TUI's next start). The builder is launched from the recipe where one is given, else as the TUI's launch form starts (the smallest size that fits, the provider's default firewall). Without --wait a strata of its own runs the job in the background.",
    args: [{ name: 'TEMPLATE', help: 'the vendor template', complete: 'image-id' }],
    options: [
      { name: 'name', type: 'string', value: 'N', help: "the image's name (default: the builder's name and the date)" },
      label,
      { name: 'keep-builder', type: 'boolean', help: 'keep the builder server running when the image is available' },
      { ...recipe, help: "the builder's launch recipe (its image is the template's, its count 1)" },
      { ...set, help: "override a field of the builder's launch (name=builder-1, productId=sb.small)" },
      { name: 'wait', type: 'boolean', help: 'run the job here until it ends, printing its progress' },
      timeout,
    ],
    changes: { what: 'start jobs' },
  },
  {
    path: ['jobs'],
    summary: 'the safe-workflow jobs of the region, newest first',
    args: [],
    options: [],
  },
  {
    path: ['jobs', 'show'],
    summary: 'one job: where it is, its builder and image, and what may be done with it now',
    args: [{ name: 'ID', help: 'the job (or the start of its id)', complete: 'job-id' }],
    options: [],
  },
  {
    path: ['jobs', 'cancel'],
    summary: 'cancel a job, saying what becomes of its builder: --builder terminate --confirm NAME, or --builder keep',
    args: [{ name: 'ID', help: 'the job (or the start of its id)', complete: 'job-id' }],
    options: [
      { name: 'builder', type: 'string', value: 'FATE', help: 'terminate the builder, or keep it running on purpose', choices: ['terminate', 'keep'] },
      { name: 'confirm', type: 'string', value: 'NAME', help: "with --builder terminate: the builder's name (no prompt without a terminal)" },
    ],
    changes: { what: 'cancel jobs' },
  },
  {
    path: ['jobs', 'resume'],
    summary: 'run an unfinished job (every one without ID) here until it ends; a failed one is retried from its step',
    args: [{ name: 'ID', help: 'the job (or the start of its id)', optional: true, complete: 'job-id' }],
    options: [
      {
        name: 'builder',
        type: 'string',
        value: 'FATE',
        help: "a failed job whose builder cannot be used: terminate it, or keep it for inspection (inspect), and launch a new one",
        choices: ['terminate', 'inspect'],
      },
      timeout,
    ],
    changes: { what: 'resume jobs' },
  },
  {
    path: ['wait'],
    summary: 'wait until servers are ready (or terminated): one batched poll for all of them',
    args: [{ name: 'SERVER', help: 'the servers', variadic: true, complete: 'server-id' }],
    options: [
      { name: 'for', type: 'string', value: 'PHASE', help: 'ready (default) or terminated', choices: ['ready', 'terminated'] },
      timeout,
    ],
  },
  {
    path: ['risk'],
    summary: 'servers and images that stand on templates deprecated, due for deletion or gone; exit status 6 if due',
    description:
      'Exit status 6 (for cron or CI) when a server stands on an image that is gone, or a server or an image stands on (or was captured from) an image to be deleted within the window. Deprecated templates, servers started from a template directly, and own images whose source went long ago (they are whole) are reported without it.',
    args: [],
    options: [{ name: 'within', type: 'string', value: 'D', help: 'the window (default 14d)', check: parseDuration }],
    examples: ['strata risk --within 30d || mail -s "strata: images at risk" ops@example.org < /dev/null'],
  },
  {
    path: ['audit'],
    summary: 'the audit log: who changed what, when, where (newest first)',
    args: [],
    options: [
      { name: 'since', type: 'string', value: 'D', help: 'entries since a duration back (24h, 7d) or a date (2026-12-01)', check: (v, w) => parseSince(v, w) },
      { name: 'limit', type: 'string', value: 'N', help: 'at most N entries (default 100)', check: positiveInt(10_000) },
      { name: 'action', type: 'string', value: 'A', help: 'only this action (image.rename, launch.done, …)' },
      { name: 'target', type: 'string', value: 'T', help: 'only entries about this image, server, token or job' },
    ],
    offline: true,
  },
  {
    path: ['completion'],
    summary: 'print the completion script for a shell: source <(strata completion bash)',
    args: [{ name: 'SHELL', help: 'bash, zsh or fish', choices: ['bash', 'zsh', 'fish'] }],
    options: [],
    offline: true,
  },
  {
    path: ['schema'],
    summary: 'print the JSON Schema of a document (--json output, config.yaml, a recipe); without NAME, the names',
    args: [{ name: 'NAME', help: 'the document', optional: true }],
    options: [],
    offline: true,
  },
  {
    path: ['help'],
    summary: 'the help of a subcommand',
    args: [{ name: 'COMMAND', help: 'the subcommand', optional: true, variadic: true, complete: 'command' }],
    options: [],
    offline: true,
  },
  {
    path: ['__complete'],
    summary: 'ids for the shell completion (from the last listing, else a quick one)',
    args: [{ name: 'KIND', help: 'image-id, server-id, job-id or source', choices: ['image-id', 'server-id', 'job-id', 'source'] }],
    options: [],
    hidden: true,
  },
];

/** The top-level words: the first word of every command. */
export function topWords(includeHidden = false): string[] {
  return [...new Set(COMMANDS.filter((c) => includeHidden || !c.hidden).map((c) => c.path[0]!))];
}

/** The commands under a first word (e.g. image: show, rename, …), excluding the word alone. */
export function subWords(first: string): string[] {
  return COMMANDS.filter((c) => c.path[0] === first && c.path.length === 2 && !c.hidden).map((c) => c.path[1]!);
}

export function findCommand(path: readonly string[]): CommandSpec | undefined {
  return COMMANDS.find((c) => c.path.length === path.length && c.path.every((w, i) => w === path[i]));
}

/** Every option a command takes, its own first, then the common ones. */
export function optionsOf(command: CommandSpec): OptionSpec[] {
  const own = new Set(command.options.map((o) => o.name));
  return [...command.options, ...COMMON_OPTIONS.filter((o) => !own.has(o.name))];
}

export function commandName(command: Pick<CommandSpec, 'path'>): string {
  return command.path.join(' ');
}

/** The synopsis of a command: `strata image show ID [options]`. */
export function synopsis(command: CommandSpec): string {
  const args = command.args.map((a) => {
    const word = a.variadic ? `${a.name}…` : a.name;
    return a.optional ? `[${word}]` : word;
  });
  return ['strata', ...command.path, ...args, '[options]'].join(' ');
}
