// The clipboard (OSC 52) and hyperlink (OSC 8) sequences, wrapped for tmux and screen (ui/screen/osc.ts).
import { describe, expect, it } from 'vitest';
import { hyperlinksSupported, osc52, osc8 } from '../../source/ui/screen/osc.js';

const ESC = '\u001b';
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('OSC 52', () => {
  it('is ESC ] 52 ; c ; BASE64 BEL on a plain terminal', () => {
    expect(osc52('ami-0abc', {})).toBe(`${ESC}]52;c;${b64('ami-0abc')}\u0007`);
    expect(osc52('naïve ☃', { TERM: 'xterm-256color' })).toBe(`${ESC}]52;c;${b64('naïve ☃')}\u0007`);
  });

  it('in tmux: as it is (tmux takes it with set-clipboard on), then wrapped for passthrough with every ESC doubled', () => {
    const plain = `${ESC}]52;c;${b64('i-1')}\u0007`;
    expect(osc52('i-1', { TMUX: '/tmp/tmux-0/default,1,0' })).toBe(`${plain}${ESC}Ptmux;${ESC}${ESC}]52;c;${b64('i-1')}\u0007${ESC}\\`);
  });

  it('in screen: in DCS strings of at most 76 characters of base64 each', () => {
    const long = 'x'.repeat(200);
    const out = osc52(long, { STY: '1234.pts-0.host' });
    expect(out.startsWith(`${ESC}P${ESC}]52;c;`)).toBe(true);
    expect(out.endsWith(`\u0007${ESC}\\`)).toBe(true);
    const pieces = out.slice(`${ESC}P${ESC}]52;c;`.length, -`\u0007${ESC}\\`.length).split(`${ESC}\\${ESC}P`);
    expect(pieces.every((p) => p.length <= 76)).toBe(true);
    expect(Buffer.from(pieces.join(''), 'base64').toString()).toBe(long);
  });
});

describe('OSC 8', () => {
  it('links text to a URL, and leaves text alone for anything but a plain http(s) URL', () => {
    expect(osc8('https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1#ImageDetails:imageId=ami-1', 'x')).toBe(
      `${ESC}]8;;https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1#ImageDetails:imageId=ami-1${ESC}\\x${ESC}]8;;${ESC}\\`,
    );
    expect(osc8(`https://x/${ESC}]0;t`, 'x')).toBe('x');
    expect(osc8('javascript:alert(1)', 'x')).toBe('x');
  });

  it('is used where the terminal shows links; FORCE_HYPERLINK decides; not inside tmux or screen', () => {
    expect(hyperlinksSupported({})).toBe(false);
    expect(hyperlinksSupported({ TERM_PROGRAM: 'iTerm.app' })).toBe(true);
    expect(hyperlinksSupported({ VTE_VERSION: '7600' })).toBe(true);
    expect(hyperlinksSupported({ VTE_VERSION: '4200' })).toBe(false);
    expect(hyperlinksSupported({ TERM_PROGRAM: 'WezTerm', TMUX: '/tmp/x' })).toBe(false);
    expect(hyperlinksSupported({ FORCE_HYPERLINK: '1' })).toBe(true);
    expect(hyperlinksSupported({ FORCE_HYPERLINK: '0', TERM_PROGRAM: 'iTerm.app' })).toBe(false);
  });
});
