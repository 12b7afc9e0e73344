import { messaging, MessagingSimulator } from '../adapters/messaging/index.js';
import { conversationActions } from '../src/index.js';
import { sdkAgent } from './sdk.js';
import { interleave, median, percentile, progress, sdkOptions, until, type Figure } from './support.js';

export interface SendsSize {
  conversations: number;
  perConversation: number;
  rounds: number;
}

export const sendsFull: SendsSize = { conversations: 50, perConversation: 100, rounds: 5 };

export interface SendsRun {
  perSec: number;
  p99: number;
}

/** One send to a conversation; resolves when its answer arrived. */
type Sender = (conversationId: string, text: string) => Promise<void>;

/**
 * Sends `perConversation` messages to each of `conversations` conversations, one at a time per
 * conversation (so both clients keep per-conversation order) and all conversations at once;
 * measures sends per second and each send's latency (request to answer), and checks every
 * message landed once.
 */
async function run(
  size: SendsSize,
  make: (sim: MessagingSimulator) => Promise<{ send: Sender; stop(): Promise<void> }>,
): Promise<SendsRun> {
  const sim = await MessagingSimulator.start({ frameLog: false });
  const ids = Array.from({ length: size.conversations }, () => sim.openConversation());
  const client = await make(sim);
  const latencies: number[] = [];
  try {
    // Warm-up: the connection opened and the JIT fed, not counted.
    await Promise.all(ids.map((id) => client.send(id, 'warm-up')));
    const start = performance.now();
    await Promise.all(
      ids.map(async (id) => {
        for (let i = 0; i < size.perConversation; i++) {
          const t = performance.now();
          await client.send(id, `m${i}`);
          latencies.push(performance.now() - t);
        }
      }),
    );
    const elapsed = performance.now() - start;
    const total = size.conversations * size.perConversation;
    const landed = ids.reduce((n, id) => n + sim.history(id).length, 0);
    if (landed !== total + ids.length)
      throw new Error(`sends: ${landed} landed, expected ${total + ids.length}`);
    return { perSec: (total * 1000) / elapsed, p99: percentile(latencies, 99) };
  } finally {
    await client.stop();
    await sim.close();
  }
}

const viaActions = async (sim: MessagingSimulator) => {
  const actions = conversationActions({
    messaging: messaging({ ...sim.clientOptions(), agentId: sim.agentId }),
    maxConcurrent: 1000,
  });
  return {
    send: async (conversationId: string, text: string) => {
      await actions.send({ backend: 'messaging', conversationId }, { text });
    },
    stop: () => actions.dispose(),
  };
};

const viaSdk = async (sim: MessagingSimulator) => {
  const agent = sdkAgent({ ...sdkOptions(sim), userId: '77' }) as ReturnType<typeof sdkAgent> & {
    publishEvent(body: object, cb: (err: unknown) => void): void;
  };
  let connected = false;
  agent.on('connected', (() => (connected = true)) as never);
  agent.on('error', (() => undefined) as never);
  await until(() => connected, 'the SDK connected', 10_000);
  return {
    send: (dialogId: string, message: string) =>
      new Promise<void>((resolve, reject) =>
        agent.publishEvent(
          { dialogId, event: { type: 'ContentEvent', contentType: 'text/plain', message } },
          (err) => (err ? reject(new Error(JSON.stringify(err))) : resolve()),
        ),
      ),
    stop: () => {
      agent.removeAllListeners();
      agent.on('error', () => {});
      try {
        agent.dispose();
      } catch {
        // SDK bug: dispose may ping a closed socket
      }
      return Promise.resolve();
    },
  };
};

export interface SendsResult {
  figures: Figure[];
  runs: Record<'chatshift' | 'sdk', SendsRun[]>;
}

/** Outbound sends through `conversationActions` vs node-agent-sdk's `publishEvent`, same simulator, interleaved. */
export async function sends(size: SendsSize): Promise<SendsResult> {
  const runs = await interleave(
    size.rounds,
    { chatshift: () => run(size, viaActions), sdk: () => run(size, viaSdk) },
    (name, round, r) =>
      progress(`  sends round ${round + 1} ${name}: ${Math.round(r.perSec)}/s, p99 ${r.p99.toFixed(3)} ms`),
  );
  const c = median(runs.chatshift.map((r) => r.perSec));
  const s = median(runs.sdk.map((r) => r.perSec));
  const c99 = median(runs.chatshift.map((r) => r.p99));
  const s99 = median(runs.sdk.map((r) => r.p99));
  return {
    runs,
    figures: [
      {
        figure: 'outbound sends/s vs node-agent-sdk publishEvent',
        unit: 'sends/s',
        chatshift: c,
        baseline: s,
        ratio: c / s,
        target: '>= 1.0',
        met: c / s >= 1,
        rounds: { chatshift: runs.chatshift.map((r) => r.perSec), baseline: runs.sdk.map((r) => r.perSec) },
      },
      {
        figure: `send latency p99, ${size.conversations} conversations at once (vs node-agent-sdk)`,
        unit: 'ms',
        chatshift: c99,
        baseline: s99,
        ratio: c99 / s99,
        target: 'report',
        met: true,
      },
    ],
  };
}
