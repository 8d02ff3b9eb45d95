// Recorded libvirt hosts for the copy tests (and their child process, so no vitest import here): a Runner
// that answers as virsh (libvirt 9) and qemu-img do, for several connection URIs at once, each host's pools
// being directories below the test's directory. What the hosts hold lives in files (pool definitions in
// pools.json, volumes as the pools' files), so a second process sees what the first left, as on a real host.
// A copying tool can be made to kill its own process at a step, as a crash or a dropped SSH session would.
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ToolFailure, type Runner } from '../../../source/providers/libvirt/exec.js';

/** Where the copy dies: at its first byte, halfway through, after the rename (before strata noted it). */
export type KillAt = 'copying' | 'half' | 'renamed';

export interface FakeHosts {
  run: Runner;
  calls: string[][];
  /** The directory a URI's pools are made under (its libvirt.poolDirectory). */
  dirOf(uri: string): string;
}

/** One virsh command line as virshQuote wrote it, back into its words. */
export function words(command: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < command.length) {
    while (command[i] === ' ') i++;
    if (i >= command.length) break;
    let word = '';
    while (i < command.length && command[i] !== ' ') {
      if (command[i] === "'") {
        const end = command.indexOf("'", i + 1);
        word += command.slice(i + 1, end);
        i = end + 1;
      } else if (command[i] === '\\') {
        word += command[i + 1];
        i += 2;
      } else word += command[i++];
    }
    out.push(word);
  }
  return out;
}

function die(what: string): never {
  writeFileSync(1, `crashing at ${what}\n`);
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable');
}

export function fakeHosts(root: string, options: { killAt?: KillAt } = {}): FakeHosts {
  const calls: string[][] = [];
  let copied = false;
  const dirOf = (uri: string) => join(root, uri.replace(/[^A-Za-z0-9]+/g, '_'));
  const poolsOf = (uri: string): Record<string, string> => {
    const file = join(dirOf(uri), 'pools.json');
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>) : {};
  };
  const savePools = (uri: string, pools: Record<string, string>) => {
    mkdirSync(dirOf(uri), { recursive: true });
    writeFileSync(join(dirOf(uri), 'pools.json'), JSON.stringify(pools));
  };
  type Answer = { out?: string; err?: string };
  const noPool = (name: string): Answer => ({ err: `error: failed to get pool '${name}'\nerror: Storage pool not found: no storage pool with matching name '${name}'\n` });
  const noVol = (name: string): Answer => ({ err: `error: failed to get vol '${name}'\nerror: Storage volume not found: no storage vol with matching path '${name}'\n` });
  const one = (uri: string, cmd: string[]): Answer => {
    const [verb, ...rest] = cmd;
    const last = rest[rest.length - 1]!;
    const pools = poolsOf(uri);
    const poolArg = () => rest[rest.indexOf('--pool') + 1]!;
    switch (verb) {
      case 'capabilities':
        return { out: "<capabilities><host><cpu><arch>x86_64</arch></cpu></host><guest><arch name='x86_64'><domain type='qemu'/></arch></guest></capabilities>" };
      case 'pool-dumpxml':
        return pools[last] ? { out: `<pool><target><path>${pools[last]}</path></target></pool>` } : noPool(last);
      case 'pool-define-as': {
        const at = rest[rest.indexOf('--target') + 1]!;
        mkdirSync(at, { recursive: true });
        savePools(uri, { ...pools, [rest[0]!]: at });
        return { out: `Pool ${rest[0]} defined\n` };
      }
      case 'pool-info':
        return pools[last] ? { out: 'State:          running\n' } : noPool(last);
      case 'pool-refresh':
        if (!pools[last]) return noPool(last);
        if (options.killAt === 'renamed' && copied) die('renamed');
        return { out: `Pool ${last} refreshed\n` };
      case 'vol-list': {
        if (!pools[last]) return noPool(last);
        return { out: readdirSync(pools[last]).map((n) => ` ${n}   ${pools[last]}/${n}\n`).join('') };
      }
      case 'vol-dumpxml': {
        const pool = poolArg();
        if (!pools[pool]) return noPool(pool);
        const path = join(pools[pool], last);
        if (!existsSync(path)) return noVol(last);
        return { out: `<volume><name>${last}</name><target><path>${path}</path><format type='qcow2'/></target><capacity>${statSync(path).size}</capacity></volume>\n` };
      }
      case 'vol-download': {
        const pool = poolArg();
        if (!pools[pool]) return noPool(pool);
        const path = join(pools[pool], rest[rest.length - 2]!);
        if (!existsSync(path)) return noVol(rest[rest.length - 2]!);
        copy(path, last);
        return { out: '' };
      }
      case 'list':
        return { out: '' };
      case 'echo':
        return { out: rest.join(' ') };
      default:
        return { out: '' };
    }
  };
  /** The copying tool's work, dying where the test says. */
  const copy = (from: string, to: string) => {
    if (options.killAt === 'copying') die('copying');
    const bytes = readFileSync(from);
    if (options.killAt === 'half') {
      writeFileSync(to, bytes.subarray(0, Math.floor(bytes.length / 2)));
      die('half');
    }
    writeFileSync(to, bytes);
    copied = true;
  };
  const run: Runner = async (file, args) => {
    calls.push([file, ...args]);
    const ok = (stdout = '') => ({ stdout, stderr: '' });
    if (file === 'qemu-img') {
      if (args[0] === 'info') {
        const path = String(args[args.length - 1]);
        if (!existsSync(path)) throw new ToolFailure('qemu-img', `qemu-img: Could not open '${path}': No such file or directory`, 1, 'exit');
        return ok(JSON.stringify({ format: 'qcow2', 'virtual-size': statSync(path).size }));
      }
      if (args[0] === 'convert') {
        copy(String(args[args.length - 2]), String(args[args.length - 1]));
        return ok();
      }
      return ok();
    }
    // virsh -q -c URI COMMANDS
    const uri = String(args[2]);
    const given = args.slice(3);
    const commands = given.length === 1 ? given[0]!.split(' ; ').map(words) : [given];
    let stdout = '';
    let stderr = '';
    let failed = false;
    for (const cmd of commands) {
      const answer = one(uri, cmd);
      stdout += answer.out ?? '';
      stderr += answer.err ?? '';
      failed = answer.err !== undefined;
    }
    if (failed) throw new ToolFailure('virsh', stderr, 1, 'exit');
    return { stdout, stderr };
  };
  return { run, calls, dirOf };
}

/** The places of the copy tests: a source pool and a target pool on one host, and a pool on another host. */
export const HERE = 'test:///here';
export const FAR = 'qemu+ssh://far.example/system';

export function providerOptions(root: string, hosts: FakeHosts, uri: string, pool: string) {
  return { home: join(root, 'home'), libvirtUri: uri, libvirt: { poolDirectory: hosts.dirOf(uri), network: 'none', pool } };
}
