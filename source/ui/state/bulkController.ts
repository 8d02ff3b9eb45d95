// Marked rows and what acts on them: Space, * and u; label, delete and terminate on every marked row through
// one prompt (the count, then as many names as fit, the rest in :messages) and one typed word ("delete 3"),
// each row's outcome said, the failed ones left marked; :stale (the stale own images, marked to delete);
// a deprecation date on an own image (E). The services do the work and the auditing; this is the UI's part.
import { dependantsOf } from '../../core/lineage.js';
import { deprecationWords, parseDeprecation } from '../../core/deprecation.js';
import { describeError } from '../../core/errors.js';
import { sanitize } from '../../core/sanitize.js';
import { deleteProtectionWords, gib, staleSentence } from '../../core/stale.js';
import type { Image, LabelColour, Scope, Server } from '../../core/types.js';
import type { CatalogueImage } from '../../services/catalogue.js';
import { idHash, type ImageRows } from '../../services/rows.js';
import type { Session } from '../../services/session.js';
import { Slices, yieldToInput } from '../../services/slices.js';
import { Marks, type MarkBlock, type MarkScope } from './marks.js';
import type { Action } from './reducer.js';
import { findImage, listedImages, providerNow, selectedImage, selectedIndex, selectView } from './selectors.js';
import type { AppState, BulkAction, OverlayOf, StaleLine } from './state.js';
import { plural } from '../../core/sentence.js';

export interface BulkHost {
  readonly state: AppState;
  dispatch(action: Action): void;
  say(level: 'error' | 'warning' | 'info', message: string): void;
  session(): Session | undefined;
  log(level: 'info' | 'warn' | 'error', message: string, detail?: unknown): void;
  /** Own images changed at the provider: reload them in place. */
  refreshOwn(): void;
  /** A changed image: on screen now, and in the stored copy it is read from. */
  replaceImages(images: CatalogueImage[]): void;
  pollNow(): void;
  /** :stale shows the own images first. */
  showOwn(): void;
}

/** One marked row as an action takes it. */
interface Target {
  id: string;
  /** What the prompt and the outcome call it. */
  name: string;
  /** The row, where it is listed. */
  image?: CatalogueImage;
  server?: Server;
  /** Its position in the scope's rows, where it is a stored row marked by position. */
  pos?: number;
}

interface Pending {
  action: BulkAction;
  scope: MarkScope;
  rows?: ImageRows;
  targets: Target[];
  label?: LabelColour | null;
}

/** How many rows a bulk action works on at once (a provider's rate limits are the services' retry's to meet). */
const CONCURRENCY = 4;
/** What the prompt's names may take (characters): it reads whole at 60x20 with its instruction. */
const NAMES_BUDGET = 110;
/** Names in an outcome sentence before "and N more". */
const OUTCOME_NAMES = 12;
/** Names in the :messages list of what a prompt acts on. */
const LISTED_NAMES = 500;


/** As many names as fit the budget, the rest counted. */
export function namesWithin(names: readonly string[], budget = NAMES_BUDGET): { shown: string[]; more: number } {
  const shown: string[] = [];
  let used = 0;
  for (const name of names) {
    const cost = name.length + 2;
    if (shown.length > 0 && used + cost > budget) break;
    shown.push(name);
    used += cost;
  }
  return { shown, more: names.length - shown.length };
}

function nameList(names: readonly string[], max = OUTCOME_NAMES): string {
  const shown = names.slice(0, max).join(', ');
  return names.length > max ? `${shown} and ${(names.length - max).toLocaleString('en-US')} more` : shown;
}

const VERBS: Record<BulkAction, { word: string; doing: string; done: string; noun: [string, string] }> = {
  delete: { word: 'delete', doing: 'deleting', done: 'Deleted', noun: ['image', 'images'] },
  terminate: { word: 'terminate', doing: 'terminating', done: 'Terminating', noun: ['server', 'servers'] },
  label: { word: 'label', doing: 'labelling', done: 'Labelled', noun: ['image', 'images'] },
};

export class BulkController {
  private pending?: Pending;
  private resolving = new Set<MarkBlock>();
  /** The names of marked servers as they were listed: a server that vanished since is still named. */
  private serverNames = new Map<string, string>();

  constructor(private readonly host: BulkHost) {}

  private get state(): AppState {
    return this.host.state;
  }

  /** The marks of what is on screen: the image scope, or the monitor's servers. */
  scopeOf(context: 'list' | 'monitor'): MarkScope {
    return context === 'monitor' ? 'servers' : this.state.scope;
  }

