import { MessagingSimulator, messagingSource } from '../adapters/messaging/index.js';
import { redisCheckpointStore, type RedisClientLike } from '../adapters/redis/index.js';
import { memoryCheckpointStore } from '../src/checkpoint/memory.js';
import type { CheckpointStore } from '../src/checkpoint/store.js';
import { RedisServer, redisServerBinary } from '../test/support/redis.js';
import { preframed } from './preframe.js';
import { interleave, median, progress, until, within, type Figure } from './support.js';

export interface RedisCheckpointSize {
  conversations: number;
  perConversation: number;
  rounds: number;
}

export const redisCheckpointFull: RedisCheckpointSize = {
  conversations: 100,
  perConversation: 500,
  rounds: 5,
};

interface Run {
  msgPerSec: number;
  received: number;
  /** Redis commands sent by the store per second of the run (0 for the memory store). */
  commandsPerSec: number;
}

/** One run: a messaging burst through messagingSource with `store`, timed first frame → last message. */
async function run(
  size: RedisCheckpointSize,
  store: () => { store: CheckpointStore; commands: () => number },
): Promise<Run> {
  const sim = await MessagingSimulator.start({ frameLog: false });
  const { store: checkpoint, commands } = store();
  try {
    const ids = Array.from({ length: size.conversations }, () => sim.openConversation());
    const total = size.conversations * size.perConversation;
    let messages = 0;
    let states = 0;
    const sub = messagingSource({
      ...sim.clientOptions(),
      historyQueriesPerSecond: 100_000,
      agentId: sim.agentId,
      checkpoint,
    }).subscribe({
      next: (e) => {
        if (e.type === 'message') messages++;
        else if (e.type === 'state') states++;
      },
      error: (e: unknown) => progress(`messagingSource failed: ${String(e)}`),
    });
    try {
      await until(() => states >= size.conversations, 'every conversation followed', 30_000);
      const c0 = commands();
      let t0 = 0;
      await within(
        sim.burst({
          conversationIds: ids,
          perConversation: size.perConversation,
          batchSize: 1000,
          encodeBatch: preframed,
          onStart: () => (t0 = performance.now()),
        }),
        120_000,
        'the burst',
      );
      await until(() => messages >= total, `${total} messages (got ${messages})`, 120_000, 1);
      const ms = performance.now() - t0;
      return {
        msgPerSec: (total / ms) * 1000,
        received: messages,
        commandsPerSec: ((commands() - c0) / ms) * 1000,
      };
    } finally {
      sub.unsubscribe();
    }
  } finally {
    await sim.close();
  }
}

export interface RedisCheckpointResult {
  figures: Figure[];
  runs: Record<'memory' | 'redis', Run[]>;
}

/**
 * Messaging events/s checkpointed in Redis vs in memory on the same burst (interleaved rounds),
 * Redis commands per second for one instance, and the Redis memory one shard's checkpoint hash
 * takes. Undefined when redis-server is not installed.
 */
export async function redisCheckpoint(size: RedisCheckpointSize): Promise<RedisCheckpointResult | undefined> {
  if (redisServerBinary() === undefined) {
    progress('redis checkpoint: skipped (no redis-server; apt-get install redis-server)');
    return undefined;
  }
  const server = await RedisServer.start();
  const client = await server.client();
  let n = 0;
  try {
    const runs = await interleave(size.rounds, {
      memory: () => run(size, () => ({ store: memoryCheckpointStore(), commands: () => 0 })),
      redis: () =>
        run(size, () => {
          let sent = 0;
          const counting: RedisClientLike = { sendCommand: (args) => (sent++, client.sendCommand(args)) };
          return {
            store: redisCheckpointStore(counting, { shard: `bench-${++n}`, epoch: 1 }),
            commands: () => sent,
          };
        }),
    });
    const mem = median(runs.memory.map((r) => r.msgPerSec));
    const red = median(runs.redis.map((r) => r.msgPerSec));
    const bytes = Number(await client.sendCommand(['MEMORY', 'USAGE', `chatshift:{bench-${n}}:checkpoints`]));
    const ratio = red / mem;
    return {
      runs,
      figures: [
        {
          figure: 'messaging msg/s: redisCheckpointStore vs memoryCheckpointStore',
          unit: 'msg/s',
          chatshift: red,
          baseline: mem,
          ratio,
          target: '>= 0.8',
          met: ratio >= 0.8,
          rounds: {
            chatshift: runs.redis.map((r) => r.msgPerSec),
            baseline: runs.memory.map((r) => r.msgPerSec),
          },
        },
        {
          figure: 'Redis commands/s per instance during that burst',
          unit: 'cmd/s',
          chatshift: median(runs.redis.map((r) => r.commandsPerSec)),
          target: 'report',
          met: true,
          note: 'saves are coalesced by the checkpoint writer: one script call per save, not per event',
        },
        {
          figure: `Redis memory per shard (${size.conversations} conversations)`,
          unit: 'bytes',
          chatshift: bytes,
          target: 'report',
          met: true,
          note: `${Math.round(bytes / size.conversations)} bytes per conversation (MEMORY USAGE of the shard hash)`,
        },
      ],
    };
  } finally {
    await client.close();
    await server.stop();
  }
}
