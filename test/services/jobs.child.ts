// A strata process for test/services/jobs-crash.test.ts: opens the real sandbox, store and services on a
// home, runs a job, and dies (SIGKILL, no cleanup, as a crash or a dropped SSH session would) the moment
// the job reaches the state, or reports the event, named on the command line. The optional last argument
// is what the user does: "cancel-terminate" (cancel the job once its builder is launched, the builder to
// be terminated) or "retry" (retry the failed job instead of running it).
//   argv: home region jobId crashAt [action]
import { writeSync } from 'node:fs';
import { SandboxProvider } from '../../source/providers/sandbox/index.js';
import { openStore } from '../../source/store/db.js';
import { POLL_MS, SEED, SPEED, servicesFor } from './jobs.world.js';

const [home, region, jobId, crashAt, action] = process.argv.slice(2) as [string, string, string, string, string | undefined];

const provider = await SandboxProvider.open({ home, region, sandboxSeed: SEED, sandboxSpeed: SPEED });
const store = openStore(home);
const world = await servicesFor(home, provider, store);

function crash(what: string): void {
  writeSync(1, `crashing at ${what}\n`);
  process.kill(process.pid, 'SIGKILL');
}

let cancelling = false;
const options = {
  onUpdate: (job: { state: string }) => {
    if (job.state === crashAt) crash(job.state);
    if (action === 'cancel-terminate' && job.state === 'waiting-ready' && !cancelling) {
      cancelling = true;
      void world.jobs.cancel(jobId, { builder: 'terminate' });
    }
  },
  onProgress: (progress: { event: string }) => {
    if (progress.event === crashAt) crash(progress.event);
  },
};
if (action === 'retry') await world.jobs.retry(jobId, options);
else await world.jobs.run(jobId, options);
process.stdout.write(`finished without crashing (poll ${POLL_MS} ms)\n`);
process.exit(3);
