// Shell completion scripts, made from the command table: bash (and zsh through bashcompinit, which runs
// the same function) and fish. Ids (images, servers, jobs) come from `strata __complete KIND`, which
// answers from the last listing kept in strata's data directory and lists only when there is none: a Tab
// does not wait on a cloud.
import {
  COMMANDS,
  SESSION_OPTIONS,
  TUI_OPTIONS,
  optionsOf,
  topWords,
  type ArgSpec,
  type CommandSpec,
  type Completion,
  type OptionSpec,
} from './table.js';

/** A word safe inside single quotes in sh. */
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function optionNames(options: readonly OptionSpec[]): string {
  return options
    .filter((o) => !o.hidden)
    .flatMap((o) => [`--${o.name}`, ...(o.short ? [`-${o.short}`] : [])])
    .join(' ');
}

/** The bash lines that complete a value of this kind into COMPREPLY. */
function bashValue(kind: Completion | undefined, choices: readonly string[] | undefined, indent: string): string {
  if (choices) return `${indent}COMPREPLY=($(compgen -W ${q(choices.join(' '))} -- "$cur"))`;
  switch (kind) {
    case 'image-id':
    case 'server-id':
    case 'job-id':
      return `${indent}COMPREPLY=($(compgen -W "$(_strata_ids ${kind})" -- "$cur"))`;
    case 'file':
      return `${indent}compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur"))`;
    case 'provider':
      return `${indent}COMPREPLY=($(compgen -W 'sandbox aws libvirt' -- "$cur"))`;
    case 'source':
      return `${indent}COMPREPLY=($(compgen -W "$(_strata_ids source)" -- "$cur"))`;
    case 'command':
      return `${indent}COMPREPLY=($(compgen -W ${q(topWords().join(' '))} -- "$cur"))`;
    default:
      return `${indent}COMPREPLY=()`;
  }
}

function bashOptionValues(options: readonly OptionSpec[], indent: string): string {
  const lines: string[] = [];
  for (const o of options.filter((x) => x.type === 'string')) {
    lines.push(`${indent}  --${o.name})`, `${bashValue(o.complete, o.choices, `${indent}    `)}`, `${indent}    return;;`);
  }
  return lines.length ? `${indent}case "$prev" in\n${lines.join('\n')}\n${indent}esac` : '';
}

function bashArgs(args: readonly ArgSpec[], indent: string): string {
  if (args.length === 0) return `${indent}COMPREPLY=()`;
  const lines = [`${indent}case "$argi" in`];
  args.forEach((a, i) => {
    lines.push(`${indent}  ${a.variadic ? '*' : i})`, bashValue(a.complete, a.choices, `${indent}    `), `${indent}    ;;`);
  });
  if (!args.some((a) => a.variadic)) lines.push(`${indent}  *) COMPREPLY=();;`);
  lines.push(`${indent}esac`);
  return lines.join('\n');
}

export function bashScript(): string {
  const valued = [...new Set([...TUI_OPTIONS, ...COMMANDS.flatMap((c) => optionsOf(c))].filter((o) => o.type === 'string').map((o) => `--${o.name}`))];
  const firsts = topWords(true);
  // How many words name the command: image show (2), jobs (1) or jobs cancel (2).
  const resolve = firsts.map((first) => {
    const subs = COMMANDS.filter((c) => c.path[0] === first && c.path.length === 2).map((c) => c.path[1]!);
    const alone = COMMANDS.some((c) => c.path.length === 1 && c.path[0] === first);
    if (subs.length === 0) return `    ${first}) path=${q(first)}; n=1;;`;
    return [
      `    ${first})`,
      `      case "\${words[1]}" in`,
      `        ${subs.join('|')}) path=${q(first)}" \${words[1]}"; n=2;;`,
      `        *) path=${q(first)}; n=1;;`,
      '      esac;;',
    ].join('\n');
  });
  const perCommand = COMMANDS.map((c) => {
    const opts = optionsOf(c);
    return [
      `    ${q(c.path.join(' '))})`,
      bashOptionValues(opts, '      '),
      `      if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W ${q(optionNames(opts))} -- "$cur")); return; fi`,
      bashArgs(c.args, '      '),
      '      ;;',
    ]
      .filter(Boolean)
      .join('\n');
  });
  const groups = firsts
    .filter((first) => !COMMANDS.some((c) => c.path.length === 1 && c.path[0] === first))
    .map((first) => `    ${first}) COMPREPLY=($(compgen -W ${q(COMMANDS.filter((c) => c.path[0] === first && !c.hidden).map((c) => c.path[1]).join(' '))} -- "$cur"));;`);
  const jobsLike = firsts
    .filter((first) => COMMANDS.some((c) => c.path.length === 1 && c.path[0] === first) && COMMANDS.some((c) => c.path[0] === first && c.path.length === 2))
    .map((first) => ({ first, subs: COMMANDS.filter((c) => c.path[0] === first && c.path.length === 2).map((c) => c.path[1]!) }));
  return `# strata completion for bash, made from strata's command table.
#   source <(strata completion bash)      (or save it in ~/.local/share/bash-completion/completions/strata)
_strata_ids() {
  local kind=$1 i w
  local -a args=()
  for ((i = 1; i < \${#COMP_WORDS[@]}; i++)); do
    w=\${COMP_WORDS[i]}
    case "$w" in
      ${SESSION_OPTIONS.map((o) => `--${o.name}`).join('|')}|--sandbox-seed) args+=("$w" "\${COMP_WORDS[i+1]}"); ((i++));;
      ${SESSION_OPTIONS.map((o) => `--${o.name}=*`).join('|')}|--sandbox-seed=*) args+=("$w");;
    esac
  done
  "\${COMP_WORDS[0]}" __complete "$kind" "\${args[@]}" 2>/dev/null
}

_strata() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=
  ((COMP_CWORD > 0)) && prev=\${COMP_WORDS[COMP_CWORD-1]}
  local -a words=()
  local i w skip=0 path= n=0
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=\${COMP_WORDS[i]}
    if ((skip)); then skip=0; continue; fi
    case "$w" in
      ${valued.join('|')}) skip=1;;
      -*) ;;
      *) words+=("$w");;
    esac
  done
  if ((\${#words[@]} == 0)); then
${bashOptionValues(TUI_OPTIONS, '    ')}
    if [[ $cur == -* ]]; then
      COMPREPLY=($(compgen -W ${q(optionNames(TUI_OPTIONS))} -- "$cur"))
    else
      COMPREPLY=($(compgen -W ${q(topWords().join(' '))} -- "$cur"))
    fi
    return
  fi
  case "\${words[0]}" in
${resolve.join('\n')}
    *) COMPREPLY=(); return;;
  esac
  local argi=$((\${#words[@]} - n))
  case "$path" in
${groups.join('\n')}
${perCommand.join('\n')}
  esac
${jobsLike
  .map(
    ({ first, subs }) =>
      `  if [[ $path == ${q(first)} && $argi == 0 && $cur != -* ]]; then COMPREPLY+=($(compgen -W ${q(subs.join(' '))} -- "$cur")); fi`,
  )
  .join('\n')}
  return 0
}
complete -F _strata strata
`;
}

