// The fleet view's effects: the fleet service (services/fleet.ts) feeding the state, and every action on a
// row going to that row's source and region, under that source's read-only — rename, label, delete an
// image, terminate a server, copy an image to another region or source (a resumable job), and open the
// row's place in the image list or the monitor.
import { dependantsOf } from '../../core/lineage.js';
import { describeError, isStrataError } from '../../core/errors.js';
import { sanitize } from '../../core/sanitize.js';
import { LABEL_COLOURS, type LabelColour } from '../../core/types.js';
import { copyRefusal } from '../../services/copies.js';
import { Fleet, type FleetOptions, type FleetRow } from '../../services/fleet.js';
import type { Session } from '../../services/session.js';
import { Command, bindingOf, type KeyContext } from '../keymap.js';
import { fleetPlaceOf, fleetRowByKey, fleetRows, selectedFleetRow } from './fleetState.js';
import type { Action } from './reducer.js';
import type { AppState } from './state.js';

export interface FleetHost {
  readonly state: AppState;
  dispatch(action: Action): void;
  say(level: 'error' | 'warning' | 'info', message: string): void;
  log(level: 'info' | 'warn' | 'error', message: string, detail?: unknown): void;
  /** Opens a source's region in the classic panes (the image list or the monitor), with the row selected. */
  openPlace(source: string, region: string, focus: { imageId?: string; serverId?: string }): void;
}

/** The fleet's contexts (the controller's disabledReason sends them here). */
export const FLEET_CONTEXTS: readonly KeyContext[] = ['fleet', 'fleet-filter', 'fleet-versions', 'fleet-copy'];

const IMAGE_COMMANDS = [Command.Rename, Command.Label, Command.DeleteImage, Command.CopyImage];

export class FleetController {
  private fleet?: Fleet;
  private unsubscribe?: () => void;
  /** The error last said of each source (said again only when it changes). */
  private readonly said = new Map<string, string | undefined>();

  constructor(
    private readonly host: FleetHost,
    /** How to open the fleet; absent where config.yaml lists no sources. */
    private readonly options: Omit<FleetOptions, 'log'> | undefined,
  ) {}

  /** Whether there is a fleet to show (config.yaml lists sources). */
  get available(): boolean {
    return (this.options?.sources.length ?? 0) > 0;
  }

  /** The fleet service, once opened (tests, the bench). */
  get service(): Fleet | undefined {
    return this.fleet;
  }

  /** Shows the fleet view, opening the fleet on first use. */
  open(): void {
    if (!this.options || this.options.sources.length === 0) {
      this.host.say('info', 'The fleet needs sources: list them in config.yaml (sources: [{ name: lab, provider: sandbox, regions: all }]), then F or :fleet shows them all in one list.');
      return;
    }
    this.host.dispatch({ type: 'fleet/open' });
    this.host.dispatch({ type: 'pane/set', pane: 'fleet' });
    if (this.fleet) return;
    const fleet = new Fleet({ ...this.options, log: (level, message, detail) => this.host.log(level, message, detail) });
    this.fleet = fleet;
    this.unsubscribe = fleet.onChange((snapshot) => {
      if (this.fleet !== fleet) return;
      this.host.dispatch({ type: 'fleet/snapshot', snapshot });
      // A source that fails says why once (and :messages keeps it whole), besides the fleet's header.
      for (const source of snapshot.sources) {
        const error = source.state === 'error' ? source.error : undefined;
        if (error && this.said.get(source.name) !== error) this.host.say('warning', `${source.name}: ${error}`);
        this.said.set(source.name, error);
      }
    });
    this.host.dispatch({ type: 'fleet/snapshot', snapshot: fleet.snapshot() });
    void fleet.start().catch((error) => this.host.say('error', describeError(error, 'Opening the fleet')));
  }

  /** Resolves once every source has answered or failed (tests). */
  async ready(): Promise<void> {
    await this.fleet?.start();
  }

  refresh(): void {
    void this.fleet?.refreshAll();
  }

  move(delta: number): void {
    this.host.dispatch({ type: 'fleet/move', delta });
  }

  moveTo(index: number): void {
    this.host.dispatch({ type: 'fleet/move-to', index });
  }

  // ---- what may be done ------------------------------------------------------------------------------------

