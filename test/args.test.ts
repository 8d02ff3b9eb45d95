import { describe, expect, it } from 'vitest';
import { parseCli, parseCommand, route, USAGE } from '../source/args.js';

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
    expect(() => parseCli(['imagez'], {})).toThrow('strata has no command "imagez". See strata --help.');
    // A command's word is not the TUI's: route() sends it to the command-line twin first.
    expect(() => parseCli(['images'], {})).toThrow(/"images" is a command, which runs without the TUI/);
  });
});

describe('subcommands, from the same table', () => {
  it('route() finds the command after the TUI options, and the TUI where there is none', () => {
    expect(route([])).toEqual({ kind: 'tui' });
    expect(route(['--scope', 'public', '--read-only'])).toEqual({ kind: 'tui' });
    expect(route(['images'])).toMatchObject({ kind: 'command', command: { path: ['images'] }, at: 0 });
    expect(route(['--region', 'ap-south', 'image', 'show', 'img-1'])).toMatchObject({ kind: 'command', command: { path: ['image', 'show'] }, at: 2 });
    expect(route(['--provider=aws', 'jobs', 'cancel', 'job-1'])).toMatchObject({ command: { path: ['jobs', 'cancel'] }, at: 1 });
    expect(route(['jobs', 'job-1'])).toMatchObject({ command: { path: ['jobs'] } });
    expect(route(['image'])).toEqual({ kind: 'group', word: 'image', at: 0 });
    expect(route(['image', 'frob'])).toEqual({ kind: 'group', word: 'image', at: 0, next: 'frob' });
    expect(route(['frob'])).toEqual({ kind: 'unknown', word: 'frob' });
  });

  it('parseCommand(): the TUI options (every one), the command\'s own, checked and converted, the arguments by name', () => {
    const p = parseCommand(['--provider', 'sandbox', 'wait', 'srv-1', 'srv-2', '--for', 'terminated', '--timeout', '15m', '--region', 'eu-west', '--sandbox-speed', '60', '--json'], {});
    expect(p.command.path).toEqual(['wait']);
    expect(p.args).toEqual({ SERVER: ['srv-1', 'srv-2'] });
    expect(p.values).toMatchObject({ for: 'terminated', timeout: 900_000 });
    expect(p.session).toMatchObject({ provider: 'sandbox', providerGiven: true, region: 'eu-west', sandboxSpeed: 60, readOnly: false });
    expect(p.output).toBe('json');
    const launch = parseCommand(['launch', '--recipe', 'web', '--set', 'name=a', '--set', 'count=2', '--dry-run', '--read-only'], { STRATA_PROVIDER: 'aws' });
    expect(launch.values).toMatchObject({ recipe: 'web', set: ['name=a', 'count=2'], 'dry-run': true });
    expect(launch.session).toMatchObject({ provider: 'aws', readOnly: true });
    expect(launch.command.changes?.unless?.(launch.values)).toBe(true);
    expect(parseCommand(['images', '--help'], {}).help).toBe(true);
    expect(parseCommand(['audit', '--since', '2026-12-01'], {}).values.since).toEqual(new Date('2026-12-01'));
  });

  it('refuses bad input with a sentence that says where, naming the command\'s help', () => {
    expect(() => parseCommand(['images', '--scope', 'mine'], {})).toThrow('--scope must be one of own, vendor, public; got "mine".');
    expect(() => parseCommand(['images', 'extra'], {})).toThrow('strata images takes no arguments; got "extra" too. See strata images --help.');
    expect(() => parseCommand(['image', 'label', 'img-1', 'mauve'], {})).toThrow(/^COLOUR must be one of red, orange, .*, none; got "mauve"\.$/);
    expect(() => parseCommand(['wait'], {})).toThrow('strata wait needs SERVER (at least one). See strata wait --help.');
    expect(() => parseCommand(['console', 'srv-1', '--interval', '0s'], {})).toThrow(/--interval must be a duration/);
    expect(() => parseCommand(['images', '--endpoint', 'ec2.example'], {})).toThrow('--endpoint must be an http:// or https:// URL; got "ec2.example".');
    expect(() => parseCommand(['images', '--scope', 'own'], { STRATA_LIBVIRT_URI: 'system' })).toThrow(/^STRATA_LIBVIRT_URI must be a libvirt connection URI/);
    expect(() => parseCommand(['image', 'frob'], {})).toThrow('strata image has no command "frob"; it has show, rename, label, delete, deprecate, import. See strata image --help.');
  });
});
