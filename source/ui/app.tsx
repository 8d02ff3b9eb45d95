// The layout: the header, the body (a pane or a full-screen overlay), the bottom lines (messages whole, a
// prompt, the command or filter line, the position), the status bar; pop-ups over the pane. What goes where
// comes from route(state), the same selector that gives the keys their handlers.
import { Box, Text, useApp, useWindowSize } from 'ink';
import { useEffect, type ReactNode } from 'react';
import { useBottomLines } from './components/Bottom.js';
import { HelpOverlay } from './components/HelpOverlay.js';
import { ImageInfo } from './components/ImageInfo.js';
import { Messages } from './components/Messages.js';
import { FirewallsList } from './components/FirewallsList.js';
import { StaleReport } from './components/StaleReport.js';
import { Palette, PALETTE_WIDTH } from './components/Palette.js';
import { Header, StatusBar } from './components/StatusBar.js';
import { fit, wrap } from './components/text.js';
import { InputDispatcher } from './input.js';
import { ImagesPane } from './panes/images/ImagesPane.js';
import { LaunchPane } from './panes/launch/LaunchPane.js';
import { MonitorPane } from './panes/monitor/MonitorPane.js';
import { RiskPane } from './panes/risk/RiskPane.js';
import { JobsPane } from './panes/jobs/JobsPane.js';
import { ReconcilePrompt } from './components/ReconcilePrompt.js';
import { FleetLabelPalette, FleetPane } from './panes/fleet/FleetPane.js';
import { MIN_COLUMNS, MIN_ROWS, route } from './routes.js';
import { ControllerContext, StoreContext, ThemeContext, useAppState, useController } from './state/context.js';
import type { Controller } from './state/controller.js';
import type { AppStore } from './state/store.js';
import type { Theme } from './theme.js';

export { MIN_COLUMNS, MIN_ROWS };

/** The fewest rows the body keeps, whatever the bottom lines need. */
const MIN_BODY = 4;

function TooSmall({ columns, rows }: { columns: number; rows: number }) {
  const text = `strata needs at least ${MIN_COLUMNS}x${MIN_ROWS}; this terminal is ${columns}x${rows}. Make the window larger, or press q to quit.`;
  return (
    <Box flexDirection="column">
      <InputDispatcher />
      {wrap(text, Math.max(10, columns - 1))
        .slice(0, Math.max(1, rows))
        .map((line, i) => (
          <Text key={i}>{fit(line, Math.max(1, columns - 1)).trimEnd()}</Text>
        ))}
    </Box>
  );
}

export function Screen({ columns, rows }: { columns: number; rows: number }) {
  const controller = useController();
  const { exit } = useApp();
  const bodyKind = useAppState((s) => route(s, { columns, rows }).body);
  const bottomKind = useAppState((s) => route(s, { columns, rows }).bottom);
  const pane = useAppState((s) => s.pane);
  const palette = useAppState((s) => s.overlay?.kind === 'palette');
  const fleetPalette = useAppState((s) => s.overlay?.kind === 'fleet-label');
  const reconcile = useAppState((s) => (s.reconcile && s.pane === 'images' && !s.overlay ? s.reconcile[0] : undefined));
  controller.size = { columns, rows };
  const bottom = useBottomLines(bottomKind, columns, Math.max(1, rows - 2 - MIN_BODY));

  useEffect(() => {
    controller.onExit(() => exit());
  }, [controller, exit]);

  if (columns < MIN_COLUMNS || rows < MIN_ROWS) return <TooSmall columns={columns} rows={rows} />;

  const bodyHeight = Math.max(1, rows - 2 - bottom.length);
  controller.setListHeight(bodyHeight - 1);
  let body: ReactNode;
  if (bodyKind === 'help') body = <HelpOverlay width={columns} height={bodyHeight} />;
  else if (bodyKind === 'info') body = <ImageInfo width={columns} height={bodyHeight} />;
  else if (bodyKind === 'messages') body = <Messages width={columns} height={bodyHeight} />;
  else if (bodyKind === 'stale') body = <StaleReport width={columns} height={bodyHeight} />;
  else if (bodyKind === 'firewalls') body = <FirewallsList width={columns} height={bodyHeight} />;
  else if (pane === 'launch') body = <LaunchPane width={columns} height={bodyHeight} />;
  else if (pane === 'monitor') body = <MonitorPane width={columns} height={bodyHeight} />;
  else if (pane === 'risk') body = <RiskPane width={columns} height={bodyHeight} />;
  else if (pane === 'jobs') body = <JobsPane width={columns} height={bodyHeight} />;
  else if (pane === 'fleet') body = <FleetPane width={columns} height={bodyHeight} />;
  else body = <ImagesPane width={columns} height={bodyHeight} />;
  return (
    <Box flexDirection="column" width={columns} height={rows}>
      <InputDispatcher />
      <Header width={columns} />
      <Box height={bodyHeight} width={columns}>
        {body}
        {reconcile ? (
          <Box position="absolute" marginTop={1} marginLeft={Math.max(0, Math.floor((columns - Math.min(columns - 2, 90)) / 2))}>
            <ReconcilePrompt width={Math.min(columns - 2, 90)} height={bodyHeight - 1} />
          </Box>
        ) : null}
        {palette ? (
          // At the right edge, so no cut-off row text shows beside it.
          <Box position="absolute" marginTop={1} marginLeft={Math.max(0, columns - PALETTE_WIDTH)}>
            <Palette width={columns} />
          </Box>
        ) : null}
        {fleetPalette ? (
          <Box position="absolute" marginTop={1} marginLeft={Math.max(0, columns - PALETTE_WIDTH)}>
            <FleetLabelPalette width={columns} />
          </Box>
        ) : null}
      </Box>
      {bottom.map((line) => (
        <Box key={line.key} height={1} width={columns} overflow="hidden">
          {line.node}
        </Box>
      ))}
      <StatusBar width={columns} />
    </Box>
  );
}

function Sized() {
  const { columns, rows } = useWindowSize();
  return <Screen columns={columns} rows={rows} />;
}

export interface AppProps {
  store: AppStore;
  controller: Controller;
  theme: Theme;
}

export function AppProviders({ store, controller, theme, children }: AppProps & { children: ReactNode }) {
  return (
    <StoreContext.Provider value={store}>
      <ControllerContext.Provider value={controller}>
        <ThemeContext.Provider value={theme}>{children}</ThemeContext.Provider>
      </ControllerContext.Provider>
    </StoreContext.Provider>
  );
}

export function App(props: AppProps) {
  return (
    <AppProviders {...props}>
      <Sized />
    </AppProviders>
  );
}
