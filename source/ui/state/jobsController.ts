// The safe-workflow jobs' effects: starting one from the form, following it (its progress into the
// monitor's job lines), resuming unfinished ones at start, cancelling, and listing them untouched in a
// read-only session. Split from the launch form's controller: a job outlives the form.
import { describeError, isStrataError } from '../../core/errors.js';
import { sanitize } from '../../core/sanitize.js';
import type { JobRecord, SafeWorkflowInput } from '../../services/jobs.js';
import type { LaunchServices } from '../../services/launching.js';
import type { Session } from '../../services/session.js';
import type { Action } from './reducer.js';
import type { AppState, JobView } from './state.js';

export interface JobsHost {
  readonly state: AppState;
  dispatch(action: Action): void;
  say(level: 'error' | 'warning' | 'info', message: string): void;
  session(): Session | undefined;
  services(session: Session): Promise<LaunchServices>;
  /** Servers were started or ended: the monitor should look now. */
  launched(): void;
  /** An image was made (a job's capture): own images are reloaded in place. */
  imagesChanged(): void;
}

export class JobsController {
  constructor(private readonly host: JobsHost) {}

  private services(session: Session): Promise<LaunchServices> {
    return this.host.services(session);
  }

  /** Starts the safe workflow (refused with every problem before anything is written) and follows it. */
  async start(session: Session, input: SafeWorkflowInput): Promise<JobRecord> {
    const services = await this.services(session);
    const job = await services.jobs.startSafeWorkflow(input);
    this.follow(services, job.id);
    return job;
  }

  /** Runs (or follows) a job, its progress into the monitor's job lines (and the jobs list, when shown). */
  follow(services: LaunchServices, id: string): void {
    let builder: string | undefined;
    const update = (job: JobRecord) => {
      this.host.dispatch({ type: 'monitor/job', job: { id: job.id, state: job.state, line: jobLine(job) } });
      if (this.host.state.pane === 'jobs') void this.loadList();
      // Its builder was just launched: the monitor looks now rather than at its next slow poll.
      if (job.serverId && job.serverId !== builder) {
        builder = job.serverId;
        this.host.launched();
      }
    };
    const current = services.jobs.get(id);
    if (current) update(current);
    this.after(services.jobs.run(id, { onUpdate: update }), update);
  }

  /** What is said when a job ends (done, failed), and what is refreshed. */
  private after(ended: Promise<JobRecord>, update: (job: JobRecord) => void): void {
    void ended
      .then((job) => {
        update(job);
        if (job.state === 'done') {
          this.host.say('info', `The safe workflow is done: image ${sanitize(job.imageId ?? '')} ("${sanitize(job.params.imageName)}") is yours.`);
          this.host.imagesChanged();
        } else if (job.state === 'failed') this.host.say('error', `The safe workflow failed: ${sanitize(job.error ?? 'no reason given', 300)}`);
        this.host.launched();
      })
      .catch((error) => this.host.say('error', describeError(error, 'The safe workflow')));
  }

  /** The jobs list (the jobs pane, :jobs): every job of the region, newest first, with what may be done now. */
  async loadList(): Promise<void> {
    const session = this.host.session();
    if (!session) return;
    try {
      const services = await this.services(session);
      if (this.host.session() !== session) return;
      const names = new Map(this.host.state.monitor.servers.map((x) => [x.id, x.name]));
      const jobs: JobView[] = services.jobs.list().map((job) => {
        const a = services.jobs.actions(job);
        const reason = (x: { allowed: boolean; reason?: string }) => (x.allowed ? undefined : (x as { reason: string }).reason);
        return {
          id: job.id,
          state: job.state,
          line: jobLine(job),
          ...(job.serverId ? { serverId: job.serverId, ...(names.has(job.serverId) ? { serverName: names.get(job.serverId) } : {}) } : {}),
          imageName: job.params.imageName,
          actions: { cancel: reason(a.cancel), retry: reason(a.retry), terminateBuilder: reason(a.terminateBuilder), keepBuilder: reason(a.keepBuilder) },
        };
      });
      this.host.dispatch({ type: 'jobs/list', jobs });
    } catch (error) {
      this.host.say('error', describeError(error, 'Listing the jobs'));
    }
  }

