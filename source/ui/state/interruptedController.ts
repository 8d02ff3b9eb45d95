// Launches that were interrupted (strata killed, the SSH session dropped): at the start of a session, what
// reached the provider is adopted and the user is asked about what may not have (retry with the same token,
// abandon, or decide later). A read-only session only says they are there.
import { describeError } from '../../core/errors.js';
import { sanitize } from '../../core/sanitize.js';
import type { LaunchServices } from '../../services/launching.js';
import type { Session } from '../../services/session.js';
import type { JobsController } from './jobsController.js';
import type { Action } from './reducer.js';
import type { AppState } from './state.js';

export interface InterruptedHost {
  readonly state: AppState;
  dispatch(action: Action): void;
  say(level: 'error' | 'warning' | 'info', message: string): void;
  session(): Session | undefined;
  services(session: Session): Promise<LaunchServices>;
  readonly jobs: JobsController;
}

export class InterruptedController {
  constructor(private readonly host: InterruptedHost) {}

  private services(session: Session): Promise<LaunchServices> {
    return this.host.services(session);
  }

  /**
   * At the start of a read-only session: unfinished jobs and interrupted launches are listed (the jobs in
   * the monitor, waiting) and left alone; a sentence says who may act on them.
   */
  async showInterrupted(): Promise<void> {
    const session = this.host.session();
    if (!session) return;
    const launches = session.hasUnfinishedLaunches();
    const jobs = await this.host.jobs.showUnfinished();
    if (!launches && !jobs) return;
    const what = [jobs ? 'unfinished safe-workflow jobs' : '', launches ? 'interrupted launches' : ''].filter(Boolean).join(' and ');
    this.host.say('warning', `This session is read-only: ${what} of ${session.region} are left as they are. Start strata without --read-only to let them go on.`);
  }

  /** At the start of a session: adopt what the provider has, ask about what it may not have received. */
  async reconcile(): Promise<void> {
    const session = this.host.session();
    // Nothing unfinished in the journal (the usual start): the launcher is not even loaded.
    if (!session || !session.hasUnfinishedLaunches()) return;
    try {
      const services = await this.services(session);
      const items = await services.launcher.reconcile();
      const ask: { token: string; sentence: string }[] = [];
      for (const item of items) {
        // A safe-workflow job's builder launch is the job's to resume, not the user's to decide.
        if (services.jobs.isJobToken(item.entry.clientToken)) continue;
        // The journal keeps the spec that was sent: name the launch the way the user named it.
        const spec = item.entry.spec;
        const what = spec?.name ? `"${sanitize(spec.name)}" (${spec.count} × ${sanitize(spec.productId)})` : `token ${item.entry.clientToken}`;
        if (item.state === 'adopted') {
          this.host.say('info', `An interrupted launch of ${what} had reached the provider: adopted ${item.servers.map((s) => sanitize(s.id)).join(', ')}.`);
        } else {
          const how =
            item.state === 'unsent'
              ? 'was never sent'
              : item.state === 'partial'
                ? `made ${item.servers.length} of its servers (${item.servers.map((x) => sanitize(x.name)).join(', ')}); ${item.missing} ${item.missing === 1 ? 'is' : 'are'} missing, and retrying makes only ${item.missing === 1 ? 'that one' : 'those'}`
                : 'was sent, but the provider has no server for it (the request may not have arrived)';
          ask.push({ token: item.entry.clientToken, sentence: `An interrupted launch of ${what} ${how}.` });
        }
      }
      this.host.dispatch({ type: 'reconcile/set', items: ask });
    } catch (error) {
      this.host.say('error', describeError(error, 'Checking interrupted launches'));
    }
  }

  async retryInterrupted(): Promise<void> {
    const item = this.host.state.reconcile?.[0];
    const session = this.host.session();
    if (!item || !session) return;
    this.host.dispatch({ type: 'reconcile/done', token: item.token });
    try {
      const outcome = await (await this.services(session)).launcher.retry(item.token);
      const how = outcome.how === 'adopted' ? 'Adopted (they existed already)' : outcome.how === 'completed' ? 'Completed with the same token' : 'Relaunched with the same token';
      this.host.say('info', `${how}: ${outcome.servers.map((s) => sanitize(s.id)).join(', ')}.`);
    } catch (error) {
      this.host.say('error', describeError(error, 'Retrying the interrupted launch'));
    }
  }

  async abandonInterrupted(): Promise<void> {
    const item = this.host.state.reconcile?.[0];
    const session = this.host.session();
    if (!item || !session) return;
    this.host.dispatch({ type: 'reconcile/done', token: item.token });
    try {
      const result = await (await this.services(session)).launcher.abandon(item.token);
      this.host.say('info', result.state === 'adopted' ? `It had arrived after all: adopted ${result.servers.map((s) => sanitize(s.id)).join(', ')}.` : 'Abandoned; nothing was sent.');
    } catch (error) {
      this.host.say('error', describeError(error, 'Abandoning the interrupted launch'));
    }
  }

  laterInterrupted(): void {
    const item = this.host.state.reconcile?.[0];
    if (item) this.host.dispatch({ type: 'reconcile/done', token: item.token });
  }
}