  /** Why a command cannot run on the selected row, in a sentence (read-only: with its source's name). */
  disabledReason(context: KeyContext, command: Command): string | undefined {
    const s = this.host.state;
    if (context !== 'fleet') return undefined;
    const binding = bindingOf('fleet', command);
    const needsRow = [...IMAGE_COMMANDS, Command.Terminate, Command.OpenInSource];
    if (!needsRow.includes(command)) return undefined;
    const row = selectedFleetRow(s);
    if (!row) return s.fleet?.snapshot.complete ? 'No row is selected: the fleet lists none here.' : 'The fleet is still loading.';
    if (binding?.mutating) {
      if (s.readOnly && !s.readOnlySource) return `This session is read-only (--read-only): ${binding.doing ?? 'changing things'} is disabled.`;
      const source = s.fleet?.snapshot.sources.find((x) => x.name === row.source);
      if (source?.readOnly) return `${row.source} is read-only (readOnly in config.yaml): ${binding.doing ?? 'changing things'} is disabled there.`;
    }
    if (IMAGE_COMMANDS.includes(command)) {
      if (row.kind !== 'image') return `${sanitize(row.name, 60)} is a server; that works on images.`;
      if ((command === Command.DeleteImage || command === Command.CopyImage) && !row.image!.owned) return `${sanitize(row.name, 60)} is not yours (a ${row.image!.kind} image).`;
    }
    if (command === Command.Terminate && row.kind !== 'server') return `${sanitize(row.name, 60)} is an image; T terminates servers.`;
    if (command === Command.Terminate && row.server?.phase === 'terminated') return `${sanitize(row.name, 60)} is terminated already.`;
    const session = this.sessionOf(row);
    if (!session && command !== Command.OpenInSource) return `${row.where} is not open: ${this.stateSentence(row.source)}`;
    return undefined;
  }

  private stateSentence(source: string): string {
    const state = this.host.state.fleet?.snapshot.sources.find((x) => x.name === source);
    return state?.error ?? `${source} is ${state?.state ?? 'not known'}.`;
  }

  private sessionOf(row: Pick<FleetRow, 'source' | 'region'>): Session | undefined {
    return this.fleet?.session(row.source, row.region);
  }

  private rowOf(key: string): FleetRow | undefined {
    return fleetRowByKey(this.host.state, key);
  }

  private settle(row: FleetRow): void {
    void this.fleet?.refreshPlace(row.source, row.region);
  }

  // ---- open in its source ---------------------------------------------------------------------------------

  openSelected(): void {
    const row = selectedFleetRow(this.host.state);
    if (!row) return;
    this.host.openPlace(row.source, row.region, row.kind === 'image' ? { imageId: row.id } : { serverId: row.id });
  }

  // ---- rename and label ------------------------------------------------------------------------------------

  startRename(): void {
    const row = selectedFleetRow(this.host.state);
    if (!row?.image) return;
    this.host.dispatch({ type: 'overlay/open', overlay: { kind: 'fleet-rename', key: row.key, where: row.where, editor: { text: row.name, cursor: [...row.name].length }, original: row.name } });
  }

  async submitRename(): Promise<void> {
    const o = this.host.state.overlay?.kind === 'fleet-rename' ? this.host.state.overlay : undefined;
    if (!o) return;
    const row = this.rowOf(o.key);
    const session = row && this.sessionOf(row);
    if (!row?.image || !session) return this.host.dispatch({ type: 'overlay/close', kind: 'fleet-rename' });
    const name = o.editor.text;
    if (name === o.original) return this.host.dispatch({ type: 'overlay/close', kind: 'fleet-rename' });
    const problem = name === '' ? undefined : session.catalogue.nameProblem(name);
    if (problem) return this.host.dispatch({ type: 'overlay/error', kind: 'fleet-rename', message: `Name refused in ${row.where}: ${problem}` });
    this.host.dispatch({ type: 'overlay/close', kind: 'fleet-rename' });
    try {
      const updated = await session.catalogue.rename(row.image, name);
      this.host.say('info', `Renamed to "${updated.shownName}" in ${row.where} (${updated.nameSource === 'tag' ? 'tag, shared' : 'local'}).`);
      this.settle(row);
    } catch (error) {
      this.host.say('error', `${sanitize(row.name, 80)} keeps its name in ${row.where}. ${describeError(error, 'Renaming')}`);
    }
  }

  openLabel(): void {
    const row = selectedFleetRow(this.host.state);
    if (!row?.image) return;
    const at = row.image.label ? LABEL_COLOURS.indexOf(row.image.label) : LABEL_COLOURS.length;
    this.host.dispatch({ type: 'overlay/open', overlay: { kind: 'fleet-label', key: row.key, index: at } });
  }

