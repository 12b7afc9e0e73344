import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { latency, latencyFull, latencyHigh, type LatencySize } from './latency.js';
import { legacyThroughput, legacyThroughputFull, type LegacyThroughputSize } from './legacy-throughput.js';
import {
  memory,
  memoryFull,
  slowConsumerFull,
  slowConsumerMemory,
  type MemorySize,
  type SlowConsumerSize,
} from './memory.js';
import {
  messagingThroughput,
  messagingThroughputFull,
  type MessagingThroughputSize,
} from './messaging-throughput.js';
import { redisCheckpoint, redisCheckpointFull, type RedisCheckpointSize } from './redis-checkpoint.js';
import { sends, sendsFull, type SendsSize } from './sends.js';
import { defaultBenchCpu, onOneCpu } from './pin.js';
import { machine, progress, type Figure } from './support.js';
import { table } from './table.js';

// `npm run bench [-- --json] [--quick] [--only messaging,legacy,memory,latency,redis,sends] [--rounds N] [--cpu N|none]`

const usage = `usage: npm run bench -- [--json] [--quick] [--only messaging,legacy,memory,latency,redis,sends] [--rounds N] [--cpu N|none]
  --json    print a JSON summary on stdout (progress goes to stderr)
  --quick   small workloads (a minute-long sanity run, figures not comparable)
  --only    run only these benchmarks (messaging, legacy, memory, latency, redis, sends)
  --rounds  interleaved rounds per comparison (default 11 messaging and legacy, 3 latency; min 3)
  --cpu     the CPU the throughput comparisons (messaging, legacy) run bound to, on Linux
            (default: the last one); none: unbound`;

const sections = ['messaging', 'legacy', 'memory', 'latency', 'redis', 'sends'] as const;
type Section = (typeof sections)[number];

const quick = {
  messaging: { conversations: 20, perConversation: 200, rounds: 3 } satisfies MessagingThroughputSize,
  legacy: { chats: 100, eventsPerChatPerCycle: 5, cycles: 2, rounds: 3 } satisfies LegacyThroughputSize,
  memory: { conversations: 1000, eventsSmall: 1000, eventsLarge: 20_000 } satisfies MemorySize,
  slowConsumer: { conversations: 20, events: 20_000 } satisfies SlowConsumerSize,
  latency: { ratePerSec: 2000, durationMs: 1500, conversations: 20, rounds: 3 } satisfies LatencySize,
  latencyHigh: { ratePerSec: 10_000, durationMs: 1500, conversations: 20, rounds: 3 } satisfies LatencySize,
  redis: { conversations: 20, perConversation: 200, rounds: 3 } satisfies RedisCheckpointSize,
  sends: { conversations: 10, perConversation: 50, rounds: 3 } satisfies SendsSize,
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      rounds: { type: 'string' },
      cpu: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return;
  }
  const only = (values.only?.split(',').map((s) => s.trim()) ?? [...sections]) as Section[];
  for (const s of only) if (!sections.includes(s)) throw new Error(`unknown benchmark "${s}"\n${usage}`);
  const rounds = values.rounds === undefined ? undefined : Number(values.rounds);
  if (rounds !== undefined && !(Number.isInteger(rounds) && rounds >= 3))
    throw new Error(`--rounds must be an integer >= 3\n${usage}`);
  const withRounds = <T extends { rounds: number }>(s: T): T => (rounds === undefined ? s : { ...s, rounds });
  const cpu =
    values.cpu === 'none' ? undefined : values.cpu === undefined ? defaultBenchCpu() : Number(values.cpu);
  if (cpu !== undefined && !(Number.isInteger(cpu) && cpu >= 0))
    throw new Error(`--cpu must be a CPU number or none\n${usage}`);
  const m = machine();
  progress(`chatshift bench: node ${m.node}, ${m.cpu}, ${m.cores} cores${values.quick ? ' (quick)' : ''}`);

  const figures: Figure[] = [];
  const started = Date.now();
  // The machine's load when the run started and ended: figures from a loaded machine are noisier.
  const loadBefore = loadavg();
  const bound = cpu === undefined ? '' : ` (bound to CPU ${cpu})`;
  // The CPU each throughput comparison really ran bound to (null: unbound).
  const boundCpus: { messaging?: number | null; legacy?: number | null } = {};
  if (only.includes('messaging')) {
    progress(`messaging throughput${bound}…`);
    const size = withRounds(values.quick ? quick.messaging : messagingThroughputFull);
    const { result, boundTo } = await onOneCpu(cpu, () => messagingThroughput(size));
    figures.push(...result.figures);
    boundCpus.messaging = boundTo ?? null;
  }
  if (only.includes('legacy')) {
    progress(`legacy polling throughput${bound}…`);
    const size = withRounds(values.quick ? quick.legacy : legacyThroughputFull);
    const { result, boundTo } = await onOneCpu(cpu, () => legacyThroughput(size));
    figures.push(...result.figures);
    boundCpus.legacy = boundTo ?? null;
  }
  if (only.includes('memory')) {
    progress('memory…');
    figures.push(...(await memory(values.quick ? quick.memory : memoryFull)).figures);
    progress('memory as an application runs it (conversationEvents, a checkpoint store)…');
    figures.push(...(await memory({ ...(values.quick ? quick.memory : memoryFull), stack: 'app' })).figures);
    progress('memory of a stalled consumer…');
    figures.push(...(await slowConsumerMemory(values.quick ? quick.slowConsumer : slowConsumerFull)).figures);
  }
  if (only.includes('latency')) {
    progress('latency…');
    figures.push(...(await latency(withRounds(values.quick ? quick.latency : latencyFull))).figures);
    progress('latency at a high rate…');
    figures.push(...(await latency(withRounds(values.quick ? quick.latencyHigh : latencyHigh))).figures);
  }
  if (only.includes('sends')) {
    progress('outbound sends…');
    const size = withRounds(values.quick ? quick.sends : sendsFull);
    figures.push(...(await sends(size)).figures);
  }

  if (only.includes('redis')) {
    progress('redis-checkpointed vs memory-checkpointed throughput…');
    const size = withRounds(values.quick ? quick.redis : redisCheckpointFull);
    figures.push(...((await redisCheckpoint(size))?.figures ?? []));
  }

  if (values.json) {
    const summary = {
      machine: m,
      quick: values.quick,
      date: new Date().toISOString(),
      durationMs: Date.now() - started,
      load: { before: loadBefore, after: loadavg() },
      boundCpus,
      figures,
      allMet: figures.every((f) => f.met),
    };
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  } else {
    process.stdout.write(`${table(figures)}\n`);
    const load = (l: number[]): string => l.map((x) => x.toFixed(1)).join(' ');
    process.stdout.write(`\nnode ${m.node} · ${m.cpu} · ${m.cores} cores · ${m.platform}\n`);
    process.stdout.write(
      `load average (1/5/15 min): ${load(loadBefore)} at start, ${load(loadavg())} at end\n` +
        'ratios: median of the per-round ratios (contenders interleaved within each round), min–max of the rounds\n' +
        Object.entries(boundCpus)
          .map(([section, c]) => `${section}: ${c === null ? 'unbound' : `the process bound to CPU ${c}`}\n`)
          .join(''),
    );
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
