// Launch records (migration 3): the request behind a journal entry, its steps, and the group and billing
// code of the servers it started.
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { openStore, SCHEMA_VERSION, STORE_FILE } from '../../source/store/db.js';
import { MIGRATIONS } from '../../source/store/migrations.js';
import { useTempDirs } from './helpers.js';

const SPEC = { name: 'web', imageId: 'img-1', productId: 'sb.small', firewallIds: [], count: 2 };
const REQUEST = { ...SPEC, keypair: { mode: 'none' } };

describe('launch records', () => {
  const tempDir = useTempDirs();

  function begin(store: ReturnType<typeof openStore>, token: string, extra: Record<string, unknown> = {}) {
    return store.transaction(() => {
      store.journal('sandbox', 'ap-south').begin(token, SPEC);
      return store.launches().create({
        clientToken: token,
        provider: 'sandbox',
        region: 'ap-south',
        request: REQUEST,
        productId: 'p-1',
        hourlyPrice: 0.009,
        tagsAtProvider: false,
        ...extra,
      });
    });
  }

  it('is written with its journal entry, idempotently, and keeps its steps', () => {
    const store = openStore(tempDir(), { now: () => new Date('2026-03-01T00:00:00Z') });
    const record = begin(store, 'tok-1', { group: 'batch', billingCode: 'data-7', userDataSha256: 'ab'.repeat(32) });
    expect(record).toEqual({
      clientToken: 'tok-1',
      provider: 'sandbox',
      region: 'ap-south',
      request: REQUEST,
      userDataSha256: 'ab'.repeat(32),
      group: 'batch',
      billingCode: 'data-7',
      productId: 'p-1',
      hourlyPrice: 0.009,
      tagsAtProvider: false,
      serverIds: [],
      createdAt: '2026-03-01T00:00:00.000Z',
      updatedAt: '2026-03-01T00:00:00.000Z',
    });
    // a second create returns the first, unchanged
    expect(store.launches().create({ ...record, productId: 'other', tagsAtProvider: true })).toEqual(record);

    store.launches().noteKeypair('tok-1', { name: 'k', fingerprint: 'SHA256:x', how: 'imported', path: '/home/u/.ssh/k' });
    store.launches().notePassphrase('tok-1', { where: 'file', path: '/d/secrets.json', accounts: ['luks:sandbox:ap-south:tok-1'] });
    store.launches().addServers('tok-1', ['srv-b', 'srv-a']);
    store.launches().addServers('tok-1', ['srv-a', 'srv-b']); // repeatable
    const after = store.launches().get('tok-1')!;
    expect(after.keypair).toEqual({ name: 'k', fingerprint: 'SHA256:x', how: 'imported', path: '/home/u/.ssh/k' });
    expect(after.passphrase).toEqual({ where: 'file', path: '/d/secrets.json', accounts: ['luks:sandbox:ap-south:tok-1'] });
    expect(after.serverIds).toEqual(['srv-a', 'srv-b']);

    const servers = store.launches().servers('sandbox', 'ap-south');
    expect(servers.get('srv-a')).toEqual({ serverId: 'srv-a', clientToken: 'tok-1', group: 'batch', billingCode: 'data-7', productId: 'p-1', hourlyPrice: 0.009 });
    expect(store.launches().servers('sandbox', 'eu-west').size).toBe(0);
    store.close();
  });

  it('cannot exist without its journal entry, nor take steps for a launch it does not know', () => {
    const store = openStore(tempDir());
    expect(() =>
      store.launches().create({ clientToken: 'orphan', provider: 'sandbox', region: 'eu-west', request: {}, productId: 'p', tagsAtProvider: true }),
    ).toThrow(/FOREIGN KEY/);
    expect(() => store.launches().noteKeypair('nope', { name: 'k', fingerprint: 'f', how: 'created' })).toThrow('No launch with client token nope is recorded.');
    expect(() => store.launches().addServers('nope', ['srv'])).toThrow('No launch with client token nope is recorded.');
    store.close();
  });

  it('lists the groups and billing codes used before, on any provider', () => {
    const store = openStore(tempDir());
    begin(store, 't1', { group: 'batch', billingCode: 'data-7' });
    begin(store, 't2', { group: 'batch' });
    begin(store, 't3', { billingCode: 'ops-42' });
    expect(store.launches().usedNames()).toEqual({ groups: ['batch'], billingCodes: ['data-7', 'ops-42'] });
    store.close();
  });

  it('a version 2 database is brought forward with its journal kept', () => {
    const dir = tempDir();
    const old = openStore(dir, { migrations: MIGRATIONS.slice(0, 2) });
    old.journal('sandbox', 'eu-west').begin('old-token', SPEC);
    old.close();
    const store = openStore(dir);
    expect(store.schemaVersion).toBe(SCHEMA_VERSION);
    expect(store.journal('sandbox', 'eu-west').get('old-token')!.state).toBe('pending');
    expect(store.launches().get('old-token')).toBeUndefined();
    store.close();
    const raw = new DatabaseSync(join(dir, STORE_FILE));
    const tables = raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all().map((r) => r.name);
    raw.close();
    expect(tables).toEqual([
      'audit', 'copy_jobs', 'image_lineage', 'image_login', 'image_meta', 'jobs', 'launch_journal', 'launch_servers', 'launches',
      'listing_blocks', 'listing_copies', 'listing_pages',
    ]);
  });

  it('migration 6: steps (the firewall, the server of each per-server request), each server’s passphrase account, strata’s terminations', () => {
    const dir = tempDir();
    const old = openStore(dir, { migrations: MIGRATIONS.filter((m) => m.version <= 4) });
    old.journal('sandbox', 'ap-south').begin('v4-token', SPEC);
    old.close();
    // what a strata of schema 4 wrote
    const raw = new DatabaseSync(join(dir, STORE_FILE));
    raw.exec(`INSERT INTO launches (client_token, provider, region, request, product_id, tags_at_provider, created_at, updated_at)
              VALUES ('v4-token', 'sandbox', 'ap-south', '{}', 'p-1', 0, 'x', 'x');
              INSERT INTO launch_servers (provider, region, server_id, client_token, product_id) VALUES ('sandbox', 'ap-south', 'srv-old', 'v4-token', 'p-1')`);
    raw.close();

    const store = openStore(dir);
    expect(store.schemaVersion).toBe(SCHEMA_VERSION);
    // a launch of an older strata: no steps (one request, no firewall step), its server without an account
    expect(store.launches().get('v4-token')!.steps).toBeUndefined();
    expect(store.launches().servers('sandbox', 'ap-south').get('srv-old')).toEqual({ serverId: 'srv-old', clientToken: 'v4-token', productId: 'p-1' });

    begin(store, 'tok-6', { steps: { requests: 'per-server', firewall: { name: 'fw' } } });
    expect(store.launches().get('tok-6')!.steps).toEqual({ requests: 'per-server', firewall: { name: 'fw' } });
    store.launches().noteSteps('tok-6', { requests: 'per-server', firewall: { name: 'fw', id: 'fw-1' }, parts: { '1': 'srv-1' } });
    store.launches().addServers('tok-6', ['srv-1', 'srv-2']);
    store.launches().notePassphraseAccount('sandbox', 'ap-south', 'srv-1', 'luks:srv-1');
    store.launches().notePassphraseAccount('sandbox', 'ap-south', 'srv-2', 'luks:srv-2');
    expect(store.launches().get('tok-6')!.steps).toEqual({ requests: 'per-server', firewall: { name: 'fw', id: 'fw-1' }, parts: { '1': 'srv-1' } });
    expect(store.launches().keptPassphrases('sandbox', 'ap-south').map((s) => s.serverId)).toEqual(['srv-1', 'srv-2']);
    store.launches().noteTerminated('sandbox', 'ap-south', 'srv-1');
    store.launches().notePassphraseDeleted('sandbox', 'ap-south', 'srv-2');
    expect(store.launches().keptPassphrases('sandbox', 'ap-south')).toEqual([
      expect.objectContaining({ serverId: 'srv-1', passphraseAccount: 'luks:srv-1', terminatedAt: expect.any(String) }),
    ]);
    expect(() => store.launches().notePassphraseAccount('sandbox', 'ap-south', 'srv-nope', 'luks:srv-nope')).toThrow('No launch recorded server srv-nope.');
    store.close();
  });
});