  count(scope: MarkScope): number {
    return this.state.marks[scope].count;
  }

  // ---- marking --------------------------------------------------------------------------------------------

  /** Space: the selected row marked or unmarked; the selection moves on to the next row, as in mutt and mc. */
  toggle(context: 'list' | 'monitor'): void {
    if (context === 'monitor') {
      const m = this.state.monitor;
      const server = m.servers[m.selected];
      if (!server) return;
      this.serverNames.set(server.id, sanitize(server.name, 80));
      this.host.dispatch({ type: 'marks/toggle', scope: 'servers', id: server.id });
      this.host.dispatch({ type: 'monitor/move', delta: 1 });
      return;
    }
    const view = selectView(this.state);
    const k = selectedIndex(this.state);
    const image = view.at(k);
    if (!image) return;
    this.host.dispatch({ type: 'marks/toggle', scope: this.state.scope, id: image.id, rows: view.rows, pos: view.positionAt(k) });
    this.host.dispatch({ type: 'move', delta: 1, count: view.count });
  }

  /** *: every row shown marked (the filter's rows; the monitor's servers). */
  markAll(context: 'list' | 'monitor'): void {
    const scope = this.scopeOf(context);
    if (scope === 'servers') for (const server of this.state.monitor.servers) this.serverNames.set(server.id, sanitize(server.name, 80));
    const before = this.count(scope);
    this.host.dispatch({ type: 'marks/all', scope });
    const after = this.count(scope);
    const what = scope === 'servers' ? 'server' : 'image';
    this.host.say('info', after === before ? `Every ${what} shown is marked already (${plural(after, 'marked')}).` : `Marked ${plural(after - before, what)}; ${after.toLocaleString('en-US')} marked in all (u clears).`);
  }

  clear(context: 'list' | 'monitor'): void {
    const scope = this.scopeOf(context);
    const n = this.count(scope);
    if (n === 0) return;
    this.host.dispatch({ type: 'marks/clear', scope });
    this.host.say('info', `Cleared ${plural(n, 'mark')}.`);
  }

  /**
   * The scope's rows are another copy now (a reload of the public catalogue): positions marked in the copy
   * before are turned into ids, reading that copy a slice at a time.
   */
  afterRows(scope: Scope): void {
    const rows = this.state.scopes[scope].rows;
    for (const block of this.state.marks[scope].staleBlocks(rows)) {
      if (this.resolving.has(block)) continue;
      this.resolving.add(block);
      void this.resolveBlock(scope, block).finally(() => this.resolving.delete(block));
    }
  }

  private async resolveBlock(scope: Scope, block: MarkBlock): Promise<void> {
    const ids: string[] = [];
    let lost = 0;
    const slices = new Slices();
    for (const pos of Marks.positions(block)) {
      const row = block.rows.at(pos);
      if (row) ids.push(row.id);
      else lost++;
      if (slices.due()) await slices.pause();
    }
    this.host.dispatch({ type: 'marks/resolved', scope, block, ids });
    if (lost) this.host.say('warning', `${plural(lost, 'marked row')} could not be read again after the reload (the stored copy was replaced): ${lost === 1 ? 'it is' : 'they are'} no longer marked.`);
  }

  // ---- the marked rows as an action takes them -------------------------------------------------------------

  /** Every marked row of a scope, listed or not (a vanished one is named by its id). */
  private async targets(scope: MarkScope): Promise<{ rows?: ImageRows; targets: Target[] }> {
    const marks = this.state.marks[scope];
    if (scope === 'servers') {
      const byId = new Map(this.state.monitor.servers.map((s) => [s.id, s]));
      return {
        targets: [...marks.ids].map((id) => {
          const server = byId.get(id);
          return server ? { id, name: sanitize(server.name, 80), server } : { id, name: this.serverNames.get(id) ?? sanitize(id, 80) };
        }),
      };
    }
    // Positions of another copy are ids first.
    const rows0 = this.state.scopes[scope].rows;
    for (const block of marks.staleBlocks(rows0)) await this.resolveBlock(scope, block);
    const rows = this.state.scopes[scope].rows;
    const current = this.state.marks[scope];
    const targets: Target[] = [];
    const slices = new Slices();
    const items = rows.items;
    const wanted = new Set(current.ids);
    if (items) {
      for (const image of items) {
        if (wanted.delete(image.id)) targets.push({ id: image.id, name: image.shownName, image });
      }
    } else if (wanted.size > 0) {
      // A stored copy: the marked ids found in one pass over the id hashes (a row read only on a match).
      const hashes = new Set([...wanted].map(idHash));
      for (let i = 0; i < rows.count && wanted.size > 0; i++) {
        if (!hashes.has(rows.hashAt(i))) continue;
        const image = rows.at(i);
        if (image && wanted.delete(image.id)) targets.push({ id: image.id, name: image.shownName, image });
        if (slices.due()) await slices.pause();
      }
    }
    for (const id of wanted) targets.push({ id, name: sanitize(id, 80) });
    for (const block of current.blocks) {
      for (const pos of Marks.positions(block)) {
        const image = rows.at(pos);
        targets.push(image ? { id: image.id, name: image.shownName, image, pos } : { id: `#${pos}`, name: `row ${pos + 1}`, pos });
        if (slices.due()) await slices.pause();
      }
    }
    return { rows, targets };
  }

