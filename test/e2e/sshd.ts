// A real OpenSSH server on 127.0.0.1 for the tests of s (ssh into a server): its own host key, the user
// keys it accepts, and a ForceCommand, so a session runs one command and ends. It is ready when it says it
// listens (sshd -e logs "Server listening on 127.0.0.1 port N."), never after a sleep.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const SSHD = '/usr/sbin/sshd';

/** Why a real sshd cannot run here (a sentence), or undefined. */
export function sshdMissing(): string | undefined {
  if (!existsSync(SSHD)) return `${SSHD} is not installed (Debian: apt-get install openssh-server)`;
  if (spawnSync('ssh', ['-V']).error) return 'ssh is not installed (openssh-client)';
  if (process.getuid?.() === 0 && !existsSync('/run/sshd')) {
    try {
      mkdirSync('/run/sshd', { mode: 0o755 });
    } catch {
      return 'sshd needs /run/sshd (its privilege separation directory), and it cannot be made';
    }
  }
  return undefined;
}

/** Makes an ed25519 key pair with ssh-keygen; returns the private key's path and the public line. */
export function keyPair(dir: string, name: string): { path: string; publicLine: string } {
  const path = join(dir, name);
  const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', path]);
  if (r.status !== 0) throw new Error(`ssh-keygen failed: ${r.stderr}`);
  return { path, publicLine: readFileSync(`${path}.pub`, 'utf8').trim() };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

export interface Sshd {
  port: number;
  hostKey: { path: string; publicLine: string };
  /** Every session's ForceCommand appends a line here. */
  sessionLog: string;
  sessions(): string[];
  stop(): Promise<void>;
}

/**
 * Starts sshd with a fresh host key, accepting the public keys given; each session runs the ForceCommand
 * (which appends to sessionLog and prints REMOTE-OK) and ends.
 */
export async function startSshd(dir: string, authorizedKeys: string[]): Promise<Sshd> {
  const hostKey = keyPair(dir, 'ssh_host_ed25519_key');
  const authorized = join(dir, 'authorized_keys');
  writeFileSync(authorized, authorizedKeys.join('\n') + '\n', { mode: 0o600 });
  const sessionLog = join(dir, 'sessions.log');
  writeFileSync(sessionLog, '');
  const force = join(dir, 'force.sh');
  writeFileSync(force, `#!/bin/sh\necho "session $(date +%s%N)" >> '${sessionLog}'\necho REMOTE-OK\n`, { mode: 0o755 });
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child: ChildProcess = spawn(
      SSHD,
      [
        '-D', '-e', '-p', String(port), '-f', '/dev/null', '-h', hostKey.path,
        '-o', 'ListenAddress=127.0.0.1', '-o', `AuthorizedKeysFile=${authorized}`, '-o', `PidFile=${join(dir, 'sshd.pid')}`,
        '-o', 'StrictModes=no', '-o', 'UsePAM=no', '-o', 'PermitRootLogin=prohibit-password', '-o', `ForceCommand=${force}`,
        '-o', 'LogLevel=INFO',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let said = '';
    const ready = await new Promise<boolean>((resolve) => {
      child.stderr!.on('data', (chunk: Buffer) => {
        said += chunk.toString();
        if (said.includes(`Server listening on 127.0.0.1 port ${port}`)) resolve(true);
      });
      child.once('exit', () => resolve(false));
    });
    if (!ready) {
      if (attempt < 3 && /Address already in use/.test(said)) continue;
      throw new Error(`sshd did not start: ${said}`);
    }
    return {
      port,
      hostKey,
      sessionLog,
      sessions: () => readFileSync(sessionLog, 'utf8').split('\n').filter(Boolean),
      stop: () =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    };
  }
}
