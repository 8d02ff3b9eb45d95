// A session says what the UI must show about it: the sandbox's effective speed (kept in its world, so a
// --sandbox-speed given once lasts until changed), whether it is read-only, and every retry its services make.
import { describe, expect, it } from 'vitest';
import { Session } from '../../source/services/session.js';
import { openStore } from '../../source/store/db.js';
import { newHome, SEED } from './launcher.fixture.js';

describe('a session', () => {
  it('describes the sandbox’s effective speed, which persists in its world until changed', async () => {
    const home = newHome();
    const store = openStore(home);
    const open = (extra: { sandboxSpeed?: number } = {}) => Session.open({ providerId: 'sandbox', region: 'eu-west', home, sandboxSeed: SEED, ...extra }, store);
    try {
      const first = await open();
      expect(first.timeScale()).toBe(1);
      await first.close();
      const fast = await open({ sandboxSpeed: 600 });
      expect(fast.timeScale()).toBe(600);
      await fast.close();
      // started again without the option: the world still runs at 600 (what the UI must show)
      const later = await open();
      expect(later.timeScale()).toBe(600);
      expect(later.readOnly).toBe(false);
      await later.close();
      // --sandbox-speed 1 sets it back
      const reset = await open({ sandboxSpeed: 1 });
      expect(reset.timeScale()).toBe(1);
      await reset.close();
    } finally {
      store.close();
    }
  });
});
