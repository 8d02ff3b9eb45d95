// At 80x24, the size strata is designed at, and at 60x20, the smallest it supports: every message and every
// prompt strata can show is readable whole, and no row is wider than the screen (a row that wraps shifts
// every row below it). A table over the messages (the longest of each kind strata says) and the prompts.
import { describe, expect, it } from 'vitest';
import { authFailed, describeError, RefusedWithProblems, StrataError } from '../../source/core/errors.js';
import { checkName, type NameRules } from '../../source/core/capabilities.js';
import { promptText } from '../../source/ui/components/Bottom.js';
import { widthOf } from '../../source/ui/components/text.js';
import type { Overlay } from '../../source/ui/state/state.js';
import { start, type Harness } from './harness.js';
import { sshOutcome } from '../../source/services/shell.js';
import { versionsTitle } from '../../source/ui/panes/fleet/FleetPane.js';

const SIZES = [
  { columns: 80, rows: 24 },
  { columns: 60, rows: 20 },
];

const RULES: NameRules = { minLength: 3, maxLength: 128, allowed: "A-Za-z0-9 ()\\[\\]./'@_-", description: "3 to 128 characters: letters, digits, spaces and ( ) [ ] . / ' @ - _", unique: false };

/** The longest sentences strata says, one of each kind (built by the code that says them where it can). */
const MESSAGES: { what: string; text: string }[] = [
  { what: 'a refused name', text: `Name refused: ${checkName('web,frontend', RULES) ?? '"," is not allowed in a name: 3 to 128 characters: letters, digits, spaces and ( ) [ ] . / \' @ - _'}` },
  { what: 'read-only', text: 'This session is read-only (--read-only): terminating servers is disabled.' },
  { what: "a source's read-only", text: 'prod-eu-admin-readonly is read-only (readOnly in config.yaml): copying images is disabled there.' },
  {
    what: 'a source that failed',
    text: 'prod-us-govcloud: eu-central-1: Opening prod-us-govcloud in eu-central-1 failed: the AWS SSO session of profile "prod-us-govcloud-admin" has expired or is missing; run `aws sso login --profile prod-us-govcloud-admin` and try again.',
  },
  { what: 'a copy that failed', text: 'The copy of payments-api-golden-2026-12-06 to prod-us/us-east-1 failed: Copying the image failed: EC2 refused the copy: the snapshot snap-0123456789abcdef0 is encrypted with a key prod-us cannot use (KMS key arn:aws:kms:eu-central-1:123456789012:key/0b1c…).' },
  {
    what: 'an expired SSO session',
    text: describeError(authFailed('the AWS SSO session of profile "prod-eu-admin" has expired or is missing; run `aws sso login --profile prod-eu-admin` and try again.'), 'Opening aws in eu-west-1'),
  },
  {
    what: 'a launch refused with several problems',
    text: describeError(
      new RefusedWithProblems('The launch was not sent', [
        { field: 'volumes.raid', message: 'RAID 10 needs an even number of volumes, at least 4; the plan has 3.' },
        { field: 'billingCode', message: 'Billing code ops-42 allows 10 servers; 9 run already and this launch asks for 2.' },
        { field: 'name', message: 'A server named web-1 exists already in eu-west (srv-0123456789abcdef0).' },
      ]),
    ),
  },
  {
    what: 'libvirt unreachable',
    text: describeError(new StrataError('Transient', 'libvirt at qemu+ssh://admin@kvm-host-07.example.net/system did not answer: Cannot recv data: ssh: connect to host kvm-host-07.example.net port 22: Connection refused. Check the host, the URI (--libvirt-uri) and that libvirtd runs there.'), 'Opening libvirt'),
  },
  { what: 'an import refusal', text: 'The image name "ubuntu-24.04-server-cloudimg-amd64-disk-kvm-with-a-very-long-suffix" is refused: 3 to 64 characters: letters, digits, ".", "_" and "-" only.' },
  { what: 'a delete that cannot happen', text: describeError(new StrataError('Conflict', 'Image strata/base-2026-11-01.qcow2 backs the disks of 3 servers (web-1, web-2, batch-7): deleting it would leave them unable to start again.'), 'Deleting strata/base-2026-11-01.qcow2') },
  { what: 'a paste too long', text: 'Nothing was pasted: the paste is 4,096 characters and a name takes at most 256 (it holds 12 already).' },
  { what: 'a bulk action that partly failed', text: 'Terminating 2 of 3 servers: web-frontend-prod-1, web-frontend-prod-2. 1 failed and stays marked:' },
  { what: 'the reason one marked row failed', text: 'batch-7 (srv-0123456789abcdef2): Server srv-0123456789abcdef2 does not exist in sandbox region eu-west.' },
  { what: 'a bulk label over many rows', text: `Labelled 1,204 images red: ${Array.from({ length: 12 }, (_, i) => `ubuntu-24.04-amd64-server-2026${String(i + 1).padStart(2, '0')}01`).join(', ')} and 1,192 more.` },
  { what: 'a stale report\'s sentence', text: '12 stale images (unused, older than 90 days, not the newest of their family); deleting them frees 1,380 GiB (and 2 of unknown size). 3 more are protected against deletion.' },
  { what: 'a deprecation date set', text: 'golden-web-frontend-2026-11 is deprecated from 2027-03-01 on: every user of the account sees it so, and :risk names what stands on it.' },
  { what: 'a deprecation date refused', text: '2026-11-30 is in the past; type today\'s date or a later one, +90d, or now.' },
  { what: 'marks that a reload lost', text: '3 marked rows could not be read again after the reload (the stored copy was replaced): they are no longer marked.' },
  {
    what: "ssh's refusal of a host key",
    text: sshOutcome(
      {
        serverName: 'web-frontend-prod-1',
        check: 'console-keys',
        checkSentence: '',
        line: "ssh -o HostKeyAlias=strata.aws.eu-west-1.i-0123456789abcdef0 -o 'UserKnownHostsFile=/home/ops/.local/share/strata/ssh/known_hosts ~/.ssh/known_hosts ~/.ssh/known_hosts2' -o StrictHostKeyChecking=yes -o ServerAliveInterval=30 -J ops@bastion.example.net -i /home/ops/.ssh/web-frontend-prod -o IdentitiesOnly=yes admin@198.51.100.77",
      },
      255,
      undefined,
      '@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\nIT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!\nSomeone could be eavesdropping on you right now (man-in-the-middle attack)!\nIt is also possible that a host key has just been changed.\nThe fingerprint for the ED25519 key sent by the remote host is\nSHA256:RhGm03k0Jq8Em5dG7KIBAKDPHHEwY49YeiaaWz2Lyh8.\nPlease contact your system administrator.\nAdd correct host key in /home/ops/.local/share/strata/ssh/known_hosts to get rid of this message.\nOffending ED25519 key in /home/ops/.local/share/strata/ssh/known_hosts:2\nHost key for strata.aws.eu-west-1.i-0123456789abcdef0 has changed and you have requested strict checking.\nHost key verification failed.\n',
    ).text,
  },
  {
    what: 'ssh ended',
    text: sshOutcome(
      { serverName: 'web-frontend-prod-1', check: 'console-fingerprints', checkSentence: '', line: "ssh -o HostKeyAlias=strata.aws.eu-west-1.i-0123456789abcdef0 -o 'UserKnownHostsFile=/home/ops/.local/share/strata/ssh/known_hosts ~/.ssh/known_hosts ~/.ssh/known_hosts2' -o StrictHostKeyChecking=yes -o 'KnownHostsCommand=/home/ops/.local/share/strata/ssh/verify %H %t %K %f' ubuntu@198.51.100.77" },
      0,
      undefined,
      '',
    ).text,
  },
  {
    what: 'the line ssh ran (said before its refusal)',
    text: "Ran: ssh -o HostKeyAlias=strata.aws.eu-west-1.i-0123456789abcdef0 -o 'UserKnownHostsFile=/home/ops/.local/share/strata/ssh/known_hosts ~/.ssh/known_hosts ~/.ssh/known_hosts2' -o StrictHostKeyChecking=yes -o 'KnownHostsCommand=/home/ops/.local/share/strata/ssh/verify %H %t %K %f' -o ServerAliveInterval=30 -J ops@bastion.example.net -i /home/ops/.ssh/web-frontend-prod -o IdentitiesOnly=yes admin@198.51.100.77",
  },
  { what: 'ssh not offered', text: 'web-frontend-prod-1 cannot be reached: A sandbox server is emulated: nothing answers at its addresses (tests give one a real host through STRATA_SANDBOX_SSH_HOSTS).' },
  { what: 'a server without an address', text: 'The provider gives web-frontend-prod-1 no address strata can reach (no public or private address).' },
  { what: 'a Windows server', text: 'web-frontend-prod-1 runs Windows: connect with RDP (s runs ssh; :ssh-user NAME if it runs an ssh server).' },
  { what: 'no login user known', text: "strata knows no login user for golden-web-frontend-2026-11-06-hardened: ssh uses ~/.ssh/config's User or your own name (:ssh-user NAME sets one)." },
  { what: 'a copied CLI line', text: 'Copied the CLI line that describes the server to the clipboard: aws ec2 describe-instances --profile prod-eu-admin --region eu-west-1 --instance-ids i-0123456789abcdef0' },
  { what: 'no web console', text: 'Sandbox cloud has no web console: no link for image img-aad8117bc01ca7390 (Y copies its CLI line).' },
  { what: 'a login user set', text: 's logs in as deploy on servers of image ami-0123456789abcdef0 (kept in the local store).' },
  { what: 'a firewall in use', text: 'Deleting firewall payments-api-prod-eu-central-1-launch-fw failed: payments-api-prod-eu-central-1-launch-fw is in use by 12 servers: payments-api-prod-1, payments-api-prod-2, payments-api-prod-3 and 9 more; terminate them first. Nothing was deleted.' },
  { what: 'a workflow that failed', text: 'The safe workflow failed: the builder srv-3d9fccd187fc6f972 did not become ready within 45 minutes (it stalled in initializing); it was kept running for inspection: terminate it from the monitor (T) when done.' },
];

