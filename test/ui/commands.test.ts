import { describe, expect, it } from 'vitest';
import { commandOf, complete, parseCommand } from '../../source/ui/commands.js';

const ctx = { regions: ['eu-west', 'us-east', 'ap-south'], providers: ['sandbox'], panes: ['images'] };

describe(': commands', () => {
  it('parses commands and aliases', () => {
    expect(parseCommand('images', ctx)).toEqual({ kind: 'pane', pane: 'images' });
    expect(parseCommand(':img', ctx)).toEqual({ kind: 'pane', pane: 'images' });
    expect(parseCommand('region eu-west', ctx)).toEqual({ kind: 'region', region: 'eu-west' });
    expect(parseCommand('public', ctx)).toEqual({ kind: 'scope', scope: 'public' });
    expect(parseCommand('scope vendor', ctx)).toEqual({ kind: 'scope', scope: 'vendor' });
    expect(parseCommand('q', ctx)).toEqual({ kind: 'quit' });
  });
  it('says what is wrong in a sentence', () => {
    expect(parseCommand('region mars', ctx)).toEqual({ kind: 'error', message: '"mars" is not a region of this provider: eu-west, us-east, ap-south.' });
    expect(parseCommand('region', ctx)).toMatchObject({ kind: 'error', message: expect.stringMatching(/needs a region: eu-west/) });
    expect(parseCommand('frobnicate', ctx)).toMatchObject({ kind: 'error', message: 'Unknown command ":frobnicate". Try :help.' });
    expect(parseCommand('re', ctx)).toMatchObject({ kind: 'error', message: expect.stringMatching(/Did you mean :region, :refresh\?/) });
    expect(parseCommand('provider aws', ctx)).toMatchObject({ kind: 'error', message: expect.stringMatching(/not a provider strata knows: sandbox/) });
  });
  it('completes command names and arguments', () => {
    expect(complete('reg', ctx).line).toBe('region ');
    expect(complete('region ', ctx).candidates).toEqual(['eu-west', 'us-east', 'ap-south']);
    expect(complete('region e', ctx).line).toBe('region eu-west');
    expect(complete('re', ctx)).toEqual({ line: 're', candidates: ['region', 'refresh'] });
    expect(complete('pub', ctx).line).toBe('public');
  });
});

describe(':import', () => {
  it('takes a path and an optional name (the rest of the line); quotes hold spaces', () => {
    expect(parseCommand('import /var/tmp/disk.qcow2', ctx)).toEqual({ kind: 'import', path: '/var/tmp/disk.qcow2' });
    expect(parseCommand(':import ~/disk.img web base 2025', ctx)).toEqual({ kind: 'import', path: '~/disk.img', name: 'web base 2025' });
    expect(parseCommand(`import "/mnt/my disks/a.img" 'golden (v2)'`, ctx)).toEqual({ kind: 'import', path: '/mnt/my disks/a.img', name: 'golden (v2)' });
  });
  it('says what is missing or wrong', () => {
    expect(parseCommand('import', ctx)).toEqual({ kind: 'error', message: ':import needs the path of an image file (qcow2 or raw): :import PATH [NAME].' });
    expect(parseCommand('import "/mnt/a b.img', ctx)).toEqual({ kind: 'error', message: 'The quote before /mnt/a b.img is not closed.' });
    expect(parseCommand('import "" name', ctx)).toMatchObject({ kind: 'error', message: expect.stringContaining('the quotes hold nothing') });
    expect(parseCommand(`import a.img "name" extra`, ctx)).toMatchObject({ kind: 'error', message: expect.stringContaining('got "extra"') });
  });
  it('is a changing command (read-only refuses it) and completes its name', () => {
    expect(commandOf('import /x.img')).toMatchObject({ name: 'import', mutating: true, doing: 'importing images' });
    expect(commandOf('region eu-west')?.mutating).toBeFalsy();
    expect(complete('imp', ctx).line).toBe('import ');
  });
});
