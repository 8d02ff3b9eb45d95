import { describe, expect, it } from 'vitest';
import { StrataError } from '../../source/core/errors.js';
import { LABEL_COLOURS, type LabelColour } from '../../source/core/types.js';
import { openStore } from '../../source/store/db.js';
import { useTempDirs } from './helpers.js';

describe('image metadata', () => {
  const tempDir = useTempDirs();
  let tick = 0;
  const clock = () => new Date(Date.UTC(2030, 0, 1, 0, 0, tick++));
  const fresh = () => openStore(tempDir(), { now: clock });

  it('sets, reads, lists and clears a display name and a label', () => {
    const store = fresh();
    expect(store.getImageMeta('sandbox', 'eu-west', 'img-1')).toBeUndefined();

    const named = store.setDisplayName('sandbox', 'eu-west', 'img-1', 'web base 2030');
    expect(named).toMatchObject({ provider: 'sandbox', region: 'eu-west', imageId: 'img-1', displayName: 'web base 2030' });
    expect(named?.label).toBeUndefined();

    const labelled = store.setLabel('sandbox', 'eu-west', 'img-1', 'teal');
    expect(labelled).toMatchObject({ displayName: 'web base 2030', label: 'teal' });
    expect(Date.parse(labelled!.updatedAt)).toBeGreaterThan(Date.parse(named!.updatedAt));

    store.setLabel('sandbox', 'eu-west', 'img-2', 'red');
    const all = store.listImageMeta('sandbox', 'eu-west');
    expect([...all.keys()].sort()).toEqual(['img-1', 'img-2']);
    expect(all.get('img-2')).toMatchObject({ label: 'red' });
    expect(all.get('img-2')?.displayName).toBeUndefined();

    expect(store.setDisplayName('sandbox', 'eu-west', 'img-1', null)).toMatchObject({ label: 'teal' });
    expect(store.getImageMeta('sandbox', 'eu-west', 'img-1')?.displayName).toBeUndefined();
    // neither name nor label: the row goes
    expect(store.setLabel('sandbox', 'eu-west', 'img-1', null)).toBeUndefined();
    expect(store.getImageMeta('sandbox', 'eu-west', 'img-1')).toBeUndefined();
    expect([...store.listImageMeta('sandbox', 'eu-west').keys()]).toEqual(['img-2']);
    store.close();
  });

  it('keeps providers and regions apart', () => {
    const store = fresh();
    store.setDisplayName('sandbox', 'eu-west', 'img-1', 'west');
    store.setDisplayName('sandbox', 'ap-south', 'img-1', 'south');
    store.setDisplayName('aws', 'eu-west', 'img-1', 'aws');
    expect(store.getImageMeta('sandbox', 'eu-west', 'img-1')?.displayName).toBe('west');
    expect(store.getImageMeta('sandbox', 'ap-south', 'img-1')?.displayName).toBe('south');
    expect(store.listImageMeta('aws', 'eu-west').get('img-1')?.displayName).toBe('aws');
    expect(store.listImageMeta('aws', 'ap-south').size).toBe(0);
    store.close();
  });

  it('accepts every palette colour and refuses anything else, naming the colours', () => {
    const store = fresh();
    for (const colour of LABEL_COLOURS) {
      expect(store.setLabel('sandbox', 'eu-west', 'img-1', colour)?.label).toBe(colour);
    }
    for (const bad of ['Red', 'magenta', '', 'red ', '\u001b[31m']) {
      let caught: unknown;
      try {
        store.setLabel('sandbox', 'eu-west', 'img-1', bad as LabelColour);
      } catch (error) {
        caught = error;
      }
      expect(caught, bad).toBeInstanceOf(StrataError);
      expect((caught as StrataError).kind).toBe('Invalid');
      expect((caught as StrataError).field).toBe('label');
      expect((caught as Error).message).toContain('red, orange, yellow');
      expect((caught as Error).message).not.toContain('\u001b');
    }
    expect(store.getImageMeta('sandbox', 'eu-west', 'img-1')?.label).toBe('grey');
    store.close();
  });

  it('refuses names with control characters or escapes, and empty names', () => {
    const store = fresh();
    store.setDisplayName('sandbox', 'eu-west', 'img-1', 'good');
    for (const bad of ['', 'a\nb', 'evil\u001b]0;pwned\u0007', 'x'.repeat(1025), 'rtl\u202eoverride']) {
      expect(() => store.setDisplayName('sandbox', 'eu-west', 'img-1', bad), JSON.stringify(bad)).toThrow(
        expect.objectContaining({ kind: 'Invalid', field: 'name' }),
      );
    }
    expect(store.getImageMeta('sandbox', 'eu-west', 'img-1')?.displayName).toBe('good');
    store.close();
  });

  it('never half-saves a change: a refused label keeps the name from being written too', () => {
    const store = fresh();
    store.updateImageMeta('sandbox', 'eu-west', 'img-1', { displayName: 'before', label: 'blue' });
    expect(() =>
      store.updateImageMeta('sandbox', 'eu-west', 'img-1', { displayName: 'after', label: 'ultraviolet' as LabelColour }),
    ).toThrow(StrataError);
    expect(store.getImageMeta('sandbox', 'eu-west', 'img-1')).toMatchObject({ displayName: 'before', label: 'blue' });

    // a failure inside the transaction rolls back everything written in it
    expect(() =>
      store.transaction(() => {
        store.setDisplayName('sandbox', 'eu-west', 'img-1', 'inside');
        store.setLabel('sandbox', 'eu-west', 'img-9', 'red');
        throw new Error('crash half-way');
      }),
    ).toThrow('crash half-way');
    expect(store.getImageMeta('sandbox', 'eu-west', 'img-1')?.displayName).toBe('before');
    expect(store.getImageMeta('sandbox', 'eu-west', 'img-9')).toBeUndefined();
    store.close();
  });

  it('a nested transaction that fails rolls back only itself', () => {
    const store = fresh();
    store.transaction(() => {
      store.setDisplayName('sandbox', 'eu-west', 'img-1', 'outer');
      expect(() =>
        store.transaction(() => {
          store.setDisplayName('sandbox', 'eu-west', 'img-2', 'inner');
          throw new Error('inner fails');
        }),
      ).toThrow('inner fails');
    });
    expect(store.getImageMeta('sandbox', 'eu-west', 'img-1')?.displayName).toBe('outer');
    expect(store.getImageMeta('sandbox', 'eu-west', 'img-2')).toBeUndefined();
    store.close();
  });

  it('is seen by a second connection on the same file', () => {
    const dir = tempDir();
    const a = openStore(dir);
    const b = openStore(dir);
    a.setDisplayName('sandbox', 'eu-west', 'img-1', 'from a');
    expect(b.getImageMeta('sandbox', 'eu-west', 'img-1')?.displayName).toBe('from a');
    a.close();
    b.close();
    a.close(); // closing twice is harmless
  });
});
