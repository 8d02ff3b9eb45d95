// The jobs list (:jobs, or J in the monitor): every safe-workflow job of the region, newest first, each
// with where it is or how it ended and what became of its builder. Cancel, retry a failed one from its
// step, terminate or keep a builder: each key says why where it cannot act (the footer, the refusal).
import { Box, Text } from 'ink';
import { sanitize } from '../../../core/sanitize.js';
import { fit, wrap } from '../../components/text.js';
import { VirtualList } from '../../components/VirtualList.js';
import { useAppState, useTheme } from '../../state/context.js';
import { inverse } from '../../theme.js';

export function JobsPane({ width, height }: { width: number; height: number }) {
  const list = useAppState((s) => s.jobList);
  const theme = useTheme();
  const current = list.jobs[list.selected];
  const detail = current ? wrap(`${current.line}${current.serverId ? ` · builder ${sanitize(current.serverName ?? current.serverId, 128)}` : ''}`, width - 1).slice(0, 3) : [];
  while (detail.length < 3) detail.push(' ');
  const listHeight = Math.max(1, height - 1 - detail.length);
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold color={theme.muted}>
        {fit('  JOB       STATE        IMAGE / WHERE IT IS', width - 1).trimEnd()}
      </Text>
      <VirtualList
        count={list.jobs.length}
        height={listHeight}
        selected={list.selected}
        empty={<Text color={theme.muted}>{list.loaded ? 'No safe-workflow job in this region: start one from a vendor template (l, then "Safe workflow").' : 'Listing the jobs…'}</Text>}
        renderRow={(i, selected) => {
          const job = list.jobs[i];
          const colour = job.state === 'failed' ? theme.danger : job.state === 'done' ? theme.ok : job.state === 'cancelled' ? theme.muted : theme.accent;
          const id = job.id.slice(0, 8);
          const text = `${fit(job.state, 12)} ${job.line.replace(/^job \S+ /, '')}`;
          return (
            <Text color={colour}>
              {(selected ? '>' : ' ') + ' ' + (selected ? inverse(id) : id) + '  ' + fit(text, Math.max(1, width - 13)).trimEnd()}
            </Text>
          );
        }}
      />
      {detail.map((line, i) => (
        <Text key={`detail-${i}`} color={theme.muted}>
          {line}
        </Text>
      ))}
    </Box>
  );
}
