// The simulated clock: persisted in the sandbox database, scaled by a speed, re-anchored so that it is
// continuous when the speed changes, shared by every provider on the same home.
import { describe, expect, it } from 'vitest';
import { DAY, ManualRealClock, useSandbox } from './helpers.js';

describe('sandbox clock', () => {
  const { home, open } = useSandbox();

  it('starts at real now and runs at speed 1 by default', async () => {
    const real = new ManualRealClock();
    const p = await open({}, { realNow: real.now });
    expect(p.clock.speed()).toBe(1);
    expect(p.clock.now()).toBe(real.ms);
    real.tick(1500);
    expect(p.clock.now()).toBe(real.ms);
  });

  it('runs faster with a speed, and stays continuous when the speed changes', async () => {
    const real = new ManualRealClock();
    const p = await open({ sandboxSpeed: 60 }, { realNow: real.now });
    const t0 = p.clock.now();
    real.tick(1000);
    expect(p.clock.now()).toBe(t0 + 60_000);
    const beforeChange = p.clock.now();
    p.clock.setSpeed(3600);
    expect(p.clock.now()).toBe(beforeChange); // no jump at the change
    real.tick(2000);
    expect(p.clock.now()).toBe(beforeChange + 2 * 3600_000);
    p.clock.setSpeed(0.5);
    const slow = p.clock.now();
    real.tick(1000);
    expect(p.clock.now()).toBe(slow + 500);
  });

  it('is shared by providers on the same home, and a speed given at open applies to all of them', async () => {
    const real = new ManualRealClock();
    const dir = home();
    const a = await open({ home: dir }, { realNow: real.now });
    real.tick(10_000);
    const b = await open({ home: dir, sandboxSpeed: 100 }, { realNow: real.now });
    expect(a.clock.speed()).toBe(100);
    expect(a.clock.now()).toBe(b.clock.now());
    real.tick(1000);
    expect(a.clock.now()).toBe(b.clock.now());
    a.clock.advance(3 * DAY);
    expect(b.clock.now()).toBe(a.clock.now());
    // Re-opening without a speed keeps the world's speed.
    const c = await open({ home: dir }, { realNow: real.now });
    expect(c.clock.speed()).toBe(100);
  });

  it('only moves forward', async () => {
    const p = await open();
    await expect(async () => p.clock.advance(-1)).rejects.toMatchObject({ kind: 'Invalid' });
    await expect(async () => p.clock.advanceTo(p.clock.now() - DAY)).rejects.toMatchObject({ kind: 'Invalid' });
  });

  it('refuses a speed that is not a positive number', async () => {
    for (const speed of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(open({ sandboxSpeed: speed })).rejects.toMatchObject({ kind: 'Invalid', field: 'sandboxSpeed' });
    }
  });

  it('keeps the seed a world was created with, and refuses another', async () => {
    const dir = home();
    const a = await open({ home: dir, sandboxSeed: 21 });
    expect(a.seed).toBe(21);
    const b = await open({ home: dir, sandboxSeed: undefined });
    expect(b.seed).toBe(21);
    await expect(open({ home: dir, sandboxSeed: 22 })).rejects.toMatchObject({
      kind: 'Invalid',
      field: 'sandboxSeed',
      message: expect.stringContaining('created with seed 21'),
    });
  });

  it('names the known regions when asked for an unknown one, and defaults to eu-west', async () => {
    await expect(open({ region: 'mars-north' })).rejects.toMatchObject({
      kind: 'Invalid',
      field: 'region',
      message: expect.stringContaining('eu-west, us-east, ap-south'),
    });
    expect((await (await open()).describe()).region).toBe('eu-west');
  });
});
