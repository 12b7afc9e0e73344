import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FreshKeyMap } from '../../../adapters/messaging/fresh-key-map.js';

describe('FreshKeyMap (the tracker’s dialog lookup)', () => {
  // Few distinct tails and lengths, so buckets hold several keys; short and odd keys too.
  const key = fc.oneof(
    fc
      .tuple(fc.constantFrom('a', 'b', 'xy'), fc.constantFrom('-0000', '-0001', 'ffff'))
      .map(([h, t]) => h + t),
    fc.constantFrom('', 'a', 'ab', 'abc', 'constructor', '__proto__', 'ffff', '€€€€'),
    fc.uuid(),
  );
  const op = fc.oneof(
    fc.tuple(fc.constant('set' as const), key, fc.integer()),
    fc.tuple(fc.constant('delete' as const), key, fc.constant(0)),
    fc.tuple(fc.constant('get' as const), key, fc.constant(0)),
  );

  it('answers as a Map for any operations, keys sharing their tail and length included', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const model = new Map<string, number>();
        const m = new FreshKeyMap<number>();
        for (const [what, k, v] of ops) {
          // A key as JSON.parse makes it: a new string with the same characters.
          const fresh = JSON.parse(JSON.stringify(k)) as string;
          if (what === 'set') {
            model.set(k, v);
            m.set(fresh, v);
          } else if (what === 'delete') assert.equal(m.delete(fresh), model.delete(k));
          assert.equal(m.get(fresh), model.get(k));
          assert.equal(m.has(fresh), model.has(k));
          assert.equal(m.size, model.size);
        }
        assert.deepEqual([...m.values()], [...model.values()]);
      }),
      { numRuns: 500 },
    );
  });

  it('iterates as a Map does while entries are set and deleted during the iteration', () => {
    // A handful of keys, most sharing a tail, so the visited entry and its neighbours are hit.
    const few = fc.constantFrom('a-0000', 'b-0000', 'xy-0000', 'a-0001', 'b', 'c');
    const fewOp = fc.oneof(
      fc.tuple(fc.constant('set' as const), few, fc.integer()),
      fc.tuple(fc.constant('delete' as const), few, fc.constant(0)),
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(few, fc.integer()), { maxLength: 8 }),
        // Operations run after visiting the n-th value, for a few n.
        fc.array(fc.tuple(fc.nat(6), fc.array(fewOp, { maxLength: 4 })), { maxLength: 6 }),
        (initial, during) => {
          const model = new Map<string, number>(initial);
          const m = new FreshKeyMap<number>();
          for (const [k, v] of initial) m.set(k, v);
          const apply = (
            visited: number,
            map: { set(k: string, v: number): unknown; delete(k: string): unknown },
          ) => {
            for (const [at, ops] of during)
              if (at === visited)
                for (const [what, k, v] of ops) {
                  if (what === 'set') map.set(k, v);
                  else if (what === 'delete') map.delete(k);
                }
          };
          const seen = (map: { values(): Iterable<number> } & Parameters<typeof apply>[1]): number[] => {
            const out: number[] = [];
            for (const v of map.values()) {
              apply(out.length, map);
              out.push(v);
            }
            return out;
          };
          assert.deepEqual(seen(m), seen(model));
          assert.deepEqual([...m.values()], [...model.values()]);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
