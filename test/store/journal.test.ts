import { describe, expect, it } from 'vitest';
import type { LaunchSpec } from '../../source/core/types.js';
import { openStore } from '../../source/store/db.js';
import { useTempDirs } from './helpers.js';

const spec: LaunchSpec = {
  name: 'web-1',
  imageId: 'img-1',
  productId: 'small',
  firewallIds: ['fw-1'],
  keypairName: 'deploy',
  group: 'web',
  billingCode: 'CC-42',
  volumes: { count: 2, sizeGiB: 10, raid: '1', filesystem: 'ext4', mountPoint: '/data', encrypt: false },
  count: 2,
};

describe('launch journal', () => {
  const tempDir = useTempDirs();

  it('walks a launch from pending to sent to done', () => {
    const store = openStore(tempDir());
    const journal = store.journal('sandbox', 'eu-west');
    const begun = journal.begin('tok-1', spec);
    expect(begun).toMatchObject({ clientToken: 'tok-1', provider: 'sandbox', region: 'eu-west', state: 'pending', serverIds: [] });
    expect(begun.spec).toEqual(spec);
    expect(begun.error).toBeUndefined();
    expect(journal.unfinished().map((e) => e.clientToken)).toEqual(['tok-1']);

    expect(journal.markSent('tok-1').state).toBe('sent');
    expect(journal.unfinished().map((e) => e.state)).toEqual(['sent']);

    const done = journal.markDone('tok-1', ['srv-1', 'srv-2']);
    expect(done).toMatchObject({ state: 'done', serverIds: ['srv-1', 'srv-2'] });
    expect(journal.unfinished()).toEqual([]);
    // repeating with the same servers is harmless; other servers are a conflict; failing a done launch too
    expect(journal.markDone('tok-1', ['srv-2', 'srv-1']).state).toBe('done');
    expect(() => journal.markDone('tok-1', ['srv-3'])).toThrow(expect.objectContaining({ kind: 'Conflict' }));
    expect(() => journal.markFailed('tok-1', 'late')).toThrow(expect.objectContaining({ kind: 'Conflict' }));
    expect(() => journal.markSent('tok-1')).toThrow(expect.objectContaining({ kind: 'Conflict' }));
    store.close();
  });

  it('records a failure with its sentence', () => {
    const store = openStore(tempDir());
    const journal = store.journal('sandbox', 'eu-west');
    journal.begin('tok-2', spec);
    journal.markSent('tok-2');
    const failed = journal.markFailed('tok-2', 'The provider has no capacity for this size.');
    expect(failed).toMatchObject({ state: 'failed', error: 'The provider has no capacity for this size.' });
    expect(journal.unfinished()).toEqual([]);
    expect(() => journal.markDone('tok-2', ['srv-1'])).toThrow(expect.objectContaining({ kind: 'Conflict' }));
    store.close();
  });

  it('begin is idempotent per token: a retry finds the launch as it was', () => {
    const store = openStore(tempDir());
    const journal = store.journal('sandbox', 'eu-west');
    journal.begin('tok-3', spec);
    journal.markSent('tok-3');
    const again = journal.begin('tok-3', { ...spec, name: 'other' });
    expect(again.state).toBe('sent');
    expect(again.spec.name).toBe('web-1');
    expect(journal.list().length).toBe(1);
    store.close();
  });

  it('lists unfinished launches oldest first, per provider and region, and survives a re-open', () => {
    const dir = tempDir();
    const store = openStore(dir);
    const west = store.journal('sandbox', 'eu-west');
    west.begin('a', spec);
    west.begin('b', spec);
    west.begin('c', spec);
    west.markDone('b', ['srv-b']);
    store.journal('sandbox', 'ap-south').begin('d', spec);
    store.close();

    const reopened = openStore(dir);
    expect(reopened.journal('sandbox', 'eu-west').unfinished().map((e) => e.clientToken)).toEqual(['a', 'c']);
    expect(reopened.journal('sandbox', 'ap-south').unfinished().map((e) => e.clientToken)).toEqual(['d']);
    expect(reopened.journal('aws', 'eu-west').unfinished()).toEqual([]);
    // a token belongs to one provider and region
    expect(reopened.journal('aws', 'eu-west').get('a')).toBeUndefined();
    expect(() => reopened.journal('aws', 'eu-west').begin('a', spec)).toThrow(expect.objectContaining({ kind: 'Conflict' }));
    expect(() => reopened.journal('aws', 'eu-west').markSent('a')).toThrow(expect.objectContaining({ kind: 'NotFound' }));
    reopened.close();
  });

  it('refuses an empty token', () => {
    const store = openStore(tempDir());
    expect(() => store.journal('sandbox', 'eu-west').begin('', spec)).toThrow(
      expect.objectContaining({ kind: 'Invalid', field: 'clientToken' }),
    );
    store.close();
  });
});
