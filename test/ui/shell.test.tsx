// From the list to the machine, in the whole screen (component tests on the real sandbox and store): s where
// it is offered and where not (with the reason), the ssh line it hands the terminal to, y/Y/o on rows, f
// following a console (new lines while following, Esc stops), f on a launch result, :ssh-user, links.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hostKeyBlocks } from '../../source/core/hostkeys.js';
import type { ForegroundResult, TerminalHost } from '../../source/ui/screen/handover.js';
import { emulatedHostKey } from '../../source/providers/sandbox/hosts.js';
import { Command } from '../../source/ui/keymap.js';
import { basicRequest, openWorld } from '../services/launcher.fixture.js';
import { start, type Harness } from './harness.js';

process.env.STRATA_SECRETS = 'file';

/** A terminal that records what strata asks of it (the real one is the e2e tests'). */
function recordingTerminal(result: ForegroundResult = { exitCode: 0, stderr: '' }) {
  const t = {
    copies: [] as string[],
    runs: [] as string[][],
    hyperlinks: true,
    copy(text: string) {
      t.copies.push(text);
      return true;
    },
    async runForeground(program: string, args: readonly string[]) {
      t.runs.push([program, ...args]);
      return result;
    },
  };
  return t satisfies TerminalHost;
}

const flat = (s: string) => s.replace(/\s+/g, ' ');

afterEach(() => {
  delete process.env.STRATA_SANDBOX_SSH_HOSTS;
});

/** One server launched in a fresh sandbox world; its id and the home. */
async function launched(name = 'app', hosts?: Record<string, unknown>) {
  const world = await openWorld();
  const outcome = await world.launcher.launch(basicRequest(world, { name }), { clientToken: `tok-${name}` });
  if (hosts) {
    const file = join(world.home, 'hosts.json');
    writeFileSync(file, JSON.stringify({ servers: hosts }));
    process.env.STRATA_SANDBOX_SSH_HOSTS = file;
  }
  return { home: world.home, id: outcome.servers[0]!.id };
}

async function monitor(h: Harness, id: string): Promise<void> {
  await h.waitFor('img-');
  await h.press('tab');
  await h.waitFor(new RegExp(`> \\S+\\s+${id}`));
}

