// The safe workflow's resumable job from the command line: a job started elsewhere (the services, as the
// TUI starts it) is shown and cancelled here, saying what becomes of its builder; `workflow safe --wait`
// runs one to its end; without --wait a strata of its own runs it in the background; `jobs resume` takes
// up one nobody runs.
import { describe, expect, it, onTestFinished } from 'vitest';
import type { JobRecord } from '../../source/services/jobs.js';
import { Session } from '../../source/services/session.js';
import { openStore } from '../../source/store/db.js';
import { jsonOf, linesOf, newHome, strata, strataSync } from './helpers.js';

type JobDoc = { job: { id: string; state: string; serverId: string | null; imageId: string | null; builder: string | null; builderName: string }; actions: { cancel: { allowed: boolean } } };

/** A vendor template the workflow can start a builder from (x86_64, available, not deprecated). */
function template(home: string): string {
  const doc = JSON.parse(strataSync(['images', '--scope', 'vendor', '--json'], { home }).stdout) as { images: { id: string; architecture: string; state: string }[] };
  return doc.images.find((i) => i.architecture === 'x86_64' && i.state === 'available')!.id;
}

/** Starts a job through the services (as the TUI does) and runs it until its builder is launched, then stops the run. */
async function jobWithBuilder(home: string): Promise<JobRecord> {
  const store = openStore(home);
  const session = await Session.open({ providerId: 'sandbox', home, configDir: home }, store);
  try {
    const services = await session.services();
    const job = await services.jobs.startSafeWorkflow({
      templateImageId: template(home),
      builder: { name: 'builder-one', imageId: '', productId: 'sb.small', count: 1, firewallIds: [], keypair: { mode: 'none' } },
      imageName: 'golden-from-job',
      terminateBuilder: true,
    });
    const stop = new AbortController();
    const ran = await services.jobs.run(job.id, { signal: stop.signal, onUpdate: (j) => (j.serverId ? stop.abort() : undefined) });
    expect(ran.state).toBe('waiting-ready');
    expect(ran.serverId).toBeDefined();
    return ran;
  } finally {
    await session.close();
    store.close();
  }
}

