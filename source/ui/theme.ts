// Semantic colour tokens. Components ask for "danger" or "vendor", never for a colour by name, so NO_COLOR
// and 16-colour terminals are handled in one place.
import chalk from 'chalk';
import type { LabelColour } from '../core/types.js';

export type ColourDepth = 'none' | 'basic' | 'full';

export interface Theme {
  depth: ColourDepth;
  /** A colour for Ink's `color` prop, or undefined where there is no colour. */
  accent?: string;
  muted?: string;
  danger?: string;
  warning?: string;
  ok?: string;
  vendor?: string;
  /** Label chip colours; the chip is drawn as letters where there is no colour. */
  label: Record<LabelColour, string | undefined>;
}

/** NO_COLOR (any value) turns colour off; COLORTERM/TERM tell whether more than 16 colours are there. */
export function colourDepth(env: NodeJS.ProcessEnv = process.env): ColourDepth {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 'none';
  if (env.TERM === 'dumb') return 'none';
  if (/truecolor|24bit/i.test(env.COLORTERM ?? '') || /256/.test(env.TERM ?? '')) return 'full';
  return 'basic';
}

const FULL_LABELS: Record<LabelColour, string> = {
  red: '#e5484d',
  orange: '#f76b15',
  yellow: '#ffc53d',
  green: '#30a46c',
  teal: '#12a594',
  blue: '#3e63dd',
  purple: '#8e4ec6',
  pink: '#d6409f',
  brown: '#ad7f58',
  grey: '#8b8d98',
};

const BASIC_LABELS: Record<LabelColour, string> = {
  red: 'red',
  orange: 'redBright',
  yellow: 'yellow',
  green: 'green',
  teal: 'cyan',
  blue: 'blue',
  purple: 'magenta',
  pink: 'magentaBright',
  brown: 'yellowBright',
  grey: 'gray',
};

export function createTheme(depth: ColourDepth = colourDepth()): Theme {
  if (depth === 'none') {
    return {
      depth,
      label: Object.fromEntries(Object.keys(FULL_LABELS).map((k) => [k, undefined])) as Record<LabelColour, undefined>,
    };
  }
  return {
    depth,
    accent: 'cyan',
    muted: 'gray',
    danger: 'red',
    warning: 'yellow',
    ok: 'green',
    vendor: 'magenta',
    label: depth === 'full' ? FULL_LABELS : BASIC_LABELS,
  };
}

/** Two letters that name a label where colour cannot (NO_COLOR). */
export const LABEL_LETTERS: Record<LabelColour, string> = {
  red: 'Rd',
  orange: 'Or',
  yellow: 'Ye',
  green: 'Gn',
  teal: 'Tl',
  blue: 'Bl',
  purple: 'Pu',
  pink: 'Pk',
  brown: 'Br',
  grey: 'Gy',
};

/**
 * Styles a string the way Ink's <Text color> would (the same chalk instance and colour level), for rows
 * drawn as one pre-styled string: one text node per row renders far faster than a dozen nested ones.
 */
export function paint(text: string, colour: string | undefined): string {
  if (!colour || text === '') return text;
  if (colour.startsWith('#')) return chalk.hex(colour)(text);
  const style = (chalk as unknown as Record<string, ((s: string) => string) | undefined>)[colour];
  return typeof style === 'function' ? style(text) : text;
}

export const inverse = (text: string) => chalk.inverse(text);
export const italic = (text: string) => chalk.italic(text);
