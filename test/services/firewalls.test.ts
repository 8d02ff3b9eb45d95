// The firewalls service (services/firewalls.ts) against the real sandbox and a real store: the firewalls of a
// region with the servers that use each and whether strata made it; deleting one nothing uses (audited,
// retried through the session's one policy), refused while servers use it (named), for the default group,
// and in a read-only session.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { transient } from '../../source/core/errors.js';
import type { LaunchSpec } from '../../source/core/types.js';
import type { ProviderService } from '../../source/providers/provider.js';
import { SandboxProvider } from '../../source/providers/sandbox/index.js';
import { FirewallActions, usersSentence } from '../../source/services/firewalls.js';
import { ReadOnlySession } from '../../source/services/readonly.js';
import type { RetryNotice } from '../../source/services/retry.js';
import { Session } from '../../source/services/session.js';
import { openStore, type Store } from '../../source/store/db.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function world(wrap?: (p: ProviderService) => ProviderService) {
  const home = mkdtempSync(join(tmpdir(), 'strata-firewalls-'));
  const sandbox = await SandboxProvider.open({ home, region: 'eu-west', sandboxSeed: 5 });
  const store = openStore(home);
  cleanup.push(() => rmSync(home, { recursive: true, force: true }));
  cleanup.push(() => sandbox.close());
  cleanup.push(() => store.close());
  const provider = wrap ? wrap(sandbox) : sandbox;
  const notices: RetryNotice[] = [];
  const description = await sandbox.describe();
  const firewalls = new FirewallActions({
    provider,
    description,
    store,
    providerId: 'sandbox',
    region: 'eu-west',
    retry: { attempts: 4, baseDelayMs: 1, maxDelayMs: 2, onRetry: (n) => notices.push(n) },
  });
  return { home, sandbox, store, firewalls, notices };
}

async function spec(p: SandboxProvider, overrides: Partial<LaunchSpec> = {}): Promise<LaunchSpec> {
  const { items } = await p.listImages({ scope: 'own', pageSize: 5000 });
  const image = items.find((i) => i.state === 'available' && i.architecture === 'x86_64' && i.platform !== 'windows')!;
  const size = (await p.listProducts()).find((s) => s.architecture === image.architecture)!;
  return { name: 'app', imageId: image.id, productId: size.id, firewallIds: [], count: 1, ...overrides };
}

const RULES = [{ protocol: 'tcp' as const, fromPort: 8080, toPort: 8080, source: '10.0.0.0/8' }];

function audited(store: Store) {
  return store.audit.list({ limit: 100, action: 'firewall.deleted' });
}

