// s on a server, end to end: the built strata in a real terminal, a real sshd on 127.0.0.1, sandbox servers
// whose address and console host keys point at it (STRATA_SANDBOX_SSH_HOSTS). strata leaves its screen,
// ssh runs the session (a ForceCommand: one command, then the end), and strata comes back exactly where it
// was; the terminal's modes are the same before and after. The host key is verified against the console
// (its keys block, or its fingerprints alone), refused when the console named another host's key, and
// asked about where the console names none. y writes a well-formed OSC 52 with the id (and inside tmux
// with set-clipboard on, tmux's buffer holds it).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appPath, nodePath, repoRoot, startApp, useAppCleanup, type App } from './harness.js';
import { keyPair, sshdMissing, startSshd, type Sshd } from './sshd.js';
import { Command, keyFor } from '../keys.js';

useAppCleanup();

const missing = sshdMissing();
if (missing && process.env.STRATA_REQUIRE_SSHD === '1') throw new Error(`STRATA_REQUIRE_SSHD=1 but ${missing}.`);
if (missing) process.stderr.write(`[ssh e2e] skipped: ${missing}.\n`);

const dir = mkdtempSync(join(tmpdir(), 'strata-e2e-ssh-'));
const home = join(dir, 'home');
const hostsFile = join(dir, 'hosts.json');
let sshd: Sshd;
const ids: Record<string, string> = {};
const NAMES = ['ssh-keys', 'ssh-fp', 'ssh-other', 'ssh-none'] as const;

