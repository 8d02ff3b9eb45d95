import { describe, expect, it } from 'vitest';
import { parseCli } from '../source/args.js';

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

  it('refuses bad input with a sentence that says where', () => {
    expect(() => parseCli(['--scope', 'mine'], {})).toThrow('--scope must be one of own, vendor, public; got "mine".');
    expect(() => parseCli(['--sandbox-speed', '0'], {})).toThrow(/--sandbox-speed must be a number above 0/);
    expect(() => parseCli(['--sandbox-faults', 'fail=2'], {})).toThrow(/--sandbox-faults must look like/);
    expect(() => parseCli(['--bogus'], {})).toThrow(/Unknown option '--bogus'. See strata --help./);
    expect(() => parseCli(['images'], {})).toThrow(/takes no arguments besides options; got "images"/);
  });
});
