// A read-only session changes nothing, in the foreground or the background: an unfinished safe-workflow job
// (strata was killed while it waited for its builder) is shown and left for a session that may act.
import { describe, expect, it } from 'vitest';
import { builderRequest, openWorld, vendorTemplate } from '../services/jobs.fixture.js';
import { start } from './harness.js';
import { Command } from '../keys.js';

describe('--read-only', () => {
  it('shows an unfinished safe-workflow job and leaves it: no capture, no terminate, the job where it was', async () => {
    const world = await openWorld();
    const template = await vendorTemplate(world);
    const job = await world.jobs.startSafeWorkflow({
      templateImageId: template.id,
      builder: builderRequest(world, 'ignored'),
      imageName: 'golden web 1',
      label: 'green',
      terminateBuilder: true,
    });
    const before = world.jobs.get(job.id)!;
    const imagesBefore = (await world.provider.listImages({ scope: 'own', pageSize: 500 })).items.length;
    const serversBefore = (await world.provider.listServers()).length;

    const h = await start({ home: world.home, readOnly: true });
    await h.waitFor('img-');
    // What strata says it does with the job, and the job in the monitor, marked as left alone.
    await h.waitFor(/This session is read-only: unfinished safe-workflow jobs of eu-west are left as they are/);
    await h.command('global', Command.NextPane);
    await h.waitFor(/left as it is: this session is read-only/);
    // The job is exactly where it was, and nothing was made at the provider.
    expect(world.jobs.get(job.id)).toEqual(before);
    expect(await world.provider.listServers()).toHaveLength(serversBefore);
    expect((await world.provider.listImages({ scope: 'own', pageSize: 500 })).items).toHaveLength(imagesBefore);
    // Cancelling it is refused with the reason, in the footer's words.
    await h.command('monitor', Command.CancelJob);
    await h.waitFor('This session is read-only (--read-only): cancelling jobs is disabled.');
  });
});
