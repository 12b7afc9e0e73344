import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { WebSocket } from 'ws';
import { messaging, MessagingSimulator, messagingSource } from '../adapters/messaging/index.js';
import { conversationEvents } from '../src/cutover/conversation-events.js';
import type { ConversationEvent } from '../src/model/event.js';
import type { Metrics } from '../src/runtime/metrics.js';
import { openTelemetryMetrics } from '../src/runtime/open-telemetry.js';
import { sdkAgent } from './sdk.js';
import { isolatedRun } from './isolated.js';
import { preframed } from './preframe.js';
import {
  comparedFigure,
  interleave,
  progress,
  rawUrl,
  sdkOptions,
  until,
  within,
  fullGc,
  type Figure,
} from './support.js';

export interface MessagingThroughputSize {
  conversations: number;
  perConversation: number;
  rounds: number;
  /** Frames per socket write on the simulator side. */
  batchSize?: number;
  /**
   * Messages sent to each of as many other conversations, on the same socket, just before the
   * measured burst (default 300; 0 for none): see `run` for why.
   */
  warmUpPerConversation?: number;
}

export const messagingThroughputFull: MessagingThroughputSize = {
  conversations: 100,
  perConversation: 1000,
  rounds: 11,
};

/** One run: messages received per second, and what was checked about them. */
export interface ThroughputRun {
  msgPerSec: number;
  /**
   * Messages per second of this process's CPU time (user + system) over the same window: the
   * simulator's share is the same for every contender, and time the VM was not given to us (steal,
   * other tenants) does not count, so this spreads far less than the wall-clock rate.
   */
  msgPerCpuSec: number;
  received: number;
  /** chatshift only: every conversation got sequences 1..perConversation exactly once, in order. */
  inOrder?: boolean;
}

/**
 * A contender: connects to `sim` and counts the live messages it receives. `expected` holds every
 * conversation it must follow and the last sequence each one gets (the warm-up's and the measured
 * burst's).
 */
type Client = (
  sim: MessagingSimulator,
  expected: ReadonlyMap<string, number>,
) => Promise<{ count: () => number; check?: () => boolean; close: () => void }>;

const WARM_UP_PER_CONVERSATION = 300;

const TIMEOUT_MS = 120_000;

/** Called as the measured window opens and closes (bench/profile.ts profiles only that window). */
export interface MeasuredWindow {
  open(): void;
  close(): Promise<void>;
}

/**
 * Starts a fresh simulator, connects `client`, warms it up, bursts, and times first frame sent →
 * last received.
 *
 * The warm-up: every run starts on a collected heap, and that full GC frees the shapes (maps) of
 * the previous run's parsed frames, so V8 drops the optimized code that checked them; so does a
 * major collection while no frame is in flight. `--trace-opt --trace-deopt --trace-gc` showed
 * 16–40 recompilations inside the window, chatshift's hot functions among them (9–10 for the bare
 * client), 41–220 ms of compiler thread time per run, and an incremental major collection that
 * the building of the burst set off. In a process of its own (bench/isolated.ts) the same warm-up
 * is what lets the JIT compile the hot path before the window. So the measured burst is built first; then, just before it is
 * sent, a warm-up burst of the same frames goes to as many other conversations (followed too),
 * and the window opens once the client has all of it: the window measures the steady state.
 */
async function run(
  size: MessagingThroughputSize,
  client: Client,
  window?: MeasuredWindow,
): Promise<ThroughputRun> {
  // Every contender starts on a collected heap (npm run bench exposes gc): a major collection
  // left over from the previous contender otherwise lands in this one's window.
  fullGc();
  const sim = await MessagingSimulator.start({ frameLog: false });
  try {
    const perWarmUp = size.warmUpPerConversation ?? WARM_UP_PER_CONVERSATION;
    const ids = Array.from({ length: size.conversations }, () => sim.openConversation());
    const warmUpIds =
      perWarmUp > 0 ? Array.from({ length: size.conversations }, () => sim.openConversation()) : [];
    const expected = new Map<string, number>([
      ...ids.map((id) => [id, size.perConversation] as const),
      ...warmUpIds.map((id) => [id, perWarmUp] as const),
    ]);
    const warmUp = warmUpIds.length * perWarmUp;
    const total = size.conversations * size.perConversation;
    const c = await client(sim, expected);
    try {
      await until(() => sim.connectionCount === 1, 'the client socket', 10_000);
      let t0 = 0;
      let cpu0 = process.cpuUsage();
      await within(
        sim.burst({
          conversationIds: ids,
          perConversation: size.perConversation,
          batchSize: size.batchSize ?? 1000,
          encodeBatch: preframed,
          beforeSend: async () => {
            if (warmUp === 0) return;
            await sim.burst({
              conversationIds: warmUpIds,
              perConversation: perWarmUp,
              batchSize: size.batchSize ?? 1000,
              encodeBatch: preframed,
            });
            await until(
              () => c.count() >= warmUp,
              `${warmUp} warm-up messages (got ${c.count()})`,
              TIMEOUT_MS,
              1,
            );
          },
          onStart: () => {
            window?.open();
            t0 = performance.now();
            cpu0 = process.cpuUsage();
          },
        }),
        TIMEOUT_MS,
        'the burst',
      );
      const all = warmUp + total;
      await until(() => c.count() >= all, `${all} messages (got ${c.count()})`, TIMEOUT_MS, 1);
      const ms = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      await window?.close();
      const r: ThroughputRun = {
        msgPerSec: (total / ms) * 1000,
        msgPerCpuSec: (total / (cpu.user + cpu.system)) * 1e6,
        received: c.count() - warmUp,
      };
      if (c.check !== undefined) r.inOrder = c.check();
      return r;
    } finally {
      c.close();
    }
  } finally {
    await sim.close();
  }
}

