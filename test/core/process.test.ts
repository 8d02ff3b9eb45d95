import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { processAlive } from '../../source/core/process.js';

describe('processAlive', () => {
  it('is true for this process, false for one that has ended and for what names no single process', () => {
    expect(processAlive(process.pid)).toBe(true);
    const ended = spawnSync(process.execPath, ['-e', '0']).pid!;
    expect(processAlive(ended)).toBe(false);
    // 0 and negatives would ask about process groups; not whole numbers name nothing.
    for (const pid of [0, -1, -process.pid, 1.5, Number.NaN]) expect(processAlive(pid)).toBe(false);
  });
});
