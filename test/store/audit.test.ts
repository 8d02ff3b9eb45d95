import { userInfo } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { openStore, STORE_FILE } from '../../source/store/db.js';
import { isSecretKey, REDACTED } from '../../source/store/redact.js';
import { useTempDirs } from './helpers.js';

const PEM = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n';

describe('audit log', () => {
  const tempDir = useTempDirs();

  it('appends entries with time and OS user, and lists them newest first', () => {
    const store = openStore(tempDir());
    const first = store.audit.append({
      provider: 'sandbox',
      region: 'eu-west',
      action: 'image.rename',
      target: 'img-1',
      detail: { from: 'old', to: 'new' },
    });
    expect(first.id).toBeGreaterThan(0);
    expect(first.actor).toBe(userInfo().username);
    expect(Number.isNaN(Date.parse(first.at))).toBe(false);
    store.audit.append({ provider: 'sandbox', region: 'ap-south', action: 'image.label', target: 'img-2' });
    store.audit.append({ provider: 'aws', region: 'eu-west-1', action: 'image.label', target: 'ami-1', actor: 'ci' });

    const all = store.audit.list();
    expect(all.map((e) => e.target)).toEqual(['ami-1', 'img-2', 'img-1']);
    expect(all[0]!.actor).toBe('ci');
    expect(all[2]).toEqual(first);
    expect(all[1]!.detail).toEqual({});

    expect(store.audit.list({ provider: 'sandbox' }).map((e) => e.target)).toEqual(['img-2', 'img-1']);
    expect(store.audit.list({ provider: 'sandbox', region: 'eu-west' }).map((e) => e.target)).toEqual(['img-1']);
    expect(store.audit.list({ action: 'image.label' }).map((e) => e.target)).toEqual(['ami-1', 'img-2']);
    expect(store.audit.list({ limit: 1 }).map((e) => e.target)).toEqual(['ami-1']);
    store.close();
  });

  it('never stores secrets: secret-looking keys and private keys are redacted at any depth', () => {
    const dir = tempDir();
    const store = openStore(dir);
    const entry = store.audit.append({
      provider: 'sandbox',
      region: 'eu-west',
      action: 'server.launch',
      target: 'tok-123',
      detail: {
        clientToken: 'tok-123',
        keypairName: 'deploy',
        privateKey: PEM,
        keypair: { name: 'deploy', privateKeyPem: PEM, fingerprint: 'SHA256:abc' },
        volumes: { encrypt: true, passphrase: 'hunter2' },
        password: 'p4ss',
        aws_secret_access_key: 'AKIAsecret',
        sessionToken: 'sess',
        note: PEM,
        steps: [{ apiKey: 'k1' }, { ok: 1 }],
      },
    });
    expect(entry.detail).toEqual({
      clientToken: 'tok-123',
      keypairName: 'deploy',
      privateKey: REDACTED,
      keypair: { name: 'deploy', privateKeyPem: REDACTED, fingerprint: 'SHA256:abc' },
      volumes: { encrypt: true, passphrase: REDACTED },
      password: REDACTED,
      aws_secret_access_key: REDACTED,
      sessionToken: REDACTED,
      note: REDACTED,
      steps: [{ apiKey: REDACTED }, { ok: 1 }],
      redacted: [
        'privateKey',
        'keypair.privateKeyPem',
        'volumes.passphrase',
        'password',
        'aws_secret_access_key',
        'sessionToken',
        'note',
        'steps[0].apiKey',
      ],
    });
    expect(store.audit.list()[0]!.detail).toEqual(entry.detail);
    store.close();

    // and the file itself holds none of them
    const raw = new DatabaseSync(join(dir, STORE_FILE));
    const text = JSON.stringify(raw.prepare('SELECT * FROM audit').all());
    raw.close();
    for (const secret of ['hunter2', 'p4ss', 'AKIAsecret', 'sess"', 'k1', 'PRIVATE KEY', 'b3BlbnNzaC1rZXktdjEAAAAA']) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('tok-123');
  });

  it('classifies keys by a documented rule', () => {
    for (const key of ['privateKey', 'private_key', 'passphrase', 'Password', 'secret', 'token', 'accessToken', 'apiKey', 'credentials']) {
      expect(isSecretKey(key), key).toBe(true);
    }
    for (const key of ['clientToken', 'client_token', 'client-token', 'keypairName', 'fingerprint', 'name', 'from', 'to', 'label']) {
      expect(isSecretKey(key), key).toBe(false);
    }
  });

  it('refuses an entry without its fields', () => {
    const store = openStore(tempDir());
    expect(() =>
      store.audit.append({ provider: 'sandbox', region: 'eu-west', action: 'x' } as never),
    ).toThrow(expect.objectContaining({ kind: 'Invalid', field: 'target' }));
    expect(store.audit.list()).toEqual([]);
    store.close();
  });
});
