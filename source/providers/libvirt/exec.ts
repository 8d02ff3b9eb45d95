// The libvirt provider's one way to the host: virsh, qemu-img and the seed tools, run through execa with
// their arguments as an array (never a shell), in the C locale (their messages are matched below), with a
// timeout. Failures become the contract's typed errors; the tool's own words are kept as the detail.
import { StrataError, type ErrorKind } from '../../core/errors.js';

export interface RunResult {
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** ms; default 60 s. */
  timeoutMs?: number;
  /** What strata was doing, for the sentence ("listing images"). */
  doing?: string;
}

/** Runs a program; the seam tests replace. Throws ToolFailure when it cannot start or exits non-zero. */
export type Runner = (file: string, args: readonly string[], options?: RunOptions) => Promise<RunResult>;

/** A program that failed: what it printed, and how it ended. Mapped to a StrataError by toStrataError. */
export class ToolFailure extends Error {
  constructor(
    readonly file: string,
    readonly stderr: string,
    readonly exitCode: number | undefined,
    readonly reason: 'exit' | 'missing' | 'timeout' | 'other',
  ) {
    super(`${file}: ${firstLine(stderr) || reason}`);
  }
}

/** What a tool said went wrong, in one line: virsh's "error:" lines joined (the last is the cause). */
export function firstLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const errors = lines.filter((l) => l.startsWith('error:')).map((l) => l.replace(/^error:\s*/, '').replace(/\.$/, ''));
  if (errors.length > 0) return errors.join(': ');
  return lines[0] ?? '';
}

/** The real runner: execa, C locale, no shell, no stdin. */
export const execaRunner: Runner = async (file, args, options = {}) => {
  const { execa } = await import('execa');
  try {
    const result = await execa(file, [...args], {
      env: { LC_ALL: 'C', LANG: 'C' },
      stdin: 'ignore',
      timeout: options.timeoutMs ?? 60_000,
      reject: true,
      stripFinalNewline: false,
    });
    return { stdout: String(result.stdout), stderr: String(result.stderr) };
  } catch (error) {
    const e = error as { code?: string; timedOut?: boolean; exitCode?: number; stderr?: unknown; message?: string };
    if (e.code === 'ENOENT') throw new ToolFailure(file, '', undefined, 'missing');
    if (e.timedOut) throw new ToolFailure(file, String(e.stderr ?? ''), undefined, 'timeout');
    if (typeof e.exitCode === 'number') throw new ToolFailure(file, String(e.stderr ?? ''), e.exitCode, 'exit');
    throw new ToolFailure(file, String(e.stderr ?? e.message ?? ''), undefined, 'other');
  }
};

/** The Debian package each tool comes from, for the sentence when it is missing. */
const PACKAGES: Record<string, string> = {
  virsh: 'libvirt-clients',
  'qemu-img': 'qemu-utils',
  'mkfs.vfat': 'dosfstools',
  mcopy: 'mtools',
};

interface Pattern {
  test: RegExp;
  kind: ErrorKind;
  say: (context: MapContext, line: string) => string;
}

export interface MapContext {
  uri: string;
  doing?: string;
}

// Matched against the tool's whole stderr, first match wins. libvirt's messages are stable across versions
// in these phrases (virerror.c); qemu-img's "Could not open backing file" is the deleted image.
const PATTERNS: Pattern[] = [
  {
    test: /Could not open backing file|backing file .* (?:No such file|does not exist)/i,
    kind: 'NotFound',
    say: () => "the server's image is gone: its disk is an overlay whose backing image file no longer exists, so it cannot start",
  },
  {
    test: /failed to connect to the hypervisor|Failed to connect socket|Cannot recv data|no connection driver available|End of file while reading data/i,
    kind: 'Transient',
    say: (c) => `strata cannot reach libvirt at ${c.uri}: is libvirtd running (libvirtd -d, or systemctl start libvirtd)?`,
  },
  {
    test: /authentication (?:failed|unavailable)|access denied|Permission denied|not authorized|polkit/i,
    kind: 'AuthFailed',
    say: (c) => `libvirt at ${c.uri} refused access: add your user to the libvirt group, or use qemu:///session`,
  },
  {
    test: /Domain not found|failed to get domain|no domain with matching/i,
    kind: 'NotFound',
    say: (_c, line) => `there is no such server (${line})`,
  },
  {
    test: /Storage volume not found|failed to get vol|no storage vol with matching/i,
    kind: 'NotFound',
    say: (_c, line) => `there is no such image or volume (${line})`,
  },
  {
    test: /Storage pool not found|failed to get pool|no storage pool with matching/i,
    kind: 'NotFound',
    say: (_c, line) => `there is no such storage pool (${line})`,
  },
  {
    test: /Network filter not found|no nwfilter with matching/i,
    kind: 'NotFound',
    say: (_c, line) => `there is no such firewall (${line})`,
  },
  {
    test: /Network not found|no network with matching/i,
    kind: 'NotFound',
    say: (_c, line) => `there is no such libvirt network (${line})`,
  },
  { test: /already exists|is already in use|already defined/i, kind: 'Conflict', say: (_c, line) => line },
  {
    test: /Cannot allocate memory|not enough (?:free )?(?:memory|space)|No space left on device|Disk quota exceeded/i,
    kind: 'Invalid',
    say: (_c, line) => `the host has not enough room: ${line}`,
  },
];

/** One sentence for what went wrong; the tool's own stderr is kept as the detail. */
export function toStrataError(error: unknown, context: MapContext): StrataError {
  if (error instanceof StrataError) return error;
  const doing = context.doing ? `${context.doing}: ` : '';
  if (!(error instanceof ToolFailure)) {
    const message = error instanceof Error ? error.message : String(error);
    return new StrataError('Transient', `${doing}${message}`, { cause: error });
  }
  const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
  if (error.reason === 'missing') {
    const pkg = PACKAGES[error.file];
    return new StrataError(
      'Unsupported',
      `${capital(doing)}${error.file} is not installed on this machine${pkg ? ` (Debian package ${pkg})` : ''}; the libvirt provider needs it.`,
    );
  }
  if (error.reason === 'timeout') {
    return new StrataError('Transient', `${capital(doing)}${error.file} did not answer in time; libvirt may be busy. strata will retry.`, {
      detail: error.stderr,
    });
  }
  const line = firstLine(error.stderr) || `${error.file} exited with code ${error.exitCode ?? '?'}`;
  // virsh's own "error:" lines say what failed; other lines are warnings (polkit's, where there is a tty).
  const errors = error.stderr.split('\n').filter((l) => /^\s*error:/.test(l)).join('\n');
  const said = errors !== '' ? errors : error.stderr;
  for (const pattern of PATTERNS) {
    if (pattern.test.test(said)) {
      return new StrataError(pattern.kind, `${capital(doing)}${pattern.say(context, line)}.`.replace(/\.\.$/, '.'), { detail: error.stderr });
    }
  }
  return new StrataError('Invalid', `${capital(doing)}${error.file} refused: ${line}`.replace(/([^.])$/, '$1.'), { detail: error.stderr });
}

/** Quotes one argument for a virsh command line given as one string (several commands in one run). */
export function virshQuote(arg: string): string {
  if (/^[A-Za-z0-9._/:=@+-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}
