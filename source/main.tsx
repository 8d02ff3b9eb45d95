// Builds the context (store, logger, controller) and runs the TUI. Loaded by cli.tsx after the version guard.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseCli, UsageError, USAGE } from './args.js';
import { createLogger } from './services/log.js';
import { openStore } from './store/db.js';
import { strataHome } from './store/paths.js';
import { App } from './ui/app.js';
import { Controller } from './ui/state/controller.js';
import { initialState } from './ui/state/state.js';
import { createStore } from './ui/state/store.js';
import { assertInteractive, runFullScreen, TerminalNotInteractive } from './ui/terminal.js';
import { requestRepaint } from './ui/screen/writer.js';
import { createTheme } from './ui/theme.js';
import { opensFleet, selectedSources, sessionOptionsFor } from './cli/session-options.js';
import { VERSION } from './cli/version.js';

/** How long the first frame may wait for the provider's first page. */
const FIRST_FRAME_WAIT_MS = 120;

export { VERSION };

export async function main(argv: string[]): Promise<number> {
  let options;
  try {
    options = parseCli(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`strata: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (options.version) {
    process.stdout.write(`strata ${VERSION}\n`);
    return 0;
  }
  try {
    assertInteractive();
  } catch (error) {
    if (error instanceof TerminalNotInteractive) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }

  let home;
  let db;
  try {
    home = strataHome();
    db = openStore(home.data);
  } catch (error) {
    process.stderr.write(`strata could not open its data store: ${(error as Error).message}\n`);
    return 1;
  }
  let config;
  try {
    // config.yaml is read only where there is one: its parser (yaml, zod) stays off the first frame's path.
    if (existsSync(join(home.config, 'config.yaml'))) config = (await import('./services/config.js')).loadConfig(home.config).config;
  } catch (error) {
    // A broken config.yaml is said before the TUI opens, with the file, the line and the key.
    process.stderr.write(`strata: ${(error as Error).message}\n`);
    db.close();
    return 2;
  }
  let sources;
  let sessionOptions;
  try {
    // --source NAME / --fleet: the sources config.yaml lists (an unknown name is said before the TUI opens).
    sources = selectedSources(options, config);
    // The same session options as the subcommands' (cli/session-options.ts): one mapping from the options.
    sessionOptions = sessionOptionsFor(options, home, config, sources);
  } catch (error) {
    process.stderr.write(`strata: ${(error as Error).message}\n`);
    db.close();
    return 2;
  }
  const fleet = opensFleet(options, sources);
  const logger = createLogger(join(home.data, 'strata.log'));
  logger.log('info', 'start', { provider: sessionOptions.providerId, region: sessionOptions.region, readOnly: options.readOnly, sources: sources?.map((s) => s.name) });

  const store = createStore(
    initialState({
      providerId: sessionOptions.providerId,
      region: sessionOptions.region ?? '',
      scope: options.scope,
      readOnly: sessionOptions.readOnly === true,
      ...(sessionOptions.readOnlySource ? { readOnlySource: sessionOptions.readOnlySource } : {}),
      ...(fleet ? { pane: 'fleet' as const } : {}),
    }),
  );
  const controller = new Controller({
    store,
    db,
    logger,
    // The watcher, look-ups and interrupted work start once the first frame is on screen.
    waitForFirstFrame: true,
    sessionOptions,
    // The fleet view (F, :fleet) over the sources asked for, else every source config.yaml lists.
    ...(config?.sources?.length
      ? { fleet: { sources: sources ?? config.sources, base: { home: home.data, configDir: home.config, config, readOnly: options.readOnly }, store: db } }
      : {}),
    ...(fleet ? { openFleet: true } : {}),
  });

  // Ctrl+L repaints the whole screen from a cleared one (the screen writer owns every byte).
  controller.onRedraw(() => requestRepaint());

  let closed = false;
  const shutdown = async () => {
    if (closed) return;
    closed = true;
    await controller.close();
    db.close();
    logger.log('info', 'stop');
  };

  // The first frame waits a moment for the first rows (one full render instead of two on a fast
  // provider); a slow one (an SDK to load, a far region) gets a frame that says it is connecting.
  void controller.start();
  await Promise.race([controller.firstPage, new Promise((resolve) => setTimeout(resolve, FIRST_FRAME_WAIT_MS).unref())]);
  try {
    return await runFullScreen(<App store={store} controller={controller} theme={createTheme()} />, {
      onExit: shutdown,
      onFirstFrame: () => controller.firstFrameDrawn(),
      log: (message, detail) => logger.log('error', message, detail),
    });
  } finally {
    await shutdown();
  }
}
