import assert from 'node:assert/strict';
import { cutoverRun } from './support/cutover-run.js';
import { rng, runSeed } from './support/prng.js';
import { summary } from './support/truth.js';

describe('reliability: conversationEvents switching backends under seeded random faults', function () {
  this.timeout(60_000);
  const seed = runSeed('cutover');

  for (let run = 0; run < 2; run++) {
    it(`run ${run}: loses, duplicates and reorders nothing across switches`, async () => {
      const result = await cutoverRun(rng(seed + run), { steps: 150 });
      console.log(summary(`cutover run ${run}`, seed + run, result.verdict, { faults: result.faults }));
      assert.equal(result.error, undefined, `stream failed: ${String(result.error)}`);
      const v = result.verdict;
      assert.ok(v.expected > 0, 'the run did something');
      assert.deepEqual(
        { lost: v.lost, duplicated: v.duplicated, outOfOrder: v.outOfOrder, invalid: v.invalid },
        { lost: 0, duplicated: 0, outOfOrder: 0, invalid: 0 },
        v.examples.join('\n'),
      );
    });
  }
});
