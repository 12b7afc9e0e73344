import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { MessagingSimulator } from '../adapters/messaging/index.js';
import type { MemoryReply, MemoryRequest } from './memory-child.js';
import { progress, until, type Figure } from './support.js';

export interface MemorySize {
  /** Followed conversations. */
  conversations: number;
  /** Events for the "small" heap reading. */
  eventsSmall: number;
  /** Events for the "large" heap reading (a multiple of `conversations`). */
  eventsLarge: number;
}

export const memoryFull: MemorySize = { conversations: 10_000, eventsSmall: 10_000, eventsLarge: 1_000_000 };

export interface MemoryResult {
  figures: Figure[];
  bytesPerConversation: number;
  heapAfterSmall: number;
  heapAfterLarge: number;
  received: number;
}

const TIMEOUT_MS = 300_000;

class Child {
  private last: MemoryReply | undefined;
  private waiting: ((r: MemoryReply) => void) | undefined;
  private constructor(private readonly proc: ChildProcess) {
    proc.on('message', (r: MemoryReply) => {
      this.last = r;
      const w = this.waiting;
      this.waiting = undefined;
      w?.(r);
    });
  }

  static async start(): Promise<Child> {
    const proc = fork(fileURLToPath(new URL('./memory-child.ts', import.meta.url)), [], {
      execArgv: ['--expose-gc', '--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const c = new Child(proc);
    await c.next('the memory child to start');
    return c;
  }

  next(what: string, timeoutMs = 30_000): Promise<MemoryReply> {
    return new Promise((resolve, reject) => {
      const exited = (code: number | null): void =>
        reject(new Error(`bench: memory child exited (${code}) during ${what}`));
      const t = setTimeout(() => {
        this.proc.off('exit', exited);
        reject(new Error(`bench: timed out waiting for ${what}`));
      }, timeoutMs);
      this.waiting = (r) => {
        clearTimeout(t);
        this.proc.off('exit', exited);
        resolve(r);
      };
      this.proc.once('exit', exited);
    });
  }

  async ask(m: MemoryRequest, what: string): Promise<MemoryReply> {
    const p = this.next(what);
    this.proc.send(m);
    return p;
  }

  /** Polls the child's counters (each poll forces a GC there, so poll sparingly). */
  async until(cond: (r: MemoryReply) => boolean, what: string, timeoutMs = TIMEOUT_MS): Promise<MemoryReply> {
    const start = performance.now();
    for (;;) {
      const r = await this.ask({ cmd: 'heap' }, what);
      if (cond(r)) return r;
      if (performance.now() - start > timeoutMs) throw new Error(`bench: timed out waiting for ${what}`);
      await new Promise((res) => setTimeout(res, 200));
    }
  }

  stop(): void {
    if (this.proc.connected) this.proc.send({ cmd: 'stop' } satisfies MemoryRequest);
    setTimeout(() => this.proc.kill(), 2000).unref();
  }

  get lastReply(): MemoryReply | undefined {
    return this.last;
  }
}

/**
 * Heap of a messagingSource (in a child started with --expose-gc; the simulator stays in this
 * process): per followed conversation, and after a small vs a large number of events.
 */
export async function memory(size: MemorySize): Promise<MemoryResult> {
  const sim = await MessagingSimulator.start({ frameLog: false });
  const child = await Child.start();
  try {
    await child.ask(
      {
        cmd: 'subscribe',
        domain: sim.domain,
        accountId: sim.accountId,
        token: sim.token,
        agentId: sim.agentId,
      },
      'subscribe',
    );
    await until(() => sim.connectionCount === 1, 'the child socket', 10_000);
    const empty = await child.until((r) => r.queriesAnswered >= 1, 'the subscription answer');
    const ids: string[] = [];
    for (let i = 0; i < size.conversations; i++) {
      ids.push(sim.openConversation({ agentId: sim.agentId }));
      if (i % 500 === 499) await new Promise((r) => setImmediate(r));
    }
    // Followed: a state event and an answered history query per conversation.
    const followed = await child.until(
      (r) =>
        r.states >= size.conversations && r.queriesAnswered >= size.conversations + 1 + size.conversations,
      `${size.conversations} conversations followed`,
    );
    const bytesPerConversation = (followed.heapUsed - empty.heapUsed) / size.conversations;
    progress(`  memory: ${Math.round(bytesPerConversation)} B per followed conversation`);

    const burst = async (events: number): Promise<void> => {
      const perConversation = Math.max(1, Math.round(events / ids.length));
      await sim.burst({ conversationIds: ids, perConversation, batchSize: 1000, preframed: true });
    };
    await burst(size.eventsSmall);
    const small = await child.until((r) => r.messages >= size.eventsSmall, `${size.eventsSmall} events`);
    let sent = size.eventsSmall;
    // In slices, so the simulator's pre-built frames stay small.
    while (sent < size.eventsLarge) {
      const n = Math.min(100_000, size.eventsLarge - sent);
      await burst(n);
      sent += n;
      await child.until((r) => r.messages >= sent, `${sent} events`);
    }
    const large = await child.until((r) => r.messages >= size.eventsLarge, `${size.eventsLarge} events`);
    const growth = large.heapUsed / small.heapUsed - 1;
    progress(
      `  memory: heap ${mb(small.heapUsed)} after ${size.eventsSmall} events, ${mb(large.heapUsed)} after ${size.eventsLarge}`,
    );
    return {
      bytesPerConversation,
      heapAfterSmall: small.heapUsed,
      heapAfterLarge: large.heapUsed,
      received: large.messages,
      figures: [
        {
          figure: `heap per followed conversation (${size.conversations} conversations)`,
          unit: 'bytes',
          chatshift: bytesPerConversation,
          target: '< 2048',
          met: bytesPerConversation < 2048,
        },
        {
          figure: `heap after ${size.eventsLarge} events vs after ${size.eventsSmall}`,
          unit: 'bytes',
          chatshift: large.heapUsed,
          baseline: small.heapUsed,
          ratio: large.heapUsed / small.heapUsed,
          target: '<= 1.05',
          met: growth <= 0.05,
        },
      ],
    };
  } finally {
    child.stop();
    await sim.close();
  }
}

const mb = (b: number): string => `${(b / 1024 / 1024).toFixed(1)} MB`;