  private selected(): JobView | undefined {
    const list = this.host.state.jobList;
    return list.jobs[list.selected];
  }

  /**
   * X: cancelling a job names it and asks what becomes of its builder: terminated (its name typed) or kept
   * running on purpose (Tab). From the monitor, the newest running job; in the jobs list, the selected one.
   */
  async openCancel(fromList: boolean): Promise<void> {
    const session = this.host.session();
    if (!session) return;
    let jobId = fromList ? this.selected()?.id : this.host.state.monitor.jobs.find((j) => !['done', 'failed', 'cancelled'].includes(j.state))?.id;
    if (!jobId) {
      this.host.say('info', 'No safe-workflow job is running.');
      return;
    }
    try {
      const services = await this.services(session);
      const job = services.jobs.get(jobId);
      if (!job) throw new Error(`job ${jobId} is no longer listed`);
      const allowed = services.jobs.actions(job).cancel;
      if (!allowed.allowed) {
        this.host.say('error', `Job ${job.id.slice(0, 8)} cannot be cancelled: ${allowed.reason}`);
        return;
      }
      jobId = job.id;
      const serverName = job.serverId ? this.host.state.monitor.servers.find((x) => x.id === job.serverId)?.name : undefined;
      this.host.dispatch({
        type: 'overlay/open',
        overlay: {
          kind: 'cancel-job',
          jobId,
          what: `job ${job.id.slice(0, 8)} ("${sanitize(job.params.imageName, 60)}", ${job.state})`,
          ...(job.serverId ? { serverId: job.serverId, serverName: serverName ?? job.serverId } : {}),
          keep: false,
          editor: { text: '', cursor: 0 },
        },
      });
    } catch (error) {
      this.host.say('error', describeError(error, 'Cancelling the job'));
    }
  }

  /** Enter in the cancel prompt: the builder terminated (its name typed) or kept; the job stops after its step. */
  async confirmCancel(): Promise<void> {
    const o = this.host.state.overlay?.kind === 'cancel-job' ? this.host.state.overlay : undefined;
    const session = this.host.session();
    if (!o || !session) return;
    const terminate = o.serverId !== undefined && !o.keep;
    if (terminate && o.editor.text !== o.serverName && o.editor.text !== o.serverId) {
      this.host.dispatch({ type: 'overlay/error', kind: 'cancel-job', message: `That is not the builder's name; type ${sanitize(o.serverName ?? '', 128)} exactly (or Tab: keep it running).` });
      return;
    }
    this.host.dispatch({ type: 'overlay/close', kind: 'cancel-job' });
    try {
      const services = await this.services(session);
      const done = await services.jobs.cancel(o.jobId, { builder: terminate ? 'terminate' : 'keep' });
      this.host.dispatch({ type: 'monitor/job', job: { id: done.id, state: done.state, line: jobLine(done) } });
      const builder = !o.serverId
        ? 'It had started no builder.'
        : terminate
          ? `Its builder ${sanitize(o.serverName ?? o.serverId, 128)} is terminated.`
          : `Its builder ${sanitize(o.serverName ?? o.serverId, 128)} keeps running, on purpose: terminate it from the jobs list (T) or the monitor when you are done with it.`;
      this.host.say('info', `Cancelled ${o.what}: it stops after its current step. ${builder}`);
      this.host.launched();
    } catch (error) {
      this.host.say('error', describeError(error, `Cancelling ${o.what}`));
    } finally {
      void this.loadList();
    }
  }

  /** R in the jobs list: a failed job goes on from the step it failed in. */
  async retry(): Promise<void> {
    const view = this.selected();
    const session = this.host.session();
    if (!view || !session) return;
    try {
      const services = await this.services(session);
      this.host.say('info', `Retrying job ${view.id.slice(0, 8)} from the step it failed in.`);
      const update = (job: JobRecord) => this.host.dispatch({ type: 'monitor/job', job: { id: job.id, state: job.state, line: jobLine(job) } });
      const ended = services.jobs.retry(view.id, { onUpdate: (job) => (update(job), void this.loadList()) });
      void this.loadList();
      this.after(ended, update);
    } catch (error) {
      const hint = isStrataError(error) && error.field === 'builder' ? ' Press T to terminate it or K to keep it for inspection, then R again.' : '';
      this.host.say('error', `${describeError(error, `Retrying job ${view.id.slice(0, 8)}`)}${hint}`);
    }
  }

