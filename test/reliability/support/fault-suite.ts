import assert from 'node:assert/strict';
import type { RunResult } from './legacy-run.js';
import { rng, runSeed, type Rng } from './prng.js';
import { summary } from './truth.js';

/**
 * A mocha suite of `runs` seeded fault runs (seeds `seed`, `seed + 1`, …; `SEED=…` replays them):
 * each must end with its stream alive and nothing lost, duplicated, reordered or invalid against
 * the simulators' ground truth. Prints each run's summary.
 */
export function faultRunSuite(o: {
  title: string;
  /** Names the seed in the log line and the run summaries. */
  label: string;
  runs: number;
  run: (r: Rng) => Promise<RunResult>;
}): void {
  describe(o.title, function () {
    this.timeout(60_000);
    const seed = runSeed(o.label);
    for (let run = 0; run < o.runs; run++) {
      it(`run ${run}: loses, duplicates and reorders nothing (ground truth from the simulators)`, async () => {
        const result = await o.run(rng(seed + run));
        console.log(summary(`${o.label} run ${run}`, seed + run, result.verdict, { faults: result.faults }));
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
}
