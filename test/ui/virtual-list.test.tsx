// The windowed list: the message that stands in for an empty list may wrap over several lines, and every
// line keeps its first character (a padding row used to land on its last line and blank its first column).
import { Box, Text } from 'ink';
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { VirtualList } from '../../source/ui/components/VirtualList.js';

describe('VirtualList', () => {
  it('draws a wrapped empty message whole, every line from its first column', async () => {
    const ui = render(
      <Box flexDirection="column" width={40}>
        <VirtualList count={0} height={6} selected={0} renderRow={() => null} empty={<Text>{'Could not load: systemctl\nsaid it can be\nretried.'}</Text>} />
        <Text>below</Text>
      </Box>,
    );
    await new Promise((resolve) => setTimeout(resolve, 0));
    const lines = (ui.lastFrame() ?? '').split('\n');
    expect(lines.slice(0, 3)).toEqual(['Could not load: systemctl', 'said it can be', 'retried.']);
    // The window keeps its height: what is below it stays where it was.
    expect(lines[6]).toBe('below');
    ui.unmount();
  });
});