  // ---- the prompt ---------------------------------------------------------------------------------------------

  /** D with marks: delete every marked own image. */
  startDelete(): void {
    void this.open('delete', this.state.scope);
  }

  /** T with marks in the monitor: terminate every marked server. */
  startTerminate(): void {
    void this.open('terminate', 'servers');
  }

  /** c with marks: the palette, for every marked image. */
  startLabel(): void {
    const image = selectedImage(this.state);
    const marked = this.count(this.state.scope);
    this.host.dispatch({ type: 'overlay/open', overlay: { kind: 'palette', imageId: image?.id ?? '', index: 0, marked } });
  }

  /** The palette's choice for marked rows: the prompt that asks for the count, typed. */
  chooseLabel(label: LabelColour | null): void {
    void this.open('label', this.state.scope, label);
  }

  private async open(action: BulkAction, scope: MarkScope, label?: LabelColour | null): Promise<void> {
    const verb = VERBS[action];
    const busy = `reading the ${plural(this.count(scope), 'marked row')}`;
    const many = this.count(scope) > 2000;
    if (many) this.host.dispatch({ type: 'busy/add', what: busy });
    let found: { rows?: ImageRows; targets: Target[] };
    try {
      found = await this.targets(scope);
    } finally {
      if (many) this.host.dispatch({ type: 'busy/remove', what: busy });
    }
    let targets = found.targets;
    const notes: string[] = [];
    if (action === 'terminate') {
      const done = targets.filter((t) => t.server?.phase === 'terminated');
      if (done.length) {
        targets = targets.filter((t) => t.server?.phase !== 'terminated');
        notes.push(`${plural(done.length, 'marked server')} ${done.length === 1 ? 'is' : 'are'} terminated already and left out.`);
        this.host.dispatch({ type: 'marks/done', scope, ids: done.map((t) => t.id) });
      }
    }
    if (action === 'delete') {
      const now = providerNow(this.state);
      const held = targets.filter((t) => deleteProtectionWords(t.image?.deleteProtection, now) !== undefined);
      if (held.length) {
        targets = targets.filter((t) => !held.includes(t));
        notes.push(`${plural(held.length, 'marked image')} ${held.length === 1 ? 'is' : 'are'} protected against deletion and left out (still marked): ${nameList(held.map((t) => t.name), 3)}.`);
      }
      const own = listedImages(this.state, 'own');
      const servers = this.state.monitor.servers.filter((s) => s.phase !== 'terminated');
      const used = targets.filter((t) => dependantsOf(t.id, servers, own).count > 0);
      if (used.length) notes.push(`${plural(used.length, 'of them has', 'of them have')} servers or images on ${used.length === 1 ? 'it' : 'them'}, which will stand on a deleted image (:risk): ${nameList(used.map((t) => t.name), 3)}.`);
    }
    if (targets.length === 0) {
      this.host.say('info', notes.length ? notes.join(' ') : 'Nothing is marked.');
      return;
    }
    const names = targets.map((t) => t.name);
    const { shown, more } = namesWithin(names);
    const word = `${verb.word} ${targets.length}`;
    this.pending = { action, scope, ...(found.rows ? { rows: found.rows } : {}), targets, ...(label !== undefined ? { label } : {}) };
    // Every name, in :messages (M after Esc), without covering the prompt now.
    if (more > 0) {
      const listed = targets.slice(0, LISTED_NAMES).map((t) => (t.name === t.id ? t.id : `${t.name} (${t.id})`));
      this.host.say('info', `Marked to ${verb.word} (${targets.length.toLocaleString('en-US')}): ${listed.join(', ')}${targets.length > LISTED_NAMES ? ` and ${(targets.length - LISTED_NAMES).toLocaleString('en-US')} more` : ''}.`);
      this.host.dispatch({ type: 'message/seen' });
    }
    this.host.dispatch({
      type: 'overlay/open',
      overlay: {
        kind: 'bulk',
        action,
        scope,
        count: targets.length,
        names: shown,
        more,
        word,
        ...(label !== undefined ? { label } : {}),
        ...(notes.length ? { note: notes.join(' ') } : {}),
        editor: { text: '', cursor: 0 },
      },
    });
  }

