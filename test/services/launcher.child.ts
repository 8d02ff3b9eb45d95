// A strata process for test/services/launcher-crash.test.ts: opens the real sandbox, store and secret
// store on a home, starts a launch, and dies (SIGKILL, no cleanup, as a crash or a dropped SSH session
// would) the moment the launcher reports the step named on the command line:
//   a step ("sending"); a step of one request of a launch sent per server ("sending#2": before the second
//   request leaves; "answered#1": the first server exists, not yet written down); or the moment the
//   provider made something that is written down next ("firewall:made", "keypair:made").
//   argv: home region sshDir token crashAt requestJson
import { writeSync } from 'node:fs';
import { openSecretStore } from '../../source/secrets/keychain.js';
import { createSandboxProvider } from '../../source/providers/sandbox/index.js';
import { Launcher, type LaunchRequest } from '../../source/services/launcher.js';
import { openStore } from '../../source/store/db.js';

const [home, region, sshDir, token, crashAt, requestJson] = process.argv.slice(2) as [string, string, string, string, string, string];
const request = JSON.parse(requestJson) as LaunchRequest;

const provider = await createSandboxProvider({ home, region, sandboxSeed: 7 });
const store = openStore(home);
const description = await provider.describe();
const launcher = new Launcher({
  provider,
  description,
  store,
  secrets: () => openSecretStore({ dataDir: home, prefer: 'file', env: {} }),
  providerId: 'sandbox',
  region: description.region,
  env: {},
  sshDir,
});

await launcher.launch(request, {
  clientToken: token,
  onProgress: (p) => {
    if (p.retry) return;
    const at = p.made !== undefined ? `${p.step}:made` : p.request ? `${p.step}#${p.request.index}` : p.step;
    if (at === crashAt) {
      writeSync(1, `crashing at ${at}\n`);
      process.kill(process.pid, 'SIGKILL');
    }
  },
});
process.stdout.write('finished without crashing\n');
process.exit(3);
