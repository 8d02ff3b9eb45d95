// Every key binding of strata, in one table: command -> keys, per context. The help overlay and the footer
// hints are generated from it; components never compare raw characters.

export type KeyContext =
  | 'global'
  | 'list'
  | 'editor'
  | 'filter'
  | 'rename'
  | 'prompt'
  | 'capture'
  | 'recipe'
  | 'palette'
  | 'help'
  | 'help-filter'
  | 'info'
  | 'messages'
  | 'command'
  | 'form'
  | 'picker'
  | 'review'
  | 'launching'
  | 'result'
  | 'launch-idle'
  | 'reconcile'
  | 'monitor'
  | 'detail'
  | 'risk'
  | 'jobs'
  | 'cancel-job'
  | 'confirm'
  | 'stale'
  | 'deprecate'
  | 'small'
  | 'follow'
  | 'ssh-confirm'
  | 'fleet'
  | 'fleet-filter'
  | 'fleet-versions'
  | 'fleet-copy'
  | 'firewalls';

export const enum Command {
  Quit = 'quit',
  Help = 'help',
  CommandLine = 'command-line',
  Redraw = 'redraw',
  Messages = 'messages',
  Up = 'up',
  Down = 'down',
  PageUp = 'page-up',
  PageDown = 'page-down',
  Top = 'top',
  Bottom = 'bottom',
  Filter = 'filter',
  ClearFilter = 'clear-filter',
  Rename = 'rename',
  Label = 'label',
  NextScope = 'next-scope',
  ScopeOwn = 'scope-own',
  ScopeVendor = 'scope-vendor',
  ScopePublic = 'scope-public',
  NextRegion = 'next-region',
  Refresh = 'refresh',
  // editors (filter line, inline rename, command line, prompts)
  Submit = 'submit',
  Cancel = 'cancel',
  CursorLeft = 'cursor-left',
  CursorRight = 'cursor-right',
  CursorHome = 'cursor-home',
  CursorEnd = 'cursor-end',
  DeleteBack = 'delete-back',
  DeleteForward = 'delete-forward',
  DeleteWord = 'delete-word',
  DeleteToStart = 'delete-to-start',
  Complete = 'complete',
  HistoryPrev = 'history-prev',
  HistoryNext = 'history-next',
  // the colour palette and the overlays
  Choose = 'choose',
  Close = 'close',
  // the capture prompt
  LabelNext = 'label-next',
  LabelPrev = 'label-prev',
  NoReboot = 'no-reboot',
  // the launch form
  Launch = 'launch',
  NextField = 'next-field',
  PrevField = 'prev-field',
  Activate = 'activate',
  CycleNext = 'cycle-next',
  CyclePrev = 'cycle-prev',
  Toggle = 'toggle',
  Review = 'review',
  OpenRecipe = 'open-recipe',
  SaveRecipe = 'save-recipe',
  Confirm = 'confirm',
  Abandon = 'abandon',
  AddToAgent = 'add-to-agent',
  // panes, the monitor
  NextPane = 'next-pane',
  PrevPane = 'prev-pane',
  Detail = 'detail',
  Capture = 'capture',
  Terminate = 'terminate',
  PollNow = 'poll-now',
  DeleteImage = 'delete-image',
  Info = 'info',
  CancelJob = 'cancel-job',
  Jobs = 'jobs',
  RetryJob = 'retry-job',
  TerminateBuilder = 'terminate-builder',
  KeepBuilder = 'keep-builder',
  ToggleKeep = 'toggle-keep',
  // marking rows, and what acts on the marked ones
  Mark = 'mark',
  MarkAll = 'mark-all',
  ClearMarks = 'clear-marks',
  Deprecate = 'deprecate',
  // from the list to the machine: ssh, the console followed, copies, links
  Ssh = 'ssh',
  Follow = 'follow',
  CopyId = 'copy-id',
  CopyCli = 'copy-cli',
  WebLink = 'web-link',
  // the fleet
  Fleet = 'fleet',
  CopyImage = 'copy-image',
  ShowKinds = 'show-kinds',
  Versions = 'versions',
  OpenInSource = 'open-in-source',
  NextTarget = 'next-target',
  PrevTarget = 'prev-target',
  // :firewalls
  DeleteFirewall = 'delete-firewall',
}

export interface Binding {
  command: Command;
  context: KeyContext;
  keys: string[];
  description: string;
  /** Short label for the footer; absent means not shown there. */
  hint?: string;
  /** Changes something (at the provider or in the store): disabled by --read-only. */
  mutating?: boolean;
  /** What it does, for a refusal ("renaming is disabled"). */
  doing?: string;
}

