// Runs the shared PTY measuring tool, ptybytes.py, and parses what it prints.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where ptybytes.py is: $PTYBYTES, else ../shared/tools/ptybytes.py beside the repository. */
export function ptybytesPath() {
  return process.env.PTYBYTES ?? join(root, '..', 'shared', 'tools', 'ptybytes.py');
}

export function python() {
  return process.env.PYTHON ?? 'python3';
}

/** Throws a sentence when python3 or ptybytes.py is missing. */
export function checkPtybytes() {
  const path = ptybytesPath();
  if (!existsSync(path)) {
    throw new Error(`ptybytes.py not found at ${path}; set PTYBYTES=/path/to/ptybytes.py.`);
  }
  const probe = spawnSync(python(), ['--version'], { encoding: 'utf8' });
  if (probe.status !== 0) throw new Error(`${python()} is not runnable (${probe.error?.message ?? probe.stderr}).`);
  return path;
}

/** Every descendant of pid (Linux /proc), deepest last. */
function descendants(pid) {
  const children = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(entry));
    } catch {}
  }
  const out = [];
  const walk = (p) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

/** Kills pid and everything below it (the program ptybytes started sits in its own session). */
export function killTree(pid, signal = 'SIGKILL') {
  for (const p of [pid, ...descendants(pid)]) {
    try {
      process.kill(p, signal);
    } catch {}
  }
}

function parse(stdout) {
  const num = (re) => {
    const m = re.exec(stdout);
    return m ? Number(m[1]) : undefined;
  };
  const ff = /first_frame_s=(\S+)/.exec(stdout)?.[1];
  const answered = /answered=(\d+)\/(\d+)/.exec(stdout);
  return {
    firstFrameS: ff === undefined || ff === 'none' ? undefined : Number(ff),
    initialBytes: num(/initial_bytes=(\d+)/),
    bytesPerKey: {
      median: num(/bytes_per_key median=(\d+)/),
      min: num(/bytes_per_key .*?min=(\d+)/),
      max: num(/bytes_per_key .*?max=(\d+)/),
      total: num(/bytes_per_key .*?total=(\d+)/),
      presses: num(/bytes_per_key .*?presses=(\d+)/),
    },
    keyToOutputMs: {
      median: num(/key_to_output_ms median=([\d.]+)/),
      max: num(/key_to_output_ms .*?max=([\d.]+)/),
      answered: answered ? Number(answered[1]) : 0,
      of: answered ? Number(answered[2]) : undefined,
    },
    keyToSettledMs: {
      median: num(/key_to_settled_ms median=([\d.]+)/),
      max: num(/key_to_settled_ms .*?max=([\d.]+)/),
    },
  };
}

/**
 * Runs ptybytes.py once.
 * @param {{cmd: string[], cols?: number, rows?: number, key?: string, presses?: number, type?: string,
 *   settle?: number, ready?: string, startup?: number, env?: Record<string, string>, timeoutMs?: number,
 *   label?: string}} o
 */
export function runPtybytes(o) {
  const args = [ptybytesPath(), '--cols', String(o.cols ?? 120), '--rows', String(o.rows ?? 40)];
  if (o.key) args.push('--key', o.key);
  if (o.presses !== undefined) args.push('--presses', String(o.presses));
  if (o.type) args.push('--type', o.type);
  if (o.settle !== undefined) args.push('--settle', String(o.settle));
  if (o.ready) args.push('--ready', o.ready);
  if (o.startup !== undefined) args.push('--startup', String(o.startup));
  args.push('--', ...o.cmd);
  const env = { ...process.env, TERM: 'xterm-256color', ...o.env };
  delete env.CI; // ptybytes removes it too; Ink prints no live frames when it is set.
  const timeoutMs = o.timeoutMs ?? 180_000;
  return new Promise((resolve, reject) => {
    const child = spawn(python(), args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      killTree(child.pid);
      reject(new Error(`${o.label ?? 'ptybytes'}: no result after ${timeoutMs} ms; killed.`));
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`${o.label ?? 'ptybytes'}: could not start ${python()}: ${error.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      // Whatever ptybytes left behind (it sends SIGTERM and waits; a child that ignored it is taken down).
      killTree(child.pid);
      if (code !== 0) {
        reject(new Error(`${o.label ?? 'ptybytes'} exited with ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`));
        return;
      }
      const result = parse(stdout);
      if (result.firstFrameS === undefined) {
        reject(
          new Error(
            `${o.label ?? 'ptybytes'}: the program never showed ${o.ready ? `/${o.ready}/` : 'any output'} ` +
              `within ${o.startup ?? 15} s (${o.cmd.join(' ')}).`,
          ),
        );
        return;
      }
      resolve({ ...result, stdout });
    });
  });
}