describe('s: ssh into a server', () => {
  it('works in a read-only session (it changes nothing at the provider); :ssh-user does not', async () => {
    const { home, id } = await launched();
    const h = await start({ home, readOnly: true, terminal: recordingTerminal() });
    await monitor(h, id);
    expect(h.controller.disabledReason('monitor', Command.Ssh)).not.toMatch(/read-only/);
    expect(h.controller.disabledReason('monitor', Command.CopyId)).toBeUndefined();
    await h.press(':');
    await h.type('ssh-user admin');
    await h.press('enter');
    await h.waitFor('This session is read-only (--read-only): setting login users is disabled.');
  });

  it('is refused, with the reason, on a server nothing answers at (the sandbox emulates its servers)', async () => {
    const { home, id } = await launched();
    const terminal = recordingTerminal();
    const h = await start({ home, terminal });
    await monitor(h, id);
    expect(h.controller.disabledReason('monitor', Command.Ssh)).toBe(
      'app cannot be reached: A sandbox server is emulated: nothing answers at its addresses (tests give one a real host through STRATA_SANDBOX_SSH_HOSTS).',
    );
    await h.command('monitor', Command.Ssh);
    await h.waitFor((f) => flat(f).includes('app cannot be reached: A sandbox server is emulated'));
    expect(terminal.runs).toEqual([]);
  });

  it('hands the terminal to ssh with the line it shows, then says how it ended; the console\'s key goes into strata\'s known_hosts', async () => {
    const key = emulatedHostKey(Buffer.alloc(32, 9));
    const { home, id } = await launched('web', { web: { address: '192.0.2.10', hostKeys: [`${key.type} ${key.base64}`] } });
    const terminal = recordingTerminal();
    const h = await start({ home, terminal, sandboxSpeed: 100_000 });
    await monitor(h, id);
    await h.waitFor(/web\s+srv-\S+\s+ready/, 'the server ready', 20_000);
    await h.command('monitor', Command.Ssh);
    const said = await h.waitFor((f) => flat(f).includes('ssh to web ended (exit 0).'), 'the end of ssh');
    expect(terminal.runs).toHaveLength(1);
    const [program, ...args] = terminal.runs[0]!;
    expect(program).toBe('ssh');
    expect(args.slice(0, 2)).toEqual(['-o', `HostKeyAlias=strata.sandbox.eu-west.${id}`]);
    expect(args).toContain('StrictHostKeyChecking=yes');
    expect(args.at(-1)).toMatch(/@192\.0\.2\.10$/);
    expect(flat(said)).toContain(`Ran: ssh -o HostKeyAlias=strata.sandbox.eu-west.${id}`);
    expect(readFileSync(join(home, 'ssh', 'known_hosts'), 'utf8')).toBe(`strata.sandbox.eu-west.${id} ssh-ed25519 ${key.base64}\n`);
  });

  it('asks first where the console shows no host keys; n does not connect', async () => {
    const { home, id } = await launched('bare', { bare: { address: '192.0.2.11', hostKeys: [], console: 'none' } });
    const terminal = recordingTerminal();
    const h = await start({ home, terminal, sandboxSpeed: 100_000 });
    await monitor(h, id);
    await h.waitFor(/bare\s+srv-\S+\s+ready/, 'the server ready', 20_000);
    await h.command('monitor', Command.Ssh);
    await h.waitFor((f) => flat(f).includes("Press y to connect to bare unverified (n: do not). bare's console shows no host key fingerprints"));
    await h.command('ssh-confirm', Command.Close);
    await h.waitFor((f) => !f.includes('Press y to connect'));
    expect(terminal.runs).toEqual([]);
  });

  it(':ssh-user sets the login user of the selected server\'s image, and s uses it', async () => {
    const key = emulatedHostKey(Buffer.alloc(32, 7));
    const { home, id } = await launched('web', { web: { address: '192.0.2.12', hostKeys: [`${key.type} ${key.base64}`] } });
    const terminal = recordingTerminal();
    const h = await start({ home, terminal, sandboxSpeed: 100_000 });
    await monitor(h, id);
    await h.waitFor(/web\s+srv-\S+\s+ready/, 'the server ready', 20_000);
    await h.press(':');
    await h.type('ssh-user deploy');
    await h.press('enter');
    await h.waitFor((f) => flat(f).includes('s logs in as deploy on servers of image'));
    await h.command('monitor', Command.Ssh);
    await h.waitFor((f) => flat(f).includes('ssh to web ended'));
    expect(terminal.runs[0]!.at(-1)).toBe('deploy@192.0.2.12');
  });
});

describe('y, Y and o on a row', () => {
  it('copies the image\'s id and its CLI line, and says the sandbox has no web console', async () => {
    const terminal = recordingTerminal();
    const h = await start({ terminal });
    await h.waitFor('img-');
    const id = h.controller.state.scopes.own.rows.at(0)!.id;
    await h.command('list', Command.CopyId);
    await h.waitFor(`Copied the image's id to the clipboard: ${id}`);
    await h.command('list', Command.CopyCli);
    await h.waitFor((f) => flat(f).includes(`Copied the CLI line that describes the image to the clipboard: strata image show ${id} --provider sandbox --region eu-west`));
    expect(terminal.copies).toEqual([id, `strata image show ${id} --provider sandbox --region eu-west`]);
    await h.command('list', Command.WebLink);
    await h.waitFor((f) => flat(f).includes(`Sandbox cloud has no web console: no link for image ${id} (Y copies its CLI line).`));
  });

  it('with rows marked, y copies every marked id, one a line', async () => {
    const terminal = recordingTerminal();
    const h = await start({ terminal });
    await h.waitFor('img-');
    const rows = h.controller.state.scopes.own.rows;
    const ids = [rows.at(0)!.id, rows.at(1)!.id];
    await h.command('list', Command.Mark);
    await h.command('list', Command.Mark);
    await h.waitFor((f) => /2 marked/.test(f), 'two marked');
    await h.command('list', Command.CopyId);
    await h.waitFor((f) => flat(f).includes('Copied the ids of 2 marked images'));
    expect(terminal.copies).toEqual([ids.join('\n')]);
  });

  it('a link is drawn as an OSC 8 hyperlink where the terminal shows them, and as text', async () => {
    const terminal = recordingTerminal();
    const h = await start({ terminal });
    await h.waitFor('img-');
    const url = 'https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1#ImageDetails:imageId=ami-0123456789abcdef0';
    h.controller.say('info', 'Image ami-0123456789abcdef0 in the web console:', url);
    const f = await h.waitFor((x) => x.includes('\u001b]8;;'), 'the hyperlink');
    expect(f).toContain(`\u001b]8;;${url}\u001b\\`);
    expect(f.replace(/\u001b\]8;;[^\u001b]*\u001b\\/g, '').replace(/\s+/g, '')).toContain(url);
  });
});

