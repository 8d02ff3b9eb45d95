// Said once, before any test runs: whether this run starts real libvirt guests (a few minutes of work for
// the machine), and the switch that leaves them out. A newcomer's `npm test` should never surprise them.
import { spawnSync } from 'node:child_process';

export default function setup(): void {
  const uri = process.env.STRATA_LIBVIRT_URI ?? 'qemu:///system';
  if (process.env.STRATA_SKIP_LIBVIRT === '1') {
    process.stdout.write('strata tests: the libvirt guests are left out (STRATA_SKIP_LIBVIRT=1).\n');
    return;
  }
  const answer = spawnSync('virsh', ['-c', uri, 'version'], { stdio: 'ignore', timeout: 5000 });
  if (answer.status === 0) {
    process.stdout.write(
      `strata tests: libvirt answers at ${uri}, so the libvirt suite starts real guests (about 5 to 8 minutes under TCG); STRATA_SKIP_LIBVIRT=1 npm test leaves them out.\n`,
    );
  }
}
