import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isRight } from 'fp-ts/lib/Either.js';
import { epochMsToIso, IsoTimeCodec, toIsoUtc } from '../../src/model/time.js';

/** 0000-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z: the instants an event may carry. */
const MIN_MS = -62_167_219_200_000;
const MAX_MS = 253_402_300_799_999;

describe('toIsoUtc', () => {
  it('converts LivePerson offset times to UTC with milliseconds', () => {
    assert.equal(toIsoUtc('2015-08-30T18:06:02.001+03:00'), '2015-08-30T15:06:02.001Z');
    assert.equal(toIsoUtc('2015-08-30T18:06:02+03:00'), '2015-08-30T15:06:02.000Z');
    assert.equal(toIsoUtc('2017-12-06T16:29:45.438-05:00'), '2017-12-06T21:29:45.438Z');
    assert.equal(toIsoUtc('2015-08-30T18:06:02.1Z'), '2015-08-30T18:06:02.100Z');
    assert.equal(toIsoUtc('2015-08-30T18:06:02.123456+0300'), '2015-08-30T15:06:02.123Z');
  });

  it('returns undefined for what is not an ISO time with an offset', () => {
    for (const s of [
      'Sep 22, 2016 4:10:15 PM',
      '2015-08-30',
      '2015-08-30T18:06:02',
      '',
      '2015-13-30T18:06:02Z',
    ]) {
      assert.equal(toIsoUtc(s), undefined, s);
    }
  });

  it('answers as parsing the whole text would, for any offset time and runs sharing their second', () => {
    // The plain algorithm: parse the full text (fraction cut to 3 digits) and format it.
    const reference = (input: string): string | undefined => {
      const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})$/.exec(input);
      if (m === null) return undefined;
      const frac = (m[2] ?? '.000').slice(1, 4).padEnd(3, '0');
      const off =
        m[3] === 'Z' ? 'Z' : (m[3] as string).includes(':') ? m[3] : `${m[3]!.slice(0, 3)}:${m[3]!.slice(3)}`;
      const ms = Date.parse(`${m[1]}.${frac}${off}`);
      return Number.isNaN(ms) ? undefined : epochMsToIso(ms);
    };
    const d2 = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, '0'));
    const head = fc
      .tuple(fc.integer({ min: 0, max: 9999 }), d2(13), d2(32), d2(24), d2(60), d2(60))
      .map(([y, mo, d, h, mi, s]) => `${String(y).padStart(4, '0')}-${mo}-${d}T${h}:${mi}:${s}`);
    const frac = fc.option(fc.stringMatching(/^\.\d{1,9}$/), { nil: undefined });
    const offset = fc.oneof(fc.constant('Z'), fc.stringMatching(/^[+-]\d{2}:?\d{2}$/));
    const time = fc.tuple(head, frac, offset).map(([h, f, o]) => `${h}${f ?? ''}${o}`);
    // Runs: several times sharing a head and offset (the cached case), and unrelated ones.
    const run = fc
      .tuple(head, offset, fc.array(frac, { minLength: 1, maxLength: 5 }))
      .map(([h, o, fs]) => fs.map((f) => `${h}${f ?? ''}${o}`));
    // Runs that share the head only: other offsets, broken fractions and tails (the fast path
    // must hand every one of these to the full parse).
    const tail = fc.oneof(
      frac,
      fc.constantFrom('.', '.1234567890', '.12a', '.5 ', ',5', 'x', '', ' '),
      fc.stringMatching(/^[.\d:+\-Z]{0,12}$/),
    );
    const nearRun = fc
      .tuple(
        head,
        fc.array(fc.tuple(tail, fc.oneof(offset, fc.constantFrom('', 'z', '+0', '+00:000'))), {
          minLength: 1,
          maxLength: 6,
        }),
      )
      .map(([h, parts]) => parts.map(([f, o]) => `${h}${f ?? ''}${o}`));
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            time.map((t) => [t]),
            run,
            nearRun,
          ),
          { maxLength: 10 },
        ),
        (groups) => groups.flat().every((t) => toIsoUtc(t) === reference(t)),
      ),
      { numRuns: 3000 },
    );
  });

  it('24:00:00 is the next midnight only without a fraction (a fuzz counterexample, pinned)', () => {
    assert.equal(toIsoUtc('0000-01-01T24:00:00.7Z'), undefined);
    assert.equal(toIsoUtc('2020-01-01T24:00:00.010+02:00'), undefined);
    assert.equal(toIsoUtc('2020-01-01T24:00:00.000Z'), '2020-01-02T00:00:00.000Z');
    assert.equal(toIsoUtc('2020-01-01T24:00:00Z'), '2020-01-02T00:00:00.000Z');
    // Right after its head was parsed without a fraction (the same-second fast path).
    assert.equal(toIsoUtc('2020-01-01T24:00:00.5Z'), undefined);
  });

  it('never throws on arbitrary strings', () => {
    fc.assert(fc.property(fc.string(), (s) => void toIsoUtc(s)));
  });
});