describe('the firewalls service', () => {
  it('lists every firewall with the servers that use it and whether strata made it', async () => {
    const { sandbox, firewalls } = await world();
    const [web1, web2] = await sandbox.launch(await spec(sandbox, { name: 'web', count: 2, newFirewall: { name: 'launch-fw', rules: RULES } }), 'tok-1');
    const listed = await firewalls.list();
    const made = listed.find((f) => f.name === 'launch-fw')!;
    expect(made).toMatchObject({ madeByStrata: true, isDefault: false, rules: 1 });
    expect(made.usedBy.map((u) => u.name)).toEqual([web1!.name, web2!.name]);
    expect(made.refusal).toBe('launch-fw is in use by 2 servers: web-1 and web-2; terminate them first.');
    const fallback = listed.find((f) => f.name === 'default')!;
    expect(fallback).toMatchObject({ madeByStrata: false, isDefault: true, usedBy: [] });
    expect(fallback.refusal).toMatch(/default firewall/);
    // A terminated server uses nothing.
    await sandbox.terminate(web1!.id);
    await sandbox.terminate(web2!.id);
    const after = (await firewalls.list()).find((f) => f.name === 'launch-fw')!;
    expect(after.usedBy).toEqual([]);
    expect(after.refusal).toBeUndefined();
  });

  it('knows a firewall the launch journal recorded as strata\'s, whatever its description', async () => {
    const { sandbox, store, firewalls } = await world();
    const fw = await sandbox.createFirewall('plain-fw', RULES, 'made by hand');
    expect((await firewalls.list()).find((f) => f.id === fw.id)?.madeByStrata).toBe(false);
    store.transaction(() => {
      store.journal('sandbox', 'eu-west').begin('tok-j', { name: 'x' } as never);
      store.launches().create({ clientToken: 'tok-j', provider: 'sandbox', region: 'eu-west', request: {}, productId: 'sb.nano', tagsAtProvider: true });
      store.launches().noteSteps('tok-j', { requests: 'one', firewall: { name: 'plain-fw', id: fw.id } });
    });
    expect((await firewalls.list()).find((f) => f.id === fw.id)).toMatchObject({ madeByStrata: true, launch: 'tok-j' });
  });

  it('sanitises what the provider says: a name with escape sequences is listed without them', async () => {
    const { sandbox, firewalls } = await world((p) =>
      new Proxy(p, {
        get(target, key, receiver) {
          if (key === 'listFirewalls') return async () => [{ id: 'sg-evil', name: 'evil\u001b]0;pwned\u0007-fw', description: 'x\u001b[2J', rules: [] }];
          const value = Reflect.get(target, key, receiver) as unknown;
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      }),
    );
    void sandbox;
    const [only] = await firewalls.list();
    expect(only!.name).not.toMatch(/\u001b|\u0007/);
    expect(only!.description).not.toMatch(/\u001b/);
  });

  it('deletes a firewall nothing uses, and writes an audit entry', async () => {
    const { sandbox, store, firewalls } = await world();
    const [server] = await sandbox.launch(await spec(sandbox, { newFirewall: { name: 'launch-fw', rules: RULES } }), 'tok-2');
    await sandbox.terminate(server!.id);
    const fw = (await firewalls.list()).find((f) => f.name === 'launch-fw')!;
    await firewalls.delete(fw.id);
    expect((await sandbox.listFirewalls()).map((f) => f.name)).not.toContain('launch-fw');
    const [entry] = audited(store);
    expect(entry).toMatchObject({ action: 'firewall.deleted', target: fw.id, provider: 'sandbox', region: 'eu-west' });
    expect(entry!.detail).toMatchObject({ name: 'launch-fw', madeByStrata: true });
  });

  it('refuses to delete a firewall servers use, naming them, and deletes nothing', async () => {
    const { sandbox, store, firewalls } = await world();
    await sandbox.launch(await spec(sandbox, { name: 'db', newFirewall: { name: 'db-fw', rules: RULES } }), 'tok-3');
    const fw = (await firewalls.list()).find((f) => f.name === 'db-fw')!;
    await expect(firewalls.delete(fw.id)).rejects.toMatchObject({ kind: 'Conflict', message: 'db-fw is in use by server db; terminate it first. Nothing was deleted.' });
    expect((await sandbox.listFirewalls()).map((f) => f.name)).toContain('db-fw');
    expect(audited(store)).toEqual([]);
  });

  it('refuses the default firewall', async () => {
    const { sandbox, firewalls } = await world();
    const fallback = (await sandbox.listFirewalls()).find((f) => f.name === 'default')!;
    await expect(firewalls.delete(fallback.id)).rejects.toMatchObject({ kind: 'Conflict', message: expect.stringMatching(/^default is the provider's default firewall/) });
  });

  it('says when there is no such firewall', async () => {
    const { firewalls } = await world();
    await expect(firewalls.delete('sg-nope')).rejects.toMatchObject({ kind: 'NotFound', message: 'Firewall sg-nope does not exist in Sandbox cloud eu-west.' });
  });

  it('retries through the policy when the provider does not answer, and a lost answer counts as done', async () => {
    let calls = 0;
    const { sandbox, store, firewalls, notices } = await world((p) =>
      new Proxy(p, {
        get(target, key, receiver) {
          if (key === 'deleteFirewall') {
            return async (id: string) => {
              calls++;
              // The first request is carried out, but its answer is lost.
              if (calls === 1) {
                await target.deleteFirewall(id);
                throw transient('The sandbox did not answer in time.');
              }
              return target.deleteFirewall(id);
            };
          }
          const value = Reflect.get(target, key, receiver) as unknown;
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      }),
    );
    const fw = await sandbox.createFirewall('lost-fw', RULES);
    await firewalls.delete(fw.id);
    expect(calls).toBe(2);
    expect(notices.map((n) => [n.kind, n.attempt, n.operation])).toEqual([['Transient', 2, 'deleting firewall lost-fw']]);
    expect((await sandbox.listFirewalls()).map((f) => f.name)).not.toContain('lost-fw');
    expect(audited(store)).toHaveLength(1);
  });

  it('refuses every deletion in a read-only session with the sentence the other changes use', async () => {
    const { home, sandbox, store } = await world();
    const fw = await sandbox.createFirewall('ro-fw', RULES);
    const session = await Session.open({ providerId: 'sandbox', region: 'eu-west', home, sandboxSeed: 5, readOnly: true }, store);
    cleanup.push(() => session.close());
    expect((await session.firewalls.list()).map((f) => f.name)).toContain('ro-fw');
    const error = await session.firewalls.delete(fw.id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReadOnlySession);
    expect((error as Error).message).toBe('Read-only session: strata does not delete firewalls here (it was started with --read-only).');
    expect((await sandbox.listFirewalls()).map((f) => f.name)).toContain('ro-fw');
    expect(audited(store)).toEqual([]);
  });

  it('names a few users and counts the rest', () => {
    const users = ['a', 'b', 'c', 'd', 'e'].map((n) => ({ id: `srv-${n}`, name: n }));
    expect(usersSentence(users)).toBe('a, b, c and 2 more');
    expect(usersSentence(users.slice(0, 2))).toBe('a and b');
    expect(usersSentence(users.slice(0, 1))).toBe('a');
  });
});
