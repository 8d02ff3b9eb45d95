// The launch pane: the form (sections a user tabs through, every field keyboard-editable, each problem at
// its field), the pickers, the review (summary, exact request, cloud-init, CLI), and the result.
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import { sanitize } from '../../../core/sanitize.js';
import { LineEditorView } from '../../components/LineEditorView.js';
import { fit, wrap } from '../../components/text.js';
import { useAppState, useController, useTheme } from '../../state/context.js';
import type { LaunchFormState, OverlayOf } from '../../state/state.js';
import { keyName } from '../../components/Bottom.js';
import { Command } from '../../keymap.js';
import { isTextField } from '../../state/launchReducer.js';
import type { Theme } from '../../theme.js';
import { describeProduct, isBorrowed, keypairChoiceLabel, notOffered, type DraftProblem, type FieldDef, type KeypairMode } from './draft.js';

const LABEL_WIDTH = 18;

let reviewRows = 0;
/** How far the review can scroll (for the dispatcher). */
export const REVIEW_ROWS = () => reviewRows;

interface Line {
  key: string;
  node: ReactNode;
  /** The field this line belongs to (to keep the focused one in view). */
  field?: string;
}

function valueOf(field: FieldDef, form: LaunchFormState, width: number): string {
  const draft = form.draft!;
  const ctx = form.ctx!;
  switch (field.id) {
    case 'image': {
      const image = ctx.image;
      return sanitize(`${image.shownName ?? image.name}  (${image.id}, ${image.kind}, ${image.architecture})`);
    }
    case 'productId': {
      const p = ctx.products.find((x) => x.id === draft.productId);
      return p ? sanitize(describeProduct(p)) : draft.productId ? `${sanitize(draft.productId)} (unknown)` : '(none: Enter picks)';
    }
    case 'firewallIds': {
      const names = draft.firewallIds.map((id) => sanitize(ctx.firewalls.find((f) => f.id === id)?.name ?? id));
      return names.length ? names.join(', ') : '(none: Enter picks)';
    }
    case 'keypairMode':
      return (field.choices ?? []).map((c) => (c === draft.keypairMode ? `[${keypairChoiceLabel(c as KeypairMode)}]` : ` ${keypairChoiceLabel(c as KeypairMode)} `)).join(' ');
    case 'raid':
      return (field.choices ?? []).map((c) => (c === draft.raid ? `[${c}]` : ` ${c} `)).join(' ');
    case 'filesystem':
      return (field.choices ?? []).map((c) => (c === draft.filesystem ? `[${c}]` : ` ${c} `)).join(' ');
    case 'workflowLabel':
      return `${draft.workflowLabel}  (Space, ←/→ change it)`;
    case 'keypairName':
      if (draft.keypairMode === 'existing') return draft.keypairName ? sanitize(draft.keypairName) : '(none: Enter picks)';
      return draft.keypairName;
    case 'review':
      return '[ Review the launch ]';
    default: {
      const value = (draft as unknown as Record<string, unknown>)[field.id];
      if (typeof value === 'boolean') return value ? '[x]' : '[ ]';
      return fit(String(value ?? ''), width).trimEnd();
    }
  }
}

