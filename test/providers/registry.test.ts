import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StrataError } from '../../source/core/errors.js';
import { createProvider, PROVIDERS, providerIds } from '../../source/providers/registry.js';

describe('the provider registry', () => {
  it('knows the sandbox, aws and libvirt', () => {
    expect(providerIds()).toEqual(['sandbox', 'aws', 'libvirt']);
    expect(PROVIDERS.find((p) => p.id === 'libvirt')).toMatchObject({
      displayName: 'libvirt (KVM/QEMU)',
      summary: 'a KVM/QEMU host through virsh and qemu-img; --libvirt-uri (default qemu:///system)',
    });
  });

  it('refuses an unknown provider with the ones it knows', async () => {
    await expect(createProvider('gcp', { home: '/nonexistent' })).rejects.toThrow('Unknown provider "gcp". Known providers: sandbox, aws, libvirt.');
  });

  it('opens aws lazily; with no credentials it says so in a sentence, naming what to do', async () => {
    const home = mkdtempSync(join(tmpdir(), 'strata-registry-'));
    const saved = { ...process.env };
    try {
      for (const k of Object.keys(process.env)) if (k.startsWith('AWS_')) delete process.env[k];
      process.env.HOME = home; // no ~/.aws
      const provider = await createProvider('aws', { home, region: 'us-east-1', endpoint: 'http://127.0.0.1:9' });
      const error = await provider.describe().then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(StrataError);
      expect((error as StrataError).kind).toBe('AuthFailed');
      expect((error as StrataError).message).toMatch(/no AWS credentials were found .*--profile/);
      await provider.close();
    } finally {
      process.env = saved;
      rmSync(home, { recursive: true, force: true });
    }
  });
});
