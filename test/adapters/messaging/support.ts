import type { Observable, Subscription } from 'rxjs';
import {
  messaging,
  MessagingSimulator,
  type MessagingSourceOptions,
} from '../../../adapters/messaging/index.js';
import type { ConversationEvent } from '../../../src/model/event.js';

/** Collects a stream's events, errors and completion for assertions. */
export interface Collected {
  events: ConversationEvent[];
  error?: unknown;
  completed: boolean;
  sub: Subscription;
}

/** Streams collected in the current test; {@link simulatorPerTest} unsubscribes them after it. */
const collected = new Set<Subscription>();

export function collect(source: Observable<ConversationEvent>): Collected {
  const c: Collected = { events: [], completed: false } as unknown as Collected;
  collected.add(
    (c.sub = source.subscribe({
      next: (e) => c.events.push(e),
      error: (e: unknown) => {
        c.error = e;
      },
      complete: () => {
        c.completed = true;
      },
    })),
  );
  return c;
}

/**
 * Starts a simulator before each test (handed to `use`), and after it unsubscribes every stream
 * the test collected and closes the simulator.
 */
export function simulatorPerTest(use: (sim: MessagingSimulator) => void): void {
  let sim: MessagingSimulator | undefined;
  beforeEach(async () => {
    sim = await MessagingSimulator.start();
    use(sim);
  });
  afterEach(async () => {
    for (const sub of collected) sub.unsubscribe();
    collected.clear();
    await sim?.close();
    sim = undefined;
  });
}

/** Fast timings for loopback tests. */
export const fast = {
  heartbeatIntervalMs: 100,
  heartbeatTimeoutMs: 300,
  requestTimeoutMs: 1000,
  backoff: { initialMs: 10, maxMs: 50, jitter: 0.5 },
} as const;

/**
 * A source against `sim` as its agent, with the test timings; `extra` overrides any option, and
 * an option given as `undefined` is left out (`{ agentId: undefined }`: the whole account).
 */
export function sourceFor(
  sim: MessagingSimulator,
  extra: { [K in keyof MessagingSourceOptions]?: MessagingSourceOptions[K] | undefined } & {
    /** Given to the backend's `events()`, as conversationEvents does. */
    draining?: Observable<boolean>;
  } = {},
): Observable<ConversationEvent> {
  const { draining, ...rest } = extra;
  const options: Record<string, unknown> = {
    ...sim.clientOptions(),
    agentId: sim.agentId,
    ...fast,
    ...rest,
  };
  for (const [k, v] of Object.entries(options)) if (v === undefined) delete options[k];
  const backend = messaging(options as unknown as MessagingSourceOptions);
  return draining === undefined ? backend.events() : backend.events({ draining });
}

/** Sequences per conversation of the sequenced events, in emission order. */
export function seqsByConversation(events: ConversationEvent[]): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const e of events) {
    if (e.seq === undefined) continue;
    const list = m.get(e.conversationId) ?? [];
    list.push(e.seq);
    m.set(e.conversationId, list);
  }
  return m;
}