  /** T in the jobs list: an ended job's builder, terminated once its name is typed. */
  openTerminateBuilder(): void {
    const view = this.selected();
    if (!view?.serverId) return;
    this.host.dispatch({
      type: 'overlay/open',
      overlay: { kind: 'builder', jobId: view.id, serverId: view.serverId, serverName: view.serverName ?? view.serverId, editor: { text: '', cursor: 0 } },
    });
  }

  async confirmTerminateBuilder(): Promise<void> {
    const o = this.host.state.overlay?.kind === 'builder' ? this.host.state.overlay : undefined;
    const session = this.host.session();
    if (!o || !session) return;
    if (o.editor.text !== o.serverName && o.editor.text !== o.serverId) {
      this.host.dispatch({ type: 'overlay/error', kind: 'builder', message: `That is not the builder's name; type ${sanitize(o.serverName, 128)} exactly.` });
      return;
    }
    this.host.dispatch({ type: 'overlay/close', kind: 'builder' });
    await this.settle(session, o.jobId, 'terminate', `Terminating the builder ${sanitize(o.serverName, 128)} of job ${o.jobId.slice(0, 8)}.`);
  }

  /** K in the jobs list: a failed job's builder keeps running, for inspection (the job records it). */
  async keepBuilder(): Promise<void> {
    const view = this.selected();
    const session = this.host.session();
    if (!view?.serverId || !session) return;
    await this.settle(session, view.id, 'inspect', `The builder ${sanitize(view.serverName ?? view.serverId, 128)} of job ${view.id.slice(0, 8)} is kept running for inspection.`);
  }

  private async settle(session: Session, jobId: string, fate: 'terminate' | 'inspect', said: string): Promise<void> {
    try {
      const services = await this.services(session);
      const job = await services.jobs.settleBuilder(jobId, fate);
      this.host.dispatch({ type: 'monitor/job', job: { id: job.id, state: job.state, line: jobLine(job) } });
      this.host.say('info', said);
      this.host.launched();
    } catch (error) {
      this.host.say('error', describeError(error, fate === 'terminate' ? 'Terminating the builder' : 'Keeping the builder'));
    } finally {
      void this.loadList();
    }
  }

  /** At the start of a read-only session: unfinished jobs are listed in the monitor, waiting, and left alone. */
  async showUnfinished(): Promise<boolean> {
    const session = this.host.session();
    if (!session || !session.hasUnfinishedJobs()) return false;
    try {
      const services = await this.services(session);
      for (const job of services.jobs.unfinished()) {
        this.host.dispatch({ type: 'monitor/job', job: { id: job.id, state: job.state, line: `${jobLine(job)} — left as it is: this session is read-only` } });
      }
    } catch (error) {
      this.host.say('error', describeError(error, 'Listing the unfinished jobs'));
    }
    return true;
  }

  /** At the start of a session: unfinished jobs go on from where they were. */
  async resumeJobs(): Promise<void> {
    const session = this.host.session();
    if (!session || !session.hasUnfinishedJobs()) return;
    try {
      const services = await this.services(session);
      for (const job of services.jobs.unfinished()) {
        this.host.say('info', `Resuming the safe workflow job ${job.id} (${job.state}).`);
        this.follow(services, job.id);
      }
    } catch (error) {
      this.host.say('error', describeError(error, 'Resuming the safe workflow'));
    }
  }
}

/** One line for a job: where it is, and what it is waiting for. */
export function jobLine(job: JobRecord): string {
  const what = `job ${job.id.slice(0, 8)} "${sanitize(job.params.imageName, 60)}"`;
  if (job.state === 'done') return `${what}: done, image ${sanitize(job.imageId ?? '')}`;
  if (job.state === 'failed') return `${what}: failed in ${job.failedStep ?? 'a step'}: ${sanitize(job.error ?? '', 200)}`;
  if (job.state === 'cancelled') return `${what}: cancelled`;
  return `${what}: ${job.state}${job.note ? ` (${sanitize(job.note, 120)})` : ''}`;
}
