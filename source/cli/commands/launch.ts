// strata launch and strata capture: the launcher (journal first, one client token, every step written
// down before the next, so a launch killed anywhere and run again with the same token makes exactly one
// set of servers) and the capturer, as the TUI uses them.
import { isStrataError } from '../../core/errors.js';
import { formatDuration } from '../../core/readiness.js';
import { sanitize } from '../../core/sanitize.js';
import type { LabelColour } from '../../core/types.js';
import { progressText } from '../../services/launch-words.js';
import { canonical, newClientToken, stripUndefined, type LaunchProgress, type LaunchRequest, type Review } from '../../services/launcher.js';
import type { LaunchServices } from '../../services/launching.js';
import type { Session } from '../../services/session.js';
import { reviewSummary } from '../../ui/panes/launch/words.js';
import { EXIT, Refused, type Context } from '../context.js';
import { imageRow, sanitizeDeep, serverRow } from '../rows.js';
import { UsageError } from '../table.js';
import { waitForServers } from '../wait.js';
import { IMAGE_COLUMNS } from './images.js';
import { applySets, loadRecipe } from './recipe.js';
import { findServer, SERVER_COLUMNS } from './servers.js';

/** Multi-line text (user data, cloud-init) with every line sanitised. */
function textBlock(text: string | undefined): string | null {
  if (text === undefined) return null;
  return text
    .replace(/\r\n/g, '\n')
    .split('\n')
    .map((l) => sanitize(l.replace(/\t/g, '    '), 4096))
    .join('\n');
}

/** An unfinished launch of this very request in the journal (one that was interrupted), if any. */
function interruptedTwin(ctx: Context, session: Session, request: LaunchRequest): { token: string; state: string; at: string } | undefined {
  const wanted = canonical(stripUndefined(request));
  for (const entry of ctx.store.journal(session.storeId, session.region).unfinished()) {
    const record = ctx.store.launches().get(entry.clientToken);
    if (record && canonical(record.request) === wanted) return { token: entry.clientToken, state: entry.state, at: entry.createdAt };
  }
  return undefined;
}

async function requestOf(ctx: Context, session: Session, services: LaunchServices): Promise<LaunchRequest> {
  const given = ctx.values.recipe as string | undefined;
  if (given === undefined) throw new UsageError('strata launch needs --recipe FILE (a recipe saved from the launch form, or a YAML file of the same shape; see strata schema recipe).');
  const recipe = loadRecipe(services, given);
  if ((recipe.provider && recipe.provider !== session.providerId) || (recipe.region && recipe.region !== session.region)) {
    ctx.out.note(`The recipe was saved for ${sanitize(recipe.provider ?? session.providerId)} ${sanitize(recipe.region ?? '')}; it is launched in ${sanitize(session.providerId)} ${sanitize(session.region)}.`);
  }
  const sets = [...((ctx.values.set as string[] | undefined) ?? [])];
  if (ctx.values.count !== undefined) sets.push(`count=${ctx.values.count as number}`);
  return applySets(recipe.request, sets);
}

function printReview(ctx: Context, review: Review): number {
  const { out } = ctx;
  const check = review.preview?.check;
  const summary = reviewSummary(review.facts).map((l) => sanitize(l, 600));
  const problems = review.problems.map((p) => ({ field: sanitize(p.field, 128), message: sanitize(p.message, 1000) }));
  const refusedByProvider = check !== undefined && !check.allowed;
  out.document('launch-review', {
    clientToken: review.clientToken,
    sent: false,
    wouldLaunch: problems.length === 0 && !refusedByProvider,
    summary,
    warnings: review.warnings.map((w) => sanitize(w, 1000)),
    problems,
    request: sanitizeDeep(review.preview?.request ?? review.spec),
    requests: review.requests.map((r) => ({ index: r.index, clientToken: r.clientToken, name: sanitize(r.name, 256) })),
    cli: review.preview?.cli !== undefined ? sanitize(review.preview.cli, 8192) : null,
    check: check ? { allowed: check.allowed, sentence: sanitize(check.sentence, 1000) } : null,
    userData: textBlock(review.userData),
    cloudInit: textBlock(review.cloudInit),
    quota: review.quota ? sanitizeDeep(review.quota) : null,
  });
  if (out.mode === 'table') {
    out.line('The launch, reviewed (nothing was sent):');
    for (const l of summary) out.line(`  ${l}`);
    for (const w of review.warnings) out.line(`  ${out.paint(`! ${sanitize(w, 600)}`, 'yellow')}`);
    if (check) out.line(`  ${out.paint(`${check.allowed ? "The provider's own dry run: allowed." : "The provider's own dry run: refused."} ${sanitize(check.sentence, 600)}`, check.allowed ? 'green' : 'red')}`);
    if (problems.length) {
      out.line();
      out.line(out.paint(`${problems.length === 1 ? 'One thing stops' : `${problems.length} things stop`} the launch:`, 'red'));
      for (const p of problems) out.line(`  ${p.field}: ${p.message}`);
    }
    out.line();
    out.line('The request the provider will receive:');
    for (const l of JSON.stringify(sanitizeDeep(review.preview?.request ?? review.spec), null, 2).split('\n')) out.line(`  ${l}`);
    if (review.preview?.cli) {
      out.line();
      out.line("The provider's own command line for it:");
      out.line(`  ${sanitize(review.preview.cli, 8192)}`);
    }
    const userData = textBlock(review.userData ?? review.cloudInit);
    if (userData !== null) {
      out.line();
      out.line('The user data (cloud-init), secrets hidden:');
      for (const l of userData.split('\n')) out.line(`  ${l}`);
    }
    out.line();
    out.line(`Client token proposed: ${review.clientToken} (strata launch --token ${review.clientToken} sends it).`);
  }
  if (problems.length) return EXIT.refused;
  if (refusedByProvider) {
    out.note(`The provider's own dry run refuses the launch: ${sanitize(check.sentence, 600)}`);
    return EXIT.refused;
  }
  return EXIT.done;
}