function overlays(): { what: string; overlay: Overlay }[] {
  return [
    {
      what: 'the delete prompt with many dependants',
      overlay: {
        kind: 'delete',
        imageId: 'img-aad8117bc01ca7390',
        editor: { text: '', cursor: 0 },
        dependants: ['server web-frontend-prod-1 (srv-0123456789abcdef0)', 'server web-frontend-prod-2 (srv-0123456789abcdef1)', 'server batch-7 (srv-0123456789abcdef2)', 'image golden-web-2026-11 (img-0123456789abcdef3)', 'image golden-web-2026-12 (img-0123456789abcdef4)', 'server x (srv-5)'],
        error: 'That is the name, not the id; type img-aad8117bc01ca7390 exactly.',
      },
    },
    { what: 'the terminate prompt', overlay: { kind: 'terminate', serverId: 'srv-0123456789abcdef0', editor: { text: 'web', cursor: 3 }, error: 'That is not the name; type web-frontend-prod-1 exactly.' } },
    { what: 'the capture prompt', overlay: { kind: 'capture', serverId: 'srv-1', editor: { text: 'web-frontend-prod-1-20261206', cursor: 28 }, saving: false, label: 'orange', noReboot: true, error: 'Name refused: "," is not allowed in a name: 3 to 128 characters: letters, digits, spaces and ( ) [ ] . / \' @ - _' } },
    {
      what: 'the bulk terminate prompt with many names',
      overlay: {
        kind: 'bulk',
        action: 'terminate',
        scope: 'servers',
        count: 40,
        names: ['web-frontend-prod-1', 'web-frontend-prod-2', 'batch-7', 'etl-worker-nightly-3', 'api-gateway-eu'],
        more: 35,
        word: 'terminate 40',
        note: '2 marked servers are terminated already and left out.',
        editor: { text: '40', cursor: 2 },
        error: 'The count alone is not enough; type terminate 40 exactly. Nothing was done.',
      },
    },
    {
      what: 'the bulk delete prompt with dependants',
      overlay: {
        kind: 'bulk',
        action: 'delete',
        scope: 'own',
        count: 12,
        names: ['golden-web-frontend-2025-03', 'golden-web-frontend-2025-06', 'Win2022 IIS base 2025-08-27'],
        more: 9,
        word: 'delete 12',
        note: '2 of them have servers or images on them, which will stand on a deleted image (:risk): golden-web-frontend-2025-03, Win2022 IIS base 2025-08-27.',
        editor: { text: '', cursor: 0 },
      },
    },
    {
      what: 'the bulk label prompt',
      overlay: { kind: 'bulk', action: 'label', scope: 'public', count: 1204, names: ['ubuntu-24.04-amd64-server-20260101', 'ubuntu-24.04-amd64-server-20260201'], more: 1202, word: 'label 1204', label: 'orange', editor: { text: 'label 12', cursor: 8 } },
    },
    {
      what: 'the deprecation date prompt',
      overlay: {
        kind: 'deprecate',
        imageId: 'img-aad8117bc01ca7390',
        name: 'golden-web-frontend-2026-11 (hardened, CIS level 2)',
        current: '2027-03-01T00:00:00.000Z',
        editor: { text: 'next tuesday', cursor: 12 },
        error: '"next tuesday" is not a date; type a day (YYYY-MM-DD), +90d, now, or none.',
      },
    },
    { what: 'the recipe prompt', overlay: { kind: 'recipe', editor: { text: 'web-eu', cursor: 6 }, error: 'A recipe named web-eu exists already (~/.config/strata/recipes/web-eu.yaml); choose another name or delete that file.' } },
    {
      what: 'the unverified ssh question',
      overlay: { kind: 'ssh-unverified', serverId: 'i-0123456789abcdef0', serverName: 'web-frontend-prod-1', sentence: "web-frontend-prod-1's console shows no host key fingerprints (Amazon EC2 did not answer: reading the console failed): the first connection cannot be verified." },
    },
    { what: 'a refused command', overlay: { kind: 'command', editor: { text: 'import ~/disks/base.qcow2', cursor: 25 }, historyIndex: -1, message: 'Sandbox cloud cannot import image files (in ap-south); :import works where the provider can import images: try :region eu-west.' } },
    {
      what: 'the fleet: copying an image to another region',
      overlay: {
        kind: 'fleet-copy',
        key: 'k',
        name: 'payments-api-golden-2026-12-06 (hardened, CIS level 2)',
        where: 'prod-eu/eu-central-1',
        targets: [{ source: 'prod-eu', region: 'eu-west-1' }, { source: 'prod-us', region: 'us-east-1' }, { source: 'prod-us', region: 'us-west-2' }],
        target: 1,
        editor: { text: 'payments-api-golden-2026-12-06', cursor: 30 },
        error: 'An image named "payments-api-golden-2026-12-06" exists in prod-us/us-east-1 already (ami-0123456789abcdef0); give the copy another name.',
      },
    },
    {
      what: 'the fleet: deleting an image of a source',
      overlay: { kind: 'fleet-delete', key: 'k', imageId: 'ami-0123456789abcdef0', where: 'prod-eu/eu-central-1', editor: { text: '', cursor: 0 }, dependants: ['server payments-api-1 (i-0123456789abcdef0)', 'server payments-api-2 (i-0123456789abcdef1)'], error: 'That is the name, not the id; type ami-0123456789abcdef0 exactly.' },
    },
    { what: 'the fleet: terminating a server of a source', overlay: { kind: 'fleet-terminate', key: 'k', serverId: 'i-0123456789abcdef0', serverName: 'payments-api-prod-eu-central-1-7', where: 'prod-eu/eu-central-1', editor: { text: 'pay', cursor: 3 }, error: 'That is not the name; type payments-api-prod-eu-central-1-7 exactly.' } },
    {
      what: 'deleting a firewall of :firewalls',
      overlay: {
        kind: 'firewall-delete',
        id: 'sg-0123456789abcdef0',
        name: 'payments-api-prod-eu-central-1-launch-fw',
        madeByStrata: true,
        editor: { text: 'sg-0123456789abcdef0', cursor: 20 },
        error: 'That is the id, not the name; type payments-api-prod-eu-central-1-launch-fw exactly.',
        list: { kind: 'firewalls', index: 0, loading: false, rows: [] },
      },
    },
    { what: 'the fleet: renaming an image of a source', overlay: { kind: 'fleet-rename', key: 'k', where: 'prod-eu/eu-central-1', editor: { text: 'x', cursor: 1 }, original: 'y', error: 'Name refused in prod-eu/eu-central-1: "," is not allowed in a name: 3 to 128 characters: letters, digits, spaces and ( ) [ ] . / \' @ - _' } },
  ];
}

