// A hung D-Bus must not hang strata. The "bus" here is a socket that accepts connections and never
// answers: tried, @napi-rs/keyring then blocks inside `new AsyncEntry(...)` for good. The probe gives up
// after its timeout (~2 s), strata falls back to the file and says why, and strata's event loop keeps
// running meanwhile (a timer keeps ticking).
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { StrataError } from '../../source/core/errors.js';
import { openSecretStore } from '../../source/secrets/keychain.js';
import { rejectionOf, useEnv, useTempDirs } from './helpers.js';

const tempDir = useTempDirs('strata-hung-bus-');
const setEnv = useEnv();
let server: Server;
const sockets: Socket[] = [];

beforeEach(async () => {
  const sock = join(tempDir(), 'bus');
  server = createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => undefined);
    socket.on('data', () => undefined); // read, never answer
  });
  await new Promise<void>((resolve) => server.listen(sock, resolve));
  setEnv({ DBUS_SESSION_BUS_ADDRESS: `unix:path=${sock}` });
});

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
});

it.runIf(process.platform === 'linux')('falls back to the file after the probe timeout, and the event loop keeps running', async () => {
  const dataDir = tempDir();
  let ticks = 0;
  const timer = setInterval(() => ticks++, 100);
  const started = Date.now();
  try {
    const store = await openSecretStore({ dataDir, env: {} });
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(1_900);
    expect(elapsed).toBeLessThan(6_000);
    expect(ticks).toBeGreaterThanOrEqual(10); // ~20 expected: the wait did not block strata
    expect(store.where).toBe('file');
    expect(store.describe()).toBe(
      `the file ${join(dataDir, 'secrets.json')} (mode 0600), because no keychain answered: ` +
        'the keychain did not answer within 2 s (is it locked, or is D-Bus hung?).',
    );
    // The bus got a connection: the probe really tried it.
    expect(sockets.length).toBeGreaterThan(0);
  } finally {
    clearInterval(timer);
  }
});

it.runIf(process.platform === 'linux')('STRATA_SECRETS=keychain with a hung bus fails with the reason, in bounded time', async () => {
  const started = Date.now();
  const error = await rejectionOf(openSecretStore({ dataDir: tempDir(), env: { STRATA_SECRETS: 'keychain' }, probeTimeoutMs: 1_000 }));
  expect(Date.now() - started).toBeLessThan(5_000);
  expect(error).toBeInstanceOf(StrataError);
  expect((error as StrataError).message).toContain('did not answer within 1 s');
});
