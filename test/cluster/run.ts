// npm run cluster [-- --instances N] [--minutes M] [--shards S] [--ttl MS] [--scenario NAME] [--json]
// Runs the scale-out chaos scenarios (each on its own Redis, simulators and child instances) and
// prints one row per scenario; --json prints `{ scenarios: [...] }` only. With --minutes the
// scenario list repeats until the time is up.
import { parseArgs } from 'node:util';
import { redisServerBinary } from '../support/redis.js';
import { run, scenarios, type ScenarioRow } from './scenarios.js';

const { values } = parseArgs({
  options: {
    instances: { type: 'string' },
    minutes: { type: 'string' },
    shards: { type: 'string', default: '12' },
    ttl: { type: 'string', default: '3000' },
    scenario: { type: 'string', multiple: true },
    json: { type: 'boolean', default: false },
  },
});
if (redisServerBinary() === undefined) {
  process.stderr.write('npm run cluster needs redis-server: apt-get install redis-server\n');
  process.exit(2);
}
const shards = Number(values.shards);
const leaseTtlMs = Number(values.ttl);
const fixedN = values.instances === undefined ? undefined : Number(values.instances);
const until = values.minutes === undefined ? undefined : Date.now() + Number(values.minutes) * 60_000;
for (const [name, v] of [
  ['shards', shards],
  ['ttl', leaseTtlMs],
  ['instances', fixedN ?? 1],
] as const)
  if (!Number.isInteger(v) || v <= 0) {
    process.stderr.write(`--${name} must be a positive integer\n`);
    process.exit(2);
  }

/** The plan: steady runs at N = 1, 2, 4 (the request rate must not depend on N), then each trouble. */
const plan: Array<{ name: string; instances: number }> = values.scenario?.map((name) => ({
  name,
  instances: fixedN ?? 2,
})) ?? [
  ...(fixedN === undefined ? [1, 2, 4] : [fixedN]).map((n) => ({ name: 'steady', instances: n })),
  ...Object.keys(scenarios)
    .filter((n) => n !== 'steady')
    .map((name) => ({ name, instances: Math.max(2, fixedN ?? 2) })),
];

const live = (line: string): void => {
  if (!values.json && process.stderr.isTTY) process.stderr.write(`\r\x1b[K${line.slice(0, 150)}`);
};
const rows: ScenarioRow[] = [];
const failed: string[] = [];
do {
  for (const step of plan) {
    if (until !== undefined && Date.now() > until && rows.length > 0) break;
    let row: ScenarioRow;
    try {
      row = await run(step.name, {
        shards,
        instances: step.instances,
        leaseTtlMs,
        phaseMs: 2000,
        pollIntervalMs: 100,
        onProgress: live,
      });
    } catch (e) {
      // One scenario failing (a wait that timed out) must not lose the rows of the others.
      process.stderr.write(`${step.name}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      failed.push(step.name);
      continue;
    }
    rows.push({ ...row, name: `${row.name}-n${row.instances}` });
    live('');
    if (!values.json)
      process.stdout.write(
        `${row.name.padEnd(20)} n=${row.instances} lost ${row.lost} dup ${row.duplicated}` +
          ` (bound ${row.duplicateBound}, within: ${row.duplicatesWithinBound}) fencedSaves ${row.fencedSaves}` +
          ` selfFences ${row.selfFences} fencedOwnerWork ${row.fencedOwnerWork} overlaps ${row.overlappingRequests}` +
          ` sockets/agent ${row.maxSocketsPerAgent} (superseded frames ${row.supersededSocketFrames}) takeover p50/max ${row.takeoverMsP50 ?? '-'}/${row.takeoverMsMax ?? '-'} ms` +
          ` (TTL ${row.leaseTtlMs}) polls/shard/s ${row.legacyPollsPerShardSecond} requests/shard/cycle ${row.legacyRequestsPerShardCycle}` +
          ` in ${(row.durationMs / 1000).toFixed(0)} s\n`,
      );
  }
} while (until !== undefined && Date.now() < until);
if (values.json) process.stdout.write(`${JSON.stringify({ scenarios: rows, failed }, null, 2)}\n`);
process.exit(
  failed.length === 0 &&
    rows.every(
      (r) =>
        r.lost === 0 &&
        r.duplicatesOnlyInInterruptedShards &&
        r.duplicatesWithinBound &&
        r.fencedOwnerWork === 0 &&
        r.overlappingRequests === 0,
    )
    ? 0
    : 1,
);
