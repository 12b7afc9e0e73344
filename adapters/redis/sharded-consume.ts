// consume() over the shards of a cluster: checkpoints move as events are handled, per shard.
import { isObservable, lastValueFrom, Subject, type Observable } from 'rxjs';
import type { ConversationActions } from '../../src/actions/conversation-actions.js';
import { handlingOptions, type ConsumeOptions } from '../../src/consume/consume.js';
import { OptionsChecker } from '../../src/runtime/options.js';
import type { OwnershipChange, ShardedHandler } from './shard.js';
import { shardedRunner, type ShardedConversationEventsOptions } from './sharded.js';
import { abortSignal$ } from './sharded-parts.js';

/** Options of {@link shardedConsume}: the runner's, and consume()'s handling options per shard. */
export interface ShardedConsumeOptions
  extends ShardedConversationEventsOptions, Pick<ConsumeOptions, 'concurrency' | 'highWaterMark' | 'retry'> {}

/** What {@link shardedConsume} returns. */
export interface ShardedConsumer {
  /**
   * Settles once this instance has left the cluster: resolves after {@link stop} (or the `stop`
   * option) once every owned shard has handled what it received, saved it and released its lease;
   * rejects only if the runner itself fails. A shard whose handler keeps failing is released (its
   * next owner, after one lease TTL, starts with the failed event) and does not end the consumer.
   */
  readonly done: Promise<void>;
  /** A graceful stop (SIGTERM): see `done`. Resolves as `done` settles, never rejects. */
  stop(): Promise<void>;
  /**
   * Every ownership change, as it happens (hot). The runner joins the cluster in a microtask, so
   * subscribing right after the call sees every change.
   */
  readonly ownership$: Observable<OwnershipChange>;
  /** The actions of a shard this instance owns now, undefined otherwise. */
  actions(shard: string): ConversationActions | undefined;
}

/**
 * `consume()` for the shards this instance owns: each owned shard runs `consume` over its
 * backends, with the shard's fenced Redis checkpoint, so a cursor moves only once the handler has
 * finished with the event — a crash (kill -9, a lost lease) re-delivers what was received and not
 * yet handled, to the shard's next owner, instead of losing it. The handler gets each event with
 * its shard, epoch and actions; the events of one conversation are handled one at a time, in
 * order, at most `concurrency` at once per shard; a handler that throws is retried (`retry`), and
 * once its attempts run out the shard is released and taken again after one lease TTL, starting
 * with that event. Handlers must be idempotent by `event.id` (see docs/consuming.md).
 *
 * @example
 * ```ts
 * import { shardedConsume, type ShardSpec } from 'chatshift/redis';
 * import type { RedisClientLike } from 'chatshift/redis';
 *
 * declare const redis: RedisClientLike;
 * declare const shards: ShardSpec[];
 * const consumer = shardedConsume({ redis, shards, backend: 'both' }, async ({ event, actions }) => {
 *   if (event.type === 'message' && event.from.role === 'consumer')
 *     await actions?.send(event, { text: 'Thanks, one moment.' });
 * });
 * process.once('SIGTERM', () => void consumer.stop());
 * await consumer.done;
 * ```
 */
export function shardedConsume(options: ShardedConsumeOptions, handler: ShardedHandler): ShardedConsumer {
  const check = new OptionsChecker('shardedConsume');
  const o = check.object(options);
  if (typeof handler !== 'function')
    check.fail('handler', 'a function ({ shard, epoch, event, actions }, context) => …');
  handlingOptions(check, o); // checked now, not when a shard is first owned
  const { concurrency, highWaterMark, retry, stop, ...runnerOptions } = options;
  // stop() and the `stop` option (its value, completion or error, as for the runner) end in one.
  const stopping = new Subject<void>();
  const stopSub =
    stop === undefined
      ? undefined
      : (isObservable(stop) ? stop : abortSignal$(stop as AbortSignal)).subscribe({
          next: () => stopping.next(),
          complete: () => stopping.next(),
          error: () => stopping.next(),
        });
  const runner = shardedRunner(
    { ...runnerOptions, stop: stopping },
    {
      handler,
      options: {
        ...(concurrency === undefined ? {} : { concurrency }),
        ...(highWaterMark === undefined ? {} : { highWaterMark }),
        ...(retry === undefined ? {} : { retry }),
      },
    },
  );
  // In consume mode the runner's stream carries no events: it completes once the instance left.
  const done = new Promise<void>((resolve, reject) => {
    queueMicrotask(() => {
      lastValueFrom(runner.events$, { defaultValue: undefined }).then(() => resolve(), reject);
    });
  }).finally(() => stopSub?.unsubscribe());
  done.catch(() => undefined);
  return {
    done,
    stop() {
      stopping.next();
      return done.then(
        () => undefined,
        () => undefined,
      );
    },
    ownership$: runner.ownership$,
    actions: (shard) => runner.actions(shard),
  };
}
