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
  /** Where the URI came from (--libvirt-uri, an environment variable), for the sentence that says to correct it. */
  uriFrom?: string;
  doing?: string;
}

const PERMISSION_FIX = 'add the user to the libvirt group, run strata as root, or use qemu:///session';

/**
 * A connection that failed, in libvirt's own words (the reason virsh gives after "failed to connect to the
 * hypervisor") and what to do about it: "is libvirtd running?" only where its socket is missing or refuses.
 */
function connectionFailure(said: string, c: MapContext): { kind: ErrorKind; sentence: string } | undefined {
  const lines = said
    .split('\n')
    .map((l) => l.trim().replace(/^error:\s*/, '').replace(/\.$/, ''))
    .filter((l) => l !== '');
  const connecting = lines.some((l) => /failed to connect to the hypervisor/i.test(l));
  const reason = lines.filter((l) => !/failed to connect to the hypervisor/i.test(l)).join(': ') || 'libvirt gave no reason';
  const uri = c.uri;
  const where = c.uriFrom ? ` (${c.uriFrom})` : ' (--libvirt-uri)';
  let m: RegExpExecArray | null;
  if ((m = /Failed to connect socket to '([^']+)': (No such file or directory|Connection refused)/i.exec(said))) {
    const state = /No such file/i.test(m[2]!) ? 'does not exist' : 'refuses connections';
    return { kind: 'Transient', sentence: `${uri} does not answer: its socket ${m[1]} ${state}. Is libvirtd running? Start it (systemctl start libvirtd, or libvirtd -d)` };
  }
  if ((connecting || /Cannot recv data/i.test(said)) && /ssh: |Host key verification failed|Permission denied \(/i.test(said)) {
    return /Host key verification failed|Permission denied|Too many authentication failures/i.test(said)
      ? { kind: 'AuthFailed', sentence: `ssh to the host of ${uri} was refused (${reason}): check that ssh to it works without a prompt (a key in ssh-agent, the host in known_hosts)` }
      : { kind: 'Transient', sentence: `libvirt's ssh connection for ${uri} failed (${reason}): check that this machine reaches that host by ssh, and the host and port${where}` };
  }
  if (/Failed to connect socket to '[^']+': (?:Permission denied|Operation not permitted)/i.test(said) || (connecting && /authentication (?:failed|unavailable)|access denied|not authorized|polkit|system bus/i.test(said))) {
    return { kind: 'AuthFailed', sentence: `${uri} refused this user (${reason}): ${PERMISSION_FIX}` };
  }
  if (!connecting) {
    if (/Cannot recv data|End of file while reading data|Cannot write data|Broken pipe|Connection reset by peer/i.test(said)) {
      return { kind: 'Transient', sentence: `${uri} closed the connection (${reason}): libvirtd may have stopped or restarted; try again, and read its log if it goes on` };
    }
    return undefined;
  }
  if (/no connection driver available/i.test(said)) {
    return { kind: 'Invalid', sentence: `libvirt has no driver for the URI ${uri} (${reason}): correct it${where}, for example to qemu:///system, or install its driver (Debian: libvirt-daemon-driver-qemu)` };
  }
  if (/URI|unsupported (?:transport|scheme)/i.test(reason) && !/Unable to resolve|unable to connect to server/i.test(reason)) {
    return { kind: 'Invalid', sentence: `libvirt does not accept the URI ${uri} (${reason}): correct it${where}` };
  }
  if ((m = /Unable to resolve address '([^']*)'/i.exec(said))) {
    return /Temporary failure/i.test(said)
      ? { kind: 'Transient', sentence: `The host ${m[1]} of ${uri} cannot be looked up just now (${reason}): check this machine's DNS, or the host name${where}` }
      : { kind: 'Invalid', sentence: `The host ${m[1]} of ${uri} cannot be found (${reason}): correct the host name${where}` };
  }
  if ((m = /unable to connect to server at '([^']+)': (.*)/i.exec(said))) {
    return /refused/i.test(m[2]!)
      ? { kind: 'Transient', sentence: `Nothing answers at ${m[1]} for ${uri} (${m[2]!.trim()}): check the host and port${where}, and that libvirtd there listens for TCP or TLS connections` }
      : { kind: 'Transient', sentence: `${m[1]} cannot be reached for ${uri} (${m[2]!.trim()}): check the network, or the host${where}` };
  }
  if (/Cannot recv data|End of file while reading data|Cannot write data|Broken pipe|Connection reset by peer/i.test(said)) {
    return { kind: 'Transient', sentence: `${uri} closed the connection (${reason}): libvirtd may have stopped or restarted; try again, and read its log if it goes on` };
  }
  return { kind: 'Transient', sentence: `strata cannot connect to libvirt at ${uri} (${reason}): check the URI${where}, and that libvirtd runs there` };
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
    test: /authentication (?:failed|unavailable)|access denied|Permission denied|not authorized|polkit/i,
    kind: 'AuthFailed',
    say: (c, line) => `libvirt at ${c.uri} refused this user (${line}): ${PERMISSION_FIX}`,
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
    return new StrataError('Transient', `${capital(doing)}${error.file} did not answer in time; libvirt may be busy: try again in a moment.`, {
      detail: error.stderr,
    });
  }
  const line = firstLine(error.stderr) || `${error.file} exited with code ${error.exitCode ?? '?'}`;
  // virsh's own "error:" lines say what failed; other lines are warnings (polkit's, where there is a tty).
  const errors = error.stderr.split('\n').filter((l) => /^\s*error:/.test(l)).join('\n');
  const said = errors !== '' ? errors : error.stderr;
  const gone = PATTERNS[0]!;
  if (gone.test.test(said)) return new StrataError(gone.kind, `${capital(doing)}${gone.say(context, line)}.`, { detail: error.stderr });
  const connection = connectionFailure(said, context);
  if (connection) return new StrataError(connection.kind, `${capital(doing)}${connection.sentence}.`, { detail: error.stderr });
  for (const pattern of PATTERNS.slice(1)) {
    if (pattern.test.test(said)) {
      if (pattern.kind === 'AuthFailed' && error.file !== 'virsh') {
        return new StrataError('AuthFailed', `${capital(doing)}${error.file} was refused (${line}): run strata as a user who may read and write the pools' files (root for qemu:///system).`, {
          detail: error.stderr,
        });
      }
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
