// From the list to the machine: s (ssh into a server, the terminal handed to ssh and taken back), y and Y
// (a row's id and the provider's CLI line to the clipboard, OSC 52), o (the row's web-console link), f on
// a launch result (follow the new server's console), and :ssh-user (the login user of an image).
import { describeError } from '../../core/errors.js';
import { UNKNOWN } from '../../core/lineage.js';
import { needsSanitising, sanitize } from '../../core/sanitize.js';
import type { Server } from '../../core/types.js';
import type { Session } from '../../services/session.js';
import { sshOutcome, type ImageLookupFn, type ShellPlan } from '../../services/shell.js';
import { Command, type KeyContext } from '../keymap.js';
import type { TerminalHost } from '../screen/handover.js';
import type { MonitorController } from './monitorController.js';
import type { BulkController } from './bulkController.js';
import type { Action } from './reducer.js';
import { imageLookup, selectedImage } from './selectors.js';
import type { AppState } from './state.js';

export interface ShellHost {
  readonly state: AppState;
  dispatch(action: Action): void;
  say(level: 'error' | 'warning' | 'info', message: string, link?: string): void;
  session(): Session | undefined;
  log(level: 'info' | 'warn' | 'error', message: string, detail?: unknown): void;
  terminal: TerminalHost;
  monitor: MonitorController;
  /** The marks: y with rows marked copies every marked id (the bulk controller reads them). */
  bulk: Pick<BulkController, 'count' | 'markedIds'>;
  /** Leaves the launch result for the monitor. */
  closeLaunch(): void;
  setPane(pane: 'monitor'): void;
}

/** The commands this controller answers (and gives the disabled reason of). */
export const SHELL_COMMANDS: ReadonlySet<Command> = new Set([Command.Ssh, Command.Follow, Command.CopyId, Command.CopyCli, Command.WebLink]);

type Row = { kind: 'image' | 'server' | 'job'; id: string; name: string } | { kind: 'review'; id: string; name: string; cli?: string };

export class ShellController {
  private pending?: ShellPlan;
  private running = false;

  constructor(private readonly host: ShellHost) {}

  private get state(): AppState {
    return this.host.state;
  }

  /** The server s acts on in a context: the selected one of the monitor, the one the detail shows. */
  serverOf(context: KeyContext): Server | undefined {
    const m = this.state.monitor;
    if (context === 'detail' || context === 'follow') return m.servers.find((s) => s.id === m.detail?.serverId);
    if (context === 'monitor') return m.servers[m.selected];
    return undefined;
  }

  /** The row y, Y and o act on in a context. */
  private rowOf(context: KeyContext): Row | undefined {
    if (context === 'list') {
      const image = selectedImage(this.state);
      return image ? { kind: 'image', id: image.id, name: image.shownName } : undefined;
    }
    if (context === 'monitor' || context === 'detail' || context === 'follow') {
      const server = this.serverOf(context);
      return server ? { kind: 'server', id: server.id, name: server.name } : undefined;
    }
    if (context === 'jobs') {
      const job = this.state.jobList.jobs[this.state.jobList.selected];
      return job ? { kind: 'job', id: job.id, name: job.imageName } : undefined;
    }
    if (context === 'review') {
      const review = this.state.launch?.review;
      return review ? { kind: 'review', id: review.clientToken, name: this.state.launch?.draft?.name ?? 'this launch', ...(review.cli ? { cli: review.cli } : {}) } : undefined;
    }
    return undefined;
  }

  /** Why a command of this controller cannot run here, or undefined. */
  disabledReason(context: KeyContext, command: Command): string | undefined {
    const session = this.host.session();
    if (command === Command.Follow && context === 'result') {
      return this.state.launch?.result?.serverIds?.length ? undefined : 'This launch started no server to follow yet (the monitor shows it once it does).';
    }
    if (command === Command.Ssh || command === Command.Follow) {
      const server = this.serverOf(context);
      if (!server) return context === 'monitor' ? 'No server is selected: the monitor lists none.' : 'This server is no longer listed.';
      if (!session) return 'Not connected yet.';
      if (command === Command.Follow) {
        const d = this.state.session.description;
        return d && !d.capabilities.servers.consoleOutput ? `${d.displayName} shows no console output to follow.` : undefined;
      }
      if (this.running) return 'ssh runs already.';
      return session.shell.refusal(server);
    }
    const row = this.rowOf(context);
    const marks = command === Command.CopyId ? this.markScope(context) : undefined;
    if (!row && !(marks && this.host.bulk.count(marks) > 0)) {
      if (context === 'list') return this.state.session.status === 'ready' ? 'No image is selected: the list is empty.' : 'Not connected yet.';
      if (context === 'jobs') return 'No job is selected: this region has none.';
      if (context === 'review') return 'Nothing is being reviewed.';
      return 'No server is selected: the monitor lists none.';
    }
    if (row?.kind === 'review' && command === Command.CopyCli && !row.cli) return `${this.state.session.description?.displayName ?? 'This provider'} has no CLI line for this launch.`;
    return undefined;
  }

