// The layout: header, the pane (or the help), the message line, the status bar; modals on top.
import { Box, Text, useApp, useWindowSize } from 'ink';
import { useEffect, type ReactNode } from 'react';
import { CommandLine, FilterLine } from './components/CommandLine.js';
import { HelpOverlay } from './components/HelpOverlay.js';
import { ImageInfo } from './components/ImageInfo.js';
import { Palette, PALETTE_WIDTH } from './components/Palette.js';
import { Header, MessageLine, StatusBar } from './components/StatusBar.js';
import { InputDispatcher } from './input.js';
import { ImagesPane } from './panes/images/ImagesPane.js';
import { LaunchPane } from './panes/launch/LaunchPane.js';
import { MonitorPane } from './panes/monitor/MonitorPane.js';
import { RiskPane } from './panes/risk/RiskPane.js';
import { ReconcilePrompt } from './components/ReconcilePrompt.js';
import { DeletePrompt } from './components/DeletePrompt.js';
import { ControllerContext, StoreContext, ThemeContext, useAppState, useController } from './state/context.js';
import type { Controller } from './state/controller.js';
import type { AppStore } from './state/store.js';
import type { Theme } from './theme.js';

export const MIN_COLUMNS = 60;
export const MIN_ROWS = 12;

export function Screen({ columns, rows }: { columns: number; rows: number }) {
  const controller = useController();
  const modal = useAppState((s) => s.modal?.kind);
  const editing = useAppState((s) => s.filter.editing);
  const pane = useAppState((s) => s.pane);
  const deleteOpen = useAppState((s) => s.deleteImage !== undefined);
  const reconcile = useAppState((s) => (s.reconcile && s.pane === 'images' ? s.reconcile[0] : undefined));
  const { exit } = useApp();

  useEffect(() => {
    controller.onExit(() => exit());
  }, [controller, exit]);

  if (columns < MIN_COLUMNS || rows < MIN_ROWS) {
    return (
      <Box flexDirection="column">
        <InputDispatcher />
        <Text>{`strata needs at least ${MIN_COLUMNS}x${MIN_ROWS}; this terminal is ${columns}x${rows}.`}</Text>
        <Text>Make the window larger, or press q to quit.</Text>
      </Box>
    );
  }

  const commandOpen = modal === 'command';
  const deleting = deleteOpen && pane === 'images' && !modal;
  const paneHeight = rows - 3 - (commandOpen || deleting ? 1 : 0);
  controller.setListHeight(paneHeight - 1);
  return (
    <Box flexDirection="column" width={columns} height={rows}>
      <InputDispatcher />
      <Header width={columns} />
      <Box height={paneHeight} width={columns}>
        {modal === 'help' ? (
          <HelpOverlay width={columns} height={paneHeight} />
        ) : modal === 'info' ? (
          <ImageInfo width={columns} height={paneHeight} />
        ) : pane === 'launch' ? (
          <LaunchPane width={columns} height={paneHeight} />
        ) : pane === 'monitor' ? (
          <MonitorPane width={columns} height={paneHeight} />
        ) : pane === 'risk' ? (
          <RiskPane width={columns} height={paneHeight} />
        ) : (
          <ImagesPane width={columns} height={paneHeight} />
        )}
        {reconcile && !modal ? (
          <Box position="absolute" marginTop={2} marginLeft={Math.max(0, Math.floor((columns - Math.min(columns - 2, 90)) / 2))}>
            <ReconcilePrompt width={Math.min(columns - 2, 90)} />
          </Box>
        ) : null}
        {modal === 'palette' ? (
          // At the right edge, so no cut-off row text shows beside it.
          <Box position="absolute" marginTop={1} marginLeft={Math.max(0, columns - PALETTE_WIDTH)}>
            <Palette width={columns} />
          </Box>
        ) : null}
      </Box>
      {commandOpen ? (
        <CommandLine width={columns} />
      ) : deleting ? (
        <DeletePrompt width={columns} />
      ) : editing ? (
        <FilterLine width={columns} />
      ) : (
        <MessageLine width={columns} />
      )}
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
