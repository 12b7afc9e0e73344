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
  const ms = plainIsoMs(input);
  if (!Number.isNaN(ms)) return epochMsToIso(ms);
  // Everything else (malformed, or a field at an edge: hour 24, second 60, day 31 of a 30-day
  // month, offset beyond 23:59) as the Date parser reads the whole text, fraction cut to 3 digits.
  const m = ISO_OFFSET.exec(input);
  if (m === null) return undefined;
  const offset = m[3] as string;
  const frac = m[2] === undefined ? '000' : m[2].slice(1, 4).padEnd(3, '0');
  const parsed = Date.parse(`${m[1]}.${frac}${offset === 'Z' ? 'Z' : normaliseOffset(offset)}`);
  return Number.isNaN(parsed) ? undefined : epochMsToIso(parsed);
}

/**
 * The instant of an ISO_OFFSET time whose every field is plainly in range (month 1–12, a day of
 * that month, hour 0–23, minute and second 0–59, offset up to 23:59), read digit by digit: no
 * match array, no strings, no Date parse per event (legacy lines are seconds apart, so a cache per
 * second rarely hits). NaN for anything else, which the full parse then decides.
 */
function plainIsoMs(s: string): number {
  const n = s.length;
  if (
    n < 20 ||
    s.charCodeAt(4) !== 45 ||
    s.charCodeAt(7) !== 45 ||
    s.charCodeAt(10) !== 84 ||
    s.charCodeAt(13) !== 58 ||
    s.charCodeAt(16) !== 58
  )
    return Number.NaN;
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 2);
  const day = digits(s, 8, 2);
  const hour = digits(s, 11, 2);
  const minute = digits(s, 14, 2);
  const second = digits(s, 17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23) return Number.NaN;
  if (minute < 0 || minute > 59 || second < 0 || second > 59) return Number.NaN;
  if (day > (month === 2 ? (isLeap(year) ? 29 : 28) : MONTH_DAYS[month - 1]!)) return Number.NaN;
  let i = 19;
  let ms = 0;
  if (s.charCodeAt(i) === 0x2e) {
    const from = ++i;
    for (; i < n && i - from < 9; i++) {
      const d = s.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      // Digits past the millisecond truncate, as the Date parser does.
      const at = i - from;
      if (at < 3) ms += at === 0 ? d * 100 : at === 1 ? d * 10 : d;
    }
    if (i === from) return Number.NaN;
  }
  let offsetMs = 0;
  const sign = s.charCodeAt(i);
  if (sign === 0x5a) {
    if (i + 1 !== n) return Number.NaN;
  } else if (sign === 0x2b || sign === 0x2d) {
    const oh = digits(s, i + 1, 2);
    let j = i + 3;
    if (s.charCodeAt(j) === 58) j++;
    const om = digits(s, j, 2);
    if (j + 2 !== n || oh < 0 || oh > 23 || om < 0 || om > 59) return Number.NaN;
    offsetMs = (oh * 60 + om) * 60_000;
    if (sign === 0x2d) offsetMs = -offsetMs;
  } else return Number.NaN;
  return (
    daysFromCivil(year, month, day) * DAY_MS + ((hour * 60 + minute) * 60 + second) * 1000 + ms - offsetMs
  );
}

/** The number written by `count` ASCII digits at `at`; -1 if one is not a digit. */
function digits(s: string, at: number, count: number): number {
  let v = 0;
  for (let i = at; i < at + count; i++) {
    const d = s.charCodeAt(i) - 48;
    if (!(d >= 0 && d <= 9)) return -1;
    v = v * 10 + d;
  }
  return v;
}

const MONTH_DAYS: readonly number[] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const isLeap = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

/** Days from 1970-01-01 to a proleptic Gregorian date (year 0 and up), as the Date object counts. */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

function normaliseOffset(o: string): string {
  return o.includes(':') ? o : `${o.slice(0, 3)}:${o.slice(3)}`;
}

const DAY_MS = 86_400_000;
const YEAR_10000_MS = 253_402_300_800_000;
/** 0000-01-01T00:00:00.000Z: with YEAR_10000_MS, the bounds of what `IsoTimeCodec` accepts. */
const YEAR_0_MS = -62_167_219_200_000;
// The date part of the last day formatted, `YYYY-MM-DDTHH:MM:` of the last minute and the whole
// `YYYY-MM-DDTHH:MM:SS.` of the last second: live events arrive in time order, so most share them.
let lastDay = Number.NaN;
let lastDayPrefix = '';
let lastMinute = Number.NaN;
let lastMinutePrefix = '';
let lastSecond = Number.NaN;
let lastSecondPrefix = '';
// The last instant formatted and its text: events of one burst often share a millisecond.
let lastMs = Number.NaN;
let lastIso = '';
const pad2 = (n: number): string => (n < 10 ? `0${n}` : `${n}`);
const pad3 = (n: number): string => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);
/** `00.` … `59.`: the seconds, one concatenation per second (legacy lines are seconds apart). */
const SS_DOT: readonly string[] = Array.from({ length: 60 }, (_, i) => `${pad2(i)}.`);
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
      const minute = Math.floor(second / 60);
      if (minute !== lastMinute) {
        const ofDay = minute - day * 1440;
        const h = Math.floor(ofDay / 60);
        lastMinutePrefix = `${lastDayPrefix}${pad2(h)}:${pad2(ofDay - h * 60)}:`;
        lastMinute = minute;
      }
      lastSecondPrefix = lastMinutePrefix + (SS_DOT[second - minute * 60] as string);
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
