// The provider contract, run against the sandbox in a rich region and in the plain one.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSandboxProvider } from '../../source/providers/sandbox/index.js';
import { describeProviderContract } from './contract.js';

function sandboxSetup(region: string) {
  return async () => {
    const home = mkdtempSync(join(tmpdir(), 'strata-contract-'));
    // 2000 simulated seconds per real second: a server is up within a fraction of a real second.
    const provider = await createSandboxProvider({ home, region, sandboxSeed: 11, sandboxSpeed: 2000 });
    return {
      provider,
      cleanup: async () => {
        await provider.close();
        rmSync(home, { recursive: true, force: true });
      },
    };
  };
}

describeProviderContract('sandbox eu-west (rich profile)', sandboxSetup('eu-west'), { upTimeoutMs: 20_000 });
describeProviderContract('sandbox ap-south (plain profile)', sandboxSetup('ap-south'), { upTimeoutMs: 20_000 });
