import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { asyncScheduler, isObservable, Observable, Subject } from 'rxjs';
import type { BackendFlag } from '../../src/cutover/backend-flag.js';
import { conversationEvents } from '../../src/cutover/conversation-events.js';
import { startConsumer, type ConsumeOptions } from '../../src/consume/consume.js';
import { ChatshiftError, isChatshiftError } from '../../src/errors.js';
import type { ConversationActions } from '../../src/actions/conversation-actions.js';
import type { ConversationEvent } from '../../src/model/event.js';
import { silentLogger, type Logger } from '../../src/runtime/logger.js';
import { noopMetrics, type Metrics } from '../../src/runtime/metrics.js';
import { OptionsChecker } from '../../src/runtime/options.js';
import { redisCheckpointStore } from './checkpoint-store.js';
import { abortSignal$, backendsOf, errorText, noticingFailedFlush } from './sharded-parts.js';
import { isShardId, withTimeout, type RedisClientLike } from './client.js';
import { guardedDispatcher, guardedWebSocket } from './guarded-io.js';
import { ownedActions, type OwnedActions } from './shard-actions.js';
import { guardedScheduler } from './guarded-scheduler.js';
import { ShardLease } from './lease.js';
import { heartbeat, rendezvousOwner } from './membership.js';
import {
  shardOptions,
  type OwnershipChange,
  type ShardBackends,
  type ShardedEvent,
  type ShardedHandler,
  type ShardSpec,
} from './shard.js';

/** Options of {@link shardedConversationEvents}. */
export interface ShardedConversationEventsOptions {
  /** A connected Redis client (node-redis v5, or any {@link RedisClientLike}). */
  redis: RedisClientLike;
  /** Every shard of the deployment, the same list on every instance. */
  shards: readonly ShardSpec[];
  /** The flag of shards that have no `backend` of their own. */
  backend?: BackendFlag;
  /** This instance's name in membership and leases (a random suffix is added). Default `hostname:pid`. */
  instanceId?: string;
  /**
   * Lease time to live, ms. Default 10000. A crashed owner's shards are taken over about one TTL
   * later; a live owner renews every quarter TTL and stops its sources at 3/4 TTL without a renewal.
   */
  leaseTtlMs?: number;
  /**
   * How long a new instance only announces itself before taking shards, ms, so that instances
   * started together see each other and the first does not grab everything. Default `leaseTtlMs`.
   */
  joinGraceMs?: number;
  /**
   * How long a shard's graceful stop (a handoff or SIGTERM) may take, ms, before its owner gives
   * up the final flush: it then stops the shard, releases the lease and reports `released` with
   * reason `handoff-timeout` (the events since the last save are delivered again by the next
   * owner, with the same ids). A stop that never completes would otherwise keep the shard, renewed,
   * on an owner that no longer wants it. Default three lease TTLs.
   */
  handoffTimeoutMs?: number;
  /**
   * Closed conversations kept per backend in each shard's checkpoint hash (see
   * `redisCheckpointStore`'s `maxClosed`): the newest stay, so a restarted or new owner still
   * skips them. Default 1000.
   */
  maxClosed?: number;
  /** Redis key prefix. Default `chatshift`. */
  prefix?: string;
  /** Ownership changes at `info`/`warn`, Redis trouble at `warn`; also given to every shard's pipeline. */
  logger?: Logger;
  /**
   * Metrics (`lease.acquired`, `lease.lost`, `lease.fenced`, the `shards.owned` gauge, the
   * `takeover.duration` histogram); also given to every shard's pipeline.
   */
  metrics?: Metrics;
  /** How often a function flag is re-evaluated, ms (see conversationEvents). */
  flagIntervalMs?: number;
  /**
   * A graceful stop (SIGTERM): every owned shard stops, flushes its checkpoints and releases its
   * lease, the instance leaves the membership, and the stream completes.
   */
  stop?: AbortSignal | Observable<unknown>;
}

/** What {@link shardedConversationEvents} returns. */
export interface ShardedRunner {
  /** Cold: subscribing joins the cluster; unsubscribing leaves it (releasing leases without a flush). */
  readonly events$: Observable<ShardedEvent>;
  /** Every ownership change of the running subscription, as it happens (hot). */
  readonly ownership$: Observable<OwnershipChange>;
  /**
   * The actions of a shard this instance owns now (also on each of its events as `actions`), for
   * what is not an answer to an event: availability, offers. Undefined when the shard is not owned
   * here (or its backends have no actions).
   */
  actions(shard: string): ConversationActions | undefined;
}

