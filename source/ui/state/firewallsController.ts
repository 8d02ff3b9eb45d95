// :firewalls: the region's firewalls (security groups), the servers that use each and whether strata made
// it, from the session's firewalls service (services/firewalls.ts: one retry policy, sanitised strings);
// d on one asks for its name, typed, then deletes it (the service refuses it in use, the default group and
// a read-only session again, and writes the audit entry).
import { describeError } from '../../core/errors.js';
import type { FirewallEntry } from '../../services/firewalls.js';
import { sanitize } from '../../core/sanitize.js';
import type { Session } from '../../services/session.js';
import { Command } from '../keymap.js';
import type { Action } from './reducer.js';
import type { AppState, FirewallsOverlay } from './state.js';

export interface FirewallsHost {
  readonly state: AppState;
  dispatch(action: Action): void;
  say(level: 'error' | 'warning' | 'info', message: string): void;
  session(): Session | undefined;
  log(level: 'info' | 'warn' | 'error', message: string, detail?: unknown): void;
}

export class FirewallsController {
  private generation = 0;

  constructor(private readonly host: FirewallsHost) {}

  private get list(): FirewallsOverlay | undefined {
    const o = this.host.state.overlay;
    return o?.kind === 'firewalls' ? o : o?.kind === 'firewall-delete' ? o.list : undefined;
  }

  /** The firewall the list has selected. */
  selected(): FirewallEntry | undefined {
    const o = this.list;
    return o?.rows?.[o.index];
  }

  /** :firewalls opens the list and asks the provider. */
  open(): void {
    const session = this.host.session();
    const where = session?.source ? `${sanitize(session.source, 64)}/${sanitize(session.region, 64)}` : undefined;
    this.host.dispatch({ type: 'overlay/open', overlay: { kind: 'firewalls', index: 0, loading: true, ...(where ? { where } : {}) } });
    void this.load();
  }

  /** Asks the provider (again): the rows stay on screen meanwhile. */
  async load(): Promise<void> {
    const session = this.host.session();
    const generation = ++this.generation;
    this.host.dispatch({ type: 'firewalls/loading' });
    if (!session) {
      this.host.dispatch({ type: 'firewalls/error', message: 'Not connected yet; try :firewalls again in a moment.' });
      return;
    }
    try {
      const rows = await session.firewalls.list();
      if (generation === this.generation) this.host.dispatch({ type: 'firewalls/loaded', rows });
    } catch (error) {
      this.host.log('warn', 'listing firewalls failed', error);
      if (generation === this.generation) this.host.dispatch({ type: 'firewalls/error', message: describeError(error, 'Listing the firewalls') });
    }
  }

  /** Why d cannot run on the selected firewall (read-only is said before this, from the keymap). */
  disabledReason(command: Command): string | undefined {
    if (command !== Command.DeleteFirewall) return undefined;
    const o = this.list;
    if (!o || (o.loading && !o.rows)) return 'The firewalls are still being listed.';
    const fw = this.selected();
    if (!fw) return 'No firewall is selected: this region lists none.';
    return fw.refusal;
  }

  /** d: the selected firewall's name, to type. */
  startDelete(): void {
    const o = this.host.state.overlay;
    const fw = this.selected();
    if (o?.kind !== 'firewalls' || !fw) return;
    this.host.dispatch({ type: 'overlay/open', overlay: { kind: 'firewall-delete', id: fw.id, name: fw.name, madeByStrata: fw.madeByStrata, editor: { text: '', cursor: 0 }, list: o } });
  }

  /** Esc in the prompt: back to the list, nothing deleted. */
  cancelDelete(): void {
    const o = this.host.state.overlay;
    if (o?.kind === 'firewall-delete') this.host.dispatch({ type: 'overlay/open', overlay: o.list });
  }

  /** Enter in the prompt: the name must be typed exactly; then the firewall is deleted and the list asked again. */
  async confirmDelete(): Promise<void> {
    const o = this.host.state.overlay;
    const session = this.host.session();
    if (o?.kind !== 'firewall-delete' || !session) return;
    if (o.editor.text !== o.name) {
      const message = `${o.editor.text === o.id ? 'That is the id, not the name' : 'That is not the name'}; type ${o.name} exactly.`;
      this.host.dispatch({ type: 'overlay/error', kind: 'firewall-delete', message });
      return;
    }
    this.host.dispatch({ type: 'overlay/open', overlay: { ...o.list, loading: true } });
    try {
      await session.firewalls.delete(o.id);
      this.host.say('info', `Deleted firewall ${o.name} (${o.id}).`);
    } catch (error) {
      this.host.say('error', describeError(error, `Deleting firewall ${o.name}`));
    }
    if (this.host.state.overlay?.kind === 'firewalls') await this.load();
  }
}
