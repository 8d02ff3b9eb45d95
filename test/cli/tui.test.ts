// The command line and the TUI on one home, in a real terminal: a launch from the command line shows in
// the TUI's readiness monitor; a subcommand in a terminal leaves it in its mode (typed keys are echoed by
// the terminal, Ctrl+C interrupts), with its progress on one line of stderr.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startApp, useAppCleanup } from '../e2e/harness.js';
import { jsonOf, launchableImage, newHome, recipeYaml, strata } from './helpers.js';

useAppCleanup();

const ENV = { NO_COLOR: '1', STRATA_SECRETS: 'file' };

describe('the command line beside the TUI', () => {
  it('a launch from the command line shows in the TUI\'s monitor', async () => {
    const home = newHome();
    const recipe = join(home, 'web.yaml');
    writeFileSync(recipe, recipeYaml(launchableImage(home), { name: 'from-cli' }));
    const app = startApp({ home, env: ENV });
    await app.waitForText(/img-/);
    app.press('tab');
    await app.waitForText('No servers in this region yet');
    const launched = jsonOf<{ servers: { id: string }[] }>(await strata(['launch', '--recipe', recipe, '--json'], { home }), 'launch');
    const id = launched.servers[0]!.id;
    // The monitor's next poll (a slow one: nothing was on its way) finds it.
    const screen = await app.waitFor((s) => s.split('\n').some((l) => l.includes(id) || l.includes('from-cli')), { timeout: 45_000, description: 'the server in the monitor' });
    expect(screen).toMatch(/from-cli/);
    app.press('q');
    expect((await app.waitForExit()).exitCode).toBe(0);
  });

  it('a subcommand in a terminal: the progress line on stderr, keys echoed by the terminal (no raw mode), Ctrl+C interrupts', async () => {
    const home = newHome();
    const recipe = join(home, 'web.yaml');
    writeFileSync(recipe, recipeYaml(launchableImage(home)));
    // A server on its way (the world at its own pace: about twenty minutes to ready).
    const launched = jsonOf<{ servers: { id: string }[] }>(await strata(['launch', '--recipe', recipe, '--json'], { home }), 'launch');
    const app = startApp({ home, env: ENV, args: ['wait', launched.servers[0]!.id], rawModeTimeout: 0 });
    await app.waitForText(/waiting \S+ for 1 server to be ready: 0 ready · web (requested|pending|booting)/);
    app.write('typed-ahead');
    // In the terminal's own (cooked) mode the terminal echoes what is typed; in raw mode nothing would show.
    // (Read from the output itself: the next progress line redraws the row the echo landed on.)
    await app.waitFor(() => app.rawOutput().includes('typed-ahead'), { description: 'the echo of what was typed' });
    app.press('ctrlc');
    const status = await app.waitForExit();
    expect(status).toEqual({ exitCode: 130, signal: null });
  });
});
