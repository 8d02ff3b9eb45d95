// A strata process for test/services/copies-crash.test.ts: opens the real sandbox and store on a home, runs
// a copy job into the second region, and dies (SIGKILL, no cleanup) the moment the copy reaches the state,
// or reports the event, named on the command line — as a crash or a dropped SSH session would end it.
//   argv: home copyId crashAt
import { writeSync } from 'node:fs';
import { openStore } from '../../source/store/db.js';
import { copyWorld, POLL_MS } from './copies.world.js';

const [home, copyId, crashAt] = process.argv.slice(2) as [string, string, string];

const store = openStore(home);
const world = await copyWorld(home, store);

function crash(what: string): void {
  writeSync(1, `crashing at ${what}\n`);
  process.kill(process.pid, 'SIGKILL');
}

await world.copies.run(copyId, {
  onUpdate: (copy) => {
    if (copy.state === crashAt) crash(copy.state);
  },
  onProgress: (progress) => {
    if (progress.event === crashAt) crash(progress.event);
  },
});
process.stdout.write(`finished without crashing (poll ${POLL_MS} ms)\n`);
process.exit(3);
