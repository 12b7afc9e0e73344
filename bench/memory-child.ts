import { writeHeapSnapshot } from 'node:v8';
import type { Observable, Subscription } from 'rxjs';
import { messaging, messagingSource, type MessagingClientOptions } from '../adapters/messaging/index.js';
import { memoryCheckpointStore } from '../src/checkpoint/memory.js';
import { conversationEvents } from '../src/cutover/conversation-events.js';
import type { ConversationEvent } from '../src/model/event.js';
import { flowControl, type FlowControl } from '../src/runtime/flow.js';
import type { Metrics } from '../src/runtime/metrics.js';

// Runs under `node --expose-gc --import tsx` (bench/memory.ts starts it): holds only a
// messagingSource, so its heap is the source's state. The simulator runs in the parent.

export type MemoryRequest =
  | {
      cmd: 'subscribe';
      /** `MessagingSimulator.clientOptions()` of the parent's simulator. */
      client: MessagingClientOptions;
      agentId: string;
      /**
       * `count` (default): a synchronous consumer that counts. `stalled`: an asynchronous one
       * whose handler waits until `release`, through `flow.process` with the source given the
       * same flow when `flow` is set.
       */
      consumer?: 'count' | 'stalled';
      flow?: boolean;
      /**
       * `source` (default): messagingSource alone. `app`: as an application runs it, under
       * conversationEvents (its dedupe cursors) with a memoryCheckpointStore (the checkpoint
       * writer's marks and the saved entries, all in this heap).
       */
      stack?: 'source' | 'app';
    }
  | { cmd: 'heap' }
  /** Writes a heap snapshot (after the GCs) to `path`; bench/heap-diff.ts compares two. */
  | { cmd: 'snapshot'; path: string }
  | { cmd: 'release' }
  | { cmd: 'stop' };

export interface MemoryReply {
  heapUsed: number;
  messages: number;
  states: number;
  queriesAnswered: number;
  /** Events received by a stalled consumer and not yet handled. */
  pending: number;
}

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('bench/memory-child.ts needs node --expose-gc');

let sub: Subscription | undefined;
let messages = 0;
let states = 0;
let framesIn = 0;
let flow: FlowControl | undefined;
let release: () => void = () => undefined;
const gate = new Promise<void>((r) => (release = r));

function heap(): number {
  for (let i = 0; i < 4; i++) gc?.();
  return process.memoryUsage().heapUsed;
}

const reply = (): void => {
  const r: MemoryReply = {
    heapUsed: heap(),
    messages,
    states,
    queriesAnswered: framesIn,
    pending: flow?.pending ?? 0,
  };
  process.send?.(r);
};

process.on('message', (m: MemoryRequest) => {
  if (m.cmd === 'subscribe') {
    const metrics: Metrics = {
      increment(name, by = 1) {
        if (name === 'ws.frames.in') framesIn += by;
      },
    };
    // A stalled consumer counts its events through a flow either way; only with `flow` does the
    // source see it.
    const stalled = m.consumer === 'stalled';
    if (stalled) flow = flowControl({ highWaterMark: 1000 });
    const options = {
      ...m.client,
      // Live throughput and heap, not the connect-time pacing of history queries (20/s by default).
      historyQueriesPerSecond: 100_000,
      agentId: m.agentId,
      metrics,
      ...(stalled && m.flow === true && flow !== undefined ? { flow } : {}),
    };
    const source =
      m.stack === 'app'
        ? conversationEvents({
            backend: 'messaging',
            messaging: messaging(options),
            checkpoint: memoryCheckpointStore(),
            metrics,
          })
        : messagingSource(options);
    const count = (e: ConversationEvent): void => {
      if (e.type === 'message') messages++;
      else if (e.type === 'state') states++;
    };
    const events: Observable<unknown> =
      flow === undefined
        ? source
        : source.pipe(
            flow.process(async (e: ConversationEvent) => {
              if (e.type === 'message') await gate;
              count(e);
            }),
          );
    sub = events.subscribe({
      // Count, never keep: the heap must hold the source's state (and a stalled consumer's queue) only.
      next(e) {
        if (flow === undefined) count(e as ConversationEvent);
      },
      error(e: unknown) {
        process.stderr.write(`memory-child: source failed: ${String(e)}\n`);
        process.exit(1);
      },
    });
    reply();
  } else if (m.cmd === 'heap') {
    reply();
  } else if (m.cmd === 'snapshot') {
    heap();
    writeHeapSnapshot(m.path);
    reply();
  } else if (m.cmd === 'release') {
    release();
    reply();
  } else {
    sub?.unsubscribe();
    process.exit(0);
  }
});
process.send?.({ heapUsed: heap(), messages, states, queriesAnswered: 0, pending: 0 } satisfies MemoryReply);
