import { ChatshiftError } from '../errors.js';
import { conversationEventTypes, type ConversationEventType } from '../model/event.js';

/** ANSI colours for the readable view; every function is the identity when colour is off. */
export interface Palette {
  readonly dim: (s: string) => string;
  readonly bold: (s: string) => string;
  readonly red: (s: string) => string;
  readonly yellow: (s: string) => string;
  readonly green: (s: string) => string;
  readonly cyan: (s: string) => string;
  readonly magenta: (s: string) => string;
}

const sgr =
  (on: number, off: number) =>
  (s: string): string =>
    `\x1b[${on}m${s}\x1b[${off}m`;
const plain = (s: string): string => s;

/**
 * Colour on a TTY, unless `NO_COLOR` is set to anything non-empty (no-color.org);
 * `FORCE_COLOR` (non-empty and not `0`) turns it on without a TTY, `FORCE_COLOR=0` off.
 */
export function useColour(isTTY: boolean | undefined, env: Record<string, string | undefined>): boolean {
  const force = env['FORCE_COLOR'];
  if (force !== undefined && force !== '') return force !== '0';
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false;
  return isTTY === true;
}

export function palette(colour: boolean): Palette {
  if (!colour) {
    return { dim: plain, bold: plain, red: plain, yellow: plain, green: plain, cyan: plain, magenta: plain };
  }
  return {
    dim: sgr(2, 22),
    bold: sgr(1, 22),
    red: sgr(31, 39),
    yellow: sgr(33, 39),
    green: sgr(32, 39),
    cyan: sgr(36, 39),
    magenta: sgr(35, 39),
  };
}

/** Parses `--types message,state`: the event types to show; throws `ERR_USAGE` naming a wrong one. */
export function parseTypes(value: string | undefined): ReadonlySet<ConversationEventType> | undefined {
  if (value === undefined) return undefined;
  const wanted = value
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  const known = new Set<string>(conversationEventTypes);
  const wrong = wanted.filter((t) => !known.has(t));
  if (wanted.length === 0 || wrong.length > 0) {
    throw new ChatshiftError(
      'ERR_USAGE',
      `--types takes a comma-separated list of ${conversationEventTypes.join(', ')}${wrong.length > 0 ? ` (not: ${wrong.join(', ')})` : ''}`,
    );
  }
  return new Set(wanted as ConversationEventType[]);
}

/**
 * A log line with its structured fields: `code` and `status` first, then the rest as `key=value`,
 * then the error message — so "poll failed, retrying" says why.
 */
export function logLine(level: string, message: string, fields?: Record<string, unknown>): string {
  if (fields === undefined) return `${level}: ${message}`;
  const { code, status, message: reason, ...rest } = fields;
  const parts: string[] = [];
  if (code !== undefined) parts.push(String(code));
  if (status !== undefined) parts.push(`status ${String(status)}`);
  for (const [k, v] of Object.entries(rest)) {
    if (v === undefined) continue;
    parts.push(`${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  }
  const why = reason === undefined ? '' : `: ${String(reason)}`;
  return `${level}: ${message}${parts.length > 0 || why !== '' ? ` (${parts.join(', ')}${why})` : ''}`;
}

/** A titled block of `label value` rows, labels padded to one column (the demo's summary layout). */
export function alignedBlock(title: string, rows: ReadonlyArray<readonly [string, string]>): string {
  const width = Math.max(...rows.map(([label]) => label.length));
  return ['', title, ...rows.map(([label, value]) => `  ${label.padEnd(width)} ${value}`), ''].join('\n');
}

/** `a 1, b 2` for a count map; `none` when empty. */
export const counts = (o: Record<string, number>): string =>
  Object.entries(o)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ') || 'none';
