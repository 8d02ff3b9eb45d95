import { describe, expect, it } from 'vitest';
import { parseCli, USAGE } from '../source/args.js';

describe('command line', () => {
  it('defaults to the sandbox, own images, read-write', () => {
    expect(parseCli([], {})).toMatchObject({ provider: 'sandbox', scope: 'own', readOnly: false });
    expect(parseCli([], { STRATA_PROVIDER: 'aws' }).provider).toBe('aws');
  });
  it('takes the options', () => {
    expect(parseCli(['--provider', 'sandbox', '--region', 'ap-south', '--scope', 'public', '--read-only', '--sandbox-speed', '60', '--sandbox-faults', 'throttle=0.2,fail=1'], {})).toMatchObject({
      region: 'ap-south', scope: 'public', readOnly: true, sandboxSpeed: 60, sandboxFaults: 'throttle=0.2,fail=1',
    });
  });
  it('takes the aws options', () => {
    expect(parseCli(['--provider', 'aws', '--profile', 'prod', '--region', 'eu-west-1', '--endpoint', 'http://127.0.0.1:5000'], {})).toMatchObject({
      provider: 'aws', profile: 'prod', region: 'eu-west-1', endpoint: 'http://127.0.0.1:5000',
    });
    expect(() => parseCli(['--endpoint', 'ec2.example'], {})).toThrow('--endpoint must be an http:// or https:// URL; got "ec2.example".');
  });

  it('takes the libvirt connection URI from --libvirt-uri, else STRATA_LIBVIRT_URI', () => {
    expect(parseCli(['--provider', 'libvirt', '--libvirt-uri', 'qemu:///system'], {})).toMatchObject({ provider: 'libvirt', libvirtUri: 'qemu:///system' });
    expect(parseCli(['--libvirt-uri', 'qemu+ssh://ops@kvm-1.example.org/system?keyfile=/k'], {}).libvirtUri).toBe('qemu+ssh://ops@kvm-1.example.org/system?keyfile=/k');
    expect(parseCli(['--libvirt-uri', 'test:///default'], {}).libvirtUri).toBe('test:///default');
    expect(parseCli([], { STRATA_LIBVIRT_URI: 'qemu:///session' }).libvirtUri).toBe('qemu:///session');
    expect(parseCli(['--libvirt-uri', 'qemu:///system'], { STRATA_LIBVIRT_URI: 'qemu:///session' }).libvirtUri).toBe('qemu:///system');
    // Unset (or empty): the provider's own default applies (LIBVIRT_DEFAULT_URI, else qemu:///system).
    expect(parseCli([], {}).libvirtUri).toBeUndefined();
    expect(parseCli([], { STRATA_LIBVIRT_URI: '' }).libvirtUri).toBeUndefined();
  });

  it('refuses a libvirt URI that is not one, saying where it came from', () => {
    expect(() => parseCli(['--libvirt-uri', 'kvm-1.example.org'], {})).toThrow(
      '--libvirt-uri must be a libvirt connection URI such as qemu:///system or qemu+ssh://user@host/system; got "kvm-1.example.org".',
    );
    expect(() => parseCli(['--libvirt-uri', 'qemu:/system'], {})).toThrow(/--libvirt-uri must be a libvirt connection URI/);
    expect(() => parseCli(['--libvirt-uri', 'qemu:///sys tem'], {})).toThrow(/--libvirt-uri must be a libvirt connection URI/);
    expect(() => parseCli(['--libvirt-uri', 'qemu+:///system'], {})).toThrow(/--libvirt-uri must be a libvirt connection URI/);
    expect(() => parseCli([], { STRATA_LIBVIRT_URI: 'system' })).toThrow(
      'STRATA_LIBVIRT_URI must be a libvirt connection URI such as qemu:///system or qemu+ssh://user@host/system; got "system".',
    );
  });

  it('lists --libvirt-uri in the help', () => {
    expect(USAGE).toContain(
      '--libvirt-uri URI      libvirt: the connection URI (default: LIBVIRT_DEFAULT_URI, else qemu:///system; env STRATA_LIBVIRT_URI)',
    );
  });

  it('refuses bad input with a sentence that says where', () => {
    expect(() => parseCli(['--scope', 'mine'], {})).toThrow('--scope must be one of own, vendor, public; got "mine".');
    expect(() => parseCli(['--sandbox-speed', '0'], {})).toThrow(/--sandbox-speed must be a number above 0/);
    expect(() => parseCli(['--sandbox-faults', 'fail=2'], {})).toThrow(/--sandbox-faults must look like/);
    expect(() => parseCli(['--bogus'], {})).toThrow(/Unknown option '--bogus'. See strata --help./);
    expect(() => parseCli(['images'], {})).toThrow(/takes no arguments besides options; got "images"/);
  });
});
