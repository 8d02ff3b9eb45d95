// The safe-workflow jobs' effects: starting one from the form, following it (its progress into the
// monitor's job lines), resuming unfinished ones at start, cancelling, and listing them untouched in a
// read-only session. Split from the launch form's controller: a job outlives the form.
import { describeError } from '../../core/errors.js';
import { sanitize } from '../../core/sanitize.js';
import type { JobRecord, SafeWorkflowInput } from '../../services/jobs.js';
import type { LaunchServices } from '../../services/launching.js';
import type { Session } from '../../services/session.js';
import type { Action } from './reducer.js';
import type { AppState } from './state.js';

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

  /** Runs (or follows) a job, its progress into the monitor's job lines. */
  follow(services: LaunchServices, id: string): void {
    const update = (job: JobRecord) => this.host.dispatch({ type: 'monitor/job', job: { id: job.id, state: job.state, line: jobLine(job) } });
    const current = services.jobs.get(id);
    if (current) update(current);
    void services.jobs
      .run(id, { onUpdate: update })
      .then((job) => {
        update(job);
        if (job.state === 'done') {
          this.host.say('info', `The safe workflow is done: image ${sanitize(job.imageId ?? '')} ("${sanitize(job.params.imageName)}") is yours.`);
          this.host.imagesChanged();
        }
        else if (job.state === 'failed') this.host.say('error', `The safe workflow failed: ${sanitize(job.error ?? 'no reason given', 300)}`);
        this.host.launched();
      })
      .catch((error) => this.host.say('error', describeError(error, 'The safe workflow')));
  }

  /** X in the monitor: the newest unfinished job stops after its current step (nothing is terminated). */
  async cancelNewestJob(): Promise<void> {
    const session = this.host.session();
    const job = this.host.state.monitor.jobs.find((j) => !['done', 'failed', 'cancelled'].includes(j.state));
    if (!session || !job) {
      this.host.say('info', 'No safe-workflow job is running.');
      return;
    }
    try {
      const services = await this.services(session);
      this.host.say('info', `Cancelling job ${job.id}: it stops after its current step.`);
      const done = await services.jobs.cancel(job.id);
      this.host.dispatch({ type: 'monitor/job', job: { id: done.id, state: done.state, line: jobLine(done) } });
    } catch (error) {
      this.host.say('error', describeError(error, `Cancelling job ${job.id}`));
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