  /** Enter in the prompt: the typed word checked, then the action on every marked row. */
  async confirm(): Promise<void> {
    const o = this.state.overlay?.kind === 'bulk' ? this.state.overlay : undefined;
    const session = this.host.session();
    const pending = this.pending;
    if (!o || !session || !pending) return;
    const typed = o.editor.text.trim().replace(/\s+/g, ' ').toLowerCase();
    if (typed !== o.word) {
      const countOnly = typed === String(o.count);
      this.host.dispatch({
        type: 'overlay/error',
        kind: 'bulk',
        message: `${countOnly ? 'The count alone is not enough' : typed === '' ? 'Nothing was typed' : `"${sanitize(o.editor.text, 40)}" is not it`}; type ${o.word} exactly. Nothing was done.`,
      });
      return;
    }
    this.pending = undefined;
    this.host.dispatch({ type: 'overlay/close', kind: 'bulk' });
    await this.run(session, pending);
  }

  cancel(): void {
    this.pending = undefined;
    this.host.dispatch({ type: 'overlay/close', kind: 'bulk' });
  }

  private async act(session: Session, pending: Pending, target: Target): Promise<CatalogueImage | void> {
    switch (pending.action) {
      case 'terminate':
        await session.servers.terminate({ id: target.id, name: target.server?.name ?? target.id });
        return;
      case 'delete': {
        if (target.image && !target.image.owned) throw new Error(`${target.name} is not yours to delete (a ${target.image.kind} image).`);
        const own = listedImages(this.state, 'own');
        const servers = this.state.monitor.servers.filter((s) => s.phase !== 'terminated');
        await session.images.deleteImage(target.id, { dependants: dependantsOf(target.id, servers, own).count });
        return;
      }
      case 'label':
        if (!target.image) throw new Error('it is no longer listed here (reload with Ctrl+R)');
        return session.catalogue.setLabel(target.image, pending.label ?? null);
    }
  }

