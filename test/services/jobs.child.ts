// A strata process for test/services/jobs-crash.test.ts: opens the real sandbox, store and services on a
// home, runs a job, and dies (SIGKILL, no cleanup, as a crash or a dropped SSH session would) the moment
// the job reaches the state, or reports the event, named on the command line.
//   argv: home region jobId crashAt
import { writeSync } from 'node:fs';
import { SandboxProvider } from '../../source/providers/sandbox/index.js';
import { openStore } from '../../source/store/db.js';
import { POLL_MS, SEED, SPEED, servicesFor } from './jobs.world.js';

const [home, region, jobId, crashAt] = process.argv.slice(2) as [string, string, string, string];

const provider = await SandboxProvider.open({ home, region, sandboxSeed: SEED, sandboxSpeed: SPEED });
const store = openStore(home);
const world = await servicesFor(home, provider, store);

function crash(what: string): void {
  writeSync(1, `crashing at ${what}\n`);
  process.kill(process.pid, 'SIGKILL');
}

await world.jobs.run(jobId, {
  onUpdate: (job) => {
    if (job.state === crashAt) crash(job.state);
  },
  onProgress: (progress) => {
    if (progress.event === crashAt) crash(progress.event);
  },
});
process.stdout.write(`finished without crashing (poll ${POLL_MS} ms)\n`);
process.exit(3);
