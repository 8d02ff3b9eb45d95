// ssh-agent against a real agent (ssh-agent -D -a <socket>, started here and stopped after), and the
// ways an agent can be missing or broken: addToAgent never throws, it returns a sentence.
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addToAgent, agentAvailable, generateKeypair, savePrivateKey } from '../../source/secrets/keys.js';
import { useEnv, useTempDirs } from './helpers.js';

const tempDir = useTempDirs('strata-agent-');
const setEnv = useEnv();

let agent: ResultPromise | undefined;
const servers: Server[] = [];
const sockets: Socket[] = [];

beforeEach(() => {
  setEnv({ HOME: tempDir() });
});

afterEach(async () => {
  if (agent) {
    agent.kill('SIGTERM');
    await agent.catch(() => undefined);
    agent = undefined;
  }
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/** Waits until a path exists, checking every 20 ms, for at most `ms`. */
async function waitForPath(path: string, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`${path} did not appear within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function startAgent(): Promise<string> {
  const sock = join(tempDir(), 'agent.sock');
  agent = execa('ssh-agent', ['-D', '-a', sock], { stdin: 'ignore' });
  agent.catch(() => undefined);
  await waitForPath(sock);
  return sock;
}

/** A socket that accepts connections and then does `behaviour` with them. */
async function fakeAgent(behaviour: 'hang-up' | 'silent'): Promise<string> {
  const sock = join(tempDir(), 'fake.sock');
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => undefined);
    if (behaviour === 'hang-up') socket.destroy();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(sock, resolve));
  return sock;
}

function rsaPem(): string {
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs1' }) as string;
}

describe('agentAvailable', () => {
  it('is false without SSH_AUTH_SOCK, for a missing path and for a path that is not a socket', () => {
    expect(agentAvailable({})).toBe(false);
    expect(agentAvailable({ SSH_AUTH_SOCK: '' })).toBe(false);
    expect(agentAvailable({ SSH_AUTH_SOCK: join(tempDir(), 'gone.sock') })).toBe(false);
    const file = join(tempDir(), 'plain');
    writeFileSync(file, '');
    expect(agentAvailable({ SSH_AUTH_SOCK: file })).toBe(false);
  });

  it('is true for a running agent', async () => {
    const sock = await startAgent();
    expect(agentAvailable({ SSH_AUTH_SOCK: sock })).toBe(true);
  });
});

describe('addToAgent with a real ssh-agent', () => {
  it('adds a saved PEM RSA key and a generated ed25519 key; ssh-add -l lists their fingerprints', async () => {
    const sock = await startAgent();
    const env = { SSH_AUTH_SOCK: sock };
    const saved = await savePrivateKey({ name: 'from-provider', pem: rsaPem() });
    const generated = await generateKeypair({ name: 'generated' });

    expect(await addToAgent(saved.path, env)).toEqual({ added: true });
    expect(await addToAgent(generated.path, env)).toEqual({ added: true });

    const { stdout } = await execa('ssh-add', ['-l'], { env, stdin: 'ignore' });
    expect(stdout).toContain(saved.fingerprint);
    expect(stdout).toContain(generated.fingerprint);
    expect(stdout).toContain('strata generated');
  });

  it('passes a lifetime to the agent', async () => {
    const sock = await startAgent();
    const key = await generateKeypair({ name: 'short-lived' });
    expect(await addToAgent(key.path, { SSH_AUTH_SOCK: sock }, { lifetimeSeconds: 600 })).toEqual({ added: true });
    const { stdout } = await execa('ssh-add', ['-l'], { env: { SSH_AUTH_SOCK: sock }, stdin: 'ignore' });
    expect(stdout).toContain(key.fingerprint);
  });

  it('says why when the file is not a key the agent accepts (and does not throw)', async () => {
    const sock = await startAgent();
    const file = join(tempDir(), 'not-a-key');
    writeFileSync(file, 'nonsense\n', { mode: 0o600 });
    const result = await addToAgent(file, { SSH_AUTH_SOCK: sock });
    expect(result.added).toBe(false);
    if (!result.added) expect(result.reason).toMatch(/^ssh-add could not add the key: .+\.$/);
  });
});

describe('addToAgent without a working agent never throws', () => {
  it('no agent at all', async () => {
    expect(await addToAgent('/nonexistent/key', {})).toEqual({
      added: false,
      reason: 'No ssh-agent runs here (SSH_AUTH_SOCK is not set).',
    });
  });

  it('a socket path that is gone', async () => {
    const result = await addToAgent('/nonexistent/key', { SSH_AUTH_SOCK: join(tempDir(), 'gone.sock') });
    expect(result.added).toBe(false);
    if (!result.added) expect(result.reason).toMatch(/does not exist/);
  });

  it('an agent that hangs up', async () => {
    const key = await generateKeypair({ name: 'k' });
    const result = await addToAgent(key.path, { SSH_AUTH_SOCK: await fakeAgent('hang-up') });
    expect(result.added).toBe(false);
    if (!result.added) expect(result.reason).toMatch(/^ssh-add could not add the key: .+\.$/);
  });

  it('an agent that never answers: the timeout ends it', async () => {
    const key = await generateKeypair({ name: 'k' });
    const started = Date.now();
    const result = await addToAgent(key.path, { SSH_AUTH_SOCK: await fakeAgent('silent') }, { timeoutMs: 1_000 });
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(result).toEqual({ added: false, reason: 'ssh-add did not finish within 1 s; the key was not added to the agent.' });
  });
});
