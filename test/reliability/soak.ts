// npm run soak -- --minutes N [--seed S]: the fault runs back to back for N minutes, then the
// totals and the heap (after a forced GC) at start and end. Fails (exit 1) on any lost, duplicated,
// out-of-order or invalid event, a failed stream, or heap growth above the bound.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parseArgs } from 'node:util';
import { cutoverRun } from './support/cutover-run.js';
import { legacyRun, type RunResult } from './support/legacy-run.js';
import { messagingRun } from './support/messaging-run.js';
import { rng } from './support/prng.js';
import { addAll } from './support/common.js';

/** Allowed growth of the post-GC heap between the first and the last sample. */
const HEAP_BOUND_MB = 32;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapMb = (): number => {
  gc();
  gc();
  return Math.round((process.memoryUsage().heapUsed / 1024 / 1024) * 10) / 10;
};

const { values } = parseArgs({
  options: { minutes: { type: 'string', default: '1' }, seed: { type: 'string' } },
});
const minutes = Number(values.minutes);
const seed =
  values.seed !== undefined ? Number(values.seed) >>> 0 : Math.floor(Math.random() * 2 ** 32) >>> 0;
console.log(
  `soak: ${minutes} min, seed ${seed} (rerun with npm run soak -- --minutes ${minutes} --seed ${seed})`,
);

const totals = {
  runs: 0,
  events: 0,
  expected: 0,
  lost: 0,
  duplicated: 0,
  outOfOrder: 0,
  invalid: 0,
  failedStreams: 0,
};
const faults: Record<string, number> = {};
const kinds = [
  (i: number) => legacyRun(rng(seed + i), { chats: 6, steps: 150 }),
  (i: number) => messagingRun(rng(seed + i), { conversations: 6, steps: 150 }),
  (i: number) => cutoverRun(rng(seed + i), { steps: 150 }),
];
const start = heapMb();
const deadline = Date.now() + minutes * 60_000;
for (let i = 0; Date.now() < deadline; i++) {
  const kind = kinds[i % kinds.length] as (i: number) => Promise<RunResult>;
  let r: RunResult;
  try {
    r = await kind(i);
  } catch (e) {
    totals.runs++;
    totals.failedStreams++;
    console.log(`run ${i} (seed ${seed + i}) failed: ${(e as Error).message.slice(0, 500)}`);
    continue;
  }
  totals.runs++;
  totals.events += r.verdict.events;
  totals.expected += r.verdict.expected;
  totals.lost += r.verdict.lost;
  totals.duplicated += r.verdict.duplicated;
  totals.outOfOrder += r.verdict.outOfOrder;
  totals.invalid += r.verdict.invalid;
  if (r.error !== undefined) totals.failedStreams++;
  addAll(faults, r.faults);
  if (
    r.verdict.lost + r.verdict.duplicated + r.verdict.outOfOrder + r.verdict.invalid > 0 ||
    r.error !== undefined
  )
    console.log(`run ${i} (seed ${seed + i}): ${JSON.stringify(r.verdict)} ${String(r.error ?? '')}`);
}
const end = heapMb();
console.log(
  JSON.stringify(
    { seed, minutes, ...totals, heapMb: { start, end, boundMb: HEAP_BOUND_MB }, faults },
    null,
    1,
  ),
);
const bad =
  totals.lost + totals.duplicated + totals.outOfOrder + totals.invalid + totals.failedStreams > 0 ||
  end - start > HEAP_BOUND_MB;
process.exit(bad ? 1 : 0);
