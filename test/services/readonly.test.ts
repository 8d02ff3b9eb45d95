// A read-only session (strata --read-only) changes nothing, in the foreground or the background: with a job
// waiting for its builder and an interrupted launch on the home, a read-only session lists both and
// resumes neither; every change its services (and its provider) are asked for is refused with a sentence
// that says the session is read-only. Against the real sandbox and store.
import { describe, expect, it } from 'vitest';
import { ReadOnlySession } from '../../source/services/readonly.js';
import { Session } from '../../source/services/session.js';
import { openStore } from '../../source/store/db.js';
import { builderRequest, newHome, openWorld, ownImages, sandboxServerRows, SEED, vendorTemplate } from './jobs.fixture.js';

describe('a read-only session', () => {
  it('lists the job waiting for its builder and the interrupted launch, resumes neither, and refuses every change', async () => {
    const home = newHome();
    const world = await openWorld({ home });
    world.provider.clock.setSpeed(1); // the builder stays booting for minutes
    const template = await vendorTemplate(world);
    const job = await world.jobs.startSafeWorkflow({
      templateImageId: template.id,
      builder: builderRequest(world, template.id),
      imageName: 'golden web 1',
      terminateBuilder: true,
    });
    // A strata that stopped while the job waited for its builder (quit: the lease released, as after a kill it would go stale).
    const quit = new AbortController();
    await world.jobs.run(job.id, { signal: quit.signal, onUpdate: (j) => j.state === 'waiting-ready' && quit.abort() });
    // And a launch written to the journal, never sent.
    const request = builderRequest(world, template.id, { name: 'interrupted' });
    const review = await world.launcher.review(request);
    world.store.transaction(() => {
      world.store.journal('sandbox', 'eu-west').begin(review.clientToken, review.spec);
      world.store.launches().create({ clientToken: review.clientToken, provider: 'sandbox', region: 'eu-west', request, productId: request.productId, tagsAtProvider: true });
    });
    const before = {
      job: world.jobs.get(job.id)!,
      servers: sandboxServerRows(home, 'eu-west'),
      images: (await ownImages(world)).length,
      audit: world.store.audit.list({ limit: 10_000 }).length,
    };
    expect(before.job.state).toBe('waiting-ready');

    const store = openStore(home);
    const session = await Session.open({ providerId: 'sandbox', region: 'eu-west', home, sandboxSeed: SEED, readOnly: true }, store);
    try {
      expect(session.readOnly).toBe(true);
      const services = await session.services();
      const refused = async (what: Promise<unknown>) => {
        const error = await what.then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(ReadOnlySession);
        expect((error as ReadOnlySession).message).toMatch(/^Read-only session: strata does not .+ here \(it was started with --read-only\)\.$/);
        return error as ReadOnlySession;
      };

      // listed
      expect(services.jobs.unfinished().map((j) => j.id)).toEqual([job.id]);
      expect(session.hasUnfinishedJobs()).toBe(true);
      expect((await services.launcher.interrupted()).map((i) => [i.entry.clientToken, i.state])).toEqual([[review.clientToken, 'unsent']]);
      expect(services.jobs.actions(services.jobs.get(job.id)!).cancel).toEqual({ allowed: false, reason: 'The session is read-only (--read-only).' });

      // never resumed, in the background or the foreground
      expect((await refused(services.jobs.resumeAll())).refused).toBe('resume jobs');
      await refused(services.jobs.run(job.id));
      await refused(services.jobs.cancel(job.id, { builder: 'terminate' }));
      await refused(services.jobs.retry(job.id));
      await refused(services.launcher.reconcile());
      await refused(services.launcher.retry(review.clientToken));
      await refused(services.launcher.abandon(review.clientToken));

      // and no other change either: through the services, or through the provider the session holds
      await refused(services.launcher.launch(request, { clientToken: 'read-only-token' }));
      await refused(services.jobs.startSafeWorkflow({ templateImageId: template.id, builder: request, imageName: 'never', terminateBuilder: true }));
      const builder = before.job.serverId!;
      await refused(session.servers.terminate({ id: builder, name: 'builder' }));
      await refused(session.capturer.capture(builder, { name: 'never captured' }));
      const own = (await ownImages(world)).find((i) => i.state === 'available')!;
      await refused(session.images.deleteImage(own.id));
      await refused(session.provider.terminate(builder));
      await refused(session.provider.launch(review.spec, 'read-only-token'));
      await refused(session.provider.setImageTags(own.id, { 'strata:label': 'red' }));
      await refused(session.provider.createFirewall('never', []));
      // reading still works
      expect((await session.provider.listServers()).map((s) => s.id)).toContain(builder);
      expect(await session.servers.lookUpImages([template.id])).toMatchObject({ [template.id]: { id: template.id } });
    } finally {
      await session.close();
      store.close();
    }

    // nothing changed: the job where it was, nobody's lease on it, the builder booting, no image, no audit entry
    const after = world.jobs.get(job.id)!;
    expect(after).toMatchObject({ state: 'waiting-ready', serverId: before.job.serverId, updatedAt: before.job.updatedAt });
    expect(after.runner).toBeUndefined();
    expect(sandboxServerRows(home, 'eu-west')).toEqual(before.servers);
    expect((await ownImages(world)).length).toBe(before.images);
    expect(world.store.audit.list({ limit: 10_000 })).toHaveLength(before.audit);
    expect(world.store.journal('sandbox', 'eu-west').get(review.clientToken)!.state).toBe('pending');
  });
});