describe('jobs from the command line', () => {
  it('a job started by the services is listed, shown and cancelled here: the builder terminated once its name is typed', async () => {
    const home = newHome();
    const job = await jobWithBuilder(home);
    const list = jsonOf<{ jobs: { id: string; state: string }[] }>(strataSync(['jobs', '--json'], { home }), 'jobs');
    expect(list.jobs.map((j) => [j.id, j.state])).toEqual([[job.id, 'waiting-ready']]);
    const table = strataSync(['jobs'], { home });
    expect(table.stdout).toMatch(new RegExp(`^ID\\s+STATE\\s+IMAGE NAME\\s+BUILDER\\s+NOTE\\n${job.id}\\s+waiting-ready\\s+golden-from-job\\s+${job.serverId}`));
    // The start of its id is enough.
    const shown = jsonOf<JobDoc>(strataSync(['jobs', 'show', job.id.slice(4, 12), '--json'], { home }), 'job');
    expect(shown.job).toMatchObject({ id: job.id, serverId: job.serverId, builderName: 'builder-one' });
    expect(shown.actions.cancel.allowed).toBe(true);

    const unsaid = strataSync(['jobs', 'cancel', job.id], { home });
    expect(unsaid.code).toBe(4);
    expect(unsaid.stderr).toBe(
      `strata: Job ${job.id} has a builder, builder-one (${job.serverId}): say what becomes of it: --builder terminate --confirm "builder-one", or --builder keep (it keeps running, on purpose).\n`,
    );
    const wrong = strataSync(['jobs', 'cancel', job.id, '--builder', 'terminate', '--confirm', 'builder-two'], { home });
    expect(wrong.code).toBe(4);
    expect(wrong.stderr).toContain("That is not the builder's name; type builder-one exactly");
    expect(jsonOf<JobDoc>(strataSync(['jobs', 'show', job.id, '--json'], { home }), 'job').job.state).toBe('waiting-ready');

    const cancelled = strataSync(['jobs', 'cancel', job.id, '--builder', 'terminate', '--confirm', 'builder-one', '--json'], { home });
    expect(jsonOf<JobDoc>(cancelled, 'job').job).toMatchObject({ state: 'cancelled', builder: 'terminated' });
    expect(cancelled.stderr).toBe(`Cancelled job ${job.id}. Its builder builder-one is terminated.\n`);
    const servers = jsonOf<{ servers: { id: string; phase: string }[] }>(strataSync(['servers', '--json'], { home }), 'servers');
    expect(servers.servers.find((s) => s.id === job.serverId)?.phase).toBe('terminated');
    const again = strataSync(['jobs', 'cancel', job.id, '--builder', 'keep'], { home });
    expect(again.code).toBe(4);
    expect(again.stderr).toBe(`strata: Job ${job.id} cannot be cancelled: The job has ended (cancelled).\n`);
  });

  it('workflow safe --wait runs the job here to its end: events as it goes, the image labelled, the builder terminated', async () => {
    const home = newHome();
    const id = template(home);
    const r = await strata(['workflow', 'safe', id, '--name', 'golden-wf', '--label', 'green', '--wait', '--timeout', '120s', '--sandbox-speed', '600', '--ndjson'], { home });
    expect(r.code, r.stderr).toBe(0);
    const lines = linesOf(r);
    expect(lines[0]).toMatchObject({ kind: 'job-started' });
    const steps = [...new Set(lines.filter((l) => l.kind === 'job-update').map((l) => (l.job as { state: string }).state))];
    expect(steps).toEqual(['launching', 'waiting-ready', 'capturing', 'waiting-image', 'labelling', 'terminating', 'done']);
    const done = lines.at(-1) as unknown as JobDoc & { kind: string };
    expect(done).toMatchObject({ kind: 'job', job: { state: 'done', builder: 'terminated' } });
    const image = jsonOf<{ image: { shownName: string; label: string; kind: string; sourceImageId: string } }>(strataSync(['image', 'show', done.job.imageId!, '--json'], { home }), 'image');
    expect(image.image).toMatchObject({ shownName: 'golden-wf', label: 'green', kind: 'own', sourceImageId: id });
  });

  it('workflow safe without --wait: a strata of its own runs the job; a cancel that keeps the builder stops that runner', async () => {
    const home = newHome();
    const started = strataSync(['workflow', 'safe', template(home), '--name', 'golden-bg', '--json'], { home });
    const job = jsonOf<JobDoc>(started, 'job').job;
    const pid = Number(/It runs in the background \(pid (\d+)\)/.exec(started.stderr)?.[1]);
    expect(pid).toBeGreaterThan(0);
    onTestFinished(() => {
      try {
        process.kill(pid, 'SIGKILL'); // a runner this test left behind (it failed half-way)
      } catch {
        // gone, as it should be
      }
    });
    // The runner launches the builder (the world runs at 1: it will be a while before it is ready).
    const deadline = Date.now() + 60_000;
    let shown = job;
    while (!shown.serverId && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      shown = jsonOf<JobDoc>(strataSync(['jobs', 'show', job.id, '--json'], { home }), 'job').job;
    }
    expect(shown.serverId).not.toBeNull();
    const cancel = strataSync(['jobs', 'cancel', job.id, '--builder', 'keep'], { home });
    expect(cancel.code, cancel.stderr).toBe(0);
    expect(cancel.stderr).toContain('keeps running, on purpose');
    // The runner sees the cancel at its next look, marks the job cancelled and ends.
    const gone = Date.now() + 60_000;
    let alive = true;
    while (alive && Date.now() < gone) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      try {
        process.kill(pid, 0);
      } catch {
        alive = false;
      }
    }
    expect(alive).toBe(false);
    const end = jsonOf<JobDoc>(strataSync(['jobs', 'show', job.id, '--json'], { home }), 'job').job;
    expect(end).toMatchObject({ state: 'cancelled', builder: 'kept' });
    const servers = jsonOf<{ servers: { id: string; phase: string }[] }>(strataSync(['servers', '--json'], { home }), 'servers');
    expect(servers.servers.find((s) => s.id === end.serverId)?.phase).not.toBe('terminated');
  });

  it('jobs resume takes up a job nobody runs and runs it to its end', async () => {
    const home = newHome();
    const job = await jobWithBuilder(home);
    const r = await strata(['jobs', 'resume', job.id, '--sandbox-speed', '600', '--timeout', '120s', '--json'], { home });
    expect(r.code, r.stderr).toBe(0);
    expect(jsonOf<JobDoc>(r, 'job').job).toMatchObject({ id: job.id, state: 'done', serverId: job.serverId, builder: 'terminated' });
    const again = strataSync(['jobs', 'resume', job.id], { home });
    expect(again).toMatchObject({ code: 0 });
    expect(again.stderr).toContain('has ended (done); there is nothing to resume');
  });
});