export function zshScript(): string {
  return `#compdef strata
# strata completion for zsh, made from strata's command table (the bash function, through bashcompinit).
#   source <(strata completion zsh)
autoload -U +X bashcompinit && bashcompinit
${bashScript()}`;
}

function fishCondition(c: CommandSpec): string {
  const [first, second] = c.path;
  if (second === undefined) {
    const subs = COMMANDS.filter((x) => x.path[0] === first && x.path.length === 2).map((x) => x.path[1]);
    return subs.length ? `__fish_seen_subcommand_from ${first}; and not __fish_seen_subcommand_from ${subs.join(' ')}` : `__fish_seen_subcommand_from ${first}`;
  }
  return `__fish_seen_subcommand_from ${first}; and __fish_seen_subcommand_from ${second}`;
}

function fishValue(kind: Completion | undefined, choices: readonly string[] | undefined): string {
  if (choices) return `-x -a ${q(choices.join(' '))}`;
  if (kind === 'image-id' || kind === 'server-id' || kind === 'job-id' || kind === 'source') return `-x -a '(strata __complete ${kind} 2>/dev/null)'`;
  if (kind === 'file') return '-r -F';
  if (kind === 'provider') return `-x -a 'sandbox aws libvirt'`;
  return '-x';
}

export function fishScript(): string {
  const lines = [
    "# strata completion for fish, made from strata's command table.",
    '#   strata completion fish | source     (or save it as ~/.config/fish/completions/strata.fish)',
    'complete -c strata -f',
    `complete -c strata -n __fish_use_subcommand -a ${q(topWords().join(' '))}`,
  ];
  for (const first of topWords()) {
    const summary = COMMANDS.find((c) => c.path[0] === first)?.summary ?? '';
    lines.push(`complete -c strata -n __fish_use_subcommand -a ${first} -d ${q(summary.slice(0, 60))}`);
  }
  for (const o of TUI_OPTIONS) {
    lines.push(`complete -c strata -n __fish_use_subcommand -l ${o.name}${o.short ? ` -s ${o.short}` : ''} ${o.type === 'string' ? fishValue(o.complete, o.choices) : ''} -d ${q(o.help.slice(0, 60))}`.replace(/\s+-d/, ' -d'));
  }
  for (const c of COMMANDS.filter((x) => !x.hidden)) {
    const cond = q(fishCondition(c));
    if (c.path.length === 2) lines.push(`complete -c strata -n ${q(`__fish_seen_subcommand_from ${c.path[0]}; and not __fish_seen_subcommand_from ${COMMANDS.filter((x) => x.path[0] === c.path[0] && x.path.length === 2).map((x) => x.path[1]).join(' ')}`)} -a ${c.path[1]} -d ${q(c.summary.slice(0, 60))}`);
    for (const o of optionsOf(c)) {
      lines.push(`complete -c strata -n ${cond} -l ${o.name}${o.short ? ` -s ${o.short}` : ''} ${o.type === 'string' ? fishValue(o.complete, o.choices) : ''} -d ${q(o.help.slice(0, 60))}`.replace(/\s+-d/, ' -d'));
    }
    const arg = c.args[0];
    if (arg) lines.push(`complete -c strata -n ${cond} ${fishValue(arg.complete, arg.choices)}`);
  }
  return `${lines.join('\n')}\n`;
}

export function completionScript(shell: string): string {
  if (shell === 'zsh') return zshScript();
  if (shell === 'fish') return fishScript();
  return bashScript();
}
