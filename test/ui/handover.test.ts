// Handing the terminal to a program (ssh) and the Ctrl+C typed while it runs. The terminal sends SIGINT to
// strata and the program at once, but strata may hear of the program's exit before its own SIGINT (two
// separate events; on a busy machine in either order): a SIGINT that comes just after a program that Ctrl+C
// ended is that same key, and must not end strata (terminal.ts asks childInForeground()).
import { describe, expect, it } from 'vitest';
import { childInForeground, LATE_SIGNAL_MS, runForeground } from '../../source/ui/screen/handover.js';

describe('runForeground and the signals of the program it runs', () => {
  it('a program ended by SIGINT: the SIGINT that reaches strata after its exit is still the program\'s', async () => {
    const listeners = process.listenerCount('SIGINT');
    const result = await runForeground('sh', ['-c', 'kill -INT $$']);
    expect(result.signal).toBe('SIGINT');
    const now = Date.now();
    expect(childInForeground(now)).toBe(true);
    // The ignoring listener stays for the window too (SIGQUIT's default would end strata).
    expect(process.listenerCount('SIGINT')).toBe(listeners + 1);
    expect(childInForeground(now + LATE_SIGNAL_MS + 1)).toBe(false);
  });

  it('a program that exits on its own: a SIGINT after it is strata\'s again, at once', async () => {
    const listeners = process.listenerCount('SIGINT');
    const result = await runForeground('sh', ['-c', 'exit 3']);
    expect(result.exitCode).toBe(3);
    expect(process.listenerCount('SIGINT')).toBe(listeners);
    expect(childInForeground(Date.now() + LATE_SIGNAL_MS + 1)).toBe(false);
  });
});
