import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { parseArgs } from 'node:util';
import { legacyRunOnce, legacyThroughputFull } from './legacy-throughput.js';
import { messagingRunOnce, messagingThroughputFull, type MeasuredWindow } from './messaging-throughput.js';
import { progress } from './support.js';

// `npx tsx bench/profile.ts --what messagingSource|conversationEvents|rawWs|legacy|legacyRaw
//   [--runs N] [--per N] [--out file.cpuprofile] [--window]`: runs one contender alone, N times
// after one warm-up run, with the V8 CPU profiler on during the measured runs only; summarize with
// bench/profile-summary.ts. `--window` (messaging) profiles only each run's measured window, one
// file per run (`file-1.cpuprofile`, …). `--per` sets messages per conversation (messaging;
// default 1,000): a larger burst makes the connect-and-follow setup, which a whole-run profile
// also covers, a smaller share.

const whats = ['messagingSource', 'conversationEvents', 'rawWs', 'legacy', 'legacyRaw'] as const;
type What = (typeof whats)[number];

async function once(what: What, per: number, window?: MeasuredWindow): Promise<number> {
  if (what === 'legacy')
    return (await legacyRunOnce({ ...legacyThroughputFull, rounds: 1 }, 'chatshift')).eventsPerSec;
  if (what === 'legacyRaw')
    return (await legacyRunOnce({ ...legacyThroughputFull, rounds: 1 }, 'raw')).eventsPerSec;
  const size = { ...messagingThroughputFull, perConversation: per, rounds: 1 };
  return (await messagingRunOnce(size, what, window)).msgPerSec;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      what: { type: 'string' },
      runs: { type: 'string', default: '3' },
      per: { type: 'string', default: String(messagingThroughputFull.perConversation) },
      out: { type: 'string' },
      window: { type: 'boolean', default: false },
    },
  });
  const what = values.what as What;
  if (!whats.includes(what)) throw new Error(`--what must be one of ${whats.join(', ')}`);
  const runs = Number(values.runs);
  const per = Number(values.per);
  progress(`warm-up: ${Math.round(await once(what, per))}/s`);
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  const out = values.out ?? `${what}.cpuprofile`;
  if (values.window) {
    if (what === 'legacy' || what === 'legacyRaw')
      throw new Error('--window is for the messaging contenders');
    // Only the measured window of each run (first frame sent → last received): no connect, no
    // follow-up, no full GC between runs. One profile per run; profile-summary.ts sums them.
    for (let i = 0; i < runs; i++) {
      let started: Promise<unknown> | undefined;
      const file = out.replace(/(\.cpuprofile)?$/, `-${i + 1}.cpuprofile`);
      const window: MeasuredWindow = {
        open: () => void (started = session.post('Profiler.start')),
        close: async () => {
          await started;
          const { profile } = await session.post('Profiler.stop');
          writeFileSync(file, JSON.stringify(profile));
        },
      };
      progress(`run ${i + 1}: ${Math.round(await once(what, per, window))}/s, profile in ${file}`);
    }
    return;
  }
  await session.post('Profiler.start');
  for (let i = 0; i < runs; i++) progress(`run ${i + 1}: ${Math.round(await once(what, per))}/s`);
  const { profile } = await session.post('Profiler.stop');
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
