// Help texts, made from the command table (table.ts): `strata --help`, `strata COMMAND --help`.
import {
  COMMANDS,
  commandName,
  optionsOf,
  synopsis,
  TUI_OPTIONS,
  type CommandSpec,
  type OptionSpec,
} from './table.js';

/** The documented exit statuses of the subcommands. */
export const EXIT_STATUS_TEXT =
  'Exit status: 0 done, 1 failed, 2 usage, 3 not found, 4 refused (read-only, quota, confirmation), 5 timed out waiting, 6 risk found.';

const COLUMN = 23;

/** "--provider NAME", "-h, --help". */
export function optionWords(o: OptionSpec): string {
  const value = o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : '';
  return `${o.short ? `-${o.short}, ` : ''}--${o.name}${value}`;
}

function rows(entries: [string, string][], column = COLUMN): string {
  const width = Math.max(column, ...entries.map(([left]) => left.length + 2));
  return entries.map(([left, right]) => `  ${left.padEnd(width)}${right}`.trimEnd()).join('\n');
}

export function optionRows(options: readonly OptionSpec[]): string {
  return rows(options.filter((o) => !o.hidden).map((o) => [optionWords(o), o.help]));
}

function commandWords(c: CommandSpec): string {
  return [...c.path, ...c.args.map((a) => (a.optional ? `[${a.name}${a.variadic ? '…' : ''}]` : `${a.name}${a.variadic ? '…' : ''}`))].join(' ');
}

export function commandRows(): string {
  return rows(COMMANDS.filter((c) => !c.hidden).map((c) => [commandWords(c), c.summary]));
}

/** `strata --help`. */
export function tuiUsage(): string {
  return `Usage: strata [options]
       strata COMMAND [ARGS] [options]

A keyboard-driven console for machine images and the servers launched from them.
Without a command strata opens full screen; with one it prints and exits, without the TUI.

Options:
${optionRows(TUI_OPTIONS)}

Commands (each takes the options above but --scope and --version; strata help COMMAND for its own):
${commandRows()}

Commands print an aligned table on a terminal, --json one JSON document, --ndjson a document a line.
${EXIT_STATUS_TEXT}

Environment:
  STRATA_HOME            where strata keeps its data (default: $XDG_DATA_HOME/strata and $XDG_CONFIG_HOME/strata)
  NO_COLOR               draw without colour

Inside strata, press ? for every key binding.
`;
}

/** `strata COMMAND --help`. */
export function commandUsage(command: CommandSpec): string {
  const own = command.options.filter((o) => !o.hidden);
  const args = command.args.length ? `\nArguments:\n${rows(command.args.map((a) => [a.name, a.help]))}\n` : '';
  const common = optionsOf(command).filter((o) => !own.includes(o));
  const examples = command.examples?.length ? `\nExamples:\n${command.examples.map((e) => `  ${e}`).join('\n')}\n` : '';
  // `strata jobs` is a command and the first word of others: they are named too.
  const under = command.path.length === 1 ? COMMANDS.filter((c) => c.path.length === 2 && c.path[0] === command.path[0] && !c.hidden) : [];
  const also = under.length ? `\nAlso:\n${rows(under.map((c) => [commandWords(c), c.summary]))}\n` : '';
  return `Usage: ${synopsis(command)}

${capital(command.summary)}.${command.description ? `\n${command.description}` : ''}
${args}${own.length ? `\nOptions:\n${optionRows(own)}\n` : ''}
Common options:
${optionRows(common)}
${examples}${also}
${EXIT_STATUS_TEXT}
`;
}

/** `strata image --help`: the commands under a word that is not a command of its own. */
export function groupUsage(word: string): string {
  const under = COMMANDS.filter((c) => c.path[0] === word && !c.hidden);
  return `Usage: strata ${word} COMMAND [ARGS] [options]

${rows(under.map((c) => [commandWords(c), c.summary]))}

strata help ${word} COMMAND for its options.
`;
}

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export { commandName };
