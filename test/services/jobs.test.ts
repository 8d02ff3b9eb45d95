// The seed's safe workflow as a job, against the real sandbox and the real store: from a vendor template,
// a builder server, ready, an image captured, labelled, the builder terminated (or kept); refusals before
// anything is written; a builder that fails or stalls; cancel; a run stopped and resumed; two strata
// sessions on one job.
import { describe, expect, it } from 'vitest';
import { LABEL_TAG } from '../../source/core/tags.js';
import { FAILURE_REASONS } from '../../source/providers/sandbox/readiness.js';
import { WorkflowRefused, type JobRecord, type JobState, type SafeWorkflowInput } from '../../source/services/jobs.js';
import { builderRequest, newHome, openWorld, ownImages, patiently, sandboxServerRows, vendorTemplate, type World } from './jobs.fixture.js';

async function workflow(world: World, extra: Partial<SafeWorkflowInput> = {}): Promise<SafeWorkflowInput> {
  const template = await vendorTemplate(world);
  return {
    templateImageId: template.id,
    builder: builderRequest(world, 'ignored: the template is used'),
    imageName: world.description.capabilities.images.tags ? 'golden web 1' : 'golden-web-1',
    label: 'green',
    terminateBuilder: true,
    ...extra,
  };
}

function statesOf(updates: JobRecord[]): JobState[] {
  return updates.map((u) => u.state).filter((s, i, all) => i === 0 || all[i - 1] !== s);
}