function strata(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(nodePath(), ['--disable-warning=ExperimentalWarning', appPath(), ...args], {
    cwd: repoRoot(),
    env: { ...process.env, STRATA_HOME: home, STRATA_SECRETS: 'file', NO_COLOR: '1' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  if (missing) return;
  spawnSync('mkdir', ['-p', home]);
  // The servers, ready (a fast clock for the launch; the TUI then freezes it, so every screen is still).
  const images = JSON.parse(strata(['images', '--json']).stdout) as { images: { id: string; architecture: string; state: string }[] };
  const image = images.images.find((i) => i.architecture === 'x86_64' && i.state === 'available')!.id;
  for (const [i, name] of NAMES.entries()) {
    const keypair = i === 0 ? { mode: 'create', name: 'e2e-key', directory: dir } : { mode: 'existing', name: 'e2e-key' };
    const recipe = join(dir, `${name}.yaml`);
    writeFileSync(recipe, `strataRecipe: 1\nrequest: ${JSON.stringify({ name, imageId: image, productId: 'sb.small', count: 1, firewallIds: [], keypair })}\n`);
    const r = strata(['launch', '--recipe', recipe, '--wait', 'ready', '--json', '--sandbox-speed', '3000']);
    expect(r.status, r.stderr).toBe(0);
    ids[name] = (JSON.parse(r.stdout) as { servers: { id: string }[] }).servers[0]!.id;
  }
  // The key strata made at launch is the one the sshd accepts (ssh-keygen -y gives its public half).
  const publicKey = spawnSync('ssh-keygen', ['-y', '-f', join(dir, 'e2e-key')], { encoding: 'utf8' }).stdout.trim();
  sshd = await startSshd(dir, [publicKey]);
  const other = keyPair(dir, 'another-host');
  writeFileSync(
    hostsFile,
    JSON.stringify({
      servers: {
        'ssh-keys': { address: '127.0.0.1', hostKeys: [sshd.hostKey.publicLine] },
        'ssh-fp': { address: '127.0.0.1', hostKeys: [sshd.hostKey.publicLine], console: 'fingerprints' },
        'ssh-other': { address: '127.0.0.1', hostKeys: [other.publicLine] },
        'ssh-none': { address: '127.0.0.1', hostKeys: [], console: 'none' },
      },
    }),
  );
  // The user: whoever runs the tests (the sshd, as that user or root, lets it in); the port: the sshd's.
  const user = spawnSync('id', ['-un'], { encoding: 'utf8' }).stdout.trim();
  writeFileSync(join(home, 'config.yaml'), `ssh:\n  options: {Port: ${sshd.port}}\n  users: {"*": ${user}}\n`);
}, 240_000);

afterAll(async () => {
  await sshd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function open(extraEnv: Record<string, string | undefined> = {}): App {
  return startApp({
    home,
    cols: 100,
    rows: 30,
    args: ['--sandbox-speed', '0.000001'],
    env: { STRATA_SANDBOX_SSH_HOSTS: hostsFile, STRATA_SECRETS: 'file', NO_COLOR: '1', TMUX: undefined, STY: undefined, ...extraEnv },
  });
}

/** The monitor, with the named server selected. */
async function monitorAt(app: App, name: string): Promise<void> {
  await app.waitForText(/ 1\/\d+/, { timeout: 20_000 });
  app.press('tab');
  await app.waitForText(/ssh-none.*ready/);
  for (let i = 0; i < NAMES.length + 1; i++) {
    const selected = app.screen().split('\n').find((l) => l.startsWith('>')) ?? '';
    if (selected.includes(name)) return;
    app.press(keyFor('monitor', Command.Down));
    await app.waitFor((s) => (s.split('\n').find((l) => l.startsWith('>')) ?? '') !== selected, { description: 'the selection to move' });
  }
  throw new Error(`${name} is not in the monitor`);
}

function stty(app: App): string {
  const device = readlinkSync(`/proc/${app.pid}/fd/0`);
  const r = spawnSync('stty', ['-F', device, '-a'], { encoding: 'utf8' });
  expect(r.status).toBe(0);
  return r.stdout;
}

function knownHosts(): string {
  const path = join(home, 'ssh', 'known_hosts');
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}

const alias = (name: string) => `strata.sandbox.eu-west.${ids[name]}`;

describe.skipIf(missing !== undefined)('s: ssh into a server', () => {
  it('leaves the screen to ssh, which runs the session, and comes back to the same screen and terminal modes; the key is checked against the console\'s keys', async () => {
    const app = open();
    await monitorAt(app, 'ssh-keys');
    app.press(keyFor('monitor', Command.Detail));
    await app.waitForText('Console output');
    await app.waitForNoText('loading…');
    // Rows with trailing blanks trimmed: a blank written and a blank never touched look the same to a user.
    const rows = (screen: string) => screen.split('\n').map((row) => row.trimEnd()).join('\n');
    const before = rows(app.screen());
    const modes = stty(app);
    const mark = app.outputLength();
    const sessions = sshd.sessions().length;

    app.press(keyFor('detail', Command.Ssh));
    const after = await app.waitForText(/ssh to ssh-keys ended \(exit 0\)/, { timeout: 30_000 });
    const flat = after.replace(/\s+/g, ' ');
    expect(flat).toContain('Its host key was verified against what its console showed at first boot.');
    expect(flat).toContain(`HostKeyAlias=${alias('ssh-keys')}`);
    expect(flat).toContain('StrictHostKeyChecking=yes');
    // ssh ran on the normal screen, between strata leaving the alternate screen and coming back to it.
    const raw = app.rawOutput(mark);
    const left = raw.indexOf('\u001b[?1049l');
    const ran = raw.indexOf('REMOTE-OK');
    const back = raw.lastIndexOf('\u001b[?1049h');
    expect(left).toBeGreaterThanOrEqual(0);
    expect(ran).toBeGreaterThan(left);
    expect(back).toBeGreaterThan(ran);
    expect(sshd.sessions()).toHaveLength(sessions + 1);
    // The key the console showed went into strata's own known_hosts, under the server's alias.
    expect(knownHosts()).toContain(`${alias('ssh-keys')} ${sshd.hostKey.publicLine.split(' ').slice(0, 2).join(' ')}`);

    // Once the message is read (any key), the screen is the one before s, and so are the terminal's modes.
    app.press('x');
    try {
      await app.waitFor((s) => rows(s) === before, { description: 'the screen as it was before s', timeout: 15_000 });
    } catch (error) {
      const now = rows(app.screen()).split('\n');
      const was = before.split('\n');
      throw new Error(`The screen differs from before s:\n${was.map((l, i) => (l === now[i] ? `  ${l}` : `- ${l}\n+ ${now[i]}`)).join('\n')}`, { cause: error });
    }
    expect(stty(app)).toBe(modes);
  }, 90_000);

  it('verifies with the console\'s fingerprints alone (ssh asks for the key and gets it only when it matches)', async () => {
    const app = open();
    await monitorAt(app, 'ssh-fp');
    app.press(keyFor('monitor', Command.Ssh));
    const after = await app.waitForText(/ssh to ssh-fp ended \(exit 0\)/, { timeout: 30_000 });
    expect(after.replace(/\s+/g, ' ')).toContain('KnownHostsCommand=');
    expect(knownHosts()).toContain(`${alias('ssh-fp')} ${sshd.hostKey.publicLine.split(' ').slice(0, 2).join(' ')}`);
  }, 90_000);

  it("refuses a server whose console named another host's key, and shows why: ssh's own refusal", async () => {
    const app = open();
    await monitorAt(app, 'ssh-other');
    const sessions = sshd.sessions().length;
    app.press(keyFor('monitor', Command.Ssh));
    const said = await app.waitForText(/ssh could not connect to ssh-other \(exit 255\)/, { timeout: 30_000 });
    const flat = said.replace(/\s+/g, ' ');
    expect(flat).toContain("It refused the server's host key: it is not the one the console showed at first boot.");
    expect(flat).toContain('REMOTE HOST IDENTIFICATION HAS CHANGED!');
    expect(flat).toContain('Host key verification failed.');
    expect(sshd.sessions()).toHaveLength(sessions);
  }, 90_000);

  it('asks before an unverified first connection; n leaves it, y connects and keeps the key', async () => {
    const app = open();
    await monitorAt(app, 'ssh-none');
    const sessions = sshd.sessions().length;
    app.press(keyFor('monitor', Command.Ssh));
    await app.waitForText(/Press y to connect to ssh-none unverified/, { timeout: 30_000 });
    app.press(keyFor('ssh-confirm', Command.Close));
    await app.waitForNoText('Press y to connect');
    expect(sshd.sessions()).toHaveLength(sessions);
    app.press(keyFor('monitor', Command.Ssh));
    await app.waitForText(/Press y to connect to ssh-none unverified/, { timeout: 30_000 });
    app.press(keyFor('ssh-confirm', Command.Confirm));
    await app.waitForText(/ssh to ssh-none ended \(exit 0\)/, { timeout: 30_000 });
    expect(sshd.sessions()).toHaveLength(sessions + 1);
    expect(knownHosts()).toContain(`${alias('ssh-none')} ssh-ed25519 `);
    // The next s checks against the key kept: no question.
    app.press('x');
    app.press(keyFor('monitor', Command.Ssh));
    const again = await app.waitForText(/ssh to ssh-none ended \(exit 0\)[^]*ssh to ssh-none ended|Its host key was the one strata kept/, { timeout: 30_000 });
    expect(again.replace(/\s+/g, ' ')).toContain('Its host key was the one strata kept.');
  }, 90_000);

  it('Ctrl+C while ssh connects ends ssh, not strata: strata comes back and says so', async () => {
    // A host that takes the connection and never answers: ssh waits for its banner until interrupted.
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(sshd.port, '127.0.0.2', resolve));
    const stalled = join(dir, 'hosts-stalled.json');
    writeFileSync(stalled, JSON.stringify({ servers: { 'ssh-keys': { address: '127.0.0.2', hostKeys: [sshd.hostKey.publicLine] } } }));
    try {
      const app = open({ STRATA_SANDBOX_SSH_HOSTS: stalled });
      await monitorAt(app, 'ssh-keys');
      const mark = app.outputLength();
      const connected = new Promise<void>((resolve) => silent.once('connection', () => resolve()));
      app.press(keyFor('monitor', Command.Ssh));
      await connected;
      await app.waitFor(() => app.rawOutput(mark).includes('\u001b[?1049l'), { description: 'strata to leave its screen' });
      app.write('\u0003');
      const said = await app.waitForText(/ssh to ssh-keys was stopped by Ctrl\+C/, { timeout: 30_000 });
      expect(said).toMatch(/^> ssh-keys/m);
      expect(app.exitStatus()).toBeUndefined();
    } finally {
      silent.close();
    }
  }, 60_000);

  it('y writes a well-formed OSC 52 with the id; Y the CLI line', async () => {
    const app = open();
    await monitorAt(app, 'ssh-keys');
    const mark = app.outputLength();
    app.press(keyFor('monitor', Command.CopyId));
    await app.waitForText(`Copied the server's id to the clipboard: ${ids['ssh-keys']}`);
    expect(app.rawOutput(mark)).toContain(`\u001b]52;c;${Buffer.from(ids['ssh-keys']!).toString('base64')}\u0007`);
    const next = app.outputLength();
    app.press(keyFor('monitor', Command.CopyCli));
    const line = `strata server show ${ids['ssh-keys']} --provider sandbox --region eu-west`;
    await app.waitForText('Copied the CLI line that describes the server');
    expect(app.rawOutput(next)).toContain(`\u001b]52;c;${Buffer.from(line).toString('base64')}\u0007`);
  }, 60_000);

  it('inside tmux (set-clipboard on), y lands in tmux show-buffer', async () => {
    if (spawnSync('tmux', ['-V']).error) return void process.stderr.write('[ssh e2e] tmux is not installed: the tmux copy is not tried.\n');
    const socket = `strata-e2e-${process.pid}`;
    const tmux = (...args: string[]) => spawnSync('tmux', ['-L', socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });
    const capture = () => tmux('capture-pane', '-p').stdout;
    const until = async (what: string, test: () => boolean) => {
      const deadline = Date.now() + 30_000;
      while (!test()) {
        if (Date.now() > deadline) throw new Error(`tmux: timed out waiting for ${what}:\n${capture()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    try {
      expect(tmux('new-session', '-d', '-x', '120', '-y', '40').status).toBe(0);
      tmux('set', '-s', 'set-clipboard', 'on');
      const env = `STRATA_HOME=${home} STRATA_SECRETS=file STRATA_SANDBOX_SSH_HOSTS=${hostsFile} NO_COLOR=1`;
      tmux('send-keys', `env ${env} ${nodePath()} --disable-warning=ExperimentalWarning ${appPath()} --sandbox-speed 0.000001`, 'Enter');
      await until('the image list', () => / 1\/\d+/.test(capture()));
      tmux('send-keys', 'Tab');
      await until('the monitor', () => /ssh-none\s+srv-/.test(capture()));
      const selected = /^> (\S+)\s+(srv-[0-9a-f]+)/m.exec(capture())!;
      tmux('send-keys', keyFor('monitor', Command.CopyId));
      await until('the copy in tmux\'s buffer', () => tmux('show-buffer').stdout === selected[2]);
      tmux('send-keys', 'q');
    } finally {
      tmux('kill-server');
    }
  }, 60_000);
});