  async chooseLabel(): Promise<void> {
    const o = this.host.state.overlay?.kind === 'fleet-label' ? this.host.state.overlay : undefined;
    if (!o) return;
    this.host.dispatch({ type: 'overlay/close', kind: 'fleet-label' });
    const row = this.rowOf(o.key);
    const session = row && this.sessionOf(row);
    if (!row?.image || !session) return;
    const label: LabelColour | null = o.index < LABEL_COLOURS.length ? LABEL_COLOURS[o.index]! : null;
    if ((row.image.label ?? null) === label) return;
    try {
      await session.catalogue.setLabel(row.image, label);
      this.settle(row);
    } catch (error) {
      this.host.say('error', describeError(error, `Setting the label in ${row.where}`));
    }
  }

  // ---- delete and terminate ----------------------------------------------------------------------------------

  startDelete(): void {
    const s = this.host.state;
    const row = selectedFleetRow(s);
    if (!row?.image) return;
    const place = fleetPlaceOf(s, row);
    const { servers, images } = dependantsOf(row.id, (place?.servers ?? []).filter((x) => x.phase !== 'terminated'), place?.images ?? []);
    const dependants = [...servers.map((x) => `server ${sanitize(x.name)} (${sanitize(x.id)})`), ...images.map((i) => `image ${sanitize(i.displayName ?? i.name)} (${i.id})`)];
    this.host.dispatch({ type: 'overlay/open', overlay: { kind: 'fleet-delete', key: row.key, imageId: row.id, where: row.where, editor: { text: '', cursor: 0 }, dependants } });
  }

  async confirmDelete(): Promise<void> {
    const o = this.host.state.overlay?.kind === 'fleet-delete' ? this.host.state.overlay : undefined;
    if (!o) return;
    const row = this.rowOf(o.key);
    const session = row && this.sessionOf(row);
    if (!row || !session) return this.host.dispatch({ type: 'overlay/close', kind: 'fleet-delete' });
    if (o.editor.text !== row.id) {
      const typedName = o.editor.text === row.name;
      return this.host.dispatch({ type: 'overlay/error', kind: 'fleet-delete', message: `${typedName ? 'That is the name, not the id' : 'That is not the id'}; type ${row.id} exactly.` });
    }
    this.host.dispatch({ type: 'overlay/close', kind: 'fleet-delete' });
    try {
      await session.images.deleteImage(row.id, { dependants: o.dependants.length });
      this.host.say('info', `Deleted ${row.id} in ${row.where}.`);
      this.settle(row);
    } catch (error) {
      this.host.say('error', describeError(error, `Deleting ${row.id} in ${row.where}`));
    }
  }

  startTerminate(): void {
    const row = selectedFleetRow(this.host.state);
    if (!row?.server) return;
    this.host.dispatch({ type: 'overlay/open', overlay: { kind: 'fleet-terminate', key: row.key, serverId: row.id, serverName: row.server.name, where: row.where, editor: { text: '', cursor: 0 } } });
  }

  async confirmTerminate(): Promise<void> {
    const o = this.host.state.overlay?.kind === 'fleet-terminate' ? this.host.state.overlay : undefined;
    if (!o) return;
    const row = this.rowOf(o.key);
    const session = row && this.sessionOf(row);
    if (!row?.server || !session) return this.host.dispatch({ type: 'overlay/close', kind: 'fleet-terminate' });
    if (o.editor.text !== row.server.name) {
      const typedId = o.editor.text === row.server.id;
      return this.host.dispatch({ type: 'overlay/error', kind: 'fleet-terminate', message: `${typedId ? 'That is the id, not the name' : 'That is not the name'}; type ${sanitize(row.server.name)} exactly.` });
    }
    this.host.dispatch({ type: 'overlay/close', kind: 'fleet-terminate' });
    try {
      await session.servers.terminate(row.server);
      this.host.say('info', `Terminating ${sanitize(row.server.name)} (${row.id}) in ${row.where}.`);
      this.settle(row);
    } catch (error) {
      this.host.say('error', describeError(error, `Terminating ${sanitize(row.server.name)} in ${row.where}`));
    }
  }

  // ---- copy ------------------------------------------------------------------------------------------------

