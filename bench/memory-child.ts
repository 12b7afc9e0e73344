import type { Subscription } from 'rxjs';
import { messagingSource } from '../adapters/messaging/index.js';
import type { Metrics } from '../src/runtime/metrics.js';

// Runs under `node --expose-gc --import tsx` (bench/memory.ts starts it): holds only a
// messagingSource, so its heap is the source's state. The simulator runs in the parent.

export type MemoryRequest =
  | { cmd: 'subscribe'; domain: string; accountId: string; token: string; agentId: string }
  | { cmd: 'heap' }
  | { cmd: 'stop' };

export interface MemoryReply {
  heapUsed: number;
  messages: number;
  states: number;
  queriesAnswered: number;
}

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('bench/memory-child.ts needs node --expose-gc');

let sub: Subscription | undefined;
let messages = 0;
let states = 0;
let framesIn = 0;

function heap(): number {
  for (let i = 0; i < 4; i++) gc?.();
  return process.memoryUsage().heapUsed;
}

const reply = (): void => {
  const r: MemoryReply = { heapUsed: heap(), messages, states, queriesAnswered: framesIn };
  process.send?.(r);
};

process.on('message', (m: MemoryRequest) => {
  if (m.cmd === 'subscribe') {
    const metrics: Metrics = {
      increment(name, by = 1) {
        if (name === 'ws.frames.in') framesIn += by;
      },
    };
    sub = messagingSource({
      accountId: m.accountId,
      domain: m.domain,
      bearer: m.token,
      agentId: m.agentId,
      metrics,
    }).subscribe({
      // Count, never keep: the heap must hold the source's state only.
      next(e) {
        if (e.type === 'message') messages++;
        else if (e.type === 'state') states++;
      },
      error(e: unknown) {
        process.stderr.write(`memory-child: source failed: ${String(e)}\n`);
        process.exit(1);
      },
    });
    reply();
  } else if (m.cmd === 'heap') {
    reply();
  } else {
    sub?.unsubscribe();
    process.exit(0);
  }
});
process.send?.({ heapUsed: heap(), messages, states, queriesAnswered: 0 } satisfies MemoryReply);
