// Crashes: a real strata process (jobs.child.ts) runs a capture job against the real sandbox and store on
// a home and is killed with SIGKILL at a chosen step — or in the middle of one, after the provider did the
// work but before the job wrote it down — as a crash or a dropped SSH session would end it. Then this
// process, a fresh strata on the same home, resumes: the job ends done, with exactly one builder server
// ever started and exactly one image captured.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LABEL_TAG } from '../../source/core/tags.js';
import type { SafeWorkflowInput } from '../../source/services/jobs.js';
import { builderRequest, openWorld, ownImages, readyServer, sandboxServerRows, vendorTemplate, type World } from './jobs.fixture.js';

const CHILD = fileURLToPath(new URL('./jobs.child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function crashingRun(world: World, jobId: string, crashAt: string, action?: 'cancel-terminate' | 'retry'): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--disable-warning=ExperimentalWarning', '--import', 'tsx', CHILD, world.home, world.region, jobId, crashAt, ...(action ? [action] : [])],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const run: Run = { code: null, signal: null, stdout: '', stderr: '' };
    child.stdout.setEncoding('utf8').on('data', (c: string) => (run.stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (run.stderr += c));
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ ...run, code, signal }));
  });
}

async function input(world: World): Promise<SafeWorkflowInput> {
  const plain = world.description.capabilities.images.tags === false;
  return {
    templateImageId: (await vendorTemplate(world)).id,
    builder: builderRequest(world, ''),
    imageName: plain ? 'baked-after-crash' : 'baked after crash',
    label: 'orange',
    terminateBuilder: true,
  };
}

async function crashThenResume(crashAt: string, region = 'eu-west') {
  const world = await openWorld({ region });
  const params = await input(world);
  const job = await world.jobs.startSafeWorkflow(params);
  const run = await crashingRun(world, job.id, crashAt);
  expect(run.stderr).toBe('');
  expect(run.stdout).toBe(`crashing at ${crashAt}\n`);
  expect(run.signal).toBe('SIGKILL');
  const left = world.jobs.get(job.id)!;
  // the dead process's lease is still on the job: a fresh strata sees its process is gone and takes over
  expect(left.runner?.here).toBe(false);

  const resumed = await world.jobs.resumeAll();
  world.provider.clock.setSpeed(1);
  expect(resumed).toHaveLength(1);
  const done = resumed[0]!;
  expect(done.state, done.error).toBe('done');

  // exactly one builder server ever, the job's, terminated as asked
  const rows = sandboxServerRows(world.home, world.region);
  expect(rows).toHaveLength(1);
  expect(rows[0]).toMatchObject({ id: done.serverId, client_token: job.clientToken });
  expect(rows[0]!.terminated_ms).not.toBeNull();
  // exactly one image, from the builder and the template, available and labelled
  const images = (await ownImages(world)).filter((i) => i.name === params.imageName || i.sourceServerId === done.serverId);
  expect(images).toHaveLength(1);
  expect(images[0]).toMatchObject({ id: done.imageId, state: 'available', sourceImageId: params.templateImageId, sourceServerId: done.serverId });
  expect(world.catalogue.merge(images[0]!).label).toBe('orange');
  expect(world.store.audit.list({ action: 'image.captured' })).toHaveLength(1);
  expect(world.store.audit.list({ action: 'job.done' })).toHaveLength(1);
  expect(world.store.audit.list({ action: 'job.resumed' })).toHaveLength(1);
  // nothing left to resume; the launch journal has nothing unfinished for the user to confirm
  expect(await world.jobs.resumeAll()).toEqual([]);
  expect(world.store.journal('sandbox', world.region).unfinished()).toEqual([]);
  return { world, job, done, images };
}