function formLines(form: LaunchFormState, fields: FieldDef[], problems: DraftProblem[], width: number, theme: Theme, warnings: DraftProblem[] = []): Line[] {
  const lines: Line[] = [];
  const ctx = form.ctx!;
  const image = ctx.image;
  lines.push({ key: 'title', node: <Text bold>{fit(`Launch from ${sanitize(image.shownName ?? image.name)}`, width).trimEnd()}</Text> });
  if (isBorrowed(image)) {
    const what = image.kind === 'vendor' ? 'a vendor template. The vendor publishes new ones and deletes the old' : `a public image, published by ${sanitize(image.owner, 60)}. Whoever published it can deprecate and delete it`;
    const advice =
      `${sanitize(image.shownName ?? image.name)} is ${what}; ` +
      'a server whose backing image is gone cannot be re-imaged. The safe way: start a server from it, ' +
      'capture your own image from it, and launch production from your image.';
    wrap(advice, width - 2).forEach((text, i) =>
      lines.push({ key: `advice-${i}`, node: <Text color={theme.warning}>{(i === 0 ? '! ' : '  ') + text}</Text> }),
    );
  }
  let section = '';
  const valueWidth = Math.max(10, width - LABEL_WIDTH - 4);
  for (const field of fields) {
    if (field.section && field.section !== section) {
      section = field.section;
      lines.push({ key: `section-${section}`, node: <Text bold color={theme.accent}>{section}</Text> });
    }
    const focused = form.focus === field.id;
    const label = fit(`${field.label}${field.required ? ' *' : ''}`, LABEL_WIDTH);
    const mine = problems.filter((p) => p.field === field.id);
    const cautions = warnings.filter((p) => p.field === field.id);
    let value: ReactNode;
    if (focused && isTextField(form, field.id)) {
      const text = (form.draft as unknown as Record<string, string>)[field.id] ?? '';
      value = <LineEditorView editor={{ text, cursor: form.cursor }} width={valueWidth} />;
    } else {
      const shown = valueOf(field, form, valueWidth);
      value = field.kind === 'button' ? <Text bold inverse={focused}>{shown}</Text> : <Text>{fit(shown, valueWidth).trimEnd()}</Text>;
    }
    lines.push({
      key: `field-${field.id}`,
      field: field.id,
      node: (
        <Text>
          <Text bold={focused}>{focused ? '> ' : '  '}</Text>
          <Text color={mine.length ? theme.danger : focused ? undefined : theme.muted} bold={focused}>
            {label}
          </Text>
          {'  '}
          {value}
        </Text>
      ),
    });
    const indent = ' '.repeat(LABEL_WIDTH + 4);
    mine.forEach((p, i) =>
      wrap(sanitize(p.message, 600), width - indent.length).forEach((part, j) =>
        lines.push({ key: `problem-${field.id}-${i}-${j}`, field: field.id, node: <Text color={theme.danger}>{indent + part}</Text> }),
      ),
    );
    cautions.forEach((p, i) =>
      wrap(`! ${sanitize(p.message, 600)}`, width - indent.length).forEach((part, j) =>
        lines.push({ key: `warning-${field.id}-${i}-${j}`, field: field.id, node: <Text color={theme.warning}>{indent + (j ? '  ' : '') + part}</Text> }),
      ),
    );
  }
  const missing = notOffered(ctx.description);
  if (missing.length) {
    lines.push({ key: 'not-offered', node: <Text bold color={theme.muted}>Not offered here</Text> });
    missing.forEach((text, i) =>
      wrap(text, width - 4).forEach((part, j) => lines.push({ key: `not-${i}-${j}`, node: <Text color={theme.muted}>{(j === 0 ? '  ' : '    ') + part}</Text> })),
    );
  }
  return lines;
}

/** The window of lines that keeps the focused field (and its problems) in view. */
function windowOf(lines: Line[], focus: string, height: number): Line[] {
  if (lines.length <= height) return lines;
  const first = lines.findIndex((l) => l.field === focus);
  let last = first;
  while (last + 1 < lines.length && lines[last + 1].field === focus) last++;
  let start = Math.max(0, Math.min(first - Math.floor(height / 3), lines.length - height));
  if (last >= start + height) start = last - height + 1;
  return lines.slice(start, start + height);
}

