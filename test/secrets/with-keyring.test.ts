// scripts/with-keyring.sh: a private D-Bus session with an unlocked gnome-keyring around a command.
// Skipped with a visible line where gnome-keyring is not installed, unless STRATA_REQUIRE_KEYCHAIN=1.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../../scripts/with-keyring.sh', import.meta.url));
const required = process.env.STRATA_REQUIRE_KEYCHAIN === '1';
const missing: string[] = [];
for (const tool of ['dbus-run-session', 'gnome-keyring-daemon', 'dbus-send', 'secret-tool']) {
  const found = await execa('sh', ['-c', 'command -v "$1"', 'sh', tool], { reject: false });
  if (found.exitCode !== 0) missing.push(tool);
}
const usable = process.platform === 'linux' && missing.length === 0;
if (!usable && !required) {
  console.log(`[strata] scripts/with-keyring.sh tests SKIPPED: not installed: ${missing.join(', ') || process.platform}.`);
}

it.runIf(usable || required)('runs the command with an unlocked Secret Service, keeps HOME, cleans up, passes the exit code', async () => {
  expect(missing, 'apt-get install -y --no-install-recommends gnome-keyring dbus-x11 libsecret-tools').toEqual([]);
  const script = [
    'printf "%s\\n" "$HOME" "$XDG_DATA_HOME" "${DBUS_SESSION_BUS_ADDRESS:+bus}"',
    'printf "s3cret" | secret-tool store --label=check service strata-wrapper-check username u',
    'secret-tool lookup service strata-wrapper-check username u; echo',
    'test -d "$XDG_DATA_HOME/keyrings" && echo keyrings-here',
    'exit 7',
  ].join('\n');
  const started = Date.now();
  const result = await execa(SCRIPT, ['bash', '-c', script], { reject: false, timeout: 60_000, env: { DBUS_SESSION_BUS_ADDRESS: '' } });
  expect(Date.now() - started).toBeLessThan(30_000);
  expect(result.exitCode).toBe(7);
  const [home, dataHome, bus, secret, keyrings] = result.stdout.split('\n');
  expect(home).toBe(process.env.HOME);
  expect(bus).toBe('bus');
  expect(secret).toBe('s3cret');
  expect(keyrings).toBe('keyrings-here');
  expect(existsSync(dataHome!)).toBe(false); // the temporary keyring is gone

  expect((await execa(SCRIPT, ['true'], { reject: false })).exitCode).toBe(0);
  expect((await execa(SCRIPT, [], { reject: false })).exitCode).toBe(64);
});