describe('f: following the console', () => {
  it('new lines come while following, with no key pressed; Esc stops', async () => {
    const { home, id } = await launched();
    // 40 simulated seconds a real second: the boot log grows line by line while the test watches.
    const h = await start({ home, sandboxSpeed: 40, rows: 30 });
    await monitor(h, id);
    await h.command('monitor', Command.Detail);
    await h.waitFor((f) => f.includes('Console output') && !f.includes('loading…'));
    await h.command('detail', Command.Follow);
    const first = await h.waitFor('Following the console');
    const stamps = (f: string) => (f.match(/\[\s*\d+\.\d{6}\]/g) ?? []).map((s) => Number(s.slice(1, -1)));
    const last = Math.max(-1, ...stamps(first));
    await h.waitFor((f) => Math.max(-1, ...stamps(f)) > last, 'a console line newer than those shown when following began', 20_000);
    expect(h.controller.state.monitor.detail?.following).toBe(true);
    await h.command('follow', Command.Close);
    await h.waitFor((f) => !f.includes('Following the console') && f.includes('f follow ·'));
    expect(h.controller.state.monitor.detail?.following).toBe(false);
    // Esc again leaves the detail, as before following.
    await h.command('detail', Command.Close);
    await h.waitFor(/NAME\s+ID\s+PHASE/);
  });

  it('f on a launch result follows the new server\'s console in the monitor', async () => {
    const h = await start();
    await h.waitFor('img-');
    await h.press('/');
    await h.type('Postgres primary');
    await h.press('enter');
    await h.waitFor('filter /Postgres primary');
    await h.command('list', Command.Launch);
    await h.waitFor(/^> Name/m);
    await h.command('form', Command.Review);
    await h.waitFor('The request the provider will receive');
    // The sandbox's review has no CLI line of a provider's own to copy: Y says so.
    await h.command('review', Command.CopyCli);
    await h.waitFor('Sandbox cloud has no CLI line for this launch.');
    await h.command('review', Command.Launch);
    const done = await h.waitFor(/Launched/);
    const serverId = /srv-[0-9a-f]+/.exec(done)![0];
    expect(flat(done)).toContain(`f follows the console of ${serverId} in its detail`);
    await h.command('result', Command.Follow);
    await h.waitFor((f) => f.includes('Following the console') && f.includes(serverId), 'the new server followed', 20_000);
    expect(h.controller.state.pane).toBe('monitor');
  });
});

describe('the console\'s host keys', () => {
  it('the sandbox prints the blocks a real cloud-init prints', () => {
    const key = emulatedHostKey(Buffer.alloc(32, 1));
    expect(hostKeyBlocks([key], 'web')).toEqual([
      '-----BEGIN SSH HOST KEY FINGERPRINTS-----',
      `256 ${key.fingerprint} root@web (ED25519)`,
      '-----END SSH HOST KEY FINGERPRINTS-----',
      '-----BEGIN SSH HOST KEY KEYS-----',
      `ssh-ed25519 ${key.base64} root@web`,
      '-----END SSH HOST KEY KEYS-----',
    ]);
  });
});