interface Owned {
  spec: ShardSpec;
  lease: ShardLease;
  epoch: number;
  /** Stops the shard's pipeline at once (no graceful stop, no final flush of what waits). */
  cancel: (() => void) | undefined;
  stop$: Subject<void>;
  stopping: boolean;
  /** A save failed once the stop was asked: the final flush did not reach Redis. */
  unflushed: boolean;
  handoffTimer?: NodeJS.Timeout;
  actions?: OwnedActions | undefined;
  dispose?: ShardBackends['dispose'] | undefined;
}

/**
 * Runs `conversationEvents` for the shards this instance owns, over any number of instances that
 * share one Redis. Each shard (one agent user) has exactly one owner, holding a fenced lease; its
 * checkpoints live in a {@link redisCheckpointStore} fenced by that lease's epoch. Shards spread
 * over live instances by rendezvous hashing; on scale-up/down they move by graceful handoff (stop,
 * flush, release — nothing re-delivered), and a crashed owner's shards are taken over after its
 * lease expires, from the last saved checkpoint.
 */
export function shardedConversationEvents(options: ShardedConversationEventsOptions): ShardedRunner {
  return shardedRunner(options, undefined);
}

/** How `shardedConsume` runs each shard: its handler and consume()'s options. */
export interface ConsumeMode {
  handler: ShardedHandler;
  options: Pick<ConsumeOptions, 'concurrency' | 'highWaterMark' | 'retry'>;
}