/** strata launch --recipe FILE [--set k=v…] [--count N] [--token T] [--wait ready] [--dry-run] */
export async function launch(ctx: Context): Promise<number> {
  const { out } = ctx;
  const session = await ctx.session();
  const services = await session.services();
  const request = await requestOf(ctx, session, services);
  if (ctx.values['dry-run'] === true) {
    out.progress('reviewing the launch');
    return printReview(ctx, await services.launcher.review(request));
  }
  let token = ctx.values.token as string | undefined;
  if (token === undefined) {
    const twin = interruptedTwin(ctx, session, request);
    if (twin) {
      throw new Refused(
        `An interrupted launch of this same request is in the journal (token ${twin.token}, ${twin.state}, started ${twin.at}). Run again with --token ${twin.token} to take it up (never a second set of servers), or give a new --token to launch another set.`,
      );
    }
    token = newClientToken();
    out.event('launch-token', { clientToken: token });
    out.note(`Client token ${token}: after an interruption, run again with --token ${token} (it takes the launch up; never a second set).`);
  }
  const options = {
    clientToken: token,
    onProgress: (p: LaunchProgress) => {
      out.event('launch-progress', {
        clientToken: token,
        step: p.step,
        request: p.request ? { index: p.request.index, of: p.request.of, name: sanitize(p.request.name, 256) } : null,
        name: p.name !== undefined ? sanitize(p.name, 256) : null,
        made: p.made !== undefined ? sanitize(p.made, 256) : null,
        servers: p.servers ?? null,
        retry: p.retry ? { kind: p.retry.kind, attempt: p.retry.attempt, attempts: p.retry.attempts, delayMs: p.retry.delayMs } : null,
        message: sanitize(progressText(p), 600),
      });
      out.progress(sanitize(progressText(p), 300));
    },
  };
  let outcome;
  try {
    outcome = await services.launcher.launch(request, options);
  } catch (error) {
    // Two strata with one token at once: the other one finished the launch while this one was on its way
    // (the journal said done when this one would have marked it sent). Its servers are this launch's:
    // asked again, the launcher finds it done and sends nothing.
    const entry = ctx.store.journal(session.storeId, session.region).get(token);
    const record = ctx.store.launches().get(token);
    const same = record !== undefined && canonical(record.request) === canonical(stripUndefined(request));
    if (!(isStrataError(error) && error.kind === 'Conflict' && entry?.state === 'done' && same)) throw error;
    out.note(`Another strata finished the launch with token ${token} meanwhile; its servers are this launch's.`);
    outcome = await services.launcher.launch(request, options);
  }
  const expected = session.description.capabilities.servers.expectedReadySeconds;
  const payload: Record<string, unknown> = {
    provider: session.providerId,
    region: session.region,
    clientToken: outcome.clientToken,
    how: outcome.how,
    servers: outcome.servers.map((s) => serverRow(s, expected)),
    keyFile: outcome.keyFile ? { path: sanitize(outcome.keyFile.path, 4096), fingerprint: sanitize(outcome.keyFile.fingerprint, 256), how: outcome.keyFile.how } : null,
    passphrase: outcome.passphrase ? { describe: sanitize(outcome.passphrase.describe, 600), accounts: outcome.passphrase.accounts.map((a) => sanitize(a, 256)) } : null,
    refused: (outcome.refused ?? []).map((r) => ({ name: sanitize(r.name, 256), reason: sanitize(r.reason, 1000) })),
    warnings: outcome.warnings.map((w) => sanitize(w, 1000)),
    wait: null,
  };
  out.done();
  const how: Record<typeof outcome.how, string> = {
    launched: 'Launched',
    completed: 'Completed an interrupted launch; now',
    adopted: 'Adopted (an earlier attempt had reached the provider; nothing was sent again)',
    found: 'Found (this launch was done already; nothing was sent)',
  };
  const n = outcome.servers.length;
  out.note(`${how[outcome.how]}: ${n} server${n === 1 ? '' : 's'} (token ${outcome.clientToken}).`);
  if (outcome.keyFile) out.note(`Private key: ${sanitize(outcome.keyFile.path)} (mode 0600), fingerprint ${sanitize(outcome.keyFile.fingerprint)}.`);
  if (outcome.passphrase) out.note(`Volume passphrases: kept in ${sanitize(outcome.passphrase.describe, 300)}.`);
  for (const r of outcome.refused ?? []) out.note(`! ${sanitize(r.name)} was not launched: ${sanitize(r.reason, 600)}`);
  for (const w of outcome.warnings) out.note(`! ${sanitize(w, 600)}`);
  let code: number = EXIT.done;
  if (ctx.values.wait === 'ready' && n > 0) {
    const result = await waitForServers(ctx, session, outcome.servers.map((s) => s.id), 'ready', ctx.values.timeout as number | undefined);
    payload.wait = result.payload;
    payload.servers = result.payload.servers.map(({ reached: _r, ...row }) => row);
    out.note(result.sentence);
    code = result.code;
  }
  out.document('launch', payload);
  out.table(SERVER_COLUMNS, payload.servers as ReturnType<typeof serverRow>[]);
  return code;
}