  /** The places a row's image can be copied to (the target's capability says; never a read-only one). */
  copyTargets(row: FleetRow): { targets: { source: string; region: string }[]; why?: string } {
    const origin = this.sessionOf(row);
    if (!this.fleet || !origin || !row.image) return { targets: [], why: `${row.where} is not open.` };
    const targets: { source: string; region: string }[] = [];
    const whys: string[] = [];
    const seen = new Set<string>();
    for (const place of this.fleet.sessions()) {
      const refusal = place.session.readOnly
        ? `${place.source} is read-only (readOnly in config.yaml): nothing is copied there.`
        : copyRefusal(origin, { storeId: place.session.storeId, providerId: place.session.providerId, region: place.region, source: place.source, description: place.session.description }, row.image);
      if (refusal === undefined) targets.push({ source: place.source, region: place.region });
      else if (!(place.source === row.source && place.region === row.region) && !seen.has(place.source) && !whys.includes(refusal)) seen.add(place.source), whys.push(refusal);
    }
    if (targets.length) return { targets };
    // The first reason of each source, up to two, and how many more there are.
    const why = whys.length === 0 ? `No other region or source is open to copy ${sanitize(row.name, 60)} to.` : whys.slice(0, 2).join(' ') + (whys.length > 2 ? ` (And ${whys.length - 2} more.)` : '');
    return { targets, why };
  }

  private defaultCopyName(row: FleetRow, target: { source: string; region: string }): string {
    const copies = this.fleet?.copies(target.source, target.region);
    return (row.image && copies?.defaultName(row.image)) ?? row.image?.name ?? '';
  }

  startCopy(): void {
    const row = selectedFleetRow(this.host.state);
    if (!row?.image) return;
    const { targets, why } = this.copyTargets(row);
    if (targets.length === 0) {
      this.host.say('error', `${sanitize(row.name, 60)} cannot be copied anywhere: ${why}`);
      return;
    }
    const name = this.defaultCopyName(row, targets[0]!);
    this.host.dispatch({ type: 'overlay/open', overlay: { kind: 'fleet-copy', key: row.key, name: row.name, where: row.where, targets, target: 0, editor: { text: name, cursor: [...name].length } } });
  }

  /** Tab in the copy prompt: the next target (the name follows it where it was the default). */
  nextTarget(delta: number): void {
    const o = this.host.state.overlay?.kind === 'fleet-copy' ? this.host.state.overlay : undefined;
    const row = o && this.rowOf(o.key);
    if (!o || !row) return;
    const next = o.targets[(o.target + delta + o.targets.length) % o.targets.length]!;
    const current = o.targets[o.target]!;
    const keep = o.editor.text !== this.defaultCopyName(row, current);
    this.host.dispatch({ type: 'fleet/copy-target', delta, ...(keep ? {} : { name: this.defaultCopyName(row, next) }) });
  }

  async confirmCopy(): Promise<void> {
    const o = this.host.state.overlay?.kind === 'fleet-copy' ? this.host.state.overlay : undefined;
    if (!o || !this.fleet) return;
    const row = this.rowOf(o.key);
    const target = o.targets[o.target]!;
    const from = row && this.sessionOf(row);
    const copies = this.fleet.copies(target.source, target.region);
    if (!row?.image || !from || !copies) return this.host.dispatch({ type: 'overlay/close', kind: 'fleet-copy' });
    const name = o.editor.text;
    try {
      const address = from.address;
      const copy = await copies.start(
        { storeId: from.storeId, providerId: from.providerId, region: from.region, ...(from.source ? { source: from.source } : {}), ...(address !== undefined ? { address } : {}), image: row.image },
        { name },
      );
      this.host.dispatch({ type: 'overlay/close', kind: 'fleet-copy' });
      this.host.say('info', `Copying ${sanitize(row.name, 60)} from ${row.where} to ${target.source}/${target.region} as "${sanitize(name, 60)}"; its progress shows under the fleet.`);
      void this.fleet.runCopy(target.source, target.region, copy.id)?.then((done) => {
        if (done.state === 'failed') this.host.say('error', `The copy of ${sanitize(row.name, 60)} to ${target.source}/${target.region} failed: ${sanitize(done.error ?? '', 400)}`);
        else if (done.state === 'done') this.host.say('info', sanitize(done.note ?? 'The copy is available.', 400));
      });
    } catch (error) {
      const message = isStrataError(error) && (error.kind === 'Invalid' || error.kind === 'Conflict' || error.kind === 'Unsupported') ? error.message : describeError(error, 'Copying');
      this.host.dispatch({ type: 'overlay/error', kind: 'fleet-copy', message });
    }
  }

  // ---- the rest ------------------------------------------------------------------------------------------

  /** The number of rows shown (for paging). */
  get count(): number {
    return fleetRows(this.host.state).count;
  }

  async close(): Promise<void> {
    this.unsubscribe?.();
    const fleet = this.fleet;
    this.fleet = undefined;
    await fleet?.close();
  }
}
