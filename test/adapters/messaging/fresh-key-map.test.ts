import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FreshKeyMap } from '../../../adapters/messaging/fresh-key-map.js';

describe('FreshKeyMap (the tracker’s dialog lookup)', () => {
  it('answers as a Map for any operations, keys sharing their tail and length included', () => {
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
});
