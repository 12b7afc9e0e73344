import * as t from 'io-ts';
import { refined } from './refine.js';

/** ISO-8601 UTC with milliseconds, e.g. `2015-08-30T15:06:02.001Z`: the only time format events carry. */
export type IsoTime = string;

const ISO_UTC_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Accepts only canonical UTC ISO strings that name a real instant (rejects `2015-02-30…`). */
export const IsoTimeCodec = refined(
  t.string,
  (s) => ISO_UTC_MS.test(s) && !Number.isNaN(Date.parse(s)) && new Date(s).toISOString() === s,
  'IsoTime',
);

// Offset form as LivePerson's legacy API sends it; milliseconds may be missing (protocol page §3.14).
const ISO_OFFSET = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * Converts an ISO-8601 time with an offset (or `Z`), with or without fractional seconds, to
 * canonical UTC with milliseconds. Returns `undefined` for anything else, so callers decide
 * what an unparseable time means.
 */
export function toIsoUtc(input: string): IsoTime | undefined {
  const fast = sameSecondMs(input);
  if (fast !== undefined) return Number.isNaN(fast) ? undefined : epochMsToIso(fast);
  const m = ISO_OFFSET.exec(input);
  if (m === null) return undefined;
  const head = m[1] as string;
  const offset = m[3] as string;
  const frac = m[2];
  // 24:00:00 names the next midnight only without a fraction (the Date parser refuses
  // 24:00:00.7): the one head whose fraction decides validity, parsed whole (found by the fuzz).
  if (frac !== undefined && head.charCodeAt(11) === 50 && head.charCodeAt(12) === 52) {
    const ms = Date.parse(
      `${head}.${frac.slice(1, 4).padEnd(3, '0')}${offset === 'Z' ? 'Z' : normaliseOffset(offset)}`,
    );
    return Number.isNaN(ms) ? undefined : epochMsToIso(ms);
  }
  // The events of one poll are mostly within a few seconds: the instant of the whole second (and
  // offset) is parsed once and the milliseconds added, which is what parsing the full text gives.
  if (head !== lastParsedHead || offset !== lastParsedOffset) {
    lastParsedHead = head;
    lastParsedOffset = offset;
    lastParsedMs = Date.parse(`${head}.000${offset === 'Z' ? 'Z' : normaliseOffset(offset)}`);
  }
  if (Number.isNaN(lastParsedMs)) return undefined;
  return epochMsToIso(frac === undefined ? lastParsedMs : lastParsedMs + fractionMs(frac));
}

let lastParsedHead = '';
let lastParsedOffset = '';
let lastParsedMs = Number.NaN;

/**
 * The instant of `input` when it has the head and offset of the last time parsed, read without
 * the regular expression (a match array and three strings per event): the same 19-character head,
 * then `.` and 1–9 digits or nothing, then exactly the last offset. `undefined` for anything else
 * (the full parse decides), also for the one head whose fraction decides validity (`24:00:00`).
 * NaN when the last parse was of a head that names no instant.
 */
function sameSecondMs(input: string): number | undefined {
  const head = lastParsedHead;
  if (head.length !== 19 || !input.startsWith(head)) return undefined;
  let i = 19;
  let fraction = 0;
  if (input.charCodeAt(i) === 0x2e) {
    if (head.charCodeAt(11) === 50 && head.charCodeAt(12) === 52) return undefined;
    const from = ++i;
    for (; i < input.length && i - from < 9; i++) {
      const d = input.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      // Digits past the millisecond truncate, as the Date parser does.
      const at = i - from;
      if (at < 3) fraction += at === 0 ? d * 100 : at === 1 ? d * 10 : d;
    }
    if (i === from) return undefined;
  }
  const offset = lastParsedOffset;
  if (input.length - i !== offset.length || !input.endsWith(offset)) return undefined;
  return lastParsedMs + fraction;
}

/** `.1` → 100, `.12` → 120, `.123456` → 123: whole milliseconds, truncated like the Date parser. */
function fractionMs(frac: string): number {
  const digits = frac.length > 4 ? frac.slice(1, 4) : frac.slice(1);
  const n = Number(digits);
  return digits.length === 3 ? n : digits.length === 2 ? n * 10 : n * 100;
}

function normaliseOffset(o: string): string {
  return o.includes(':') ? o : `${o.slice(0, 3)}:${o.slice(3)}`;
}

const DAY_MS = 86_400_000;
const YEAR_10000_MS = 253_402_300_800_000;
/** 0000-01-01T00:00:00.000Z: with YEAR_10000_MS, the bounds of what `IsoTimeCodec` accepts. */
const YEAR_0_MS = -62_167_219_200_000;
// The date part of the last day formatted, and the whole `YYYY-MM-DDTHH:MM:SS.` of the last second:
// live events arrive in time order, so most share them.
let lastDay = Number.NaN;
let lastDayPrefix = '';
let lastSecond = Number.NaN;
let lastSecondPrefix = '';
// The last instant formatted and its text: events of one burst often share a millisecond.
let lastMs = Number.NaN;
let lastIso = '';
const pad2 = (n: number): string => (n < 10 ? `0${n}` : `${n}`);
const pad3 = (n: number): string => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);
/** `000Z` … `999Z`: the millisecond part, one concatenation per event instead of three. */
const MS_SUFFIX: readonly string[] = Array.from({ length: 1000 }, (_, i) => `${pad3(i)}Z`);

/**
 * Epoch milliseconds (as the Messaging platform sends) to canonical UTC ISO; `undefined` if out of
 * range: outside years 0000-9999 (which `IsoTimeCodec` rejects, e.g. `+275760-…`), so no event
 * carries a time its own codec refuses (#15).
 */
export function epochMsToIso(ms: number): IsoTime | undefined {
  // Per-event hot path (bench: ~20x cheaper than Date#toISOString): whole ms in 1970..9999 reuse
  // the second's `YYYY-MM-DDTHH:MM:SS.` (computed from the day's `YYYY-MM-DDT` arithmetically)
  // and append the milliseconds. Same output as below (property test against Date#toISOString).
  if (ms === lastMs) return lastIso;
  if (Number.isInteger(ms) && ms >= 0 && ms < YEAR_10000_MS) {
    const second = Math.floor(ms / 1000);
    if (second !== lastSecond) {
      const day = Math.floor(ms / DAY_MS);
      if (day !== lastDay) {
        lastDayPrefix = new Date(day * DAY_MS).toISOString().slice(0, 11);
        lastDay = day;
      }
      let rest = second - day * 86_400;
      const h = Math.floor(rest / 3600);
      rest -= h * 3600;
      const m = Math.floor(rest / 60);
      lastSecondPrefix = `${lastDayPrefix}${pad2(h)}:${pad2(m)}:${pad2(rest - m * 60)}.`;
      lastSecond = second;
    }
    lastMs = ms;
    lastIso = lastSecondPrefix + (MS_SUFFIX[ms - second * 1000] as string);
    return lastIso;
  }
  if (!Number.isFinite(ms) || ms < YEAR_0_MS || ms >= YEAR_10000_MS) return undefined;
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return undefined;
  return d.toISOString();
}
