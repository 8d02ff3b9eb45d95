// What a user does with jobs beyond running them, against the real sandbox and store: cancel with a choice
// about the builder (terminated, or kept on purpose: the job records which), keep a failed builder for
// inspection, retry a failed job from the step it failed in, list every job, a default image name with the
// capture's date.
import { describe, expect, it } from 'vitest';
import type { SafeWorkflowInput } from '../../source/services/jobs.js';
import { builderRequest, newHome, openWorld, ownImages, readyServer, sandboxServerRows, vendorTemplate, type World } from './jobs.fixture.js';

async function workflow(world: World, extra: Partial<SafeWorkflowInput> = {}): Promise<SafeWorkflowInput> {
  const template = await vendorTemplate(world);
  return {
    templateImageId: template.id,
    builder: builderRequest(world, template.id),
    imageName: 'golden web 1',
    terminateBuilder: true,
    ...extra,
  };
}

describe('cancel, with what becomes of the builder', () => {
  it('kept on purpose: the job says so, the builder runs on, nothing of it is terminated', async () => {
    const world = await openWorld();
    world.provider.clock.setSpeed(1); // the builder stays booting
    const job = await world.jobs.startSafeWorkflow(await workflow(world));
    let cancelling: Promise<unknown> | undefined;
    const ended = await world.jobs.run(job.id, {
      onUpdate: (j) => {
        if (j.state === 'waiting-ready' && !cancelling) cancelling = world.jobs.cancel(job.id, { builder: 'keep' });
      },
    });
    await cancelling;
    const after = world.jobs.get(job.id)!;
    expect(ended.state).toBe('cancelled');
    expect(after.builder).toBe('kept');
    expect(after.note).toBe(`Cancelled at waiting-ready; the builder ${after.serverId} is kept running, as asked.`);
    expect((await world.provider.listServers([after.serverId!]))[0]!.phase).not.toBe('terminated');
    expect(world.store.audit.list({ action: 'job.cancel-requested' })[0]).toMatchObject({ detail: { builder: 'keep' } });
    expect(world.store.audit.list({ action: 'job.builder-terminated' })).toEqual([]);
    // and it can still be terminated later, at the user's word
    expect(world.jobs.actions(after).terminateBuilder).toEqual({ allowed: true });
    const terminated = await world.jobs.settleBuilder(job.id, 'terminate');
    expect(terminated.builder).toBe('terminated');
    expect((await world.provider.listServers([after.serverId!]))[0]!.phase).toBe('terminated');
  });

  it('cancelled in its launch before the builder was written down: the builder the launch made is found and terminated', async () => {
    const world = await openWorld();
    world.provider.clock.setSpeed(1);
    const job = await world.jobs.startSafeWorkflow(await workflow(world));
    // The builder's launch reached the provider, and strata stopped before the job heard of it.
    await world.launcher.launch({ ...job.params.builder, imageId: job.params.templateImageId, count: 1 }, { clientToken: job.clientToken });
    const cancelled = await world.jobs.cancel(job.id, { builder: 'terminate' });
    expect(cancelled).toMatchObject({ state: 'cancelled', builder: 'terminated' });
    const rows = sandboxServerRows(world.home, 'eu-west');
    expect(rows).toHaveLength(1);
    expect(rows[0]!.terminated_ms).not.toBeNull();
  });
});