/** The runner of both: each owned shard's events emitted (`mode` undefined) or consumed. */
export function shardedRunner(
  options: ShardedConversationEventsOptions,
  mode: ConsumeMode | undefined,
): ShardedRunner {
  const o = resolve(options);
  const ownership = new Subject<OwnershipChange>();
  /** The shards owned by the running subscription (for `actions(shard)`). */
  let current: Map<string, Owned> | undefined;
  const events$ = new Observable<ShardedEvent>((subscriber) => {
    const me = `${o.instanceId}/${randomBytes(4).toString('hex')}`;
    const owned = new Map<string, Owned>();
    current = owned;
    const acquiring = new Set<string>();
    /** Ownerships being released (out of `owned`, their lease not yet released and reported). */
    const releasing = new Set<Owned>();
    const coolUntil = new Map<string, number>();
    let stopping = false;
    let closed = false;
    let tickTimer: NodeJS.Timeout | undefined;
    let redisDown = false;

    const emit = (change: OwnershipChange): void => {
      const fields = {
        shard: change.shard,
        epoch: change.epoch,
        instance: me,
        ...(change.reason === undefined ? {} : { reason: change.reason }),
      };
      if (change.change === 'fenced')
        o.logger.warn(`shard ${change.shard}: fenced (${change.reason ?? ''})`, fields);
      else o.logger.info?.(`shard ${change.shard}: ${change.change}`, fields);
      if (change.change === 'owned') o.metrics.increment('lease.acquired');
      else if (change.reason === 'lease-lost') o.metrics.increment('lease.lost');
      o.metrics.gauge?.('shards.owned', owned.size);
      ownership.next(change);
    };

    const fence = (id: string, reason: string): void => {
      const s = owned.get(id);
      if (s === undefined) return;
      owned.delete(id);
      clearTimeout(s.handoffTimer);
      s.cancel?.();
      s.lease.abandon();
      void endOwnership(s);
      emit({ shard: id, epoch: s.epoch, instance: me, change: 'fenced', reason });
      maybeDone();
    };

    /** Asks a shard to stop gracefully, with a deadline. */
    const stopShard = (s: Owned): void => {
      if (s.stopping) return;
      s.stopping = true;
      s.handoffTimer = setTimeout(() => {
        if (owned.get(s.spec.id) !== s) return;
        o.logger.warn(
          `shard ${s.spec.id}: its graceful stop took over ${o.handoffTimeoutMs} ms; stopped without the final flush`,
          { shard: s.spec.id, instance: me },
        );
        s.cancel?.();
        void released(s, 'handoff-timeout');
      }, o.handoffTimeoutMs);
      s.stop$.next();
    };

    /**
     * The ownership ended: its actions refuse from now on, and the shard's `dispose` runs (its
     * login session logs out). Never rejects; bounded by one lease TTL for whoever awaits it.
     */
    const endOwnership = async (s: Owned): Promise<void> => {
      const actions = s.actions;
      const dispose = s.dispose;
      s.actions = undefined;
      s.dispose = undefined;
      const ending = Promise.allSettled([
        actions?.end(),
        (async () => dispose?.())().catch((e: unknown) =>
          o.logger.warn(`shard ${s.spec.id}: its dispose failed`, { shard: s.spec.id, error: errorText(e) }),
        ),
      ]);
      await withTimeout(ending, o.leaseTtlMs, 'shard dispose').catch(() =>
        o.logger.warn(`shard ${s.spec.id}: its dispose took over ${o.leaseTtlMs} ms; releasing anyway`, {
          shard: s.spec.id,
        }),
      );
    };

    const released = async (s: Owned, reason: string | undefined): Promise<void> => {
      clearTimeout(s.handoffTimer);
      owned.delete(s.spec.id);
      releasing.add(s);
      // Before the release: the next owner's login comes after this one's logout (M8).
      await endOwnership(s);
      try {
        await s.lease.release();
      } catch {
        // it expires on its own
      }
      emit({
        shard: s.spec.id,
        epoch: s.epoch,
        instance: me,
        change: 'released',
        ...(reason === undefined ? {} : { reason }),
      });
      releasing.delete(s);
      maybeDone();
    };

    const start = async (spec: ShardSpec): Promise<void> => {
      acquiring.add(spec.id);
      const lease = new ShardLease(o.redis, {
        shard: spec.id,
        owner: me,
        ttlMs: o.leaseTtlMs,
        prefix: o.prefix,
        onLost: (e: ChatshiftError) => {
          o.logger.warn(e.message, { shard: spec.id, code: e.code });
          fence(spec.id, 'lease-lost');
        },
      });
      let epoch: number | undefined;
      try {
        epoch = await lease.acquire();
      } catch (e) {
        o.logger.warn(`shard ${spec.id}: lease acquisition failed`, { shard: spec.id, error: errorText(e) });
      } finally {
        acquiring.delete(spec.id);
      }
      if (epoch === undefined) return maybeDone();
      if (stopping || closed) {
        await lease.release().catch(() => {});
        return maybeDone();
      }
      const s: Owned = {
        spec,
        lease,
        epoch,
        cancel: undefined,
        stop$: new Subject<void>(),
        stopping: false,
        unflushed: false,
      };
      owned.set(spec.id, s);
      emit({ shard: spec.id, epoch, instance: me, change: 'owned' });
      // How long the shard had no owner (Redis time): not known for its first owner ever.
      if (lease.vacantMs !== undefined) o.metrics.record?.('takeover.duration', lease.vacantMs / 1000);
      const actions = (): ConversationActions | undefined => s.actions?.actions;
      const onError = (e: unknown): void => {
        if (owned.get(spec.id) !== s) return;
        const cause = (e as { cause?: unknown }).cause;
        if (isChatshiftError(e, 'ERR_CHECKPOINT_FENCED') || isChatshiftError(cause, 'ERR_CHECKPOINT_FENCED'))
          return fence(spec.id, 'save-fenced');
        const code = isChatshiftError(e) ? e.code : 'error';
        o.logger.error(`shard ${spec.id}: its stream failed; released, retried after one lease TTL`, {
          shard: spec.id,
          code,
          error: errorText(e),
        });
        coolUntil.set(spec.id, performance.now() + o.leaseTtlMs);
        void released(s, code);
      };
      const onComplete = (): void => {
        if (owned.get(spec.id) !== s) return;
        // A stop whose final flush failed (past the lease window, or Redis unreachable) is not a
        // clean handoff: its next owner delivers the unsaved batch again. Say so.
        if (!lease.valid()) return; // fenced now (the lease window passed during the stop)
        void released(s, !s.stopping ? 'completed' : s.unflushed ? 'handoff-unflushed' : 'handoff');
      };
      let events$: Observable<ConversationEvent> | undefined;
      try {
        const scheduler = guardedScheduler(asyncScheduler, lease);
        const valid = (): boolean => lease.valid();
        const backends = spec.backends({
          shard: spec.id,
          epoch,
          scheduler,
          guardDispatcher: (base) => guardedDispatcher(spec.id, valid, base),
          guardWebSocket: (base) => guardedWebSocket(spec.id, valid, base),
          owned: () => lease.held(),
        });
        if (backends.dispose !== undefined) s.dispose = backends.dispose;
        s.actions = ownedActions(spec.id, backends, valid, { logger: o.logger, metrics: o.metrics });
        const pipeline = {
          ...backendsOf(backends),
          backend: spec.backend ?? (o.backend as BackendFlag),
          checkpoint: noticingFailedFlush(
            redisCheckpointStore(o.redis, {
              shard: spec.id,
              epoch,
              prefix: o.prefix,
              metrics: o.metrics,
              ...(o.maxClosed === undefined ? {} : { maxClosed: o.maxClosed }),
              // Past the lease window nothing is saved: the events a fenced owner dropped stay unsaved.
              owned: () => lease.held(),
            }),
            () => {
              if (s.stopping) s.unflushed = true;
            },
          ),
          logger: o.logger,
          metrics: o.metrics,
          stop: s.stop$,
          ...(o.flagIntervalMs === undefined ? {} : { flagIntervalMs: o.flagIntervalMs }),
        };
        if (mode === undefined) events$ = conversationEvents(pipeline);
        else {
          // Consume mode: checkpoints move as events are handled (consume()'s gate), per shard.
          const first = actions();
          const consumer = startConsumer({ ...pipeline, ...mode.options }, (event, context) => {
            if (!lease.valid())
              throw new ChatshiftError('ERR_LEASE_LOST', `shard ${spec.id}: not handled, the lease is gone`, {
                details: { shard: spec.id },
              });
            return mode.handler({ shard: spec.id, epoch, event, actions: first }, context);
          });
          s.cancel = () =>
            consumer.abort(
              new ChatshiftError('ERR_LEASE_LOST', `shard ${spec.id}: stopped without handling what waits`),
            );
          consumer.done.then(onComplete, onError);
        }
      } catch (e) {
        o.logger.error(`shard ${spec.id}: its backends could not be built`, {
          shard: spec.id,
          error: errorText(e),
        });
        coolUntil.set(spec.id, performance.now() + o.leaseTtlMs);
        return released(s, 'build-failed');
      }
      if (events$ === undefined) return;
      const shardActions = actions();
      const sub = events$.subscribe({
        next: (event) => {
          // A lease past its window fences the shard here, before anything reaches the handler.
          if (lease.valid()) subscriber.next({ shard: spec.id, epoch, event, actions: shardActions });
        },
        error: onError,
        complete: onComplete,
      });
      s.cancel = () => sub.unsubscribe();
    };

    const tick = async (): Promise<void> => {
      tickTimer = undefined;
      if (closed) return;
      try {
        const view = await withTimeout(
          heartbeat(o.redis, o.prefix, me, o.leaseTtlMs, false),
          o.leaseTtlMs / 2,
          'membership heartbeat',
        );
        if (redisDown) o.logger.info?.('redis: membership heartbeat works again', { instance: me });
        redisDown = false;
        if (!closed && !stopping) assign(view.now, view.members);
      } catch (e) {
        if (!redisDown)
          o.logger.warn('redis: membership heartbeat failed', { instance: me, error: errorText(e) });
        redisDown = true;
      }
      if (!closed && !stopping) tickTimer = setTimeout(() => void tick(), o.leaseTtlMs / 4);
    };

    const assign = (now: number, members: Array<{ id: string; joinedAt: number }>): void => {
      const ready = members.filter((m) => now - m.joinedAt >= o.joinGraceMs).map((m) => m.id);
      for (const spec of o.shards) {
        const want = rendezvousOwner(spec.id, ready);
        const s = owned.get(spec.id);
        if (s === undefined) {
          if (want !== me || acquiring.has(spec.id)) continue;
          if ((coolUntil.get(spec.id) ?? 0) > performance.now()) continue;
          void start(spec);
        } else if (want !== undefined && want !== me && !s.stopping) {
          o.logger.info?.(`shard ${spec.id}: handing off to ${want}`, { shard: spec.id, instance: me });
          stopShard(s);
        }
      }
    };

    const maybeDone = (): void => {
      // Every shard released and reported first: the stream completes after the last `released`.
      if (!stopping || closed || owned.size > 0 || acquiring.size > 0 || releasing.size > 0) return;
      closed = true;
      void withTimeout(
        heartbeat(o.redis, o.prefix, me, o.leaseTtlMs, true),
        o.leaseTtlMs / 2,
        'membership leave',
      )
        .catch(() => {})
        .then(() => subscriber.complete());
    };

    const stopSub =
      o.stop === undefined
        ? undefined
        : (isObservable(o.stop) ? o.stop : abortSignal$(o.stop)).subscribe({
            next: () => gracefulStop(),
            complete: () => gracefulStop(),
            error: () => gracefulStop(),
          });
    function gracefulStop(): void {
      if (stopping) return;
      stopping = true;
      clearTimeout(tickTimer);
      for (const s of owned.values()) stopShard(s);
      maybeDone();
    }

    void tick();
    return () => {
      closed = true;
      stopSub?.unsubscribe();
      clearTimeout(tickTimer);
      for (const s of owned.values()) {
        clearTimeout(s.handoffTimer);
        s.cancel?.();
        void endOwnership(s).then(() => s.lease.release().catch(() => {}));
      }
      owned.clear();
      if (current === owned) current = undefined;
      void heartbeat(o.redis, o.prefix, me, o.leaseTtlMs, true).catch(() => {});
    };
  });
  return {
    events$,
    ownership$: ownership.asObservable(),
    actions: (shard) => current?.get(shard)?.actions?.actions,
  };
}