/**
 * chatshift: messagingSource subscribed, every conversation followed and its history pulled. With
 * `otel`, every metric also goes through `openTelemetryMetrics` into a real SDK MeterProvider (no
 * reader: the cost of recording, not of exporting). With `via: 'conversationEvents'`, the same
 * backend runs under `conversationEvents` (flag `messaging`, the cutover switch, its safety-net
 * dedupe and the event-delay tap) as an application would subscribe to it.
 */
const chatshift =
  (
    size: MessagingThroughputSize,
    {
      otel = false,
      via = 'messagingSource',
    }: { otel?: boolean; via?: 'messagingSource' | 'conversationEvents' } = {},
  ): Client =>
  async (sim, expected) => {
    let framesIn = 0;
    const sink = otel ? openTelemetryMetrics(new MeterProvider().getMeter('bench')) : undefined;
    const metrics: Metrics = {
      increment(name, by = 1, attributes) {
        if (name === 'ws.frames.in') framesIn += by;
        sink?.increment(name, by, attributes);
      },
      ...(sink === undefined
        ? {}
        : {
            record: (name, value, attributes) => sink.record?.(name, value, attributes),
            gauge: (name, value, attributes) => sink.gauge?.(name, value, attributes),
          }),
    };
    let messages = 0;
    let states = 0;
    let ordered = true;
    const last = new Map<string, number>();
    const options = {
      ...sim.clientOptions(),
      // Live throughput and heap, not the connect-time pacing of history queries (20/s by default).
      historyQueriesPerSecond: 100_000,
      agentId: sim.agentId,
      metrics,
    };
    const events$ =
      via === 'messagingSource'
        ? messagingSource(options)
        : conversationEvents({ backend: 'messaging', messaging: messaging(options), metrics });
    const sub = events$.subscribe({
      next(e: ConversationEvent) {
        if (e.type === 'message') {
          messages++;
          const prev = last.get(e.conversationId) ?? 0;
          if (e.seq !== prev + 1) ordered = false;
          last.set(e.conversationId, e.seq ?? -1);
        } else if (e.type === 'state') states++;
      },
      error(e: unknown) {
        progress(`messagingSource failed: ${String(e)}`);
      },
    });
    // Followed = a state event each; ready = the subscribe answer, the change notification and one
    // QueryMessages answer per conversation have arrived.
    await until(
      () => states >= expected.size && framesIn >= expected.size + 2,
      'chatshift to follow every conversation',
      30_000,
    );
    return {
      count: () => messages,
      check: () =>
        ordered && last.size === expected.size && [...last].every(([id, seq]) => seq === expected.get(id)),
      close: () => sub.unsubscribe(),
    };
  };

/** Baseline (a): a bare ws client that only JSON.parses each frame. */
const rawWs: Client = async (sim) => {
  let messages = 0;
  const ws = new WebSocket(rawUrl(sim), {
    perMessageDeflate: false,
  });
  ws.on('message', (data: Buffer) => {
    const f = JSON.parse(data.toString('utf8')) as { type?: string };
    if (f.type === '.ams.ms.OnlineEventDistribution') messages++;
  });
  await within(
    new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject)),
    10_000,
    'ws open',
  );
  return { count: () => messages, close: () => ws.terminate() };
};

/** Baseline (b): node-agent-sdk@1.2.0, counting its live-event notifications. */
const sdk: Client = async (sim) => {
  let messages = 0;
  const agent = sdkAgent({ ...sdkOptions(sim), userId: '77' });
  agent.on('error', () => {});
  agent.on('ms.MessagingEventNotification', (body: { changes: unknown[] }) => {
    messages += body.changes.length;
  });
  await within(new Promise((resolve) => agent.on('connected', resolve)), 10_000, 'node-agent-sdk connected');
  return {
    count: () => messages,
    close: () => {
      agent.removeAllListeners();
      agent.on('error', () => {});
      agent.dispose();
    },
  };
};

/** The contenders of the messaging comparison. */
export type MessagingContender = 'chatshift' | 'chatshiftEvents' | 'chatshiftOtel' | 'rawWs' | 'sdk';
const contenders: readonly MessagingContender[] = [
  'chatshift',
  'chatshiftEvents',
  'chatshiftOtel',
  'rawWs',
  'sdk',
];