function Picker({ form, width, picker }: { form: LaunchFormState; width: number; picker: OverlayOf<'picker'> }) {
  const c = useController();
  const theme = useTheme();
  const entries = c.launch.visibleEntries();
  const multi = picker.field === 'firewallIds';
  const inner = Math.min(width - 4, 72);
  const rows = 10;
  const start = Math.max(0, Math.min(picker.index - Math.floor(rows / 2), entries.length - rows));
  const shown = entries.slice(start, start + rows);
  const title = picker.field === 'recipe' ? 'Open a launch recipe' : multi ? 'Firewalls (Space ticks, Enter closes)' : 'Pick one (type to filter)';
  const line = (text: string) => ` ${fit(text, inner - 2)} `;
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={theme.accent} width={inner + 2}>
      <Text bold>{line(title)}</Text>
      <Text>
        {' '}
        <LineEditorView editor={picker.filter} width={inner - 2} prefix="/" />
        {/* Paint the rest of the line: the form beneath must not show through. */}
        {' '.repeat(Math.max(0, inner - 2 - Math.min(inner - 3, [...picker.filter.text].length + 1)))}
      </Text>
      {shown.length === 0 ? <Text color={theme.muted}>{line('Nothing matches.')}</Text> : null}
      {shown.map((e, i) => {
        const at = start + i;
        const ticked = multi && form.draft!.firewallIds.includes(e.value);
        return (
          <Text key={e.value} inverse={at === picker.index}>
            {line(`${at === picker.index ? '>' : ' '} ${multi ? (ticked ? '[x] ' : '[ ] ') : ''}${e.label}`)}
          </Text>
        );
      })}
      <Text color={theme.muted}>{line(`${entries.length} entr${entries.length === 1 ? 'y' : 'ies'} · ↑/↓ move · Enter ${multi ? 'closes' : 'chooses'} · Esc closes`)}</Text>
    </Box>
  );
}

function reviewLines(form: LaunchFormState, width: number, theme: Theme): Line[] {
  const review = form.review!;
  const lines: Line[] = [];
  const add = (key: string, text: string, colour?: string, bold = false) =>
    lines.push({ key, node: <Text color={colour} bold={bold}>{fit(text, width).trimEnd() || ' '}</Text> });
  add('title', 'Review the launch', theme.accent, true);
  const para = (key: string, text: string, colour?: string) => wrap(text, width - 4).forEach((part, j) => add(`${key}-${j}`, (j === 0 ? '  ' : '    ') + part, colour));
  review.summary.forEach((s, i) => para(`sum-${i}`, s, s.startsWith('!') ? theme.warning : undefined));
  if (review.quota) para('quota', review.quota);
  para(
    'token',
    review.workflow
      ? 'The job writes its own client token for the builder before it launches: a restart cannot start a second builder.'
      : `Client token ${review.clientToken} (written to the journal before the request: a retry cannot start a second launch)`,
    theme.muted,
  );
  add('req-title', 'The request the provider will receive', theme.accent, true);
  review.request.split('\n').forEach((l, i) => add(`req-${i}`, `  ${sanitize(l, 1000)}`));
  if (review.cloudInit) {
    add('ci-title', 'User data (cloud-init), as it will be sent; the passphrase stays in the keychain', theme.accent, true);
    review.cloudInit.split('\n').forEach((l, i) => add(`ci-${i}`, `  ${sanitize(l, 1000)}`));
  }
  add('cli-title', "The provider's own CLI", theme.accent, true);
  if (review.cli) para('cli', sanitize(review.cli, 4000));
  else add('cli', '  (this provider has no CLI of its own)', theme.muted);
  return lines;
}