function resolve(options: ShardedConversationEventsOptions) {
  const check = new OptionsChecker('shardedConversationEvents');
  const o = check.object(options);
  check.withMethods('redis', o['redis'], ['sendCommand'], 'a Redis client');
  if (o['redis'] === undefined) check.fail('redis', 'a Redis client (an object with sendCommand)');
  const shards = o['shards'];
  if (!Array.isArray(shards) || shards.length === 0) check.fail('shards', 'a non-empty array of shards');
  const seen = new Set<string>();
  for (const [i, sh] of (shards as unknown[]).entries()) {
    shardOptions(check, sh, i, o['backend'] !== undefined);
    const id = (sh as ShardSpec).id;
    if (seen.has(id)) check.fail(`shards[${i}].id`, 'unique');
    seen.add(id);
  }
  const leaseTtlMs = check.positive('leaseTtlMs', o['leaseTtlMs'], 10_000, { ms: true });
  if (leaseTtlMs < 100) check.fail('leaseTtlMs', 'at least 100 ms');
  const joinGraceMs =
    o['joinGraceMs'] === 0 ? 0 : check.positive('joinGraceMs', o['joinGraceMs'], leaseTtlMs, { ms: true });
  const maxClosed = o['maxClosed'];
  if (maxClosed !== undefined && (!Number.isSafeInteger(maxClosed) || (maxClosed as number) < 0))
    check.fail('maxClosed', 'an integer >= 0');
  const handoffTimeoutMs = check.positive('handoffTimeoutMs', o['handoffTimeoutMs'], leaseTtlMs * 3, {
    ms: true,
  });
  const prefix = o['prefix'] === undefined ? 'chatshift' : check.nonEmptyString('prefix', o['prefix']);
  const instanceId =
    o['instanceId'] === undefined
      ? `${hostname()}:${process.pid}`
      : check.nonEmptyString('instanceId', o['instanceId']);
  if (instanceId.includes('|')) check.fail('instanceId', 'a string without |');
  const logger =
    check.withMethods<Logger>('logger', o['logger'], ['warn', 'error'], 'a logger') ?? silentLogger;
  const metrics =
    check.withMethods<Metrics>('metrics', o['metrics'], ['increment'], 'a counter sink') ?? noopMetrics;
  const flagIntervalMs =
    o['flagIntervalMs'] === undefined
      ? undefined
      : check.positive('flagIntervalMs', o['flagIntervalMs'], 5000, { ms: true });
  const stop = o['stop'];
  if (stop !== undefined && !(stop instanceof AbortSignal) && !isObservable(stop))
    check.fail('stop', 'an AbortSignal or an Observable');
  if (isShardId(instanceId) === false) check.fail('instanceId', 'at most 200 characters without { or }');
  return {
    redis: options.redis,
    shards: options.shards,
    backend: options.backend,
    leaseTtlMs,
    joinGraceMs,
    handoffTimeoutMs,
    maxClosed: maxClosed as number | undefined,
    prefix,
    instanceId,
    logger,
    metrics,
    flagIntervalMs,
    stop: stop as AbortSignal | Observable<unknown> | undefined,
  };
}