  private lookup(): ImageLookupFn {
    const known = imageLookup(this.state);
    return (id) => {
      const found = known(id);
      return found === UNKNOWN ? undefined : found === undefined ? null : found;
    };
  }

  // ---- s: ssh -----------------------------------------------------------------------------------------

  /** s: plans the ssh command (reading the console for host keys on the first connection) and runs it. */
  async ssh(context: KeyContext): Promise<void> {
    const server = this.serverOf(context);
    const session = this.host.session();
    if (!server || !session || this.running) return;
    if (context === 'follow') this.host.monitor.stopFollowing();
    // One s at a time: a second press while the first is still being planned does nothing.
    this.running = true;
    const busy = `preparing ssh to ${sanitize(server.name, 60)}`;
    this.host.dispatch({ type: 'busy/add', what: busy });
    let plan: ShellPlan;
    try {
      plan = await session.shell.plan(server, this.lookup());
    } catch (error) {
      this.host.say('error', error instanceof RangeError ? error.message : describeError(error, `Preparing ssh to ${sanitize(server.name)}`));
      return;
    } finally {
      this.running = false;
      this.host.dispatch({ type: 'busy/remove', what: busy });
    }
    if (plan.check === 'unverified') {
      this.pending = plan;
      this.host.dispatch({ type: 'overlay/open', overlay: { kind: 'ssh-unverified', serverId: server.id, serverName: server.name, sentence: plan.checkSentence } });
      return;
    }
    await this.run(plan);
  }

  /** y on the unverified question: connect (ssh takes the key it is shown, kept in strata's known_hosts). */
  async confirmUnverified(): Promise<void> {
    const o = this.state.overlay;
    const plan = this.pending;
    this.pending = undefined;
    this.host.dispatch({ type: 'overlay/close', kind: 'ssh-unverified' });
    if (o?.kind !== 'ssh-unverified' || !plan || plan.serverId !== o.serverId) return;
    await this.run(plan);
  }

  cancelUnverified(): void {
    this.pending = undefined;
    this.host.dispatch({ type: 'overlay/close', kind: 'ssh-unverified' });
  }