/** Scrolling a text view (help, details, review, the risk report, recent messages). */
function scrolling(context: KeyContext): Binding[] {
  return [
    { command: Command.Down, context, keys: ['j', 'down'], description: 'Scroll down' },
    { command: Command.Up, context, keys: ['k', 'up'], description: 'Scroll up' },
    { command: Command.PageDown, context, keys: ['pgdn', 'space', 'ctrl+d', 'ctrl+f'], description: 'Page down' },
    { command: Command.PageUp, context, keys: ['pgup', 'ctrl+u', 'ctrl+b'], description: 'Page up' },
    { command: Command.Top, context, keys: ['g', 'home'], description: 'To the top' },
    { command: Command.Bottom, context, keys: ['G', 'end'], description: 'To the end' },
  ];
}

/** Ctrl+C quits from every view that takes no typing (in an editor it cancels the edit instead). */
function quitting(context: KeyContext): Binding {
  return { command: Command.Quit, context, keys: ['ctrl+c'], description: 'Quit (the terminal is restored)' };
}

/** y, Y and o on a row: its id and the provider's CLI line to the clipboard, its web-console link. */
function copying(context: KeyContext, row: 'image' | 'server' | 'job'): Binding[] {
  return [
    { command: Command.CopyId, context, keys: ['y'], description: `Copy the ${row}'s id to the clipboard (OSC 52: works over ssh, in tmux and screen)${row === 'job' ? '' : `; with ${row}s marked, every marked ${row}'s id`}` },
    { command: Command.CopyCli, context, keys: ['Y'], description: `Copy the ${row === 'job' ? 'strata' : "provider's"} CLI line that describes the ${row} to the clipboard` },
    { command: Command.WebLink, context, keys: ['o'], description: `The ${row}'s page in the provider's web console: a link (clickable where the terminal can)` },
  ];
}

export const KEYMAP: readonly Binding[] = [
  { command: Command.Help, context: 'global', keys: ['?'], description: 'Show every key binding', hint: 'help' },
  { command: Command.CommandLine, context: 'global', keys: [':'], description: 'Command line (:images, :region eu-west, :scope public, :messages, :import ~/disk.qcow2 and more)', hint: 'cmd' },
  { command: Command.NextPane, context: 'global', keys: ['tab'], description: 'Next pane: images → monitor → risk' },
  { command: Command.PrevPane, context: 'global', keys: ['shift+tab'], description: 'Previous pane' },
  { command: Command.Messages, context: 'global', keys: ['M'], description: 'The recent messages, whole (also :messages)' },
  { command: Command.Redraw, context: 'global', keys: ['ctrl+l'], description: 'Redraw the whole screen' },
  { command: Command.Quit, context: 'global', keys: ['q', 'ctrl+c'], description: 'Quit (the terminal is restored)', hint: 'quit' },

  { command: Command.Down, context: 'list', keys: ['j', 'down'], description: 'Move down' },
  { command: Command.Up, context: 'list', keys: ['k', 'up'], description: 'Move up' },
  { command: Command.PageDown, context: 'list', keys: ['pgdn', 'ctrl+f', 'ctrl+d'], description: 'Page down' },
  { command: Command.PageUp, context: 'list', keys: ['pgup', 'ctrl+b', 'ctrl+u'], description: 'Page up' },
  { command: Command.Top, context: 'list', keys: ['g', 'home'], description: 'First row' },
  { command: Command.Bottom, context: 'list', keys: ['G', 'end'], description: 'Last row' },
  { command: Command.Filter, context: 'list', keys: ['/'], description: 'Filter as you type (fuzzy; the public catalogue is also searched at the provider)', hint: 'filter' },
  { command: Command.ClearFilter, context: 'list', keys: ['esc'], description: 'Clear the filter' },
  { command: Command.Rename, context: 'list', keys: ['r'], description: 'Rename the image inline', hint: 'rename', mutating: true, doing: 'renaming' },
  { command: Command.Label, context: 'list', keys: ['c'], description: 'Set the colour label', hint: 'label', mutating: true, doing: 'setting labels' },
  { command: Command.NextScope, context: 'list', keys: ['s'], description: 'Next scope: own → vendor → public', hint: 'scope' },
  { command: Command.ScopeOwn, context: 'list', keys: ['1'], description: 'Own images' },
  { command: Command.ScopeVendor, context: 'list', keys: ['2'], description: 'Vendor templates' },
  { command: Command.ScopePublic, context: 'list', keys: ['3'], description: 'Public catalogue' },
  { command: Command.NextRegion, context: 'list', keys: ['R'], description: 'Next region' },
  { command: Command.Launch, context: 'list', keys: ['l', 'enter'], description: 'Launch servers from the image (the launch form)', hint: 'launch', mutating: true, doing: 'launching' },
  { command: Command.DeleteImage, context: 'list', keys: ['D'], description: 'Delete an own image (typed confirmation, naming what depends on it)', mutating: true, doing: 'deleting images' },
  { command: Command.Info, context: 'list', keys: ['i'], description: "The image's details: lineage (where it came from), what depends on it, its tags" },
  { command: Command.Refresh, context: 'list', keys: ['ctrl+r'], description: 'Reload from the provider' },
  { command: Command.Mark, context: 'list', keys: ['space'], description: 'Mark the image, or unmark it: c (label), D (delete) and copying then act on every marked image', hint: 'mark' },
  { command: Command.MarkAll, context: 'list', keys: ['*'], description: 'Mark every image the filter shows' },
  { command: Command.ClearMarks, context: 'list', keys: ['u'], description: 'Clear the marks of this list' },
  { command: Command.Deprecate, context: 'list', keys: ['E'], description: 'Give an own image a deprecation date (YYYY-MM-DD, +90d, now) or take it off: every user of the account then sees it deprecated, in :risk too', mutating: true, doing: 'deprecating images' },
  ...copying('list', 'image'),

  { command: Command.Down, context: 'monitor', keys: ['j', 'down'], description: 'Move down' },
  { command: Command.Up, context: 'monitor', keys: ['k', 'up'], description: 'Move up' },
  { command: Command.PageDown, context: 'monitor', keys: ['pgdn', 'ctrl+f'], description: 'Page down' },
  { command: Command.PageUp, context: 'monitor', keys: ['pgup', 'ctrl+b'], description: 'Page up' },
  { command: Command.Top, context: 'monitor', keys: ['g', 'home'], description: 'First server' },
  { command: Command.Bottom, context: 'monitor', keys: ['G', 'end'], description: 'Last server' },
  { command: Command.Detail, context: 'monitor', keys: ['enter'], description: "A server's launch spec, timeline and console output", hint: 'detail' },
  { command: Command.Ssh, context: 'monitor', keys: ['s'], description: "ssh into the server (its address, the image's user, the key strata made; its host key checked against its console); back here when ssh ends", hint: 'ssh' },
  { command: Command.Capture, context: 'monitor', keys: ['i'], description: 'Capture an image from the server', hint: 'capture', mutating: true, doing: 'capturing images' },
  { command: Command.Terminate, context: 'monitor', keys: ['T'], description: 'Terminate the server (typed confirmation)', hint: 'terminate', mutating: true, doing: 'terminating servers' },
  { command: Command.PollNow, context: 'monitor', keys: ['ctrl+r'], description: 'Ask the provider now' },
  { command: Command.CancelJob, context: 'monitor', keys: ['X'], description: 'Cancel the newest running safe-workflow job: it names the job and asks what becomes of its builder', hint: 'cancel job', mutating: true, doing: 'cancelling jobs' },
  { command: Command.Jobs, context: 'monitor', keys: ['J'], description: 'Every safe-workflow job of the region (also :jobs)', hint: 'jobs' },
  { command: Command.Mark, context: 'monitor', keys: ['space'], description: 'Mark the server, or unmark it: T (terminate) and copying then act on every marked server', hint: 'mark' },
  { command: Command.MarkAll, context: 'monitor', keys: ['*'], description: 'Mark every server listed' },
  { command: Command.ClearMarks, context: 'monitor', keys: ['u'], description: 'Clear the marks of the monitor' },
  ...copying('monitor', 'server'),

  { command: Command.Down, context: 'jobs', keys: ['j', 'down'], description: 'Move down' },
  { command: Command.Up, context: 'jobs', keys: ['k', 'up'], description: 'Move up' },
  { command: Command.Top, context: 'jobs', keys: ['g', 'home'], description: 'First job' },
  { command: Command.Bottom, context: 'jobs', keys: ['G', 'end'], description: 'Last job' },
  { command: Command.CancelJob, context: 'jobs', keys: ['X'], description: 'Cancel the job: its builder is terminated (its name typed) or kept on purpose', hint: 'cancel', mutating: true, doing: 'cancelling jobs' },
  { command: Command.RetryJob, context: 'jobs', keys: ['R'], description: 'Retry a failed job from the step it failed in', hint: 'retry', mutating: true, doing: 'retrying jobs' },
  { command: Command.TerminateBuilder, context: 'jobs', keys: ['T'], description: "Terminate an ended job's builder (its name typed)", hint: 'terminate builder', mutating: true, doing: 'terminating servers' },
  { command: Command.KeepBuilder, context: 'jobs', keys: ['K'], description: "Keep a failed job's builder running, for inspection", hint: 'keep builder', mutating: true, doing: 'keeping builders' },
  { command: Command.Close, context: 'jobs', keys: ['esc'], description: 'Back to the monitor', hint: 'back' },
  ...copying('jobs', 'job'),

  { command: Command.Submit, context: 'cancel-job', keys: ['enter'], description: 'Cancel the job (terminating its builder: what you typed must be its name)' },
  { command: Command.Cancel, context: 'cancel-job', keys: ['esc', 'ctrl+c'], description: 'Do not cancel: the job goes on' },
  { command: Command.ToggleKeep, context: 'cancel-job', keys: ['tab'], description: 'The builder: terminate it, or keep it running on purpose' },

  ...scrolling('detail'),
  { command: Command.Capture, context: 'detail', keys: ['i'], description: 'Capture an image from the server', hint: 'capture', mutating: true, doing: 'capturing images' },
  { command: Command.Terminate, context: 'detail', keys: ['T'], description: 'Terminate the server (typed confirmation)', hint: 'terminate', mutating: true, doing: 'terminating servers' },
  { command: Command.Close, context: 'detail', keys: ['esc'], description: 'Back to the list', hint: 'back' },
  { command: Command.Ssh, context: 'detail', keys: ['s'], description: 'ssh into the server; back here when ssh ends', hint: 'ssh' },
  { command: Command.Follow, context: 'detail', keys: ['f'], description: 'Follow the console: new lines as they come (Esc stops)', hint: 'follow' },
  ...copying('detail', 'server'),

  { command: Command.Close, context: 'follow', keys: ['esc', 'f'], description: 'Stop following the console', hint: 'stop following' },
  { command: Command.Ssh, context: 'follow', keys: ['s'], description: 'ssh into the server (following stops)' },
  quitting('follow'),

  { command: Command.Confirm, context: 'ssh-confirm', keys: ['y'], description: 'Connect unverified: ssh takes the host key the server shows, and strata keeps it for next time' },
  { command: Command.Close, context: 'ssh-confirm', keys: ['n', 'esc'], description: 'Do not connect' },
  quitting('ssh-confirm'),

  ...scrolling('risk'),

  { command: Command.Submit, context: 'editor', keys: ['enter'], description: 'Save / apply' },
  { command: Command.Cancel, context: 'editor', keys: ['esc', 'ctrl+c'], description: 'Cancel (nothing is saved)' },
  { command: Command.CursorLeft, context: 'editor', keys: ['left', 'ctrl+b'], description: 'Cursor left' },
  { command: Command.CursorRight, context: 'editor', keys: ['right', 'ctrl+f'], description: 'Cursor right' },
  { command: Command.CursorHome, context: 'editor', keys: ['home', 'ctrl+a'], description: 'Start of line' },
  { command: Command.CursorEnd, context: 'editor', keys: ['end', 'ctrl+e'], description: 'End of line' },
  { command: Command.DeleteBack, context: 'editor', keys: ['backspace', 'ctrl+h'], description: 'Delete the character before the cursor' },
  { command: Command.DeleteForward, context: 'editor', keys: ['delete', 'ctrl+d'], description: 'Delete the character under the cursor' },
  { command: Command.DeleteWord, context: 'editor', keys: ['ctrl+w', 'meta+backspace'], description: 'Delete the word before the cursor' },
  { command: Command.DeleteToStart, context: 'editor', keys: ['ctrl+u'], description: 'Delete to the start of the line' },

  { command: Command.Submit, context: 'filter', keys: ['enter'], description: 'Keep the filter and go back to the list' },
  { command: Command.Cancel, context: 'filter', keys: ['esc'], description: 'Clear the filter' },
  { command: Command.Down, context: 'filter', keys: ['down'], description: 'Move down the list while filtering' },
  { command: Command.Up, context: 'filter', keys: ['up'], description: 'Move up the list while filtering' },
  { command: Command.PageDown, context: 'filter', keys: ['pgdn'], description: 'Page down' },
  { command: Command.PageUp, context: 'filter', keys: ['pgup'], description: 'Page up' },

  { command: Command.Submit, context: 'rename', keys: ['enter'], description: 'Save the name' },
  { command: Command.Cancel, context: 'rename', keys: ['esc', 'ctrl+c'], description: 'Cancel (the name stays as it was)' },

  { command: Command.Submit, context: 'prompt', keys: ['enter'], description: 'Confirm (what you typed must match exactly)' },
  { command: Command.Cancel, context: 'prompt', keys: ['esc', 'ctrl+c'], description: 'Cancel (nothing happens)' },

  { command: Command.Submit, context: 'capture', keys: ['enter'], description: 'Capture the image' },
  { command: Command.Cancel, context: 'capture', keys: ['esc', 'ctrl+c'], description: 'Cancel (nothing is captured)' },
  { command: Command.LabelNext, context: 'capture', keys: ['tab'], description: "Next colour label for the new image" },
  { command: Command.LabelPrev, context: 'capture', keys: ['shift+tab'], description: 'Previous colour label' },
  { command: Command.NoReboot, context: 'capture', keys: ['ctrl+n'], description: 'No reboot (or pause): the disk is copied while the server runs, as a crash would leave it' },

  { command: Command.Submit, context: 'recipe', keys: ['enter'], description: 'Save the recipe' },
  { command: Command.Cancel, context: 'recipe', keys: ['esc', 'ctrl+c'], description: 'Cancel (nothing is saved)' },

  { command: Command.Submit, context: 'command', keys: ['enter'], description: 'Run the command' },
  { command: Command.Cancel, context: 'command', keys: ['esc', 'ctrl+c'], description: 'Close the command line' },
  { command: Command.Complete, context: 'command', keys: ['tab'], description: 'Complete' },
  { command: Command.HistoryPrev, context: 'command', keys: ['up'], description: 'Previous command' },
  { command: Command.HistoryNext, context: 'command', keys: ['down'], description: 'Next command' },

  { command: Command.Down, context: 'palette', keys: ['j', 'down'], description: 'Next colour' },
  { command: Command.Up, context: 'palette', keys: ['k', 'up'], description: 'Previous colour' },
  { command: Command.Choose, context: 'palette', keys: ['enter', 'space'], description: 'Set this label' },
  { command: Command.Close, context: 'palette', keys: ['esc', 'q'], description: 'Close without a change' },
  quitting('palette'),

  { command: Command.NextField, context: 'form', keys: ['tab', 'down'], description: 'Next field' },
  { command: Command.PrevField, context: 'form', keys: ['shift+tab', 'up'], description: 'Previous field' },
  { command: Command.Activate, context: 'form', keys: ['enter'], description: 'Pick from a list, switch a toggle, or review (on the last line)', hint: 'pick' },
  { command: Command.Toggle, context: 'form', keys: ['space'], description: 'Switch a toggle or the next choice (in a text field, a space)', hint: 'toggle' },
  { command: Command.CycleNext, context: 'form', keys: ['right'], description: 'Next choice (in a text field, cursor right)' },
  { command: Command.CyclePrev, context: 'form', keys: ['left'], description: 'Previous choice (in a text field, cursor left)' },
  { command: Command.Review, context: 'form', keys: ['ctrl+r'], description: 'Review the launch from any field', hint: 'review' },
  { command: Command.OpenRecipe, context: 'form', keys: ['ctrl+o'], description: 'Open a saved launch recipe', hint: 'recipe' },
  { command: Command.Close, context: 'form', keys: ['esc'], description: 'Leave the form (the draft is kept for this image)', hint: 'leave' },
  { command: Command.Quit, context: 'form', keys: ['ctrl+c'], description: 'Quit (the draft is not kept)' },

  { command: Command.Down, context: 'picker', keys: ['down', 'ctrl+n'], description: 'Next entry' },
  { command: Command.Up, context: 'picker', keys: ['up', 'ctrl+p'], description: 'Previous entry' },
  { command: Command.Toggle, context: 'picker', keys: ['space'], description: 'Tick or untick (lists of several)' },
  { command: Command.Choose, context: 'picker', keys: ['enter'], description: 'Choose (in a list of several: close it as ticked)' },
  { command: Command.Close, context: 'picker', keys: ['esc'], description: 'Close the list' },

  ...scrolling('review').map((b) => (b.command === Command.PageDown ? { ...b, keys: ['pgdn', 'space', 'ctrl+d', 'ctrl+f'] } : b)),
  { command: Command.Launch, context: 'review', keys: ['L'], description: 'Launch (exactly once, whatever happens to the session)', hint: 'launch', mutating: true, doing: 'launching' },
  { command: Command.SaveRecipe, context: 'review', keys: ['s'], description: 'Save the form as a launch recipe (YAML)', hint: 'save recipe' },
  { command: Command.Close, context: 'review', keys: ['esc'], description: 'Back to the form', hint: 'back' },
  { command: Command.CopyCli, context: 'review', keys: ['Y'], description: "Copy the provider's CLI line of this launch to the clipboard (OSC 52)" },

  { command: Command.Quit, context: 'launching', keys: ['ctrl+c'], description: 'Quit: safe, the journal holds the launch and its token' },

  { command: Command.AddToAgent, context: 'result', keys: ['a'], description: 'Add the new private key to ssh-agent', hint: 'add key to ssh-agent' },
  { command: Command.Follow, context: 'result', keys: ['f'], description: "Follow the new server's console in its detail (the monitor)", hint: 'follow console' },
  { command: Command.Close, context: 'result', keys: ['esc', 'enter', 'q'], description: 'Back to the images', hint: 'back' },

  { command: Command.Close, context: 'launch-idle', keys: ['esc', 'q'], description: 'Back to the images', hint: 'back' },

  { command: Command.Confirm, context: 'reconcile', keys: ['y'], description: 'Retry the interrupted launch with its token (no second server can start)', hint: 'retry', mutating: true, doing: 'retrying a launch' },
  { command: Command.Abandon, context: 'reconcile', keys: ['a'], description: 'Abandon the interrupted launch (nothing is sent)', hint: 'abandon', mutating: true, doing: 'abandoning a launch' },
  { command: Command.Close, context: 'reconcile', keys: ['esc', 'n'], description: 'Decide later (asked again at the next start)', hint: 'later' },
  quitting('reconcile'),

  ...scrolling('help'),
  { command: Command.Filter, context: 'help', keys: ['/'], description: 'Filter the help (keys, commands, descriptions)' },
  { command: Command.Close, context: 'help', keys: ['esc', 'q', '?'], description: 'Close the help' },
  quitting('help'),
  { command: Command.Submit, context: 'help-filter', keys: ['enter'], description: 'Keep the filter' },
  { command: Command.Cancel, context: 'help-filter', keys: ['esc'], description: 'Clear the filter' },

  ...scrolling('info'),
  { command: Command.Close, context: 'info', keys: ['esc', 'q', 'i'], description: 'Close the details' },
  quitting('info'),

  ...scrolling('messages'),
  { command: Command.Close, context: 'messages', keys: ['esc', 'q', 'M'], description: 'Close the messages' },
  quitting('messages'),

  ...scrolling('stale'),
  { command: Command.DeleteImage, context: 'stale', keys: ['D'], description: 'Delete the marked stale images (the count typed to confirm)', hint: 'delete them', mutating: true, doing: 'deleting images' },
  { command: Command.Close, context: 'stale', keys: ['esc', 'q'], description: 'Back to the list (the stale images stay marked)', hint: 'back' },
  quitting('stale'),

  { command: Command.Down, context: 'firewalls', keys: ['j', 'down'], description: 'Move down' },
  { command: Command.Up, context: 'firewalls', keys: ['k', 'up'], description: 'Move up' },
  { command: Command.Top, context: 'firewalls', keys: ['g', 'home'], description: 'First firewall' },
  { command: Command.Bottom, context: 'firewalls', keys: ['G', 'end'], description: 'Last firewall' },
  { command: Command.DeleteFirewall, context: 'firewalls', keys: ['d'], description: 'Delete the firewall (its name typed); refused while servers use it, and for the default group', hint: 'delete', mutating: true, doing: 'deleting firewalls' },
  { command: Command.Refresh, context: 'firewalls', keys: ['ctrl+r'], description: 'Ask the provider again' },
  { command: Command.Close, context: 'firewalls', keys: ['esc', 'q'], description: 'Close the firewalls', hint: 'back' },
  quitting('firewalls'),

  { command: Command.Submit, context: 'deprecate', keys: ['enter'], description: 'Set the deprecation date (or take it off: none)' },
  { command: Command.Cancel, context: 'deprecate', keys: ['esc', 'ctrl+c'], description: 'Cancel (the date stays as it was)' },

  { command: Command.Confirm, context: 'confirm', keys: ['y'], description: 'Yes: do it', mutating: true, doing: 'creating storage pools' },
  { command: Command.Close, context: 'confirm', keys: ['n', 'esc'], description: 'No: leave it as it is' },
  quitting('confirm'),

  { command: Command.Quit, context: 'small', keys: ['q', 'ctrl+c'], description: 'Quit' },

  { command: Command.Fleet, context: 'global', keys: ['F'], description: 'The fleet: every source and region in one list (also :fleet)' },

  { command: Command.Down, context: 'fleet', keys: ['j', 'down'], description: 'Move down' },
  { command: Command.Up, context: 'fleet', keys: ['k', 'up'], description: 'Move up' },
  { command: Command.PageDown, context: 'fleet', keys: ['pgdn', 'ctrl+f', 'ctrl+d'], description: 'Page down' },
  { command: Command.PageUp, context: 'fleet', keys: ['pgup', 'ctrl+b', 'ctrl+u'], description: 'Page up' },
  { command: Command.Top, context: 'fleet', keys: ['g', 'home'], description: 'First row' },
  { command: Command.Bottom, context: 'fleet', keys: ['G', 'end'], description: 'Last row' },
  { command: Command.Filter, context: 'fleet', keys: ['/'], description: 'Filter: words, and any column as key:value (source:prod-eu, region:eu-*, phase:failed, kind:server; -key:value excludes)', hint: 'filter' },
  { command: Command.ClearFilter, context: 'fleet', keys: ['esc'], description: 'Clear the filter' },
  { command: Command.ShowKinds, context: 'fleet', keys: ['s'], description: 'Show images and servers, images only, or servers only', hint: 'show' },
  { command: Command.OpenInSource, context: 'fleet', keys: ['enter'], description: "Open the row's source and region in the image list (an image) or the monitor (a server)", hint: 'open' },
  { command: Command.CopyImage, context: 'fleet', keys: ['C'], description: 'Copy an own image to another region or source that can take it (a resumable job)', hint: 'copy', mutating: true, doing: 'copying images' },
  { command: Command.Rename, context: 'fleet', keys: ['r'], description: "Rename the image (in its own source)", mutating: true, doing: 'renaming' },
  { command: Command.Label, context: 'fleet', keys: ['c'], description: 'Set the colour label of the image', mutating: true, doing: 'setting labels' },
  { command: Command.DeleteImage, context: 'fleet', keys: ['D'], description: 'Delete an own image (typed confirmation, naming what depends on it there)', mutating: true, doing: 'deleting images' },
  { command: Command.Terminate, context: 'fleet', keys: ['T'], description: 'Terminate the server (typed confirmation)', mutating: true, doing: 'terminating servers' },
  { command: Command.Versions, context: 'fleet', keys: ['v'], description: 'Image families: which regions run which version, oldest first', hint: 'versions' },
  { command: Command.Refresh, context: 'fleet', keys: ['ctrl+r'], description: 'Ask every source again (a source that failed to open is tried again)' },

  { command: Command.Submit, context: 'fleet-filter', keys: ['enter'], description: 'Keep the filter and go back to the fleet' },
  { command: Command.Cancel, context: 'fleet-filter', keys: ['esc'], description: 'Clear the filter' },
  { command: Command.Down, context: 'fleet-filter', keys: ['down'], description: 'Move down the list while filtering' },
  { command: Command.Up, context: 'fleet-filter', keys: ['up'], description: 'Move up the list while filtering' },
  { command: Command.PageDown, context: 'fleet-filter', keys: ['pgdn'], description: 'Page down' },
  { command: Command.PageUp, context: 'fleet-filter', keys: ['pgup'], description: 'Page up' },

  ...scrolling('fleet-versions'),
  { command: Command.Close, context: 'fleet-versions', keys: ['v', 'esc'], description: 'Back to the fleet list', hint: 'back' },

  { command: Command.Submit, context: 'fleet-copy', keys: ['enter'], description: 'Copy the image under this name' },
  { command: Command.Cancel, context: 'fleet-copy', keys: ['esc', 'ctrl+c'], description: 'Cancel (nothing is copied)' },
  { command: Command.NextTarget, context: 'fleet-copy', keys: ['tab'], description: 'Next region or source to copy to' },
  { command: Command.PrevTarget, context: 'fleet-copy', keys: ['shift+tab'], description: 'Previous region or source' },
];

/** Editors and the command line also take these from the editor context when they have no binding of their own. */
const INHERITS: Partial<Record<KeyContext, KeyContext[]>> = {
  command: ['editor'],
  form: ['editor'],
  picker: ['editor'],
  filter: ['editor'],
  rename: ['editor'],
  prompt: ['editor'],
  capture: ['editor'],
  recipe: ['editor'],
  'help-filter': ['editor'],
  'cancel-job': ['editor'],
  deprecate: ['editor'],
  'fleet-filter': ['editor'],
  'fleet-copy': ['editor'],
};

/** The contexts a context takes bindings from when it has none of its own for a key (for the help, too). */
export function inheritedContexts(context: KeyContext): readonly KeyContext[] {
  return INHERITS[context] ?? [];
}

const index = new Map<string, Command>();
for (const b of KEYMAP) {
  for (const k of b.keys) {
    const id = `${b.context}\u0000${k}`;
    if (!index.has(id)) index.set(id, b.command);
  }
}

export function resolve(context: KeyContext, key: string): Command | undefined {
  const direct = index.get(`${context}\u0000${key}`);
  if (direct !== undefined) return direct;
  for (const parent of INHERITS[context] ?? []) {
    const inherited = index.get(`${parent}\u0000${key}`);
    if (inherited !== undefined) return inherited;
  }
  return undefined;
}

export function bindingsFor(context: KeyContext): Binding[] {
  return KEYMAP.filter((b) => b.context === context);
}

export function bindingOf(context: KeyContext, command: Command): Binding | undefined {
  return KEYMAP.find((b) => b.context === context && b.command === command);
}

export function isMutating(command: Command): boolean {
  return KEYMAP.some((b) => b.command === command && b.mutating === true);
}

/** The first key bound to a command in a context (or a context it inherits from): for hints and tests. */
export function keyOf(context: KeyContext, command: Command): string | undefined {
  for (const c of [context, ...inheritedContexts(context)]) {
    const binding = bindingOf(c, command);
    if (binding) return binding.keys[0];
  }
  return undefined;
}

const DISPLAY: Record<string, string> = {
  down: '↓',
  up: '↑',
  left: '←',
  right: '→',
  enter: 'Enter',
  esc: 'Esc',
  tab: 'Tab',
  'shift+tab': 'Shift+Tab',
  pgup: 'PgUp',
  pgdn: 'PgDn',
  home: 'Home',
  end: 'End',
  backspace: 'Backspace',
  delete: 'Del',
  space: 'Space',
};

export function displayKey(key: string): string {
  if (DISPLAY[key]) return DISPLAY[key];
  if (key.startsWith('ctrl+')) return `Ctrl+${key.slice(5).toUpperCase()}`;
  if (key.startsWith('meta+')) return `Alt+${displayKey(key.slice(5))}`;
  return key;
}

/** Ink's key object, as far as the keymap needs it. */
export interface InkKey {
  upArrow: boolean;
  downArrow: boolean;
  leftArrow: boolean;
  rightArrow: boolean;
  pageDown: boolean;
  pageUp: boolean;
  home: boolean;
  end: boolean;
  return: boolean;
  escape: boolean;
  ctrl: boolean;
  shift: boolean;
  tab: boolean;
  backspace: boolean;
  delete: boolean;
  meta: boolean;
}

export interface KeyPress {
  /** The normalised name the keymap uses: 'j', 'G', 'down', 'ctrl+c', 'enter', … */
  name: string;
  /** The printable text it carries (for editors), or '' for a special key. */
  text: string;
}

/**
 * Turns one Ink input event into key presses. Ink groups plain text that arrives in one read ("jjk"); each
 * character is a key of its own here, so no key is lost when several arrive at once over a slow link.
 */
export function keyPresses(input: string, key: InkKey): KeyPress[] {
  const special = specialName(input, key);
  if (special !== undefined) return [{ name: special, text: '' }];
  const out: KeyPress[] = [];
  for (const ch of input) {
    if (ch === '\r' || ch === '\n') out.push({ name: 'enter', text: '' });
    else if (ch === '\t') out.push({ name: 'tab', text: '' });
    else if (ch === '\x7f' || ch === '\b') out.push({ name: 'backspace', text: '' });
    else if (ch === ' ') out.push({ name: 'space', text: ' ' });
    else if (ch.charCodeAt(0) === 0) out.push({ name: 'ctrl+space', text: '' });
    // Ink leaves control characters inside a run of text ("r\x15" when r and Ctrl+U arrive together).
    else if (ch.charCodeAt(0) <= 0x1a) out.push({ name: `ctrl+${String.fromCharCode(ch.charCodeAt(0) + 96)}`, text: '' });
    else if (ch.charCodeAt(0) < 0x20) continue;
    else out.push({ name: key.meta ? `meta+${ch}` : ch, text: key.meta ? '' : ch });
  }
  return out;
}

function specialName(input: string, key: InkKey): string | undefined {
  const prefix = key.meta && !key.escape ? 'meta+' : '';
  if (key.upArrow) return prefix + 'up';
  if (key.downArrow) return prefix + 'down';
  if (key.leftArrow) return prefix + 'left';
  if (key.rightArrow) return prefix + 'right';
  if (key.pageUp) return 'pgup';
  if (key.pageDown) return 'pgdn';
  if (key.home) return 'home';
  if (key.end) return 'end';
  if (key.return) return 'enter';
  if (key.escape) return 'esc';
  if (key.tab) return key.shift ? 'shift+tab' : 'tab';
  if (key.backspace) return prefix + 'backspace';
  if (key.delete) return 'delete';
  if (key.ctrl && input.length === 1) return `ctrl+${input.toLowerCase()}`;
  // Function keys and other sequences Ink knows but reports without text.
  if (input === '') return 'unknown';
  return undefined;
}