/** strata capture SERVER [--name N] [--label C] [--wait available] */
export async function capture(ctx: Context): Promise<number> {
  const { out } = ctx;
  const session = await ctx.session();
  const server = await findServer(session, ctx.arg('SERVER'));
  const at = new Date(server.observedAt ?? Date.now());
  const name = (ctx.values.name as string | undefined) ?? session.capturer.defaultName(server.name, at);
  if (name === undefined) throw new UsageError(`strata cannot make an image name from the server's name ${sanitize(server.name, 80)}; give one with --name.`);
  out.progress(`capturing ${sanitize(name, 128)} from ${sanitize(server.name, 128)}`);
  const image = await session.capturer.capture(server.id, {
    name,
    ...(ctx.values.label !== undefined ? { label: ctx.values.label as LabelColour } : {}),
    ...(ctx.values['no-reboot'] === true ? { noReboot: true } : {}),
  });
  out.event('image-state', { imageId: sanitize(image.id, 256), state: image.state });
  for (const w of image.warnings) out.note(`! ${sanitize(w, 600)}`);
  let row = imageRow(image);
  let available = image.state === 'available';
  let code: number = EXIT.done;
  if (ctx.values.wait === 'available' && !available) {
    const timeoutMs = ctx.values.timeout as number | undefined;
    const stop = new AbortController();
    const timer = timeoutMs !== undefined ? setTimeout(() => stop.abort(), timeoutMs) : undefined;
    const started = Date.now();
    try {
      const done = await session.capturer.waitAvailable(image.id, {
        signal: stop.signal,
        onProgress: (i) => {
          out.event('image-state', { imageId: sanitize(i.id, 256), state: i.state });
          out.progress(`waiting ${formatDuration(Date.now() - started)} for ${sanitize(i.name, 128)} (${sanitize(i.id, 128)}): ${i.state}`);
        },
      });
      row = imageRow(session.capturer.withLineage(session.catalogue.merge(done)));
      available = true;
    } catch (error) {
      if (!stop.signal.aborted) throw error;
      out.note(`Stopped waiting after ${formatDuration(timeoutMs ?? 0)}: the image ${sanitize(image.id)} is still ${row.state} (it may still become available).`);
      code = EXIT.timedOut;
    } finally {
      if (timer) clearTimeout(timer);
      out.done();
    }
  }
  out.document('capture', { serverId: sanitize(server.id, 256), image: row, available, warnings: image.warnings.map((w) => sanitize(w, 1000)) });
  out.table(IMAGE_COLUMNS, [row]);
  if (code === EXIT.done) out.note(available ? `Image ${row.shownName} (${row.id}) is available, captured from ${sanitize(server.name)}.` : `Capturing ${row.shownName} (${row.id}) from ${sanitize(server.name)}: ${row.state}. strata capture … --wait available waits for it.`);
  return code;
}
