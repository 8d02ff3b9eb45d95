// Which account a source's records are kept under (sources.ts accountOf), and the options its sessions open
// with: two own pools of one libvirt host are two accounts, as two AWS profiles or two sandbox homes are.
import { describe, expect, it } from 'vitest';
import { storeIdOf } from '../../source/services/session.js';
import { accountOf, sourceSessionOptions, type SourceConfig } from '../../source/services/sources.js';

describe('sources: accounts', () => {
  it('keeps a libvirt source with its own URI or own pool apart; one on the defaults shares strata\'s records', () => {
    const lab: SourceConfig = { name: 'lab', provider: 'libvirt' };
    expect(accountOf(lab)).toBeUndefined();
    expect(accountOf({ ...lab, uri: 'qemu:///system' })).toBe('uri=qemu:///system');
    expect(accountOf({ ...lab, uri: 'qemu:///system', libvirt: { pool: 'strata-b' } })).toBe('uri=qemu:///system,pool=strata-b');
    expect(accountOf({ ...lab, libvirt: { pool: 'strata-b' } })).toBe('pool=strata-b');
    // Settings that do not change which images are its own keep the account.
    expect(accountOf({ ...lab, uri: 'qemu:///system', libvirt: { network: 'none' } })).toBe('uri=qemu:///system');
  });

  it('opens a libvirt source\'s sessions with its own settings, over config.yaml\'s libvirt section', () => {
    const options = sourceSessionOptions({ name: 'lab-b', provider: 'libvirt', uri: 'qemu:///system', libvirt: { pool: 'strata-b' } }, undefined, { home: '/h' });
    expect(options).toMatchObject({ providerId: 'libvirt', libvirtUri: 'qemu:///system', libvirt: { pool: 'strata-b' }, source: 'lab-b' });
    expect(storeIdOf(options)).toBe('libvirt@uri=qemu:///system,pool=strata-b');
  });
});