describe('the safe workflow, from a vendor template (eu-west)', () => {
  it('launches a builder, waits until ready, captures, labels, terminates the builder: an own image from the template', async () => {
    const world = await openWorld();
    const input = await workflow(world);
    const started = await world.jobs.startSafeWorkflow(input);
    expect(started).toMatchObject({ state: 'launching', kind: 'safe-workflow', provider: 'sandbox', region: 'eu-west', cancelRequested: false });
    expect(started.clientToken).toMatch(/^[0-9a-f-]{36}$/);
    expect(started.params).toMatchObject({ templateImageId: input.templateImageId, templateKind: 'vendor', imageName: 'golden web 1' });
    expect(started.params.builder).toMatchObject({ imageId: input.templateImageId, count: 1 });
    // written first, nothing sent yet
    expect(world.jobs.list().map((j) => j.id)).toEqual([started.id]);
    expect(await world.provider.listServers()).toEqual([]);

    world.provider.clock.setSpeed(1000); // slow enough to see the builder's phases go by (ready within 2 s)
    const updates: JobRecord[] = [];
    const phases = new Set<string>();
    const done = await world.jobs.run(started.id, {
      onUpdate: (j) => updates.push(j),
      onProgress: (p) => p.phase && phases.add(p.phase),
    });
    world.provider.clock.setSpeed(1); // a terminated server stays listed for a simulated hour: keep it in view
    expect(done.state, done.error).toBe('done');
    expect(statesOf(updates)).toEqual(['launching', 'waiting-ready', 'capturing', 'waiting-image', 'labelling', 'terminating', 'done']);
    expect(phases.size).toBeGreaterThan(1);
    expect(done.serverId).toMatch(/^srv-/);
    expect(done.imageId).toMatch(/^img-/);
    expect(done.note).toMatch(/^Image golden web 1 \(img-.+\) is available, labelled green, captured from .+; the builder srv-.+ was terminated\.$/);
    expect(done.finishedAt).toBeDefined();

    // exactly one builder, from the template, terminated
    expect(sandboxServerRows(world.home, 'eu-west')).toHaveLength(1);
    const servers = await world.provider.listServers();
    expect(servers).toHaveLength(1);
    expect(servers[0]).toMatchObject({ id: done.serverId, imageId: input.templateImageId, phase: 'terminated', name: 'builder' });
    // the image: own, available, labelled, remembers the template and the builder
    const images = (await ownImages(world)).filter((i) => i.name === 'golden web 1');
    expect(images).toHaveLength(1);
    expect(images[0]).toMatchObject({ id: done.imageId, state: 'available', kind: 'own', sourceImageId: input.templateImageId, sourceServerId: done.serverId });
    expect(images[0]!.tags[LABEL_TAG]).toBe('green');
    expect(world.catalogue.merge(images[0]!)).toMatchObject({ label: 'green', labelSource: 'tag' });

    // every step in the audit log, in order
    const actions = world.store.audit
      .list({ limit: 100 })
      .reverse()
      .map((e) => e.action)
      .filter((a) => a.startsWith('job.') || a.startsWith('image.') || a.startsWith('launch.'));
    expect(actions).toEqual([
      'job.started',
      'launch.requested',
      'launch.done',
      'job.builder-launched',
      'job.builder-ready',
      'image.captured',
      'job.image-captured',
      'job.image-available',
      'image.label',
      'job.image-labelled',
      'job.builder-terminated',
      'job.done',
    ]);
    // nothing secret in it
    expect(JSON.stringify(world.store.audit.list({ limit: 100 }))).not.toMatch(/PRIVATE KEY|passphrase"/i);
    // a finished job does nothing when run again
    expect((await world.jobs.run(started.id)).state).toBe('done');
    expect(await world.jobs.resumeAll()).toEqual([]);
    expect(sandboxServerRows(world.home, 'eu-west')).toHaveLength(1);
  });

  it('keeps the builder when asked to (ap-south: label and lineage in the local store)', async () => {
    const world = await openWorld({ region: 'ap-south' });
    const input = await workflow(world, { terminateBuilder: false, label: 'purple' });
    const job = await world.jobs.startSafeWorkflow(input);
    const done = await world.jobs.run(job.id);
    expect(done.state, done.error).toBe('done');
    expect(done.note).toMatch(/the builder srv-.+ is still running, kept as asked\.$/);
    expect(done.builder).toBe('kept');
    const builder = (await world.provider.listServers([done.serverId!]))[0]!;
    expect(builder.phase).toBe('ready');
    expect(world.store.audit.list({ action: 'job.builder-terminated' })).toEqual([]);
    expect(world.store.getImageMeta('sandbox', 'ap-south', done.imageId!)?.label).toBe('purple');
    expect(world.store.lineage().get('sandbox', 'ap-south', done.imageId!)).toMatchObject({
      sourceImageId: input.templateImageId,
      sourceServerId: done.serverId,
    });
    const image = (await ownImages(world)).find((i) => i.id === done.imageId)!;
    expect(image).toMatchObject({ name: 'golden-web-1', state: 'available', tags: {} });
  });

  it('without a label: no label is written, the job still ends done', async () => {
    const world = await openWorld();
    const input = await workflow(world, { label: undefined, imageName: 'unlabelled base' });
    delete input.label;
    const done = await world.jobs.run((await world.jobs.startSafeWorkflow(input)).id);
    expect(done.state, done.error).toBe('done');
    expect(world.store.audit.list({ action: 'image.label' })).toEqual([]);
    const image = (await ownImages(world)).find((i) => i.id === done.imageId)!;
    expect(image.tags[LABEL_TAG]).toBeUndefined();
  });
});

describe('refusals before anything is written or sent', () => {
  it('every problem at its field: a bad name, a taken name, a missing template, a size that does not exist, a bad label', async () => {
    const world = await openWorld();
    const good = await workflow(world);
    const refuse = async (input: SafeWorkflowInput) => {
      const error = await world.jobs.startSafeWorkflow(input).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WorkflowRefused);
      return (error as WorkflowRefused).problems;
    };
    expect(await refuse({ ...good, imageName: 'no;good' })).toEqual([{ field: 'imageName', message: '";" is not allowed in a name: 3 to 128 characters: letters, digits, spaces and ( ) [ ] . / \' @ _ -.' }]);
    const taken = (await ownImages(world)).find((i) => /^[A-Za-z0-9 ()[\]./'@_-]{3,128}$/.test(i.name))!;
    expect(await refuse({ ...good, imageName: taken.name })).toEqual([
      { field: 'imageName', message: `An image named "${taken.name}" already exists among your images (${taken.id}); choose another name.` },
    ]);
    expect(await refuse({ ...good, templateImageId: 'img-v-000000000000' })).toEqual([
      { field: 'templateImageId', message: 'Image img-v-000000000000 does not exist in sandbox region eu-west.' },
    ]);
    const sized = await refuse({ ...good, builder: { ...good.builder, productId: 'sb.huge' } });
    expect(sized.map((p) => p.field)).toEqual(['builder.productId']);
    const many = await refuse({ ...good, imageName: 'x', label: 'mauve' as never, terminateBuilder: 'yes' as never });
    expect(many.map((p) => p.field).sort()).toEqual(['imageName', 'label', 'terminateBuilder']);
    expect(await world.jobs.problems(good)).toEqual([]);

    // nothing was written or sent
    expect(world.jobs.list()).toEqual([]);
    expect(world.store.audit.list({ action: 'job.started' })).toEqual([]);
    expect(await world.provider.listServers()).toEqual([]);
  });

  it('a second job for the same image name is refused while the first has not ended', async () => {
    const world = await openWorld();
    const input = await workflow(world);
    const first = await world.jobs.startSafeWorkflow(input);
    await expect(world.jobs.startSafeWorkflow(input)).rejects.toMatchObject({
      problems: [{ field: 'imageName', message: `Job ${first.id} is already making an image named "golden web 1"; choose another name.` }],
    });
    expect(world.jobs.list()).toHaveLength(1);
  });
});

describe('a builder that does not become ready', () => {
  it('fails: the job fails with the provider’s reason, nothing is captured, the builder is kept for its console', async () => {
    const world = await openWorld({ sandboxFaults: 'fail=1' });
    const done = await world.jobs.run((await world.jobs.startSafeWorkflow(await workflow(world))).id);
    expect(done.state).toBe('failed');
    expect(done.failedStep).toBe('waiting-ready');
    const reason = FAILURE_REASONS.find((r) => done.error!.includes(r));
    expect(reason, done.error).toBeDefined();
    expect(done.error).toMatch(/^The builder server builder \(srv-.+\) failed: .+ It was kept so its console can be read; nothing was captured\.$/);
    expect(done.imageId).toBeUndefined();
    expect((await ownImages(world)).filter((i) => i.name === 'golden web 1' || i.sourceServerId === done.serverId)).toEqual([]);
    expect((await world.provider.listServers([done.serverId!]))[0]!.phase).toBe('failed');
    expect(world.store.audit.list({ action: 'job.failed' })[0]).toMatchObject({ target: done.id, detail: { step: 'waiting-ready', reason: done.error } });
    expect(world.store.audit.list({ action: 'image.captured' })).toEqual([]);
  });

  it('stalls: past the limit the job fails with a sentence', async () => {
    const world = await openWorld({ sandboxFaults: 'stall=1' });
    const done = await world.jobs.run((await world.jobs.startSafeWorkflow(await workflow(world))).id);
    expect(done.state).toBe('failed');
    expect(done.error).toMatch(/^The builder server builder \(srv-.+\) is still stalled after \d+ minutes \(expected about 20 minutes\); strata stopped waiting\./);
    expect((await ownImages(world)).filter((i) => i.sourceServerId === done.serverId)).toEqual([]);
  });
});

describe('cancel, stop and resume', () => {
  it('cancel while waiting for the builder stops the job; with terminateBuilder only its own builder goes', async () => {
    const world = await openWorld();
    world.provider.clock.setSpeed(1); // the builder stays booting for minutes
    const bystander = (await world.launcher.launch(builderRequest(world, (await vendorTemplate(world)).id, { name: 'bystander' }), { clientToken: 'bystander-token' })).servers[0]!;
    const job = await world.jobs.startSafeWorkflow(await workflow(world));
    let cancelling: Promise<JobRecord> | undefined;
    const ended = await world.jobs.run(job.id, {
      onUpdate: (j) => {
        if (j.state === 'waiting-ready' && !cancelling) cancelling = world.jobs.cancel(job.id, { builder: 'terminate' });
      },
    });
    expect(ended).toMatchObject({ state: 'cancelled', failedStep: 'waiting-ready', cancelRequested: true });
    const after = await cancelling!;
    expect(after.state).toBe('cancelled');
    expect(after.builder).toBe('terminated');
    expect(after.note).toBe(`Cancelled at waiting-ready; the builder ${after.serverId} was terminated.`);
    expect((await world.provider.listServers([after.serverId!]))[0]!.phase).toBe('terminated');
    expect((await world.provider.listServers([bystander.id]))[0]!.phase).not.toBe('terminated');
    expect(world.store.audit.list({ action: 'job.cancelled' })).toHaveLength(1);
    expect(world.store.audit.list({ action: 'job.builder-terminated' })[0]).toMatchObject({ detail: { serverId: after.serverId, why: 'cancelled' } });
    expect(world.store.audit.list({ action: 'image.captured' })).toEqual([]);
    // a cancelled job is not resumed
    expect(await world.jobs.resumeAll()).toEqual([]);
  });

  it('a job nobody runs is cancelled at once, and nothing is terminated unless asked', async () => {
    const world = await openWorld();
    const job = await world.jobs.startSafeWorkflow(await workflow(world));
    const cancelled = await world.jobs.cancel(job.id);
    expect(cancelled).toMatchObject({ state: 'cancelled', failedStep: 'launching', note: 'Cancelled at launching.' });
    expect(await world.provider.listServers()).toEqual([]);
    expect((await world.jobs.run(job.id)).state).toBe('cancelled');
  });

  it('a run stopped by its signal (quit) leaves the job where it was; resumeAll goes on with the same builder', async () => {
    const world = await openWorld();
    world.provider.clock.setSpeed(1);
    const job = await world.jobs.startSafeWorkflow(await workflow(world));
    const quit = new AbortController();
    const stopped = await world.jobs.run(job.id, {
      signal: quit.signal,
      onUpdate: (j) => j.state === 'waiting-ready' && quit.abort(),
    });
    expect(stopped.state).toBe('waiting-ready');
    expect(stopped.runner).toBeUndefined();
    const serverId = stopped.serverId!;

    world.provider.clock.setSpeed(5000);
    const [done] = await world.jobs.resumeAll();
    expect(done!.state, done!.error).toBe('done');
    expect(done!.serverId).toBe(serverId);
    expect(sandboxServerRows(world.home, 'eu-west')).toHaveLength(1);
    expect(world.store.audit.list({ action: 'job.resumed' })[0]).toMatchObject({ target: job.id, detail: { step: 'waiting-ready', serverId } });
  });

  it('resumeAll takes only the jobs of its own provider and region', async () => {
    const home = newHome();
    const eu = await openWorld({ home });
    const ap = await openWorld({ home, region: 'ap-south' });
    await eu.jobs.startSafeWorkflow(await workflow(eu));
    expect(await ap.jobs.resumeAll()).toEqual([]);
    expect(ap.jobs.list()).toEqual([]);
    const [done] = await eu.jobs.resumeAll();
    expect(done!.state, done!.error).toBe('done');
  });

  it('two strata sessions on one job: one runs it, the other follows; one builder, one image', async () => {
    const home = newHome();
    const first = await openWorld({ home });
    const second = await openWorld({ home });
    const job = await first.jobs.startSafeWorkflow(await workflow(first));
    const followed: JobState[] = [];
    const events: string[] = [];
    const [a, b] = await Promise.all([
      first.jobs.run(job.id),
      second.jobs.run(job.id, { onUpdate: (j) => followed.push(j.state), onProgress: (p) => events.push(p.event) }),
    ]);
    // the second session only watched: it never launched, polled or captured
    expect(events[0]).toBe('following');
    expect(events.filter((e) => e !== 'following')).toEqual([]);
    expect(a.state, a.error).toBe('done');
    expect(b.state).toBe('done');
    expect(followed.at(-1)).toBe('done');
    expect(sandboxServerRows(home, 'eu-west')).toHaveLength(1);
    expect((await ownImages(first)).filter((i) => i.name === 'golden web 1')).toHaveLength(1);
    expect(first.store.audit.list({ action: 'image.captured' })).toHaveLength(1);
  });

  it('running a job twice in one process joins the run', async () => {
    const world = await openWorld();
    const job = await world.jobs.startSafeWorkflow(await workflow(world));
    const [a, b] = await Promise.all([world.jobs.run(job.id), world.jobs.run(job.id)]);
    expect(a).toEqual(b);
    expect(a.state).toBe('done');
    expect(sandboxServerRows(world.home, 'eu-west')).toHaveLength(1);
  });

  it('a flaky provider (throttling, lost answers) still ends with one builder and one image', async () => {
    const home = newHome();
    const healthy = await openWorld({ home });
    const flaky = await openWorld({ home, sandboxFaults: 'throttle=0.3,timeout=0.2' });
    const input = await workflow(healthy);
    const job = await patiently(() => flaky.jobs.startSafeWorkflow(input));
    const done = await flaky.jobs.run(job.id);
    expect(done.state, done.error).toBe('done');
    const rows = sandboxServerRows(home, 'eu-west');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: done.serverId, client_token: job.clientToken });
    expect(rows[0]!.terminated_ms).not.toBeNull();
    expect((await ownImages(healthy)).filter((i) => i.name === 'golden web 1')).toHaveLength(1);
  });
});
