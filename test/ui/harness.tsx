// A harness for component tests of the whole screen (ink-testing-library), on the real sandbox and a
// real store in a temporary home.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { afterEach } from 'vitest';
import type { Scope } from '../../source/core/types.js';
import { createLogger } from '../../source/services/log.js';
import { openStore, type Store } from '../../source/store/db.js';
import { AppProviders, Screen } from '../../source/ui/app.js';
import { Controller } from '../../source/ui/state/controller.js';
import { initialState } from '../../source/ui/state/state.js';
import { createStore } from '../../source/ui/state/store.js';
import { createTheme } from '../../source/ui/theme.js';
import type { Command, KeyContext } from '../../source/ui/keymap.js';
import type { SourceConfig, StrataConfig } from '../../source/services/config.js';
import { sourceSessionOptions } from '../../source/services/sources.js';
import { keyFor } from '../keys.js';
import type { TerminalHost } from '../../source/ui/screen/handover.js';

export interface Harness {
  frame(): string;
  /** Every frame drawn so far, oldest first (to see what was on screen only for a moment). */
  frames(): string[];
  press(...keys: string[]): Promise<void>;
  /** Presses the key bound to each command in the context (keymap.ts): the way tests say what they do. */
  command(context: KeyContext, ...commands: Command[]): Promise<void>;
  type(text: string): Promise<void>;
  /** Resolves with the frame once it matches; fails after timeoutMs (default 10 s) with the frame. */
  waitFor(test: string | RegExp | ((frame: string) => boolean), what?: string, timeoutMs?: number): Promise<string>;
  controller: Controller;
  db: Store;
  home: string;
}

const open: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of open.splice(0)) await close();
});

const KEYS: Record<string, string> = {
  down: '\u001b[B', up: '\u001b[A', enter: '\r', esc: '\u001b', tab: '\t', backspace: '\u007f',
  pgdn: '\u001b[6~', pgup: '\u001b[5~', home: '\u001b[H', end: '\u001b[F', delete: '\u001b[3~',
  space: ' ', right: '\u001b[C', left: '\u001b[D', 'shift+tab': '\u001b[Z',
};

/** The bytes a terminal sends for a key as the keymap names it ('j', 'ctrl+u', 'pgdn', 'shift+tab'). */
export function keyBytes(name: string): string {
  if (KEYS[name]) return KEYS[name];
  const ctrl = /^ctrl\+([a-z])$/.exec(name);
  if (ctrl) return String.fromCharCode(ctrl[1].charCodeAt(0) - 96);
  if ([...name].length === 1) return name;
  throw new Error(`The harness cannot type the key "${name}".`);
}

export async function start(
  options: {
    region?: string;
    scope?: Scope;
    readOnly?: boolean;
    columns?: number;
    rows?: number;
    home?: string;
    preloadLimit?: number;
    configDir?: string;
    config?: StrataConfig;
    env?: Record<string, string>;
    /** The terminal beyond the frames (ssh, the clipboard, links): a recording one in tests. */
    terminal?: TerminalHost;
    sandboxSpeed?: number;
    /** config.yaml's sources (the fleet); with `open`, strata starts in the fleet view on the first source's first region. */
    sources?: SourceConfig[];
    open?: boolean;
  } = {},
): Promise<Harness> {
  const home = options.home ?? mkdtempSync(join(tmpdir(), 'strata-ui-'));
  const db = openStore(home);
  const config: StrataConfig | undefined = options.sources ? { billingCodes: {}, groups: [], trustedVendorOwners: [], ...options.config, sources: options.sources } : options.config;
  const base = { home, configDir: options.configDir ?? home, ...(config ? { config } : {}), ...(options.readOnly ? { readOnly: true } : {}) };
  // Opened on sources: the first source's first region, as strata --fleet opens it.
  const first = options.sources && options.open ? sourceSessionOptions(options.sources[0]!, Array.isArray(options.sources[0]!.regions) ? options.sources[0]!.regions[0] : undefined, base) : undefined;
  const store = createStore(
    initialState({
      providerId: first?.providerId ?? 'sandbox',
      region: first?.region ?? options.region ?? 'eu-west',
      scope: options.scope,
      readOnly: first?.readOnly ?? options.readOnly,
      ...(first?.readOnlySource ? { readOnlySource: first.readOnlySource } : {}),
      ...(options.open ? { pane: 'fleet' as const } : {}),
    }),
  );
  const controller = new Controller({
    store,
    db,
    logger: createLogger(join(home, 'strata.log')),
    sessionOptions: first ?? {
      providerId: 'sandbox',
      region: options.region ?? 'eu-west',
      home,
      configDir: options.configDir ?? home,
      readOnly: options.readOnly,
      ...(config ? { config } : {}),
      ...(options.sandboxSpeed !== undefined ? { sandboxSpeed: options.sandboxSpeed } : {}),
    },
    preloadLimit: options.preloadLimit,
    ...(options.terminal ? { terminal: options.terminal } : {}),
    ...(options.sources ? { fleet: { sources: options.sources, base, store: db, retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 }, copyPollMs: 20 } } : {}),
    ...(options.open ? { openFleet: true } : {}),
  });
  const ui = render(
    <AppProviders store={store} controller={controller} theme={createTheme('none')}>
      <Screen columns={options.columns ?? 120} rows={options.rows ?? 40} />
    </AppProviders>,
  );
  open.push(async () => {
    ui.unmount();
    await controller.close();
    db.close();
    if (!options.home) rmSync(home, { recursive: true, force: true });
  });
  void controller.start();

  const frame = () => ui.lastFrame() ?? '';
  // Ink handles input on a macrotask; wait for one before looking at the frame again.
  const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 0));
  const waitFor = async (test: string | RegExp | ((f: string) => boolean), what?: string, timeoutMs = 10_000) => {
    const matches = typeof test === 'function' ? test : typeof test === 'string' ? (f: string) => f.includes(test) : (f: string) => test.test(f);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (matches(frame())) return frame();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`timed out waiting for ${what ?? String(test)}; the screen was:\n${frame()}`);
  };
  return {
    frame,
    frames: () => ui.frames.slice(),
    controller,
    db,
    home,
    waitFor,
    async press(...keys) {
      for (const k of keys) {
        ui.stdin.write(KEYS[k] ?? keyBytes(k));
        await tick();
      }
    },
    async command(context, ...commands) {
      for (const command of commands) {
        ui.stdin.write(keyBytes(keyFor(context, command)));
        await tick();
      }
    },
    async type(text) {
      ui.stdin.write(text);
      await tick();
    },
  };
}

