// The safe-workflow jobs in the UI: X names the job and asks what becomes of its builder — terminated (its
// name typed) or kept running on purpose, said so on screen; the jobs list shows every job, and what may be
// done with each (a reason where not).
import { describe, expect, it } from 'vitest';
import { createSandboxProvider } from '../../source/providers/sandbox/index.js';
import { builderRequest, openWorld, vendorTemplate } from '../services/jobs.fixture.js';
import { Command } from '../keys.js';
import { start, type Harness } from './harness.js';

/** A home with one safe-workflow job whose builder will take real minutes to be ready (time at real speed). */
async function slowJob(): Promise<{ home: string; jobId: string }> {
  const world = await openWorld();
  const template = await vendorTemplate(world);
  const job = await world.jobs.startSafeWorkflow({ templateImageId: template.id, builder: builderRequest(world, template.id), imageName: 'golden web 1', terminateBuilder: true });
  // The world's clock back to real time, so the builder is still coming up while the test acts.
  const slow = await createSandboxProvider({ home: world.home, region: 'eu-west', sandboxSpeed: 1 });
  await slow.close();
  return { home: world.home, jobId: job.id };
}

/** The UI resumes the job: wait until its builder is launched and listed in the monitor. */
async function builderUp(h: Harness, jobId: string): Promise<string> {
  await h.waitFor('img-');
  await h.command('global', Command.NextPane);
  await h.waitFor(() => h.controller.state.monitor.servers.some((s) => s.name === "builder") && h.controller.state.monitor.jobs.some((j) => j.id === jobId), `the builder in the monitor (said: ${JSON.stringify(h.controller.state.messages.map((m) => m.text))}, jobs ${JSON.stringify(h.controller.state.monitor.jobs)})`);
  return h.controller.state.monitor.servers.find((s) => s.name === 'builder')!.id;
}

describe('jobs', () => {
  it('X names the job, wants the builder’s name typed to terminate it, and says so', async () => {
    const { home, jobId } = await slowJob();
    const h = await start({ home });
    const builderId = await builderUp(h, jobId);
    await h.command('monitor', Command.CancelJob);
    await h.waitFor((f) => /Type builder and Enter to cancel job \S+ \("golden web 1"/.test(f.replace(/\s+/g, ' ')), 'the prompt naming the job');
    await h.type('not-the-builder');
    await h.command('cancel-job', Command.Submit);
    await h.waitFor("That is not the builder's name; type builder exactly");
    await h.command('cancel-job', Command.DeleteToStart);
    await h.type('builder');
    await h.command('cancel-job', Command.Submit);
    await h.waitFor((f) => /Its builder builder is terminated\./.test(f.replace(/\s+/g, ' ')), 'what became of the builder');
    const provider = await createSandboxProvider({ home, region: 'eu-west' });
    try {
      await h.waitFor(() => h.controller.state.monitor.jobs.find((j) => j.id === jobId)?.state === 'cancelled', 'the job cancelled');
      const [builder] = await provider.listServers([builderId]);
      expect(['terminated']).toContain(builder.phase);
    } finally {
      await provider.close();
    }
  });

  it('Tab keeps the builder running on purpose; the jobs list shows the job and why it cannot be cancelled again', async () => {
    const { home, jobId } = await slowJob();
    const h = await start({ home });
    const builderId = await builderUp(h, jobId);
    await h.command('monitor', Command.CancelJob);
    await h.waitFor('to cancel job');
    await h.command('cancel-job', Command.ToggleKeep);
    await h.waitFor((f) => /and keep its builder builder running, on purpose/.test(f.replace(/\s+/g, ' ')), 'the keep choice');
    await h.command('cancel-job', Command.Submit);
    await h.waitFor((f) => /Its builder builder keeps running, on purpose/.test(f.replace(/\s+/g, ' ')), 'said so');
    await h.waitFor(() => h.controller.state.monitor.jobs.find((j) => j.id === jobId)?.state === 'cancelled', 'the job cancelled');
    const provider = await createSandboxProvider({ home, region: 'eu-west' });
    try {
      const [builder] = await provider.listServers([builderId]);
      expect(builder.phase).not.toBe('terminated');
    } finally {
      await provider.close();
    }
    // The jobs list: every job, the selected one's builder, and a reason where a key cannot act.
    await h.command('monitor', Command.Jobs);
    await h.waitFor(/Jobs/);
    await h.waitFor(new RegExp(`${jobId.slice(0, 8)}\\s+cancelled`));
    await h.command('jobs', Command.CancelJob);
    await h.waitFor('The job has ended (cancelled).');
    await h.command('jobs', Command.RetryJob);
    await h.waitFor(/The job was cancelled; only a failed job is retried\./);
  });
});