  private async run(session: Session, pending: Pending): Promise<void> {
    const verb = VERBS[pending.action];
    const { targets } = pending;
    const total = targets.length;
    const done: Target[] = [];
    const failed: { target: Target; why: string }[] = [];
    const changed: CatalogueImage[] = [];
    let next = 0;
    let busy = `${verb.doing} 0 of ${total.toLocaleString('en-US')}`;
    this.host.dispatch({ type: 'busy/add', what: busy });
    const progress = () => {
      const now = `${verb.doing} ${(done.length + failed.length).toLocaleString('en-US')} of ${total.toLocaleString('en-US')}`;
      if (now === busy) return;
      this.host.dispatch({ type: 'busy/add', what: now });
      this.host.dispatch({ type: 'busy/remove', what: busy });
      busy = now;
    };
    const slices = new Slices();
    const worker = async () => {
      while (next < total && this.host.session() === session) {
        const target = targets[next++]!;
        try {
          const image = await this.act(session, pending, target);
          if (image) changed.push(image);
          done.push(target);
        } catch (error) {
          failed.push({ target, why: error instanceof Error && !('kind' in error) ? error.message : describeError(error) });
        }
        progress();
        // A provider answered from memory (the sandbox, a local label) never lets input in by itself.
        if (slices.due()) await slices.pause();
        else await yieldToInput();
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(CONCURRENCY, total) }, worker));
    } finally {
      this.host.dispatch({ type: 'busy/remove', what: busy });
    }
    if (this.host.session() !== session) return;
    if (changed.length) this.host.replaceImages(changed);
    // What was done is unmarked; what failed stays marked.
    const byId = done.filter((t) => t.pos === undefined).map((t) => t.id);
    const positions = done.filter((t) => t.pos !== undefined).map((t) => t.pos!);
    this.host.dispatch({ type: 'marks/done', scope: pending.scope, ids: byId, ...(pending.rows ? { rows: pending.rows } : {}), positions });
    const noun = (n: number) => (n === 1 ? verb.noun[0] : verb.noun[1]);
    const colour = pending.action === 'label' && pending.label ? ` ${pending.label}` : '';
    const head = pending.action === 'label' && !pending.label ? 'Took the label off' : verb.done;
    const count = (n: number) => n.toLocaleString('en-US');
    const stays = `${failed.length === 1 ? 'stays' : 'stay'} marked`;
    if (failed.length === 0) {
      this.host.say('info', `${head} ${count(total)} ${noun(total)}${colour}: ${nameList(done.map((t) => t.name))}.`);
    } else if (done.length) {
      this.host.say('warning', `${head} ${count(done.length)} of ${count(total)} ${noun(total)}${colour}: ${nameList(done.map((t) => t.name))}. ${count(failed.length)} failed and ${stays}:`);
    } else {
      const none = pending.action === 'terminate' ? 'terminated' : pending.action === 'delete' ? 'deleted' : 'changed';
      this.host.say('error', `No ${noun(2)} ${failed.length === 1 ? 'was' : 'were'} ${none}: ${failed.length === 1 ? 'it failed and stays marked' : `all ${count(failed.length)} failed and stay marked`}:`);
    }
    for (const f of failed.slice(0, 50)) this.host.say('error', `${f.target.name}${f.target.name === f.target.id ? '' : ` (${sanitize(f.target.id, 80)})`}: ${sanitize(f.why, 400)}`);
    if (failed.length > 50) this.host.say('error', `… and ${(failed.length - 50).toLocaleString('en-US')} more failed (every one is still marked).`);
    this.host.log(failed.length ? 'warn' : 'info', `bulk ${pending.action}`, { done: done.length, failed: failed.length });
    if (pending.action === 'delete') this.host.refreshOwn();
    if (pending.action === 'terminate') this.host.pollNow();
  }

  // ---- copying ids ----------------------------------------------------------------------------------------

  /**
   * The ids of the marked rows, one a line, and the sentence that says what was copied (for the clipboard's
   * `y`: with marks it copies every marked id).
   */
  async markedIds(scope: MarkScope): Promise<{ text: string; count: number; sentence: string }> {
    const { targets } = await this.targets(scope);
    const ids = targets.map((t) => t.id);
    const what = scope === 'servers' ? 'server' : 'image';
    return { text: ids.join('\n'), count: ids.length, sentence: `Copied the ids of ${plural(ids.length, `marked ${what}`)}: ${nameList(ids, 6)}.` };
  }

  // ---- :stale ---------------------------------------------------------------------------------------------

  async openStale(days?: number): Promise<void> {
    const session = this.host.session();
    if (!session) {
      this.host.say('error', 'Not connected yet; try :stale again in a moment.');
      return;
    }
    this.host.showOwn();
    const shownDays = days ?? 90;
    this.host.dispatch({ type: 'overlay/open', overlay: { kind: 'stale', days: shownDays, scroll: 0, loading: true } });
    let finding: Awaited<ReturnType<typeof import('../../services/stale.js').findStaleImages>>;
    try {
      const { findStaleImages } = await import('../../services/stale.js');
      const known: [string, Image | null][] = [...Object.entries(this.state.monitor.images), ...listedImages(this.state, 'vendor').map((i) => [i.id, i] as [string, Image])];
      finding = await findStaleImages(session, { ...(days !== undefined ? { days } : {}), known });
    } catch (error) {
      this.host.dispatch({ type: 'stale/error', message: describeError(error, 'Looking for stale images') });
      return;
    }
    if (this.host.session() !== session || this.state.overlay?.kind !== 'stale') return;
    const { report, own } = finding;
    const byId = new Map(own.map((i) => [i.id, i]));
    const hadMarks = this.count('own');
    this.host.dispatch({ type: 'marks/set', scope: 'own', ids: report.deletable.map((s) => s.image.id) });
    const lines: StaleLine[] = [{ text: staleSentence(report), tone: 'heading' }];
    if (report.deletable.length) {
      const [they, them] = report.deletable.length === 1 ? ['It is', 'it'] : ['They are', 'them'];
      lines.push({ text: `${they} marked (${hadMarks ? 'the marks before were cleared; ' : ''}Esc keeps ${them}): D deletes ${them}, with the count typed to confirm.`, tone: 'muted' });
    }
    for (const s of report.images) {
      const image = byId.get(s.image.id) ?? (s.image as CatalogueImage);
      const newer = s.newerId ? byId.get(s.newerId) : undefined;
      const parts = [
        // The provider's name where the shown one differs: families go by it.
        `${sanitize(image.shownName ?? image.name, 120)} (${image.shownName && image.shownName !== image.name ? `${sanitize(image.name, 120)}, ` : ''}${sanitize(image.id, 80)})`,
        `${s.ageDays} days`,
        s.storageGiB === undefined ? 'size unknown' : gib(s.storageGiB),
        image.state !== 'available' ? image.state : '',
        newer ? `newer: ${sanitize(newer.shownName, 80)}` : '',
        s.protectedReason ? `${s.protectedReason}: not marked` : '',
      ].filter(Boolean);
      lines.push({ text: `${s.protectedReason ? '  ' : '* '}${parts.join(' · ')}`, ...(s.protectedReason ? { tone: 'warning' as const } : {}) });
    }
    this.host.dispatch({ type: 'stale/result', lines, deletable: report.deletable.length });
  }

  /** D in the :stale report: the bulk delete of the marked own images. */
  deleteStale(): void {
    this.host.dispatch({ type: 'overlay/close', kind: 'stale' });
    void this.open('delete', 'own');
  }

  // ---- a deprecation date ----------------------------------------------------------------------------------

  startDeprecate(): void {
    const image = selectedImage(this.state);
    if (!image) return;
    this.host.dispatch({
      type: 'overlay/open',
      overlay: { kind: 'deprecate', imageId: image.id, name: image.shownName, ...(image.deprecatedAt ? { current: image.deprecatedAt } : {}), editor: { text: '', cursor: 0 } },
    });
  }

  async confirmDeprecate(): Promise<void> {
    const o = this.state.overlay?.kind === 'deprecate' ? this.state.overlay : undefined;
    const session = this.host.session();
    if (!o || !session) return;
    const parsed = parseDeprecation(o.editor.text, providerNow(this.state));
    if ('error' in parsed) {
      this.host.dispatch({ type: 'overlay/error', kind: 'deprecate', message: parsed.error });
      return;
    }
    this.host.dispatch({ type: 'overlay/close', kind: 'deprecate' });
    const image = findImage(this.state, o.imageId);
    const busy = `${parsed.at ? 'deprecating' : 'taking the deprecation date off'} ${sanitize(o.name, 40)}`;
    this.host.dispatch({ type: 'busy/add', what: busy });
    try {
      const updated = await session.images.setDeprecation({ id: o.imageId, name: o.name, ...(image?.deprecatedAt ? { deprecatedAt: image.deprecatedAt } : {}) }, parsed.at);
      if (this.host.session() !== session) return;
      this.host.replaceImages([session.catalogue.merge(updated)]);
      this.host.say(
        'info',
        updated.deprecatedAt
          ? `${o.name} is deprecated from ${deprecationWords(updated.deprecatedAt)} on: every user of the account sees it so, and :risk names what stands on it.`
          : `${o.name} has no deprecation date any more.`,
      );
    } catch (error) {
      this.host.say('error', describeError(error, `${parsed.at ? 'Deprecating' : 'Taking the deprecation date off'} ${o.name}`));
    } finally {
      this.host.dispatch({ type: 'busy/remove', what: busy });
    }
  }
}

/** The prompt of a bulk action: what to type first, then what it acts on, whole at 60 columns. */
export function bulkPromptText(o: OverlayOf<'bulk'>, submit: string, cancel: string): string {
  const verb = VERBS[o.action];
  const noun = o.count === 1 ? verb.noun[0] : verb.noun[1];
  const these = `${o.count === 1 ? 'this' : 'these'} ${o.count.toLocaleString('en-US')} ${noun}`;
  const what = o.action !== 'label' ? `${verb.word} ${these}` : o.label ? `label ${these} ${o.label}` : `take the label off ${these}`;
  const names = `${o.names.join(', ')}${o.more ? ` and ${o.more.toLocaleString('en-US')} more (M lists them all once this is closed)` : ''}`;
  const tail = o.action === 'terminate' ? ' Their disks are deleted.' : o.action === 'delete' ? ' Deleting cannot be undone.' : '';
  return `Type ${o.word} and ${submit} to ${what} (${cancel} cancels): ${names}.${tail}${o.note ? ` ${o.note}` : ''}`;
}