describe('epochMsToIso', () => {
  it('formats epoch milliseconds and refuses non-finite or out-of-range values', () => {
    assert.equal(epochMsToIso(1700000008000), '2023-11-14T22:13:28.000Z');
    assert.equal(epochMsToIso(Number.NaN), undefined);
    assert.equal(epochMsToIso(8.64e15 + 1), undefined);
  });

  it('agrees with Date#toISOString for any instant, also for runs within one day (the fast path)', () => {
    const viaDate = (ms: number): string => new Date(ms).toISOString();
    fc.assert(
      fc.property(fc.integer({ min: MIN_MS, max: MAX_MS }), (ms) => epochMsToIso(ms) === viaDate(ms)),
      { numRuns: 5000 },
    );
    fc.assert(
      fc.property(
        fc.double({ min: MIN_MS, max: MAX_MS, noNaN: true }),
        (ms) => epochMsToIso(ms) === viaDate(ms),
      ),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 253402300799999 }),
        fc.array(fc.nat({ max: 86_399_999 })),
        (start, offs) =>
          offs.every((o) => start + o > MAX_MS || epochMsToIso(start + o) === viaDate(start + o)),
      ),
    );
    for (const ms of [0, 86_399_999, 86_400_000, 951_868_799_999, 253_402_300_799_999, MIN_MS])
      assert.equal(epochMsToIso(ms), viaDate(ms));
  });

  it('agrees with Date#toISOString for runs within a second and repeated instants (its caches)', () => {
    const viaDate = (ms: number): string => new Date(ms).toISOString();
    fc.assert(
      fc.property(
        fc.integer({ min: MIN_MS, max: MAX_MS }),
        fc.array(fc.integer({ min: -2500, max: 2500 }), { maxLength: 30 }),
        (start, offs) =>
          offs.every((o) => {
            const ms = start + o;
            return ms < MIN_MS || ms > MAX_MS || epochMsToIso(ms) === viaDate(ms);
          }),
      ),
      { numRuns: 2000 },
    );
  });

  it('refuses instants outside years 0000-9999, so no emitted time fails IsoTimeCodec (#15)', () => {
    assert.equal(epochMsToIso(253_402_300_800_000), undefined, 'year 10000');
    assert.equal(epochMsToIso(8.64e15), undefined, 'year 275760');
    assert.equal(epochMsToIso(MIN_MS - 1), undefined, 'year -1');
    assert.equal(toIsoUtc('9999-12-31T23:59:59.999+00:00'), '9999-12-31T23:59:59.999Z');
    assert.equal(toIsoUtc('9999-12-31T23:59:59.999-01:00'), undefined, 'offset pushes it to year 10000');
    assert.equal(toIsoUtc('0000-01-01T00:30:00.000+01:00'), undefined, 'offset pushes it before year 0');
    fc.assert(
      fc.property(fc.double({ min: -8.64e15, max: 8.64e15, noNaN: true }), (ms) => {
        const iso = epochMsToIso(ms);
        return iso === undefined || isRight(IsoTimeCodec.decode(iso));
      }),
      { numRuns: 5000 },
    );
  });
});
