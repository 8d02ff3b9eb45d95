// s on a server: the ssh command strata runs for it. Which address (public, else private — libvirt's DHCP
// lease), which user (set for the image with :ssh-user, else config.yaml's ssh.users, else the one the
// image's vendor family expects), which key (the one strata created at launch, else the agent), and how
// the server's host key is checked on the first connection:
//
//   known         strata's own known_hosts holds keys for the server (an earlier s): ssh checks strictly.
//   console-keys  the console shows cloud-init's host KEYS block: those keys go into strata's known_hosts
//                 first, and ssh checks strictly, so it accepts exactly what the server said at boot.
//   console-fingerprints  the console shows only the FINGERPRINTS block: ssh asks a KnownHostsCommand
//                 (awk) for the key it is offered, which answers only when the key's fingerprint is one the
//                 console showed (and keeps it in strata's known_hosts); ssh checks strictly.
//   unverified    the console shows neither: the UI asks first, then ssh takes the first key it is shown
//                 (accept-new) into strata's known_hosts.
//
// Entries are kept under a HostKeyAlias made of the provider, region and server id, never the address:
// clouds reuse addresses, and a reused one must not match another server's key. The user's own
// known_hosts files are passed too (after strata's); strata never writes them, nor ~/.ssh/config.
// Running ssh is the UI's (it hands the terminal over); this module only plans.
import { accessSync, chmodSync, constants, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { ProviderDescription } from '../core/capabilities.js';
import { describeError } from '../core/errors.js';
import { consoleHostKeys, knownHostsFor, knownHostsLines, type HostKey } from '../core/hostkeys.js';
import { familyOfLineage, LOGIN_NAME, loginUserOf, type Family } from '../core/login.js';
import { sanitize } from '../core/sanitize.js';
import { commandLine, hostKeyAlias, isSshAddress, sshArguments, verifyCommand, verifyScript } from '../core/sshcommand.js';
import type { Image, Server } from '../core/types.js';
import type { Store } from '../store/db.js';
import type { StrataConfig } from './config.js';

type Env = Record<string, string | undefined>;

export type HostKeyCheck = 'known' | 'console-keys' | 'console-fingerprints' | 'unverified';

export interface ShellDeps {
  providerId: string;
  region: string;
  description: ProviderDescription;
  store: Store;
  /** strata's data directory: ssh/known_hosts and its helpers live below it. */
  home: string;
  config?: StrataConfig;
  env?: Env;
  /** The server's console output (the session's, retried). */
  consoleOutput(serverId: string): Promise<string>;
  /** An image by id as the provider knows it now (null: gone), where the caller has none at hand. */
  getImage?(imageId: string): Promise<Image | null>;
}

export interface ShellPlan {
  serverId: string;
  serverName: string;
  program: string;
  args: string[];
  /** The line as shown to the user (exactly what runs). */
  line: string;
  check: HostKeyCheck;
  /** How the host key is checked, a sentence (for the unverified case: why it cannot be). */
  checkSentence: string;
  user?: string;
  /** Where the user came from: :ssh-user, config.yaml, the image's family, or nobody (ssh decides). */
  userFrom: 'store' | 'config' | 'family' | 'ssh';
  /** The key strata created for the server, where it has one on disk. */
  identityFile?: string;
  /** Sentences the user should read with the line (no user known for the image, …). */
  notes: string[];
}

/** A lookup of images by id (what the UI already knows): an image, null for gone, undefined for not known. */
export type ImageLookupFn = (id: string) => Image | null | undefined;

const DEFAULT_KNOWN_HOSTS = ['~/.ssh/known_hosts', '~/.ssh/known_hosts2'];

/** The first program of this name on PATH (an absolute path), or undefined. */
export function findProgram(name: string, env: Env = process.env): string | undefined {
  for (const dir of (env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter)) {
    if (!dir) continue;
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** A user of config.yaml's ssh.users for an image: by id, by exact name, then by a name pattern (* any run). */
export function configuredUser(users: Record<string, string> | undefined, imageId: string, imageName?: string): string | undefined {
  if (!users) return undefined;
  if (users[imageId]) return users[imageId];
  if (imageName && users[imageName]) return users[imageName];
  if (!imageName) return undefined;
  for (const [pattern, user] of Object.entries(users)) {
    if (!pattern.includes('*')) continue;
    const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
    if (re.test(imageName)) return user;
  }
  return undefined;
}

export class Shell {
  private sshPath?: string | null;
  private awkPath?: string | null;

  constructor(private readonly deps: ShellDeps) {}

  private get env(): Env {
    return this.deps.env ?? process.env;
  }

  /** strata's ssh directory (0700) and files. */
  get directory(): string {
    return join(this.deps.home, 'ssh');
  }

  get knownHostsPath(): string {
    return join(this.directory, 'known_hosts');
  }

  /** The server's address for ssh: public, else private (libvirt's is its DHCP lease). */
  addressOf(server: Server): string | undefined {
    return server.publicAddress || server.privateAddress || undefined;
  }

  /** Why s cannot run for this server now, in a sentence; undefined where it can. Cheap: no call is made. */
  refusal(server: Server): string | undefined {
    const name = sanitize(server.name, 128);
    if (server.phase === 'terminated') return `${name} is terminated: there is nothing to ssh into.`;
    if (server.unreachable) return `${name} cannot be reached: ${sanitize(server.unreachable, 300)}`;
    const address = this.addressOf(server);
    if (!address) {
      if (['requested', 'pending', 'booting'].includes(server.phase)) return `${name} has no address yet (it is ${server.phase}).`;
      return `The provider gives ${name} no address strata can reach (no public or private address).`;
    }
    if (!isSshAddress(address)) return `${name}'s address "${sanitize(address, 80)}" is not one ssh takes.`;
    if (this.ssh() === undefined) return 'ssh is not installed here (the openssh-client package): s runs the system\'s ssh.';
    return undefined;
  }

  private ssh(): string | undefined {
    if (this.sshPath === undefined) this.sshPath = findProgram('ssh', this.env) ?? null;
    return this.sshPath ?? undefined;
  }

  private awk(): string | undefined {
    if (this.awkPath === undefined) this.awkPath = findProgram('awk', this.env) ?? null;
    return this.awkPath ?? undefined;
  }

  /** The image a server stands on and those it was captured from, as far as known (the family is read from them). */
  private async lineage(imageId: string, lookup: ImageLookupFn | undefined): Promise<Image[]> {
    const chain: Image[] = [];
    const seen = new Set<string>();
    let id: string | undefined = imageId;
    while (id && !seen.has(id) && chain.length < 8) {
      seen.add(id);
      let image: Image | null | undefined = lookup?.(id);
      if (image === undefined && this.deps.getImage) image = await this.deps.getImage(id).catch(() => null);
      if (!image) break;
      chain.push(image);
      id = image.sourceImageId;
    }
    return chain;
  }

  /** The login user for a server: :ssh-user of its image, else config.yaml, else its family's; with where it came from. */
  async loginUser(server: Server, lookup?: ImageLookupFn): Promise<{ user?: string; from: ShellPlan['userFrom']; family?: Family; imageName?: string }> {
    const chain = await this.lineage(server.imageId, lookup);
    const family = familyOfLineage(chain);
    const imageName = chain[0]?.name;
    const stored = this.deps.store.loginUser(this.deps.providerId, this.deps.region, server.imageId);
    if (stored) return { user: stored, from: 'store', family, imageName };
    const configured = configuredUser(this.deps.config?.ssh?.users, server.imageId, imageName);
    if (configured) return { user: configured, from: 'config', family, imageName };
    if (family) {
      const user = loginUserOf(family, this.deps.description.capabilities.servers.loginConvention ?? 'cloud');
      if (user) return { user, from: 'family', family, imageName };
    }
    return { from: 'ssh', family, imageName };
  }

  /** Sets (or, with null, clears) the login user of an image for s; a name ssh would not take is refused. */
  setLoginUser(imageId: string, user: string | null): void {
    if (user !== null && !LOGIN_NAME.test(user)) {
      throw new RangeError(`"${sanitize(user, 64)}" is not a login name: 1 to 32 letters, digits, dots, underscores and hyphens, starting with a letter or _.`);
    }
    this.deps.store.setLoginUser(this.deps.providerId, this.deps.region, imageId, user);
  }

  /** The private key strata created for the server (its launch's, or an earlier launch's keypair of the same name), where it is on disk. */
  identityFile(server: Server): string | undefined {
    const launches = this.deps.store.launches();
    const record = launches.servers(this.deps.providerId, this.deps.region).get(server.id);
    const own = record ? launches.get(record.clientToken)?.keypair : undefined;
    const step = own ?? (server.keypairName ? launches.keypairNamed(this.deps.providerId, this.deps.region, server.keypairName) : undefined);
    return step?.path && existsSync(step.path) ? step.path : undefined;
  }

  private ensureDirectory(): void {
    const created = mkdirSync(this.directory, { recursive: true, mode: 0o700 });
    if (created !== undefined) chmodSync(this.directory, 0o700);
  }

  /** Writes a file of strata's ssh directory, readable by the user only. */
  private writePrivate(path: string, text: string): void {
    this.ensureDirectory();
    writeFileSync(path, text, { mode: 0o600 });
    chmodSync(path, 0o600);
  }

  /** strata's known_hosts, each line once (awk appends a line on every verified connection). */
  private readKnownHosts(): string {
    if (!existsSync(this.knownHostsPath)) return '';
    const text = readFileSync(this.knownHostsPath, 'utf8');
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    const unique = [...new Set(lines)];
    if (unique.length !== lines.length) this.writePrivate(this.knownHostsPath, unique.join('\n') + '\n');
    return text;
  }

  private keepKeys(alias: string, keys: HostKey[]): void {
    const current = existsSync(this.knownHostsPath) ? readFileSync(this.knownHostsPath, 'utf8') : '';
    const lines = current.split('\n').filter((l) => l.trim() !== '');
    this.writePrivate(this.knownHostsPath, [...lines, ...knownHostsLines(alias, keys)].join('\n') + '\n');
  }

  /**
   * The ssh command for a server (refused with a RangeError carrying the sentence where s cannot run). Reads
   * the console on the first connection; writes strata's known_hosts (and the fingerprint file) as said above.
   */
  async plan(server: Server, lookup?: ImageLookupFn): Promise<ShellPlan> {
    const refused = this.refusal(server);
    if (refused) throw new RangeError(refused);
    const name = sanitize(server.name, 128);
    const login = await this.loginUser(server, lookup);
    if (login.family === 'windows' && !login.user) throw new RangeError(`${name} runs Windows: connect with RDP (s runs ssh; :ssh-user NAME if it runs an ssh server).`);
    const alias = hostKeyAlias(this.deps.providerId, this.deps.region, server.id);
    const known = knownHostsFor(this.readKnownHosts(), alias);
    let check: HostKeyCheck;
    let checkSentence: string;
    let knownHostsCommand: string | undefined;
    const listed = (keys: { fingerprint: string }[]) => keys.map((k) => k.fingerprint).join(', ');
    if (known.length > 0) {
      check = 'known';
      checkSentence = `The host key is checked against the one strata kept for ${name} (${listed(known)}).`;
    } else {
      let text = '';
      let why = '';
      if (!this.deps.description.capabilities.servers.consoleOutput) why = ` (${this.deps.description.displayName} shows no console output)`;
      else {
        try {
          text = await this.deps.consoleOutput(server.id);
        } catch (error) {
          why = ` (${sanitize(describeError(error, 'reading the console'), 300)})`;
        }
      }
      const found = consoleHostKeys(text);
      const awk = this.awk();
      if (found.keys.length > 0) {
        this.keepKeys(alias, found.keys);
        check = 'console-keys';
        checkSentence = `The host key is checked against the ${found.keys.length === 1 ? 'key' : `${found.keys.length} keys`} ${name}'s console showed at first boot (${listed(found.keys)}).`;
      } else if (found.fingerprints.length > 0 && awk) {
        const script = join(this.directory, 'verify');
        this.writePrivate(join(this.directory, `${alias}.fingerprints`), found.fingerprints.map((f) => f.fingerprint).join('\n') + '\n');
        this.writePrivate(script, verifyScript(awk, this.directory));
        chmodSync(script, 0o700);
        knownHostsCommand = verifyCommand(script);
        check = 'console-fingerprints';
        checkSentence = `The host key is checked against the fingerprints ${name}'s console showed at first boot (${listed(found.fingerprints)}).`;
      } else {
        check = 'unverified';
        checkSentence = found.fingerprints.length > 0
          ? `${name}'s console shows host key fingerprints, but awk is not installed here to check them against the key ssh is shown.`
          : `${name}'s console shows no host key fingerprints${why}: the first connection cannot be verified.`;
      }
    }
    const identityFile = this.identityFile(server);
    const ssh = this.deps.config?.ssh;
    const args = sshArguments({
      address: this.addressOf(server)!,
      ...(login.user ? { user: login.user } : {}),
      ...(identityFile ? { identityFile } : {}),
      hostKeyAlias: alias,
      knownHostsFiles: [this.knownHostsPath, ...DEFAULT_KNOWN_HOSTS],
      strict: check === 'unverified' ? 'accept-new' : 'yes',
      ...(knownHostsCommand ? { knownHostsCommand } : {}),
      options: Object.entries(ssh?.options ?? {}),
      ...(ssh?.proxyJump ? { proxyJump: ssh.proxyJump } : {}),
    });
    if (check === 'unverified') this.ensureDirectory();
    const notes: string[] = [];
    if (!login.user) notes.push(`strata knows no login user for ${login.imageName ? sanitize(login.imageName, 128) : `image ${sanitize(server.imageId, 128)}`}: ssh uses ~/.ssh/config's User or your own name (:ssh-user NAME sets one).`);
    return {
      serverId: server.id,
      serverName: server.name,
      program: 'ssh',
      args,
      line: commandLine('ssh', args),
      check,
      checkSentence,
      ...(login.user ? { user: login.user } : {}),
      userFrom: login.from,
      ...(identityFile ? { identityFile } : {}),
      notes,
    };
  }
}

/**
 * OpenSSH's advice around a refused host key that says nothing about this server (and would send the user
 * to edit strata's own file): left out of the message; the facts (which key, which file, the refusal) stay.
 */
const SSH_BOILERPLATE = [
  /^IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!$/,
  /^Someone could be eavesdropping on you right now \(man-in-the-middle attack\)!$/,
  /^It is also possible that a host key has just been changed\.$/,
  /^Please contact your system administrator\.$/,
  /^Add correct host key in .* to get rid of this message\.$/,
  /^remove with:$/,
  /^ssh-keygen -f .* -R /,
  /^Warning: Permanently added /,
];

/** What ssh said on stderr, as one line: sanitised, its banner art and boilerplate left out. */
export function sshSaid(stderr: string): string {
  return stderr
    .split(/\r?\n/)
    .map((l) => sanitize(l.replace(/^@+\s*|\s*@+$/g, '').trim(), 400).trim())
    .filter((l) => l !== '' && !SSH_BOILERPLATE.some((re) => re.test(l)))
    .join(' ');
}

/**
 * What ssh's exit says, for the message line: how it ended and (ending well) the line it ran; the line of
 * a failed run is said first, on its own (ranLine), so each reads whole.
 */
export function sshOutcome(plan: Pick<ShellPlan, 'serverName' | 'line' | 'check' | 'checkSentence'>, exitCode: number | undefined, signal: string | undefined, stderr: string): { level: 'info' | 'error'; text: string; ranLine?: string } {
  const name = sanitize(plan.serverName, 128);
  const ranLine = `Ran: ${plan.line}`;
  if (signal) return { level: 'error', text: `ssh to ${name} was stopped by ${signal === 'SIGINT' ? 'Ctrl+C (SIGINT)' : signal}.`, ranLine };
  if (exitCode === 255) {
    const refusedKey = /host key verification failed|remote host identification has changed|no .* host key is known/i.test(stderr);
    const why = refusedKey ? ` It refused the server's host key: ${plan.check === 'known' ? 'it is not the one strata kept' : 'it is not the one the console showed at first boot'}.` : '';
    return { level: 'error', text: `ssh could not connect to ${name} (exit 255).${why} ssh said: ${sshSaid(stderr) || '(nothing)'}`, ranLine };
  }
  const verified =
    plan.check === 'known'
      ? ' Its host key was the one strata kept.'
      : plan.check === 'unverified'
        ? ' Its host key was not verified; strata keeps it for the next time.'
        : ` Its host key was verified against what its console showed at first boot.`;
  return { level: 'info', text: `ssh to ${name} ended (exit ${exitCode ?? '?'}).${verified} ${ranLine}` };
}