  private async run(plan: ShellPlan): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.host.log('info', 'ssh', { server: plan.serverId, line: plan.line, check: plan.check });
    try {
      const result = await this.host.terminal.runForeground(plan.program, plan.args);
      this.host.log('info', 'ssh ended', { server: plan.serverId, exitCode: result.exitCode, signal: result.signal });
      if (result.error) {
        this.host.say('error', `ssh could not be started: ${sanitize(result.error, 300)} Ran: ${plan.line}`);
        return;
      }
      const outcome = sshOutcome(plan, result.exitCode, result.signal, result.stderr);
      if (outcome.ranLine) this.host.say('info', outcome.ranLine);
      this.host.say(outcome.level, outcome.text);
      for (const note of plan.notes) this.host.say('warning', note);
    } finally {
      this.running = false;
    }
  }

  // ---- y, Y, o ------------------------------------------------------------------------------------------

  /** y: the row's id (with rows marked: every marked id, one a line); Y: the CLI line that describes it (the review's own line in the review). */
  copy(context: KeyContext, what: 'id' | 'cli'): void {
    const marks = what === 'id' ? this.markScope(context) : undefined;
    if (marks && this.host.bulk.count(marks) > 0) {
      void this.copyMarked(marks);
      return;
    }
    const row = this.rowOf(context);
    const session = this.host.session();
    if (!row || !session) return;
    let text: string | undefined;
    let about: string;
    if (what === 'id') {
      text = row.id;
      about = row.kind === 'review' ? "the launch's client token" : `the ${row.kind}'s id`;
    } else if (row.kind === 'review') {
      text = row.cli;
      about = "the launch's CLI line";
    } else if (row.kind === 'job') {
      text = `strata jobs show ${row.id} --provider ${session.providerId} --region ${session.region}`;
      about = "strata's line that shows the job";
    } else {
      text = session.references(row.kind, row.id).cli;
      about = `the CLI line that describes the ${row.kind}`;
    }
    if (!text) {
      this.host.say('info', `${session.description.displayName} has no CLI line for ${row.kind} ${sanitize(row.id, 128)}.`);
      return;
    }
    // What lands on the clipboard is what the message shows: a provider's id with a control character is
    // copied as it is drawn, never as bytes a shell would act on when pasted.
    const clean = needsSanitising(text) ? sanitize(text, 4096) : text;
    if (!this.host.terminal.copy(clean)) {
      this.host.say('error', 'Nothing was copied: no terminal takes the clipboard sequence here.');
      return;
    }
    this.host.say('info', `Copied ${about} to the clipboard: ${sanitize(clean, 2000)}`);
  }

  /** The marks y copies in a context: the list's scope's, the monitor's servers'. */
  private markScope(context: KeyContext): 'own' | 'vendor' | 'public' | 'servers' | undefined {
    if (context === 'list') return this.state.scope;
    if (context === 'monitor') return 'servers';
    return undefined;
  }

  private async copyMarked(scope: 'own' | 'vendor' | 'public' | 'servers'): Promise<void> {
    let marked: { text: string; count: number; sentence: string };
    try {
      marked = await this.host.bulk.markedIds(scope);
    } catch (error) {
      this.host.say('error', describeError(error, 'Reading the marked rows'));
      return;
    }
    // One id a line; each as it is drawn (a provider's id with a control character is never pasted as one).
    const clean = marked.text
      .split('\n')
      .map((id) => (needsSanitising(id) ? sanitize(id, 1024) : id))
      .join('\n');
    if (!this.host.terminal.copy(clean)) {
      this.host.say('error', 'Nothing was copied: no terminal takes the clipboard sequence here.');
      return;
    }
    this.host.say('info', marked.sentence);
  }

  /** o: the row's page in the provider's web console, as a link. */
  webLink(context: KeyContext): void {
    const row = this.rowOf(context);
    const session = this.host.session();
    if (!row || !session) return;
    if (row.kind === 'job' || row.kind === 'review') {
      this.host.say('info', `A ${row.kind === 'job' ? 'job' : 'launch under review'} is strata's own: no web console shows it (Y copies ${row.kind === 'job' ? 'the line that shows it' : 'its CLI line'}).`);
      return;
    }
    const web = session.references(row.kind, row.id).web;
    if (!web) {
      this.host.say('info', `${session.description.displayName} has no web console: no link for ${row.kind} ${sanitize(row.id, 128)} (Y copies its CLI line).`);
      return;
    }
    this.host.say('info', `${row.kind === 'image' ? 'Image' : 'Server'} ${sanitize(row.id, 128)} in the web console:`, web);
  }

  // ---- f on the launch result -----------------------------------------------------------------------

  /** f on the launch result: the monitor, the new server's detail, its console followed. */
  async followLaunched(): Promise<void> {
    const id = this.state.launch?.result?.serverIds?.[0];
    if (!id) return;
    this.host.closeLaunch();
    this.host.setPane('monitor');
    await this.host.monitor.openDetailOf(id);
    this.host.monitor.follow();
  }

  // ---- :ssh-user ----------------------------------------------------------------------------------------

  /** :ssh-user NAME (or - to clear): the login user of the selected image, or of the selected server's image. */
  setLoginUser(user: string | undefined): void {
    const session = this.host.session();
    if (!session) return;
    const s = this.state;
    let imageId: string | undefined;
    if (s.pane === 'monitor') imageId = this.serverOf(s.monitor.detail ? 'detail' : 'monitor')?.imageId;
    else if (s.pane === 'images') imageId = selectedImage(s)?.id;
    if (!imageId) {
      this.host.say('error', ':ssh-user sets the login user of the selected image (the image list) or of the selected server\'s image (the monitor); nothing is selected.');
      return;
    }
    try {
      session.shell.setLoginUser(imageId, user ?? null);
    } catch (error) {
      this.host.say('error', error instanceof RangeError ? error.message : describeError(error, 'Setting the login user'));
      return;
    }
    session.audit(user ? 'image.login-user' : 'image.login-user-cleared', imageId, user ? { user } : {});
    this.host.say('info', user ? `s logs in as ${user} on servers of image ${sanitize(imageId, 128)} (kept in the local store).` : `Image ${sanitize(imageId, 128)} has no login user of its own now: s uses config.yaml's, else its family's.`);
  }
}
