import assert from 'node:assert/strict';
import { rng, runSeed } from './support/prng.js';
import { messagingRun } from './support/messaging-run.js';
import { summary } from './support/truth.js';

describe('reliability: messaging source under seeded random faults', function () {
  this.timeout(60_000);
  const seed = runSeed('messaging');

  for (let run = 0; run < 3; run++) {
    it(`run ${run}: loses, duplicates and reorders nothing (ground truth from the simulator)`, async () => {
      const result = await messagingRun(rng(seed + run), { conversations: 6, steps: 150 });
      console.log(summary(`messaging run ${run}`, seed + run, result.verdict, { faults: result.faults }));
      assert.equal(result.error, undefined, `stream failed: ${String(result.error)}`);
      const v = result.verdict;
      assert.ok(v.expected > 0 && Object.keys(result.faults).length > 0, 'the run did something');
      assert.deepEqual(
        { lost: v.lost, duplicated: v.duplicated, outOfOrder: v.outOfOrder, invalid: v.invalid },
        { lost: 0, duplicated: 0, outOfOrder: 0, invalid: 0 },
        v.examples.join('\n'),
      );
    });
  }
});
