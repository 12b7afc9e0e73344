import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { parseArgs } from 'node:util';
import { legacyRunOnce, legacyThroughputFull } from './legacy-throughput.js';
import { messagingRunOnce, messagingThroughputFull } from './messaging-throughput.js';
import { progress } from './support.js';

// `npx tsx bench/profile.ts --what messagingSource|conversationEvents|rawWs|legacy|legacyRaw
//   [--runs N] [--out file.cpuprofile]`: runs one contender alone, N times after one warm-up run,
// with the V8 CPU profiler on during the measured runs only; summarize with bench/profile-summary.ts.

const whats = ['messagingSource', 'conversationEvents', 'rawWs', 'legacy', 'legacyRaw'] as const;
type What = (typeof whats)[number];

async function once(what: What): Promise<number> {
  if (what === 'legacy')
    return (await legacyRunOnce({ ...legacyThroughputFull, rounds: 1 }, 'chatshift')).eventsPerSec;
  if (what === 'legacyRaw')
    return (await legacyRunOnce({ ...legacyThroughputFull, rounds: 1 }, 'raw')).eventsPerSec;
  return (await messagingRunOnce({ ...messagingThroughputFull, rounds: 1 }, what)).msgPerSec;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { what: { type: 'string' }, runs: { type: 'string', default: '3' }, out: { type: 'string' } },
  });
  const what = values.what as What;
  if (!whats.includes(what)) throw new Error(`--what must be one of ${whats.join(', ')}`);
  const runs = Number(values.runs);
  progress(`warm-up: ${Math.round(await once(what))}/s`);
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  for (let i = 0; i < runs; i++) progress(`run ${i + 1}: ${Math.round(await once(what))}/s`);
  const { profile } = await session.post('Profiler.stop');
  const out = values.out ?? `${what}.cpuprofile`;
  writeFileSync(out, JSON.stringify(profile));
  progress(`profile written to ${out}`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`profile failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