/** One run of one contender, in this process (bench/isolated-child.ts runs one per process). */
export function messagingRun(
  size: MessagingThroughputSize,
  who: MessagingContender,
  window?: MeasuredWindow,
): Promise<ThroughputRun> {
  if (!contenders.includes(who))
    return Promise.reject(
      new Error(`bench: no messaging contender "${String(who)}" (${contenders.join(', ')})`),
    );
  const client =
    who === 'rawWs'
      ? rawWs
      : who === 'sdk'
        ? sdk
        : chatshift(size, {
            via: who === 'chatshiftEvents' ? 'conversationEvents' : 'messagingSource',
            otel: who === 'chatshiftOtel',
          });
  return run(size, client, window);
}

/** One run of one contender alone (bench/profile.ts profiles these). */
export function messagingRunOnce(
  size: MessagingThroughputSize,
  who: 'messagingSource' | 'conversationEvents' | 'rawWs',
  window?: MeasuredWindow,
): Promise<ThroughputRun> {
  return messagingRun(
    size,
    who === 'messagingSource' ? 'chatshift' : who === 'conversationEvents' ? 'chatshiftEvents' : 'rawWs',
    window,
  );
}

export interface MessagingThroughputResult {
  figures: Figure[];
  runs: Record<MessagingContender, ThroughputRun[]>;
}

/**
 * Messaging throughput: chatshift (messagingSource, and under conversationEvents) vs bare ws +
 * JSON.parse vs node-agent-sdk, interleaved, each run in a process of its own
 * (bench/isolated.ts). Each ratio is the median of the per-round ratios.
 */
export async function messagingThroughput(size: MessagingThroughputSize): Promise<MessagingThroughputResult> {
  const runs = await interleave(
    size.rounds,
    Object.fromEntries(
      contenders.map((who) => [who, () => isolatedRun<ThroughputRun>({ kind: 'messaging', who, size })]),
    ) as Record<MessagingContender, () => Promise<ThroughputRun>>,
    (name, round, r) => progress(`  messaging round ${round + 1} ${name}: ${Math.round(r.msgPerSec)} msg/s`),
    { warmUp: false },
  );
  const rate = (k: keyof MessagingThroughputResult['runs']): number[] => runs[k].map((r) => r.msgPerSec);
  const cpuRate = (k: keyof MessagingThroughputResult['runs']): number[] =>
    runs[k].map((r) => r.msgPerCpuSec);
  const label = `${size.conversations}×${size.perConversation}`;
  return {
    runs,
    figures: [
      // [figure, ours, baseline, rate, target]: each a ratio of per-round values, met at >= target.
      ...(
        [
          [
            'messaging throughput (messagingSource) vs raw ws + JSON.parse',
            'chatshift',
            'rawWs',
            'wall',
            0.85,
          ],
          ['messaging throughput (messagingSource) vs node-agent-sdk@1.2.0', 'chatshift', 'sdk', 'wall', 2],
          [
            'messaging throughput (conversationEvents) vs raw ws + JSON.parse',
            'chatshiftEvents',
            'rawWs',
            'wall',
            0.8,
          ],
          [
            'messaging per CPU-second (messagingSource) vs raw ws + JSON.parse',
            'chatshift',
            'rawWs',
            'cpu',
            0.85,
          ],
          [
            'messaging per CPU-second (messagingSource) vs node-agent-sdk@1.2.0',
            'chatshift',
            'sdk',
            'cpu',
            2,
          ],
          [
            'messaging per CPU-second (conversationEvents) vs raw ws + JSON.parse',
            'chatshiftEvents',
            'rawWs',
            'cpu',
            0.8,
          ],
          [
            'messaging throughput with openTelemetryMetrics vs a counting sink',
            'chatshiftOtel',
            'chatshift',
            'wall',
            0.9,
          ],
        ] as const
      ).map(([figure, ours, theirs, kind, target]) =>
        comparedFigure({
          figure: `${figure} (${label})`,
          unit: kind === 'wall' ? 'msg/s' : 'msg/CPU-s',
          ours: kind === 'wall' ? rate(ours) : cpuRate(ours),
          theirs: kind === 'wall' ? rate(theirs) : cpuRate(theirs),
          target: `>= ${target}`,
          met: (r) => r >= target,
        }),
      ),
      // The ceiling of the node-agent-sdk target: what the bare client (ws + JSON.parse, nothing
      // else) reaches over the SDK on the same frames. A target above it asks chatshift to beat
      // the bare client.
      comparedFigure({
        figure: `reference: raw ws + JSON.parse (in the chatshift column) vs node-agent-sdk@1.2.0 (${label})`,
        unit: 'msg/s',
        ours: rate('rawWs'),
        theirs: rate('sdk'),
        target: 'report',
        met: () => true,
        note: 'the most any client that frames and parses every message can reach over the SDK here',
      }),
    ],
  };
}
