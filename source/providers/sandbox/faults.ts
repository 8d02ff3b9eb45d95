// Fault injection (--sandbox-faults "throttle=0.2,timeout=0.1,fail=0.3,stall=0.3"): probabilities 0..1.
//   throttle: a call (any but describe and close) is refused with Throttled (nothing happens);
//   timeout:  a call fails with Transient — for launch, after the servers were started, as when a
//             response is lost on the way back (the caller must retry with the same client token);
//   fail:     a launched server fails after booting (decided per server, from its id);
//   stall:    a launched server stops progressing while initializing and is reported stalled.
import { invalid } from '../../core/errors.js';

export interface Faults {
  throttle: number;
  timeout: number;
  fail: number;
  stall: number;
}

export const NO_FAULTS: Faults = { throttle: 0, timeout: 0, fail: 0, stall: 0 };

export function parseFaults(text: string | undefined): Faults {
  const faults = { ...NO_FAULTS };
  if (text === undefined || text.trim() === '') return faults;
  for (const part of text.split(',')) {
    const item = part.trim();
    if (item === '') continue;
    const match = /^([a-z]+)\s*=\s*([0-9]*\.?[0-9]+)$/.exec(item);
    if (!match) {
      throw invalid(`Sandbox faults are "name=probability" pairs separated by commas (e.g. "throttle=0.2,fail=0.3"); "${item}" is not one.`, 'sandboxFaults');
    }
    const [, name, value] = match;
    if (!(name in faults)) {
      throw invalid(`"${name}" is not a sandbox fault; known faults: ${Object.keys(NO_FAULTS).join(', ')}.`, 'sandboxFaults');
    }
    const probability = Number(value);
    if (!(probability >= 0 && probability <= 1)) {
      throw invalid(`The probability of sandbox fault "${name}" must be between 0 and 1; got ${value}.`, 'sandboxFaults');
    }
    faults[name as keyof Faults] = probability;
  }
  return faults;
}
