// The screen writer's canvas: whole rows the app draws over Ink's frame (the image list's rows).
import { describe, expect, it } from 'vitest';
import { overlay } from '../../source/ui/screen/writer.js';

describe('overlay', () => {
  it('replaces whole rows from the top given, and leaves the rest of the frame as Ink drew it', () => {
    const frame = ['title', 'heading', '', '', '', 'status'].join('\n');
    expect(overlay(frame, { top: 2, lines: ['row 1', 'row 2', ''] })).toBe(['title', 'heading', 'row 1', 'row 2', '', 'status'].join('\n'));
  });
  it('drops lines past the frame, and draws nothing without a painter', () => {
    const frame = 'a\nb';
    expect(overlay(frame, { top: 1, lines: ['x', 'y', 'z'] })).toBe('a\nx');
    expect(overlay(frame, undefined)).toBe(frame);
  });
});
