import { describe, expect, it } from 'vitest';
import { windowStart } from '../../source/ui/components/VirtualList.js';
import { fit, wrap } from '../../source/ui/components/text.js';
import { columnsFor } from '../../source/ui/panes/images/columns.js';

describe('windowStart', () => {
  it('keeps the window still while the selection stays inside it', () => {
    expect(windowStart(0, 5, 10, 100)).toBe(0);
    expect(windowStart(20, 25, 10, 100)).toBe(20);
  });
  it('scrolls just enough when the selection leaves it', () => {
    expect(windowStart(0, 10, 10, 100)).toBe(1);
    expect(windowStart(20, 19, 10, 100)).toBe(19);
    expect(windowStart(0, 99, 10, 100)).toBe(90);
  });
  it('never shows past the end', () => {
    expect(windowStart(95, 96, 10, 100)).toBe(90);
    expect(windowStart(5, 2, 10, 8)).toBe(0);
  });
});

describe('columns', () => {
  it('fill the width exactly, from the smallest width strata supports (60) up', () => {
    for (const width of [60, 61, 70, 79, 80, 99, 100, 120, 200]) {
      const c = columnsFor(width, 12);
      const used = c.chip + c.name + c.id + c.kind + c.arch + c.state + c.created + c.lifecycle;
      const gaps = [c.name, c.id, c.kind, c.arch, c.state, c.created, c.lifecycle].filter((w) => w > 0).length - 1;
      expect(used + gaps, `width ${width}`).toBe(width);
    }
  });
  it('drop architecture and date before the name gets cramped', () => {
    const narrow = columnsFor(80, 12);
    expect(narrow.created).toBe(0);
    expect(narrow.name).toBeGreaterThanOrEqual(24);
    expect(columnsFor(120, 12).created).toBe(10);
  });
  it('keep the name at least 20 cells wide down to 60 columns, and the id where there is room', () => {
    for (const width of [60, 70, 80]) expect(columnsFor(width, 21).name, `width ${width}`).toBeGreaterThanOrEqual(20);
    expect(columnsFor(80, 21).id).toBe(21);
    expect(columnsFor(60, 21).id).toBe(0);
  });
});

describe('fit', () => {
  it('pads and cuts to the width in cells', () => {
    expect(fit('abc', 5)).toBe('abc  ');
    expect(fit('abcdef', 4)).toBe('abc…');
    expect(fit('日本語テキスト', 6)).toBe('日本… ');
  });
});

describe('wrap', () => {
  it('breaks at spaces and cuts words longer than a line', () => {
    expect(wrap('the quick brown fox jumps', 10)).toEqual(['the quick', 'brown fox', 'jumps']);
    expect(wrap('abcdefghijklmnop', 6)).toEqual(['abcde', 'fghij', 'klmnop']);
    expect(wrap('', 10)).toEqual(['']);
  });
});