export function LaunchPane({ width, height }: { width: number; height: number }) {
  const form = useAppState((s) => s.launch);
  const picker = useAppState((s) => (s.overlay?.kind === 'picker' ? s.overlay : undefined));
  const c = useController();
  const theme = useTheme();
  if (!form) return null;

  if (form.stage === 'loading') return <Text color={theme.muted}>Loading sizes, firewalls and keypairs…</Text>;
  if (form.stage === 'failed') {
    return (
      <Box flexDirection="column">
        {wrap(sanitize(form.error ?? 'The launch form could not open.', 1000), width - 1).map((line, i) => (
          <Text key={i} color={theme.danger}>
            {line}
          </Text>
        ))}
        <Text color={theme.muted}>{`${keyName('launch-idle', Command.Close)} goes back to the images.`}</Text>
      </Box>
    );
  }

  if (form.stage === 'form') {
    const fields = c.launch.fields();
    const problems = c.launch.problems();
    const lines = formLines(form, fields, problems, width, theme, c.launch.warnings());
    // The focused field's help, whole (at least two lines, so the form does not jump between fields).
    const help = wrap(fields.find((f) => f.id === form.focus)?.help ?? '', width - 1).slice(0, Math.max(2, Math.floor(height / 4)));
    while (help.length < 2) help.push(' ');
    const status = form.progress ?? (problems.length ? `${problems.length} problem${problems.length === 1 ? '' : 's'} to fix before the launch` : `Ready to review (${keyName('form', Command.Review)})`);
    const statusLines = wrap(status, width - 1);
    const room = Math.max(1, height - help.length - statusLines.length);
    const body = windowOf(lines, form.focus, room);
    return (
      <Box flexDirection="column" width={width} height={height}>
        <Box flexDirection="column" height={room}>
          {body.map((l) => (
            <Box key={l.key}>{l.node}</Box>
          ))}
        </Box>
        {picker ? (
          <Box position="absolute" marginTop={2} marginLeft={Math.max(0, width - Math.min(width - 4, 72) - 2)}>
            <Picker form={form} width={width} picker={picker} />
          </Box>
        ) : null}
        {help.map((line, i) => (
          <Text key={`help-${i}`} color={theme.muted}>
            {line}
          </Text>
        ))}
        {statusLines.map((line, i) => (
          <Text key={`status-${i}`} color={problems.length ? theme.warning : theme.ok}>
            {line}
          </Text>
        ))}
      </Box>
    );
  }

  if (form.stage === 'review' || form.stage === 'launching') {
    const lines = reviewLines(form, width, theme);
    // The launch's own refusal, whole, above the foot: what to press first (it says so), then why.
    const errorLines = form.error ? wrap(sanitize(form.error, 1000), width - 1) : [];
    const footText =
      form.stage === 'launching'
        ? (form.progress ?? 'launching…')
        : `${keyName('review', Command.Launch)} ${form.review?.workflow ? 'starts the safe workflow' : 'launches'} · ${keyName('review', Command.SaveRecipe)} saves as a recipe · j/k/PgDn scroll · ${keyName('review', Command.Close)} back to the form`;
    const footLines = wrap(footText, width - 1);
    const room = Math.max(1, height - errorLines.length - footLines.length);
    reviewRows = Math.max(0, lines.length - room);
    const scroll = Math.min(form.scroll, reviewRows);
    const shown = lines.slice(scroll, scroll + room);
    return (
      <Box flexDirection="column" width={width} height={height}>
        <Box flexDirection="column" height={room}>
          {shown.map((l) => (
            <Box key={l.key}>{l.node}</Box>
          ))}
        </Box>
        {errorLines.map((line, i) => (
          <Text key={`error-${i}`} color={theme.danger}>
            {line}
          </Text>
        ))}
        {footLines.map((line, i) => (
          <Text key={`foot-${i}`} color={form.stage === 'launching' ? theme.warning : theme.muted}>
            {line}
          </Text>
        ))}
      </Box>
    );
  }

  // done: every line whole (the key file, the passphrase's keeper), wrapped with a hanging indent.
  const result = form.result!;
  const out: { text: string; colour?: string }[] = [];
  const para = (text: string, colour?: string) => {
    const indent = /^\s*/.exec(text)![0] + (text.trimStart().startsWith('!') ? '  ' : '');
    wrap(text, width - 1 - indent.length).forEach((part, i) => out.push({ text: (i ? ' '.repeat(indent.length) : '') + (i ? part.trimStart() : part), colour }));
  };
  for (const l of result.lines) para(l, l.startsWith('!') ? theme.warning : undefined);
  if (result.keyFile && result.agentAvailable && !result.agentDone) para(`An ssh-agent runs here: press ${keyName('result', Command.AddToAgent)} to add the key to it.`);
  if (result.agentDone) para(result.agentDone, theme.muted);
  if (result.serverIds?.length) para(`${keyName('result', Command.Follow)} follows the console of ${sanitize(result.serverIds[0], 64)} in its detail (the monitor).`);
  para(`${keyName('result', Command.Close)} or Enter goes back to the images.`, theme.muted);
  const room = Math.max(1, height - 1);
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold color={theme.ok}>
        {result.title ?? 'Launched'}
      </Text>
      {out.slice(0, room).map((l, i) => (
        <Text key={i} color={l.colour}>
          {l.text || ' '}
        </Text>
      ))}
    </Box>
  );
}

