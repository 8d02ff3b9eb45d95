import { describe, expect, it } from 'vitest';
import { complete, parseCommand } from '../../source/ui/commands.js';

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
