import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { MessagingSimulator } from '../adapters/messaging/index.js';
import type { MemoryReply, MemoryRequest } from './memory-child.js';
import { preframed } from './preframe.js';
import { progress, until, type Figure } from './support.js';

export interface MemorySize {
  /** Followed conversations. */
  conversations: number;
  /** Events for the "small" heap reading. */
  eventsSmall: number;
  /** Events for the "large" heap reading (a multiple of `conversations`). */
  eventsLarge: number;
  /** What runs in the child (see `MemoryRequest`); default `source`. */
  stack?: 'source' | 'app';
  /**
   * A directory: heap snapshots of the child with no conversation (`empty.heapsnapshot`) and with
   * every conversation followed (`followed.heapsnapshot`); compare with bench/heap-diff.ts.
   */
  snapshotDir?: string;
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

  /** Subscribes the child's messagingSource to `sim` as its agent. */
  subscribe(
    sim: MessagingSimulator,
    consumer: { consumer?: 'count' | 'stalled'; flow?: boolean; stack?: 'source' | 'app' } = {},
  ): Promise<MemoryReply> {
    return this.ask(
      {
        cmd: 'subscribe',
        client: sim.clientOptions(),
        agentId: sim.agentId,
        ...consumer,
      },
      'subscribe',
    );
  }

  async ask(m: MemoryRequest, what: string, timeoutMs?: number): Promise<MemoryReply> {
    const p = this.next(what, timeoutMs);
    this.proc.send(m);
    return p;
  }

  /** Polls the child's counters (each poll forces a GC there, so poll sparingly). */
  async until(cond: (r: MemoryReply) => boolean, what: string, timeoutMs = TIMEOUT_MS): Promise<MemoryReply> {
    const start = performance.now();
    for (;;) {
      // The whole budget for one answer too: a child still busy with its events (a released
      // stalled consumer works through 200,000 in one go) answers only once it is done.
      const r = await this.ask({ cmd: 'heap' }, what, timeoutMs);
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
    await child.subscribe(sim, size.stack === undefined ? {} : { stack: size.stack });
    await until(() => sim.connectionCount === 1, 'the child socket', 10_000);
    const empty = await child.until((r) => r.queriesAnswered >= 1, 'the subscription answer');
    if (size.snapshotDir !== undefined)
      await child.ask({ cmd: 'snapshot', path: `${size.snapshotDir}/empty.heapsnapshot` }, 'a snapshot');
    const ids: string[] = [];
    for (let i = 0; i < size.conversations; i++) {
      ids.push(sim.openConversation());
      if (i % 500 === 499) await new Promise((r) => setImmediate(r));
    }
    // Followed: a state event and an answered history query per conversation.
    const followed = await child.until(
      (r) =>
        r.states >= size.conversations && r.queriesAnswered >= size.conversations + 1 + size.conversations,
      `${size.conversations} conversations followed`,
    );
    const bytesPerConversation = (followed.heapUsed - empty.heapUsed) / size.conversations;
    if (size.snapshotDir !== undefined) {
      // After the readings above: a snapshot allocates, so it must not be inside them.
      await child.ask({ cmd: 'snapshot', path: `${size.snapshotDir}/followed.heapsnapshot` }, 'a snapshot');
    }
    const stack =
      size.stack === 'app' ? 'conversationEvents + memoryCheckpointStore' : 'messagingSource alone';
    progress(`  memory (${stack}): ${Math.round(bytesPerConversation)} B per followed conversation`);

    const burst = async (events: number): Promise<void> => {
      const perConversation = Math.max(1, Math.round(events / ids.length));
      await sim.burst({ conversationIds: ids, perConversation, batchSize: 1000, encodeBatch: preframed });
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
          figure: `heap per followed conversation, ${stack} (${size.conversations} conversations)`,
          unit: 'bytes',
          chatshift: bytesPerConversation,
          target: '< 1024',
          met: bytesPerConversation < 1024,
        },
        {
          figure: `heap after ${size.eventsLarge} events vs after ${size.eventsSmall}, ${stack}`,
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

export interface SlowConsumerSize {
  conversations: number;
  /** Messages in the burst the stalled consumer faces. */
  events: number;
}

export const slowConsumerFull: SlowConsumerSize = { conversations: 100, events: 200_000 };

/**
 * Heap of a stalled asynchronous consumer (its handler waits) facing a burst, in two children on
 * one simulator: one gives its `flowControl` (high-water mark 1,000) to the source, the other does
 * not. Then both consumers are released and must receive the whole burst.
 */
export async function slowConsumerMemory(size: SlowConsumerSize): Promise<{ figures: Figure[] }> {
  const sim = await MessagingSimulator.start({ frameLog: false });
  const children: Child[] = [];
  try {
    const start = async (flow: boolean): Promise<Child> => {
      const child = await Child.start();
      children.push(child);
      await child.subscribe(sim, { consumer: 'stalled', flow });
      return child;
    };
    const withFlow = await start(true);
    const without = await start(false);
    await until(() => sim.connectionCount === 2, 'both child sockets', 10_000);
    const ids: string[] = [];
    for (let i = 0; i < size.conversations; i++) ids.push(sim.openConversation());
    for (const c of children) await c.until((r) => r.states >= size.conversations, 'conversations followed');
    const before = await Promise.all(children.map((c) => c.ask({ cmd: 'heap' }, 'heap')));
    const perConversation = Math.max(1, Math.round(size.events / ids.length));
    const total = perConversation * ids.length;
    // Not awaited here: the flowed child stops reading at its mark, and the burst's writes to it
    // wait, as a server's wait for TCP, until it is released below.
    const bursting = sim.burst({
      conversationIds: ids,
      perConversation,
      batchSize: 1000,
      encodeBatch: preframed,
    });
    bursting.catch(() => undefined);
    const flooded = await without.until(
      (r) => r.pending >= total,
      'the unflowed consumer to queue the burst',
    );
    // The flowed child has had as long: its socket stays paused at the mark.
    const held = await withFlow.ask({ cmd: 'heap' }, 'heap');
    progress(
      `  slow consumer: ${held.pending} events held with flowControl (${mb(held.heapUsed)}), ${flooded.pending} without (${mb(flooded.heapUsed)})`,
    );
    for (const c of children) await c.ask({ cmd: 'release' }, 'release');
    await bursting;
    for (const c of children)
      await c.until((r) => r.messages >= total, `all ${total} messages after release`);
    const growthWith = held.heapUsed - (before[0]?.heapUsed ?? 0);
    const growthWithout = flooded.heapUsed - (before[1]?.heapUsed ?? 0);
    return {
      figures: [
        {
          figure: `heap growth of a stalled async consumer facing ${total} messages: flowControl vs none`,
          unit: 'bytes',
          chatshift: growthWith,
          baseline: growthWithout,
          ratio: growthWith / growthWithout,
          target: 'bounded (pauses at 1,000 held)',
          met: held.pending < 2000,
          note: `${held.pending} vs ${flooded.pending} events held; all ${total} delivered after release in both`,
        },
      ],
    };
  } finally {
    for (const c of children) c.stop();
    await sim.close();
  }
}
