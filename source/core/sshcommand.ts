// The ssh command line strata runs for a server: pure, so the argument list per provider and image family
// is unit-tested, and the line shown to the user is exactly the one run.
//
// Order matters: ssh keeps the first value it gets for an option, command line first, then ~/.ssh/config.
// strata's host key checking comes first (no later option can turn it off), then the options of
// config.yaml, then the key; the user's ~/.ssh/config still gives whatever strata does not set (a jump
// host, a port, ServerAliveInterval, …). strata never writes ~/.ssh/config.
import { shellQuote, shellWord } from './shell.js';

export interface SshInvocation {
  /** The address to connect to (already checked: an IP address or a host name, never an option). */
  address: string;
  /** The login user; undefined leaves it to ssh (~/.ssh/config's User, else the local user name). */
  user?: string;
  /** The private key strata created for the server; undefined: the agent and ssh's own defaults. */
  identityFile?: string;
  /** The name known_hosts entries are kept under for this server (HostKeyAlias). */
  hostKeyAlias: string;
  /** The known_hosts files, strata's own first (where ssh writes a key it accepts). */
  knownHostsFiles: string[];
  /** yes: only a key strata gave ssh (from the console); accept-new: the first key the server shows, kept. */
  strict: 'yes' | 'accept-new';
  /** The command ssh asks for the key when strata has the console's fingerprints only (verifyCommand). */
  knownHostsCommand?: string;
  /** Options of config.yaml's ssh.options, as ssh_config keywords and values. */
  options?: [string, string][];
  /** config.yaml's ssh.proxyJump. */
  proxyJump?: string;
}

/**
 * One word of an ssh_config value: ssh splits values on spaces and honours double quotes, and expands
 * %-tokens, so a path with a space is quoted and a % is doubled. A path with a double quote or a backslash
 * cannot be written this way: refused.
 */
export function sshConfigWord(word: string, tokens = true): string {
  if (/["\\\n\r\0]|\$\{/.test(word)) throw new RangeError(`The path ${JSON.stringify(word)} holds what ssh's configuration cannot quote (", \\ or \${).`);
  const escaped = tokens ? word.replaceAll('%', '%%') : word;
  return /[\s'#]/.test(escaped) || escaped === '' ? `"${escaped}"` : escaped;
}

/**
 * The KnownHostsCommand that checks the key a server offers against the fingerprints its console showed:
 * strata's script (verifyScript) gets the host name (the alias), the key's type, the key and ssh's
 * fingerprint of it, and prints the key as a known_hosts line (keeping it in strata's file) only when the
 * fingerprint is one the console showed; otherwise nothing, and ssh, checking strictly, refuses the server.
 * ssh runs it itself (no shell).
 */
export function verifyCommand(script: string): string {
  return `${sshConfigWord(script, false)} %H %t %K %f`;
}

/**
 * The script verifyCommand runs (0700, in strata's ssh directory): awk compares ssh's fingerprint of the
 * offered key with the lines of DIR/ALIAS.fingerprints. Every value is quoted; the alias has only
 * letters, digits, dots, underscores and hyphens (hostKeyAlias).
 */
export function verifyScript(awk: string, dir: string): string {
  if (/[\\\n\0]/.test(dir) || /[\\\n\0]/.test(awk)) throw new RangeError('A path with a backslash or a line break cannot be used here.');
  return [
    '#!/bin/sh',
    "# strata's KnownHostsCommand for s (ssh into a server): ssh runs it as `verify HOST TYPE KEY FINGERPRINT`.",
    "# It prints the offered host key as a known_hosts line, and keeps it in strata's known_hosts, only when its",
    "# fingerprint is one the server's console showed at first boot (HOST.fingerprints); otherwise nothing.",
    `dir=${shellQuote(dir)}`,
    '# Only a host strata keeps fingerprints for (ssh also asks with the address, and before it has a key).',
    'case "$1" in *[!A-Za-z0-9._-]*|"") exit 0 ;; esac',
    '[ -f "$dir/$1.fingerprints" ] || exit 0',
    `exec ${shellQuote(awk)} -v h="$1" -v t="$2" -v k="$3" -v f="$4" -v out="$dir/known_hosts" '$0 == f { print h " " t " " k; print h " " t " " k >> out; exit }' "$dir/$1.fingerprints"`,
    '',
  ].join('\n');
}

/** ssh's arguments (after "ssh") for an invocation. */
export function sshArguments(inv: SshInvocation): string[] {
  const args: string[] = [];
  const option = (key: string, value: string) => args.push('-o', `${key}=${value}`);
  option('HostKeyAlias', inv.hostKeyAlias);
  option('UserKnownHostsFile', inv.knownHostsFiles.map((f) => sshConfigWord(f)).join(' '));
  option('StrictHostKeyChecking', inv.strict);
  // A key ssh accepts goes into strata's file under the alias, which strata reads again: not hashed.
  if (inv.strict === 'accept-new') option('HashKnownHosts', 'no');
  if (inv.knownHostsCommand) option('KnownHostsCommand', inv.knownHostsCommand);
  for (const [key, value] of inv.options ?? []) option(key, value);
  if (inv.proxyJump) args.push('-J', inv.proxyJump);
  if (inv.identityFile) {
    args.push('-i', inv.identityFile);
    option('IdentitiesOnly', 'yes');
  }
  args.push(inv.user ? `${inv.user}@${inv.address}` : inv.address);
  return args;
}

/** The line as a user would type it: words quoted only where the shell would read them otherwise. */
export function commandLine(program: string, args: readonly string[]): string {
  return [program, ...args].map(shellWord).join(' ');
}

/** An address strata hands to ssh: an IPv4 or IPv6 address or a DNS name, never something ssh reads as an option. */
export function isSshAddress(address: string): boolean {
  if (address.length === 0 || address.length > 253 || address.startsWith('-')) return false;
  if (/^[0-9a-fA-F:]+(%[A-Za-z0-9_.-]+)?$/.test(address) && address.includes(':')) return true;
  return /^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*\.?$/.test(address);
}

/** The HostKeyAlias of a server: its provider, region and id (an address is reused; an id is not). */
export function hostKeyAlias(providerId: string, region: string, serverId: string): string {
  const clean = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_');
  return `strata.${clean(providerId)}.${clean(region)}.${clean(serverId)}`;
}
