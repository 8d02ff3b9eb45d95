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

const SIZES = [
  { columns: 80, rows: 24 },
  { columns: 60, rows: 20 },
];

const RULES: NameRules = { minLength: 3, maxLength: 128, allowed: "A-Za-z0-9 ()\\[\\]./'@_-", description: "3 to 128 characters: letters, digits, spaces and ( ) [ ] . / ' @ - _", unique: false };

/** The longest sentences strata says, one of each kind (built by the code that says them where it can). */
const MESSAGES: { what: string; text: string }[] = [
  { what: 'a refused name', text: `Name refused: ${checkName('web,frontend', RULES) ?? '"," is not allowed in a name: 3 to 128 characters: letters, digits, spaces and ( ) [ ] . / \' @ - _'}` },
  { what: 'read-only', text: 'This session is read-only (--read-only): terminating servers is disabled.' },
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
    { what: 'a refused command', overlay: { kind: 'command', editor: { text: 'import ~/disks/base.qcow2', cursor: 25 }, historyIndex: -1, message: 'Sandbox cloud cannot import image files (in ap-south); :import works where the provider can import images: try :region eu-west.' } },
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
      // What to type comes first.
      expect(instruction).toMatch(/^Type /);
    }
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