describe('a strata that dies in the middle of a capture job', () => {
  // The job's own states: killed as each is written, before its work starts.
  for (const state of ['launching', 'waiting-ready', 'capturing', 'waiting-image', 'labelling', 'terminating']) {
    it(`at ${state}: the next start goes on from there — one builder, one image`, async () => {
      await crashThenResume(state);
    });
  }

  it('in the launch, before the request left (journal written, nothing at the provider): the same token launches once', async () => {
    const { world } = await crashThenResume('launch:sending');
    expect(world.store.audit.list({ action: 'launch.done' })).toHaveLength(1);
  });

  it('in the launch, after the provider started the builder but before anyone wrote it down: the builder is adopted', async () => {
    const { world } = await crashThenResume('launch:answered');
    expect(world.store.audit.list({ action: 'launch.adopted' })).toHaveLength(1);
  });

  it('after the provider captured the image but before the job wrote its id: the image is found and adopted, not captured again', async () => {
    const { world, done } = await crashThenResume('captured');
    expect(world.store.audit.list({ action: 'job.image-adopted' })[0]).toMatchObject({ detail: { imageId: done.imageId } });
    expect(world.store.audit.list({ action: 'job.image-captured' })).toEqual([]);
  });

  it('ap-south, after the capture but before the job wrote it down: adopted, and its lineage kept in the local store', async () => {
    const { world, done, images } = await crashThenResume('captured', 'ap-south');
    expect(images[0]!.tags[LABEL_TAG]).toBeUndefined();
    expect(world.store.lineage().get('sandbox', 'ap-south', done.imageId!)).toMatchObject({ sourceServerId: done.serverId });
  });

  it('cancelled with its builder to be terminated, killed before the builder went: the next start terminates it (never left running silently)', async () => {
    const world = await openWorld();
    world.provider.clock.setSpeed(1); // the builder stays booting: the cancel comes while it waits
    const job = await world.jobs.startSafeWorkflow(await input(world));
    const run = await crashingRun(world, job.id, 'cancelled', 'cancel-terminate');
    expect(run.stdout).toBe('crashing at cancelled\n');
    expect(run.signal).toBe('SIGKILL');
    const left = world.jobs.get(job.id)!;
    expect(left).toMatchObject({ state: 'cancelled', builder: 'terminate' });
    expect(sandboxServerRows(world.home, world.region)[0]!.terminated_ms).toBeNull();

    expect(await world.jobs.resumeAll()).toEqual([]);
    const after = world.jobs.get(job.id)!;
    expect(after.builder).toBe('terminated');
    const rows = sandboxServerRows(world.home, world.region);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.terminated_ms).not.toBeNull();
    expect(world.store.audit.list({ action: 'job.builder-terminated' })).toHaveLength(1);
    expect(await world.jobs.resumeAll()).toEqual([]);
  });

  it('retried after a failure, killed as the retry starts: the next start goes on from that step — still one builder, one image', async () => {
    const world = await openWorld();
    const params = { ...(await input(world)), imageName: 'retried after crash' };
    const job = await world.jobs.startSafeWorkflow(params);
    // The capture is refused once (the name taken meanwhile); the name is freed, the user retries, strata dies.
    const other = await readyServer(world, 'other');
    const taken = await world.capturer.capture(other.id, { name: 'retried after crash' });
    expect((await world.jobs.run(job.id)).state).toBe('failed');
    await world.provider.deleteImage(taken.id);
    const run = await crashingRun(world, job.id, 'capturing', 'retry');
    expect(run.stdout).toBe('crashing at capturing\n');
    const resumed = await world.jobs.resumeAll();
    world.provider.clock.setSpeed(1);
    expect(resumed.map((j) => j.state)).toEqual(['done']);
    expect(sandboxServerRows(world.home, world.region).filter((r) => r.client_token === job.clientToken)).toHaveLength(1);
    expect((await ownImages(world)).filter((i) => i.name === 'retried after crash')).toHaveLength(1);
    // two captures of that name ever: the other server's (deleted) and the job's, once
    expect(world.store.audit.list({ action: 'image.captured' }).filter((e) => e.detail.serverId === resumed[0]!.serverId)).toHaveLength(1);
  });
});