/**
 * The screen's text without its whitespace, to find a wrapped sentence in it (a word longer than a line is
 * carried over in pieces: every character is still there, in order).
 */
function flat(frame: string): string {
  return frame.replace(/\s+/g, '');
}

function assertFits(frame: string, columns: number, rows: number, what: string) {
  const lines = frame.split('\n');
  expect(lines.length, `${what}: rows`).toBeLessThanOrEqual(rows);
  for (const line of lines) expect(widthOf(line), `${what}: a row wider than ${columns}: ${line}`).toBeLessThanOrEqual(columns);
}

async function loaded(size: { columns: number; rows: number }): Promise<Harness> {
  const h = await start(size);
  await h.waitFor('img-');
  return h;
}

describe.each(SIZES)('at $columns x $rows', (size) => {
  it.each(MESSAGES)('says $what whole, and keeps it until the next key', async ({ text }) => {
    const h = await loaded(size);
    h.controller.say('error', text);
    const frame = await h.waitFor((f) => flat(f).includes(flat(text)), 'the whole message');
    assertFits(frame, size.columns, size.rows, text);
    // The list is still there, with its selected row.
    expect(frame).toMatch(/^>/m);
    // It stays until a key; the key that dismisses it still does its work (j moves).
    await h.press('j');
    await h.waitFor((f) => !flat(f).includes(flat(text)) && / 2\/\d+/.test(f), 'the message gone after a key, and the key acted');
  });

  it('shows several messages said at once, whole, and M shows them again', async () => {
    const h = await loaded(size);
    for (const m of MESSAGES.slice(0, 3)) h.controller.say('info', m.text);
    const frame = await h.waitFor((f) => MESSAGES.slice(0, 3).every((m) => flat(f).includes(flat(m.text))), 'all three');
    assertFits(frame, size.columns, size.rows, 'three messages');
    await h.press('j');
    await h.waitFor((f) => !flat(f).includes(flat(MESSAGES[0].text)));
    await h.press('M');
    const again = await h.waitFor('Messages (the last');
    assertFits(again, size.columns, size.rows, ':messages');
    expect(flat(again)).toContain(flat(MESSAGES[2].text));
  });

  it.each(overlays())('draws $what whole: what to type first, then why', async ({ overlay }) => {
    const h = await loaded(size);
    h.controller.dispatch({ type: 'overlay/open', overlay });
    const instruction = overlay.kind === 'command' ? overlay.message! : promptText(overlay, 'reboot', overlay.kind === 'terminate' ? 'web-frontend-prod-1' : undefined);
    const error = 'error' in overlay ? overlay.error : undefined;
    if (overlay.kind === 'terminate') {
      // The prompt names the server as the monitor knows it: give it one.
      h.controller.dispatch({ type: 'monitor/servers', servers: [{ id: 'srv-0123456789abcdef0', name: 'web-frontend-prod-1', imageId: 'img-1', productId: 'sb.nano', firewallIds: [], phase: 'ready', phaseSince: '2026-12-06T00:00:00Z', launchedAt: '2026-12-06T00:00:00Z' } as never] });
    }
    const frame = await h.waitFor((f) => flat(f).includes(flat(instruction)) && (!error || flat(f).includes(flat(error))), 'the prompt whole');
    assertFits(frame, size.columns, size.rows, overlay.kind);
    if (overlay.kind !== 'command') {
      // What to type (or press) comes first.
      expect(instruction).toMatch(/^(Type|Press) /);
    }
  });

  it('shows a web-console link whole, on lines of its own, after its sentence', async () => {
    const h = await loaded(size);
    const url = 'https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1#InstanceDetails:instanceId=i-0123456789abcdef0';
    h.controller.say('info', 'Server i-0123456789abcdef0 in the web console:', url);
    const frame = await h.waitFor((f) => flat(f.replace(/\u001b\]8;;[^\u001b]*\u001b\\/g, '')).includes(flat(url)), 'the whole link');
    assertFits(frame.replace(/\u001b\]8;;[^\u001b]*\u001b\\/g, ''), size.columns, size.rows, 'a link');
  });

  it('the help wraps its descriptions whole and scrolls by pages', async () => {
    const h = await loaded(size);
    await h.press('?');
    const first = await h.waitFor('Help');
    assertFits(first, size.columns, size.rows, 'help');
    // Below the header (which cuts the provider's profile to fit), nothing is cut.
    expect(first.split('\n').slice(1).join('\n')).not.toContain('…');
    await h.press('pgdn');
    const second = await h.waitFor((f) => f !== first && f.includes('Help'));
    expect(second).not.toBe(first);
    await h.press('G');
    await h.waitFor(/DEPRECATION: "dep"/);
    await h.press('g');
    await h.waitFor('Everywhere');
  });
});

describe('the fleet versions view title', () => {
  it.each(SIZES)('reads whole at $columns columns (the way back only where it fits)', ({ columns }) => {
    const title = versionsTitle(1234, columns - 1);
    expect(title).not.toContain('…');
    expect(widthOf(title)).toBeLessThanOrEqual(columns - 1);
    expect(title).toContain('Image families: 1234, versions oldest first');
  });
});
