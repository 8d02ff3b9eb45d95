import { describe, expect, it } from 'vitest';
import type { Capabilities } from '../../source/core/capabilities.js';
import { describeRaid, raidUsableGiB, validateLaunch, type LaunchContext } from '../../source/core/launch.js';
import type { LaunchSpec } from '../../source/core/types.js';
import { buildCloudConfig, buildUserData } from '../../source/core/userdata.js';
import { CONTEXT, DEVICES, goodSpec, IMAGE, plainCaps, plan, richCaps } from './launch-fixtures.js';

const problems = (spec: LaunchSpec, caps: Capabilities = richCaps(), ctx: LaunchContext = CONTEXT) => validateLaunch(spec, caps, ctx);
const fields = (spec: LaunchSpec, caps?: Capabilities, ctx?: LaunchContext) => problems(spec, caps, ctx).map((p) => p.field);
const messageAt = (spec: LaunchSpec, field: string, caps?: Capabilities, ctx?: LaunchContext) =>
  problems(spec, caps, ctx)
    .filter((p) => p.field === field)
    .map((p) => p.message);

describe('validateLaunch', () => {
  it('passes a good launch on the rich provider, and a plain one on the plain provider', () => {
    expect(problems(goodSpec())).toEqual([]);
    const plain = goodSpec({ name: 'web-1', productId: 'sb.small', volumes: plan({ raid: 'none', count: 2, sizeGiB: 20 }), keypairName: undefined });
    expect(problems(plain, plainCaps())).toEqual([]);
  });

  it('reports every problem at once, each with its field, in the order of the form', () => {
    const spec: LaunchSpec = {
      name: 'web server',
      imageId: 'img-1',
      productId: 'sb.a.small',
      firewallIds: ['fw-gone'],
      newFirewall: { name: 'web', rules: [{ protocol: 'tcp', fromPort: 0, toPort: 80, source: '10.0.0.5/24' }] },
      keypairName: 'nobody',
      group: 'pay ments',
      billingCode: 'x'.repeat(65),
      volumes: { count: 2, sizeGiB: 0, raid: '5', filesystem: 'ext4', mountPoint: '/etc', encrypt: false },
      userData: 'echo hi',
      count: 0,
    };
    expect(problems(spec)).toEqual([
      { field: 'name', message: 'The server name is refused: A space is not allowed in a name: 1 to 64 characters: letters, digits and . _ @ -.' },
      { field: 'count', message: 'The number of servers must be a whole number from 1 to 20; the form has 0.' },
      { field: 'productId', message: 'Image "img-1" is built for x86_64 but size "sb.a.small" is arm64; choose an x86_64 size.' },
      { field: 'firewallIds', message: 'Firewall "fw-gone" does not exist here (any more); choose another.' },
      { field: 'newFirewall.name', message: 'A firewall named "web" exists already; choose it, or give the new one another name.' },
      { field: 'newFirewall.rules.0.ports', message: 'Rule 1: Port 0 is reserved; ports run from 1 to 65535.' },
      { field: 'newFirewall.rules.0.source', message: 'Rule 1: "10.0.0.5/24" has host bits set: the network is 10.0.0.0/24; for the one address write 10.0.0.5/32.' },
      { field: 'keypairName', message: 'Keypair "nobody" does not exist here; choose another or create it.' },
      { field: 'group', message: 'A space cannot be in the group; use letters, digits, dot, underscore and hyphen (1 to 64).' },
      { field: 'billingCode', message: 'The billing code can have at most 64 characters; it has 65.' },
      { field: 'volumes.sizeGiB', message: 'The size of each volume must be a whole number of GiB, at least 1; the form has 0.' },
      { field: 'volumes.raid', message: 'RAID 5 needs at least 3 volumes; the form has 2.' },
      { field: 'volumes.mountPoint', message: '/etc belongs to the system; mount the volumes elsewhere, e.g. /data.' },
      {
        field: 'userData',
        message: 'cloud-init ignores user data that does not start with #cloud-config, #! (a script), #include, #cloud-boothook or another cloud-init header; this starts with "echo hi".',
      },
    ]);
  });

  describe('name and count', () => {
    it('checks the longest of several names', () => {
      const caps = richCaps();
      caps.launch.nameRules = { ...caps.launch.nameRules, maxLength: 8 };
      expect(messageAt(goodSpec({ name: 'web-prod', count: 2 }), 'name', caps)).toEqual([
        'With 2 servers the last is named "web-prod-2", which is refused: A name can have at most 8 characters (it has 10).',
      ]);
    });
    it('takes 1..maxCount whole servers', () => {
      expect(messageAt(goodSpec({ count: 21 }), 'count')).toEqual(['The number of servers must be a whole number from 1 to 20; the form has 21.']);
      expect(fields(goodSpec({ count: 1.5 }))).toEqual(['count']);
      expect(fields(goodSpec({ count: 20 }))).toEqual([]);
    });
  });

  describe('requirements', () => {
    it('says a field the provider cannot honour is a problem', () => {
      const caps = richCaps();
      Object.assign(caps.launch, { product: 'none', firewall: 'none', keypair: 'none', group: 'none', billingCode: 'none', volumes: 'none', userData: 'none' });
      const spec = goodSpec({ userData: '#!/bin/sh\n', newFirewall: { name: 'new', rules: [] } });
      expect(problems(spec, caps)).toEqual([
        { field: 'productId', message: 'This provider cannot take a size at launch; clear it.' },
        { field: 'firewallIds', message: 'This provider cannot take firewalls at launch; clear it.' },
        { field: 'newFirewall', message: 'This provider cannot take firewalls at launch; clear it.' },
        { field: 'keypairName', message: 'This provider cannot take a keypair at launch; clear it.' },
        { field: 'group', message: 'This provider cannot take a group at launch; clear it.' },
        { field: 'billingCode', message: 'This provider cannot take a billing code at launch; clear it.' },
        { field: 'volumes', message: 'This provider cannot take volumes at launch; clear it.' },
        { field: 'userData', message: 'This provider cannot take user data at launch; clear it.' },
      ]);
    });
    it('says a required field is missing', () => {
      const caps = richCaps();
      Object.assign(caps.launch, { firewall: 'required', keypair: 'required', group: 'required', billingCode: 'required', volumes: 'required', userData: 'required' });
      const spec = goodSpec({ productId: '', firewallIds: [], keypairName: '', group: '', billingCode: undefined, volumes: undefined, userData: undefined });
      expect(problems(spec, caps)).toEqual([
        { field: 'productId', message: 'This provider needs a size for the server; choose one.' },
        { field: 'firewallIds', message: 'This provider needs at least one firewall for a server; choose one or create one.' },
        { field: 'keypairName', message: 'This provider needs a keypair for a server; choose one or create one.' },
        { field: 'group', message: 'This provider needs a group for every server.' },
        { field: 'billingCode', message: 'This provider needs a billing code for every server.' },
        { field: 'volumes', message: 'This provider needs a volume plan for every server.' },
        { field: 'userData', message: 'This provider needs user data for every server.' },
      ]);
    });
    it('counts a new firewall and a keypair to create as given', () => {
      const caps = richCaps();
      Object.assign(caps.launch, { firewall: 'required', keypair: 'required' });
      const spec = goodSpec({ firewallIds: [], newFirewall: { name: 'web-new', rules: [] }, keypairName: 'fresh' });
      expect(problems(spec, caps, { ...CONTEXT, keypairToCreate: 'fresh' })).toEqual([]);
    });
    it('cannot set up volumes where the provider takes no user data', () => {
      const caps = richCaps();
      caps.launch.userData = 'none';
      expect(messageAt(goodSpec(), 'volumes', caps)).toEqual(['This provider takes no user data, so strata cannot format, assemble or encrypt the volumes in the guest.']);
    });
  });

  describe('image and size', () => {
    it('needs an image that can be launched', () => {
      expect(messageAt(goodSpec({ imageId: '' }), 'imageId')).toEqual(['Choose an image to launch from.']);
      expect(messageAt(goodSpec(), 'imageId', undefined, { ...CONTEXT, image: { ...IMAGE, state: 'pending' } })).toEqual(['Image "img-1" is pending and cannot be launched.']);
      expect(fields(goodSpec(), undefined, { ...CONTEXT, image: { ...IMAGE, state: 'deprecated' } })).toEqual([]);
    });
    it('needs a size that exists', () => {
      expect(messageAt(goodSpec({ productId: 'sb.huge' }), 'productId')).toEqual(['Size "sb.huge" does not exist here; choose one of sb.small, sb.large, sb.a.small.']);
    });
    it('matches the size to the image architecture only when the image is known', () => {
      const { image: _image, ...withoutImage } = CONTEXT;
      expect(fields(goodSpec({ productId: 'sb.a.small' }), undefined, withoutImage)).toEqual([]);
    });
  });

  describe('firewalls', () => {
    it('refuses a firewall chosen twice', () => {
      expect(messageAt(goodSpec({ firewallIds: ['fw-web', 'fw-web'] }), 'firewallIds')).toEqual(['Firewall "fw-web" is chosen twice.']);
    });
    it('creates a firewall only where the provider can', () => {
      expect(messageAt(goodSpec({ newFirewall: { name: 'new', rules: [] } }), 'newFirewall', plainCaps())).toEqual([
        'This provider cannot create a firewall at launch; choose an existing one.',
      ]);
    });
    it('checks the new firewall\'s name and every rule with its index', () => {
      const spec = goodSpec({
        newFirewall: {
          name: 'web@edge',
          rules: [
            { protocol: 'tcp', fromPort: 443, toPort: 443, source: '0.0.0.0/0' },
            { protocol: 'icmp', fromPort: 0, toPort: 0, source: '::/0' },
            { protocol: 'udp', fromPort: 53, toPort: 53, source: '192.168.1.1' },
            { protocol: 'tcp', fromPort: 8080, toPort: 8000, source: '2001:db8::/32' },
          ],
        },
      });
      expect(problems(spec)).toEqual([
        { field: 'newFirewall.rules.1.ports', message: 'Rule 2: icmp has no ports; the rule covers every icmp type (ports -1 to -1), not 0-0.' },
        { field: 'newFirewall.rules.2.source', message: 'Rule 3: "192.168.1.1" has no prefix length; write 192.168.1.1/32 for this one address.' },
        { field: 'newFirewall.rules.3.ports', message: 'Rule 4: The port range 8080-8000 runs backwards; write 8000-8080.' },
      ]);
      expect(messageAt(goodSpec({ newFirewall: { name: '', rules: [] } }), 'newFirewall.name')).toEqual(['The firewall name is refused: A name cannot be empty.']);
    });
  });

  describe('keypairs', () => {
    it('creates a keypair only where the provider can create or import one', () => {
      const caps = plainCaps();
      caps.launch.importKeypair = false;
      expect(messageAt(goodSpec({ keypairName: 'fresh' }), 'keypairName', caps, { ...CONTEXT, keypairToCreate: 'fresh' })).toEqual([
        'This provider can neither create nor import a keypair; choose an existing one.',
      ]);
      expect(fields(goodSpec({ keypairName: 'fresh', volumes: undefined }), plainCaps(), { ...CONTEXT, keypairToCreate: 'fresh' })).toEqual([]);
    });
    it('checks the new keypair\'s name and that it is new', () => {
      expect(messageAt(goodSpec({ keypairName: 'ops' }), 'keypairName', undefined, { ...CONTEXT, keypairToCreate: 'ops' })).toEqual([
        'A keypair named "ops" exists already; choose it, or give the new one another name.',
      ]);
      expect(messageAt(goodSpec({ keypairName: 'a b' }), 'keypairName', undefined, { ...CONTEXT, keypairToCreate: 'a b' })[0]).toMatch(/The keypair name is refused: A space is not allowed/);
      expect(messageAt(goodSpec({ keypairName: 'ops' }), 'keypairName', undefined, { ...CONTEXT, keypairToCreate: 'fresh' })).toEqual([
        'The form chooses keypair "ops" but creates "fresh"; a server takes one keypair.',
      ]);
    });
    it('says when no keypair can be created', () => {
      const caps = plainCaps();
      Object.assign(caps.launch, { importKeypair: false });
      expect(messageAt(goodSpec({ keypairName: 'nobody', volumes: undefined }), 'keypairName', caps)).toEqual(['Keypair "nobody" does not exist here; choose another.']);
    });
  });

  describe('group and billing code', () => {
    it('take 1..64 letters, digits, dot, underscore and hyphen', () => {
      for (const good of ['a', 'payments', 'CC-1042', 'team_a.prod', 'x'.repeat(64)]) {
        expect(fields(goodSpec({ group: good, billingCode: good }))).toEqual([]);
      }
      expect(messageAt(goodSpec({ billingCode: 'cc/1' }), 'billingCode')).toEqual(['"/" cannot be in the billing code; use letters, digits, dot, underscore and hyphen (1 to 64).']);
      expect(messageAt(goodSpec({ group: 'a\u001b[2J' }), 'group')).toEqual(['U+001B cannot be in the group; use letters, digits, dot, underscore and hyphen (1 to 64).']);
      expect(messageAt(goodSpec({ group: 'grüppe' }), 'group')).toEqual(['"ü" cannot be in the group; use letters, digits, dot, underscore and hyphen (1 to 64).']);
    });
    it('count an empty field as not given', () => expect(fields(goodSpec({ group: '', billingCode: '' }))).toEqual([]));
  });

  describe('volumes', () => {
    const raid = (overrides: Parameters<typeof plan>[0]) => messageAt(goodSpec({ volumes: plan(overrides) }), 'volumes.raid');
    it('says what each RAID level needs, with the count the form has', () => {
      expect(raid({ raid: '0', count: 1 })).toEqual(['RAID 0 needs at least 2 volumes; the form has 1.']);
      expect(raid({ raid: '1', count: 1 })).toEqual(['RAID 1 needs at least 2 volumes; the form has 1.']);
      expect(raid({ raid: '5', count: 2 })).toEqual(['RAID 5 needs at least 3 volumes; the form has 2.']);
      expect(raid({ raid: '10', count: 6 })).toEqual([]);
      expect(raid({ raid: '10', count: 3 })).toEqual(['RAID 10 needs an even number of volumes, at least 4; the form has 3.']);
      expect(raid({ raid: '10', count: 5 })).toEqual(['RAID 10 needs an even number of volumes, at least 4; the form has 5.']);
      expect(raid({ raid: 'none', count: 2 })).toEqual([]);
    });
    it('checks count, size, RAID, filesystem and encryption against the provider', () => {
      const spec = goodSpec({ volumes: plan({ count: 3, sizeGiB: 4096, raid: '5', filesystem: 'xfs', encrypt: true }) });
      expect(problems(spec, plainCaps())).toEqual([
        { field: 'volumes.count', message: 'This provider attaches at most 2 volumes to a server; the form has 3.' },
        { field: 'volumes.sizeGiB', message: 'Each volume must be 10 to 2048 GiB here; the form has 4096.' },
        { field: 'volumes.raid', message: 'This provider cannot assemble RAID; choose none (each volume is mounted on its own).' },
        { field: 'volumes.filesystem', message: 'xfs is not offered here; choose ext4.' },
        { field: 'volumes.encrypt', message: 'This provider cannot encrypt volumes; turn encryption off.' },
      ]);
    });
  });

  describe('user data', () => {
    it('accepts the user\'s own text, and the document strata built from it', () => {
      const userData = '#!/bin/sh\necho hello\n';
      expect(fields(goodSpec({ userData }))).toEqual([]);
      const ours = buildCloudConfig({ volumes: { plan: plan({ encrypt: true }), devices: DEVICES }, passphrase: 'correct horse battery staple' });
      expect(fields(goodSpec({ volumes: plan({ encrypt: true }), userData: buildUserData({ cloudConfig: ours, userData }) }))).toEqual([]);
      expect(fields(goodSpec({ volumes: plan({ encrypt: true }), userData: ours }))).toEqual([]);
    });
    it('checks the user\'s part inside a document strata built', () => {
      const ours = buildCloudConfig({ volumes: { plan: plan(), devices: DEVICES } });
      const built = buildUserData({ cloudConfig: ours, userData: 'echo no header\n' });
      expect(messageAt(goodSpec({ userData: built }), 'userData')[0]).toMatch(/^cloud-init ignores user data/);
    });
    it('counts strata\'s volume setup against the 16 KiB the providers take', () => {
      const userData = '#!/bin/sh\n' + '# padding\n'.repeat(1400); // 14 KiB: fits alone, not with the volume script
      expect(fields(goodSpec({ userData, volumes: undefined }))).toEqual([]);
      const [message] = messageAt(goodSpec({ userData, volumes: plan({ encrypt: true }) }), 'userData');
      expect(message).toMatch(/^With strata's volume setup \(\d+\.\d KiB\) the user data comes to \d+\.\d KiB; providers take at most 16 KiB, so shorten yours by \d+ KiB\.$/);
    });
  });

  it('re-exports the RAID helpers', () => {
    expect(raidUsableGiB({ raid: '5', count: 3, sizeGiB: 100 })).toBe(200);
    expect(describeRaid('1')).toMatch(/mirroring/);
  });
});
