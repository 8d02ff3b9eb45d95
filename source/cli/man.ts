// The man page, strata(1), made from the command table: `npm run man` writes docs/strata.1, and a test
// checks that the file in the repository is the one the table makes.
import { EXIT_STATUS_TEXT } from './help.js';
import { COMMANDS, COMMON_OPTIONS, synopsis, TUI_OPTIONS, type OptionSpec } from './table.js';

/** Text for roff: backslashes, hyphens of options, and a leading dot or quote made harmless. */
function roff(text: string): string {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .replace(/…/g, '...')
    .replace(/[‘’]/g, "'")
    .replace(/[“”]/g, '"')
    .replace(/—/g, '\\(em')
    .replace(/[^\x00-\x7f]/g, (c) => `\\[u${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}]`)
    .split('\n')
    .map((line) => (/^[.']/.test(line) ? `\\&${line}` : line))
    .join('\n');
}

function option(o: OptionSpec): string {
  const names = `${o.short ? `\\fB\\-${o.short}\\fR, ` : ''}\\fB\\-\\-${roff(o.name)}\\fR`;
  const value = o.type === 'string' ? ` \\fI${roff(o.value ?? 'VALUE')}\\fR` : '';
  const choices = o.choices ? ` One of: ${o.choices.join(', ')}.` : '';
  return `.TP\n${names}${value}\n${roff(o.help)}.${roff(choices)}`;
}

export function manPage(version: string): string {
  const out: string[] = [];
  out.push(`.TH STRATA 1 "" "strata ${roff(version)}" "User Commands"`);
  out.push('.SH NAME', 'strata \\- a console for machine images and the servers launched from them, and its command\\-line twin');
  out.push('.SH SYNOPSIS', '.B strata', '[\\fIoptions\\fR]', '.br', '.B strata', '\\fICOMMAND\\fR [\\fIARGS\\fR] [\\fIoptions\\fR]');
  out.push(
    '.SH DESCRIPTION',
    roff(
      'Without a command, strata opens a keyboard-driven full-screen console (press ? inside it for every key). ' +
        'With a command it runs the same services without the full screen, prints and exits: the same launcher, journal and client token, the same typed confirmations, the same audit log.',
    ),
  );
  out.push('.SH OPTIONS', roff('These are the options of the full-screen console; every command takes them too, but --scope and --version.'));
  for (const o of TUI_OPTIONS) out.push(option(o));
  out.push('.SH COMMANDS');
  for (const c of COMMANDS.filter((x) => !x.hidden)) {
    out.push(`.SS "${roff(synopsis(c))}"`);
    out.push(`${roff(c.summary.charAt(0).toUpperCase() + c.summary.slice(1))}.${c.description ? ` ${roff(c.description)}` : ''}`);
    for (const a of c.args) out.push(`.TP\n\\fI${roff(a.name)}\\fR${a.optional ? ' (optional)' : ''}\n${roff(a.help)}.`);
    for (const o of c.options.filter((x) => !x.hidden)) out.push(option(o));
    if (c.examples?.length) {
      out.push('.PP', 'Example:', '.RS', '.nf', ...c.examples.map(roff), '.fi', '.RE');
    }
  }
  out.push('.SS "Common options of the commands"');
  for (const o of COMMON_OPTIONS.filter((x) => !TUI_OPTIONS.some((t) => t.name === x.name))) out.push(option(o));
  out.push(
    '.SH OUTPUT',
    roff(
      'A command prints an aligned table on a terminal (colours only there; NO_COLOR turns them off). ' +
        'With --json it prints one JSON document; with --ndjson, one JSON document a line: the events as they happen (waits, follows, launches), then the result. ' +
        'Every document has a schemaVersion and a kind; strata schema NAME prints the JSON Schema of each (and of config.yaml and recipes). ' +
        'Every string that came from a provider is sanitised in both. Progress of long waits is one line on stderr, only where stderr is a terminal, never in the JSON. ' +
        'A command that changes something at the provider and cannot be undone asks for --confirm with the word the console makes you type; without a terminal there is no prompt.',
    ),
  );
  out.push('.SH "EXIT STATUS"', roff(EXIT_STATUS_TEXT.replace(/^Exit status: /, '')));
  out.push(
    '.SH ENVIRONMENT',
    '.TP\n.B STRATA_HOME\n' + roff('where strata keeps its data and configuration (default: $XDG_DATA_HOME/strata and $XDG_CONFIG_HOME/strata).'),
    '.TP\n.B STRATA_PROVIDER\n' + roff('the provider when --provider is not given.'),
    '.TP\n.B NO_COLOR\n' + roff('draw and print without colour.'),
  );
  out.push(
    '.SH FILES',
    '.TP\n.I $XDG_CONFIG_HOME/strata/config.yaml\n' + roff('billing codes and quotas, groups, the key directory, trusted vendors, libvirt settings (strata schema config).'),
    '.TP\n.I $XDG_CONFIG_HOME/strata/recipes/\n' + roff('launch recipes saved from the launch form (strata schema recipe).'),
    '.TP\n.I $XDG_DATA_HOME/strata/strata.db\n' + roff('the local store: names and labels, the launch journal, jobs, the audit log.'),
  );
  out.push('.SH "SEE ALSO"', roff('strata completion bash|zsh|fish; strata help COMMAND.'));
  return `${out.join('\n')}\n`;
}