describe('a failed job', () => {
  it('keeps its builder for inspection at the user’s word, and says so', async () => {
    const world = await openWorld({ sandboxFaults: 'fail=1' });
    const failed = await world.jobs.run((await world.jobs.startSafeWorkflow(await workflow(world))).id);
    expect(failed.state).toBe('failed');
    expect(failed.builder).toBeUndefined();
    expect(world.jobs.actions(failed)).toMatchObject({ keepBuilder: { allowed: true }, terminateBuilder: { allowed: true }, retry: { allowed: true } });
    const kept = await world.jobs.settleBuilder(failed.id, 'inspect');
    expect(kept.builder).toBe('inspect');
    expect(kept.note).toBe(`The builder ${failed.serverId} is kept for inspection; terminate it when done.`);
    expect(world.jobs.actions(kept).keepBuilder).toEqual({ allowed: false, reason: 'The builder is kept for inspection already.' });
    expect((await world.provider.listServers([failed.serverId!]))[0]!.phase).toBe('failed');
    expect(world.store.audit.list({ action: 'job.builder-kept' })[0]).toMatchObject({ target: failed.id, detail: { serverId: failed.serverId } });
  });

  it('retried from the step it failed in (capturing): the same builder, one image, done', async () => {
    const world = await openWorld();
    const job = await world.jobs.startSafeWorkflow(await workflow(world, { imageName: 'contested name' }));
    // Someone captures an image of that very name while the job waits: the job's capture is refused.
    const other = await readyServer(world, 'other');
    const taken = await world.capturer.capture(other.id, { name: 'contested name' });
    const failed = await world.jobs.run(job.id);
    expect(failed).toMatchObject({ state: 'failed', failedStep: 'capturing' });
    expect(world.jobs.actions(failed).retry).toEqual({ allowed: true });
    // The name is freed; the job goes on from the capture, with the builder it has.
    await world.provider.deleteImage(taken.id);
    const done = await world.jobs.retry(job.id);
    expect(done.state, done.error).toBe('done');
    expect(done).toMatchObject({ serverId: failed.serverId, clientToken: failed.clientToken, retries: 1, builder: 'terminated' });
    expect(sandboxServerRows(world.home, 'eu-west').filter((r) => r.client_token === job.clientToken)).toHaveLength(1);
    expect((await ownImages(world)).filter((i) => i.name === 'contested name').map((i) => i.id)).toEqual([done.imageId]);
    expect(world.store.audit.list({ action: 'job.retried' })[0]).toMatchObject({ target: job.id, detail: { step: 'capturing', retries: 1 } });
  });

  it('whose builder failed: retry asks what becomes of it, then launches a new builder under a new token and ends done', async () => {
    const home = newHome();
    const faulty = await openWorld({ home, sandboxFaults: 'fail=1' });
    const failed = await faulty.jobs.run((await faulty.jobs.startSafeWorkflow(await workflow(faulty))).id);
    expect(failed).toMatchObject({ state: 'failed', failedStep: 'waiting-ready' });

    const healthy = await openWorld({ home });
    await expect(healthy.jobs.retry(failed.id)).rejects.toMatchObject({ kind: 'Conflict', field: 'builder' });
    const done = await healthy.jobs.retry(failed.id, { builder: 'terminate' });
    healthy.provider.clock.setSpeed(1);
    expect(done.state, done.error).toBe('done');
    expect(done.retries).toBe(1);
    expect(done.clientToken).not.toBe(failed.clientToken);
    expect(done.serverId).not.toBe(failed.serverId);
    // two builders ever: the failed one terminated at the user's word, the new one terminated as the job asked
    const rows = sandboxServerRows(home, 'eu-west');
    expect(rows.map((r) => r.id).sort()).toEqual([failed.serverId, done.serverId].sort());
    expect(rows.every((r) => r.terminated_ms !== null)).toBe(true);
    expect((await ownImages(healthy)).filter((i) => i.name === 'golden web 1')).toHaveLength(1);
    expect(healthy.store.audit.list({ action: 'job.retried' })[0]).toMatchObject({ target: failed.id, detail: { step: 'launching', newBuilder: true } });
  });
});

describe('the jobs list', () => {
  it('lists every job of the region, not only the newest, with what may be done with each', async () => {
    const world = await openWorld();
    const a = await world.jobs.startSafeWorkflow(await workflow(world, { imageName: 'image a' }));
    const b = await world.jobs.startSafeWorkflow(await workflow(world, { imageName: 'image b' }));
    await world.jobs.cancel(a.id, { builder: 'keep' });
    const c = await world.jobs.startSafeWorkflow(await workflow(world, { imageName: 'image c' }));
    const listed = world.jobs.list();
    expect(listed.map((j) => j.id).sort()).toEqual([a.id, b.id, c.id].sort());
    const cancelled = listed.find((j) => j.id === a.id)!;
    expect(world.jobs.actions(cancelled)).toMatchObject({
      cancel: { allowed: false, reason: 'The job has ended (cancelled).' },
      retry: { allowed: false },
      terminateBuilder: { allowed: false, reason: 'The job started no builder.' },
    });
    expect(world.jobs.actions(listed.find((j) => j.id === b.id)!).cancel).toEqual({ allowed: true });
  });
});

describe('the image a job captures', () => {
  it('is named after the builder and the date of the capture where no name is given', async () => {
    const world = await openWorld();
    const input = await workflow(world);
    delete input.imageName;
    const job = await world.jobs.startSafeWorkflow(input);
    const today = new Date().toISOString().slice(0, 10);
    expect(job.params.imageName).toBe(`builder-${today}`);
    const done = await world.jobs.run(job.id);
    expect(done.state, done.error).toBe('done');
    expect((await ownImages(world)).find((i) => i.id === done.imageId)!.name).toBe(`builder-${today}`);
    expect(world.jobs.defaultImageName('web server', new Date('2026-12-06T10:00:00Z'))).toBe('web server-2026-12-06');
  });

  it('takes its label from the job (the "label it" step)', async () => {
    const world = await openWorld({ region: 'ap-south' });
    const done = await world.jobs.run((await world.jobs.startSafeWorkflow(await workflow(world, { imageName: 'labelled-1', label: 'teal' }))).id);
    expect(done.state, done.error).toBe('done');
    expect(world.store.getImageMeta('sandbox', 'ap-south', done.imageId!)?.label).toBe('teal');
  });

  it('of a builder with encrypted volumes: the builder’s passphrase is deleted when the job terminates it', async () => {
    const world = await openWorld();
    const template = await vendorTemplate(world);
    const builder = builderRequest(world, template.id, { volumes: { count: 1, sizeGiB: 5, raid: 'none', filesystem: 'ext4', mountPoint: '/data', encrypt: true } });
    const done = await world.jobs.run((await world.jobs.startSafeWorkflow({ templateImageId: template.id, builder, imageName: 'sealed base', terminateBuilder: true })).id);
    expect(done.state, done.error).toBe('done');
    expect(world.store.launches().servers('sandbox', 'eu-west').get(done.serverId!)).toMatchObject({ passphraseAccount: `luks:${done.serverId}`, passphraseDeletedAt: expect.any(String) });
    expect(world.store.audit.list({ action: 'passphrase.deleted' })[0]).toMatchObject({ detail: { serverId: done.serverId } });
  });
});
