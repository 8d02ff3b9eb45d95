// The providers strata knows, each imported lazily: a provider's code (and its SDK) loads only when chosen.
import { StrataError } from '../core/errors.js';
import type { ProviderOptions, ProviderService } from './provider.js';

export interface ProviderEntry {
  id: string;
  displayName: string;
  summary: string;
  load: () => Promise<(options: ProviderOptions) => Promise<ProviderService>>;
}

export const PROVIDERS: readonly ProviderEntry[] = [
  {
    id: 'sandbox',
    displayName: 'Sandbox cloud',
    summary: 'the embedded emulated cloud (no account needed); regions eu-west, us-east (rich) and ap-south (plain)',
    load: async () => (await import('./sandbox/index.js')).createSandboxProvider,
  },
  {
    // The module loads only when chosen, and the SDK inside it only on the first call to EC2.
    id: 'aws',
    displayName: 'Amazon EC2',
    summary: "Amazon EC2 with the AWS SDK's credentials (environment, ~/.aws profiles, SSO); --profile, --region, --endpoint",
    load: async () => (await import('./aws/index.js')).createAwsProvider,
  },
  {
    // A chunk of its own in the bundle (esbuild splits at this import): virsh and qemu-img run through execa.
    id: 'libvirt',
    displayName: 'libvirt (KVM/QEMU)',
    summary: 'a KVM/QEMU host through virsh and qemu-img; --libvirt-uri (default qemu:///system)',
    load: async () => (await import('./libvirt/index.js')).createLibvirtProvider,
  },
];

export function providerIds(): string[] {
  return PROVIDERS.map((p) => p.id);
}

export async function createProvider(id: string, options: ProviderOptions): Promise<ProviderService> {
  const entry = PROVIDERS.find((p) => p.id === id);
  if (!entry) {
    throw new StrataError('Invalid', `Unknown provider "${id}". Known providers: ${providerIds().join(', ')}.`, {
      field: 'provider',
    });
  }
  const create = await entry.load();
  return create(options);
}
