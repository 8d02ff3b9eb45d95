// A strata process for test/providers/libvirt/copy.test.ts: asks the libvirt provider of a recorded host
// (copy.fake.ts) for a copy, and dies (SIGKILL, no cleanup) at the step named on the command line — as a
// crash or a dropped SSH session would end it; "answered" dies once the copy's answer came back.
//   argv: root targetUri targetPool sourceUri imageId name token killAt
import { writeSync } from 'node:fs';
import { LibvirtProvider } from '../../../source/providers/libvirt/index.js';
import { fakeHosts, providerOptions, type KillAt } from './copy.fake.js';

const [root, targetUri, targetPool, sourceUri, imageId, name, token, killAt] = process.argv.slice(2) as [string, string, string, string, string, string, string, string];

const hosts = fakeHosts(root, killAt === 'answered' ? {} : { killAt: killAt as KillAt });
const provider = new LibvirtProvider(providerOptions(root, hosts, targetUri, targetPool), hosts.run);
const image = await provider.copyImage(
  { region: 'local', imageId, address: sourceUri, image: { id: imageId, name, kind: 'own', owned: true } as never },
  { name, clientToken: token },
);
if (killAt === 'answered') {
  writeSync(1, `crashing at answered\n`);
  process.kill(process.pid, 'SIGKILL');
}
process.stdout.write(`finished without crashing (${image.id})\n`);
process.exit(3);
