// Operating system commands strata sends besides its frames: OSC 52 puts text on the clipboard of the
// terminal the user sits at (so a copy works over SSH, from a jump host), OSC 8 makes text a hyperlink.
//
//   OSC 52     ESC ] 52 ; c ; BASE64 BEL
//   in tmux    the sequence as it is (tmux takes it into its paste buffer, and on to the outer terminal,
//              with `set -s set-clipboard on`), then again wrapped for passthrough to the outer terminal
//              (ESC P tmux; … ESC \, every ESC inside doubled; tmux 3.3+ passes it with allow-passthrough)
//   in screen  wrapped in DCS (ESC P … ESC \), cut in pieces: screen passes at most 768 bytes of one DCS
const ESC = '\u001b';
const BEL = '\u0007';
const ST = `${ESC}\\`;

type Env = Record<string, string | undefined>;

/** The terminal multiplexer strata runs in, as far as the environment says. */
export function multiplexer(env: Env = process.env): 'tmux' | 'screen' | undefined {
  if (env.TMUX) return 'tmux';
  if (env.STY) return 'screen';
  return undefined;
}

/** The bytes that put text on the clipboard, wrapped for the multiplexer strata runs in. */
export function osc52(text: string, env: Env = process.env): string {
  const base64 = Buffer.from(text, 'utf8').toString('base64');
  const plain = `${ESC}]52;c;${base64}${BEL}`;
  switch (multiplexer(env)) {
    case 'tmux':
      return plain + `${ESC}Ptmux;${plain.replaceAll(ESC, ESC + ESC)}${ST}`;
    case 'screen': {
      // Each piece its own DCS string: ESC P … ESC \ ESC P … ESC \.
      const pieces = base64.match(/.{1,76}/g) ?? [''];
      return `${ESC}P${ESC}]52;c;${pieces.join(`${ST}${ESC}P`)}${BEL}${ST}`;
    }
    default:
      return plain;
  }
}

/**
 * Whether the terminal shows OSC 8 hyperlinks (others may print them as junk). FORCE_HYPERLINK=1 or 0
 * decides; otherwise the terminals known to: iTerm2, WezTerm, VS Code, Ghostty, kitty, foot, Windows
 * Terminal, VTE 0.50+ (GNOME Terminal, Tilix), Konsole, DomTerm. Over ssh the variables that tell are
 * often not passed: then the link is text, which a terminal still lets you select.
 */
export function hyperlinksSupported(env: Env = process.env): boolean {
  const force = env.FORCE_HYPERLINK;
  if (force !== undefined && force !== '') return force !== '0';
  if (env.TMUX || env.STY) return false;
  const program = env.TERM_PROGRAM ?? '';
  if (['iTerm.app', 'WezTerm', 'vscode', 'ghostty'].includes(program)) return true;
  if (env.KITTY_WINDOW_ID || env.WT_SESSION || env.DOMTERM || env.KONSOLE_VERSION) return true;
  if (/^(xterm-kitty|foot|foot-extra|wezterm|xterm-ghostty)$/.test(env.TERM ?? '')) return true;
  const vte = Number(env.VTE_VERSION ?? '');
  return Number.isFinite(vte) && vte >= 5000;
}

/** Text as an OSC 8 hyperlink to a URL (the URL is checked: printable ASCII only, nothing to escape). */
export function osc8(url: string, text: string): string {
  if (!/^https?:\/\/[\x21-\x7e]+$/.test(url)) return text;
  return `${ESC}]8;;${url}${ST}${text}${ESC}]8;;${ST}`;
}
