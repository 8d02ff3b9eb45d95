// A launch's progress in a sentence, made from the data the launcher reports (LaunchProgress): the status
// line of the launch form and the note a safe-workflow job keeps on its builder's launch both say it so.
// (The review's words are the UI's: ui/panes/launch/words.ts.)
import type { LaunchProgress } from './launcher.js';
import { plural } from '../core/sentence.js';

/** One sentence for a status line. */
export function progressText(p: LaunchProgress): string {
  const of = p.request && p.request.of > 1 ? ` (server ${p.request.index} of ${p.request.of}, ${p.request.name})` : '';
  if (p.retry) {
    const why = p.retry.kind === 'Throttled' ? 'The provider is throttling' : 'The provider did not answer';
    const again = p.step === 'sending' ? 'trying again with the same token' : 'trying again';
    return `${why}; ${again} in ${seconds(p.retry.delayMs)} (attempt ${p.retry.attempt} of ${p.retry.attempts})${of}.`;
  }
  switch (p.step) {
    case 'validating':
      return 'Checking the launch.';
    case 'journal':
      return 'Writing the launch to the journal.';
    case 'keypair':
      return `Making the keypair "${p.name ?? ''}".`;
    case 'firewall':
      return `Making the firewall "${p.name ?? ''}".`;
    case 'passphrase':
      return `Generating the volume passphrase and putting it in the secret store${of}.`;
    case 'sending':
      return `Sending the launch to ${p.where ?? 'the provider'}${of}.`;
    case 'answered':
      return `The provider started ${plural(p.servers ?? 0, 'server')}${of}.`;
    case 'recording':
      return 'Recording the servers.';
    case 'done':
      return `Launched ${plural(p.servers ?? 0, 'server')}.`;
  }
}


function seconds(ms: number): string {
  return ms < 1000 ? `${Math.max(0, Math.round(ms))} ms` : `${Math.round(ms / 100) / 10} s`;
}
