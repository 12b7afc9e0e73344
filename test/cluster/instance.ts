// One cluster instance as a child process: runs shardedConversationEvents over the shards given
// as JSON in argv[2] and writes every delivered event and ownership change to stdout as NDJSON
// (stdout to a pipe is synchronous on Linux: a line written is a line delivered). SIGTERM is a
// graceful stop.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createClient } from 'redis';
import { Subject } from 'rxjs';
import { SAVE_SCRIPT } from '../../adapters/redis/checkpoint-store.js';
import { shardedConversationEvents, type RedisClientLike } from '../../adapters/redis/index.js';
import type { BackendChoice } from '../../src/cutover/backend-flag.js';
import { counterMetrics } from '../../src/runtime/metrics.js';
import { fencedOwnerWork, shardSpecs, type ShardConfig } from './shard-config.js';

export interface InstanceConfig {
  instanceId: string;
  redisSocket: string;
  shards: ShardConfig[];
  leaseTtlMs: number;
  joinGraceMs: number;
  pollIntervalMs: number;
  /** The flag of every shard is read from this Redis key (a stand-in for a flag service), else 'both'. */
  flagKey?: string;
}

const cfg = JSON.parse(process.argv[2] ?? '{}') as InstanceConfig;
const out = (o: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify(o)}\n`);

const client = createClient({ socket: { path: cfg.redisSocket, tls: false, reconnectStrategy: () => 50 } });
client.on('error', () => {});
await client.connect();
const metrics = counterMetrics();
/**
 * The client the runner gets: node-redis, reporting every checkpoint save Redis accepted (its
 * shard, backend, epoch and when it was sent) so the judge can bound what a crash may repeat.
 */
/** EVALSHA saves the server did not know (after a restart): their send time, for the EVAL retry. */
const noscript = new Map<string, number>();
const reporting: RedisClientLike = {
  async sendCommand(args) {
    const tail = args.slice(2).join('\u0000');
    // A save re-sent as EVAL carries what it held when first sent as EVALSHA: it counts from then.
    const sentAt = (args[1] === SAVE_SCRIPT.source ? noscript.get(tail) : undefined) ?? Date.now();
    noscript.delete(tail);
    let reply: unknown;
    try {
      reply = await client.sendCommand(args);
    } catch (e) {
      if (args[1] === SAVE_SCRIPT.sha && /NOSCRIPT/.test(String(e))) noscript.set(tail, sentAt);
      throw e;
    }
    if (
      (args[1] === SAVE_SCRIPT.sha || args[1] === SAVE_SCRIPT.source) &&
      Array.isArray(reply) &&
      reply[0] === 0
    ) {
      // EVAL(SHA) script 3 checkpoints epoch closed, then ARGV: epoch, 'backend:', maxClosed, …
      const shard = /\{(.*)\}/.exec(args[3] ?? '')?.[1];
      out({ t: 'saved', shard, backend: args[7]?.slice(0, -1), epoch: Number(args[6]), at: sentAt });
    }
    return reply;
  },
};
const stop$ = new Subject<void>();
const flagKey = cfg.flagKey;
const runner = shardedConversationEvents({
  redis: reporting,
  instanceId: cfg.instanceId,
  leaseTtlMs: cfg.leaseTtlMs,
  joinGraceMs: cfg.joinGraceMs,
  flagIntervalMs: 100,
  metrics,
  logger: {
    warn: (m, f) => out({ t: 'log', level: 'warn', m, code: f?.['code'] }),
    error: (m, f) => out({ t: 'log', level: 'error', m, code: f?.['code'] }),
  },
  shards: shardSpecs(cfg.shards, {
    pollIntervalMs: cfg.pollIntervalMs,
    flag: (s) =>
      flagKey === undefined
        ? 'both'
        : async () => ((await client.get(`${flagKey}:${s.id}`)) ?? 'legacy-chat') as BackendChoice,
  }),
  stop: stop$,
});
runner.ownership$.subscribe((c) => out({ t: 'own', at: Date.now(), ...c }));
runner.events$.subscribe({
  next: ({ shard, epoch, event }) =>
    out({ t: 'ev', at: Date.now(), shard, epoch, id: event.id, type: event.type }),
  error: (e: unknown) => {
    out({ t: 'fatal', m: e instanceof Error ? e.message : String(e) });
    process.exit(1);
  },
  complete: () => {
    out({ t: 'done', metrics: metrics.snapshot(), fencedOwnerWork });
    void client.close().finally(() => process.exit(0));
  },
});
process.on('SIGTERM', () => stop$.next());
const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
setInterval(
  () => out({ t: 'metrics', metrics: metrics.snapshot(), fencedOwnerWork, loopDelayMaxMs: loop.max / 1e6 }),
  200,
).unref();
out({ t: 'ready', pid: process.pid });
