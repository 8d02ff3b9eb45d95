// Memory given back after a large load. Loading the public catalogue allocates a lot that dies young (pages
// of images, their JSON, compressed blocks); V8 grows its young generation for it and keeps it (about 30
// MB of resident memory that holds nothing). A last-resort collection once the load is done shrinks the
// heap back; it takes some tens of milliseconds, once per load.
//
// The collector is reached as jest's leak detector reaches it: --expose-gc set at run time, and `gc` taken
// from a new context (the main one was made before the flag).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type Collect = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

let collect: Collect | null | undefined;

/** Collects garbage and shrinks the heap; does nothing where the collector cannot be reached. */
export function releaseMemory(): void {
  if (collect === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      const gc: unknown = runInNewContext('typeof gc === "function" ? gc : null');
      collect = typeof gc === 'function' ? (gc as Collect) : null;
    } catch {
      collect = null;
    }
  }
  try {
    collect?.({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  } catch {
    // An older V8 without these options: nothing is given back, nothing breaks.
  }
}
