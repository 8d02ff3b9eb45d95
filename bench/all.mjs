// Every benchmark, one after another (npm run bench): the screen and the public catalogue (run.mjs), the
// monitor, keys while the catalogue loads (catalogue.mjs), the command line (cli.mjs), marks, the fleet, and
// libvirt where a libvirtd answers (else a line says it was skipped). Each prints its own table; a failure
// of one does not stop the others, and the exit status says whether any failed.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'node_modules/.bin');
const env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` };
const node = [process.execPath, '--disable-warning=ExperimentalWarning'];
const tsx = [join(bin, 'tsx'), '--disable-warning=ExperimentalWarning'];

const uri = process.env.STRATA_LIBVIRT_URI ?? 'qemu:///system';
const libvirt = spawnSync('virsh', ['-q', '-c', uri, 'version'], { stdio: 'ignore', timeout: 20_000 }).status === 0;

const benches = [
  ['the screen and the public catalogue', node, 'bench/run.mjs'],
  ['the monitor', tsx, 'bench/monitor.mjs'],
  ["the monitor's frames", tsx, 'bench/monitor-frame.mjs'],
  ['keys while the catalogue loads, memory, the warm public scope', node, 'bench/catalogue.mjs'],
  ['the command line', tsx, 'bench/cli.mjs'],
  ['marks', node, 'bench/marks.mjs'],
  ['the fleet', tsx, 'bench/fleet.mjs'],
  ...(libvirt ? [['libvirt', tsx, 'bench/libvirt.mjs']] : []),
];
if (!libvirt) process.stdout.write(`libvirt: skipped, no libvirtd answers at ${uri} (npm run bench:libvirt where one does).\n`);

const failed = [];
for (const [what, [program, ...flags], script] of benches) {
  process.stdout.write(`\n## ${what} (${script})\n`);
  const run = spawnSync(program, [...flags, join(root, script)], { cwd: root, env, stdio: 'inherit' });
  if (run.status !== 0) failed.push(`${script} (${run.signal ?? `status ${run.status}`})`);
}
if (failed.length) {
  process.stdout.write(`\nThese did not finish well: ${failed.join(', ')}.\n`);
  process.exitCode = 1;
}
