import { asyncScheduler, isObservable, type Subscription } from 'rxjs';
import type { CheckpointStore } from '../checkpoint/store.js';
import { conversationEvents, type ConversationEventsOptions } from '../cutover/conversation-events.js';
import { ChatshiftError } from '../errors.js';
import type { ConversationEvent } from '../model/event.js';
import { backoffDelay, type BackoffOptions, type ResolvedBackoff } from '../runtime/backoff.js';
import { flowControl, flowCounter } from '../runtime/flow.js';
import { asLogger, silentLogger } from '../runtime/logger.js';
import { OptionsChecker, resolveBackoffOption } from '../runtime/options.js';
import { CheckpointGate } from './checkpoint-gate.js';
import { KeyedQueue } from './keyed-queue.js';

/** Options of {@link consume}: those of `conversationEvents` (but `flow`), and how to handle. */
export interface ConsumeOptions extends Omit<ConversationEventsOptions, 'flow' | 'checkpoint'> {
  /**
   * Where the cursors are saved — required: a restart resumes from it. Use `fileCheckpointStore`
   * (one process), `redisCheckpointStore` (many), or `memoryCheckpointStore()` when a restart may
   * deliver everything again.
   */
  checkpoint: CheckpointStore;
  /**
   * Handlers running at once, across conversations; the events of one conversation (and its
   * dialogs) are always handled one at a time, in order. Default 16.
   */
  concurrency?: number;
  /**
   * Events received and not yet handled before the sources pause (the legacy poller waits, the
   * messaging socket stops being read); they resume at half. Default 1000.
   */
  highWaterMark?: number;
  /**
   * A handler that throws (or rejects) is called again with the same event after a backoff; once
   * `maxAttempts` calls have failed, the consumer stops with `ERR_HANDLER_FAILED`. Defaults:
   * `initialMs` 100, `maxMs` 10000, `factor` 2, `jitter` 0.2, `maxAttempts` 5.
   */
  retry?: BackoffOptions;
}

/** What a handler is told besides the event. */
export interface HandlerContext {
  /** 1 on the first call for this event, 2 on the first retry, … */
  readonly attempt: number;
}

/**
 * Handles one event. Must be **idempotent by `event.id`**: after a crash the events that were in
 * flight come again, with the same ids. Resolve when the event's effect is durable.
 */
export type EventHandler = (event: ConversationEvent, context: HandlerContext) => unknown;

/** A running {@link consume}. */
export interface Consumer {
  /**
   * Settles once the consumer has stopped and its last checkpoint is written: resolves after
   * {@link stop} (or the `stop` option, or every backend drained), rejects with the error that
   * stopped it (`ERR_HANDLER_FAILED`, a checkpoint or backend error).
   */
  readonly done: Promise<void>;
  /**
   * A graceful stop: the sources take no new input, the events already received (at most
   * `highWaterMark`) are handled, and everything handled is saved — a restart delivers none of
   * it again. Resolves as `done` settles, never rejects.
   */
  stop(): Promise<void>;
  /** Events received and not yet handled (queued or running). */
  readonly pending: number;
}

/**
 * The safe way to consume: subscribes to {@link conversationEvents} and calls `handler` for each
 * event, with flow control (the sources pause while `highWaterMark` events wait), per-conversation
 * order with bounded concurrency across conversations, retries of a failing handler, and a
 * checkpoint written **as events are handled**: a conversation's cursor is saved once every event
 * of it that the source had emitted before saving was handled, whatever the other conversations
 * are doing. After a crash (kill -9) only the events in flight — received and not yet saved —
 * are delivered again, with the same ids; nothing is skipped.
 *
 * Starts at once (unlike the cold Observables). Invalid options throw `ERR_INVALID_OPTIONS`.
 *
 * @example
 * ```ts
 * import { consume, fileCheckpointStore } from 'chatshift';
 *
 * const consumer = consume({ legacy, backend: 'legacy-chat', checkpoint: fileCheckpointStore('cp.json') },
 *   async (e) => { await db.upsert(e.id, e); }); // idempotent by e.id
 * process.on('SIGTERM', () => void consumer.stop());
 * await consumer.done;
 * ```
 */
export function consume(options: ConsumeOptions, handler: EventHandler): Consumer {
  const c = startConsumer(options, handler);
  return {
    done: c.done,
    stop: () => c.stop(),
    get pending() {
      return c.pending;
    },
  };
}

/**
 * Checks and resolves the handling options (`concurrency`, `highWaterMark`, `retry`) with their
 * defaults: `consume()`'s, and `shardedConsume`'s at call time (not when a shard is first owned).
 */
export function handlingOptions(
  check: OptionsChecker,
  o: Record<string, unknown>,
): { concurrency: number; highWaterMark: number; retry: ResolvedBackoff } {
  return {
    concurrency: check.positive('concurrency', o['concurrency'], 16, { integer: true, max: 10_000 }),
    highWaterMark: check.positive('highWaterMark', o['highWaterMark'], 1000, {
      integer: true,
      max: 1_000_000,
    }),
    retry: resolveBackoffOption(
      check,
      { initialMs: 100, maxMs: 10_000, maxAttempts: 5, ...(o['retry'] as object | undefined) },
      'retry',
    ),
  };
}

/** A {@link Consumer} that can also be abandoned (the sharded runner, when a shard's lease is lost). */
export interface AbortableConsumer extends Consumer {
  /**
   * Stops at once without handling what waits: queued events are dropped (not saved: the next run
   * delivers them again), handlers running are not awaited, what was handled is saved (the store
   * decides whether it still may), and `done` rejects with `reason` once the running handlers end.
   */
  abort(reason: unknown): void;
}

/** `consume()` with {@link AbortableConsumer.abort}: for chatshift's own runners, not exported. */
export function startConsumer(options: ConsumeOptions, handler: EventHandler): AbortableConsumer {
  const check = new OptionsChecker('consume');
  const o = check.object(options);
  if (typeof handler !== 'function') check.fail('handler', 'a function (event, context) => …');
  if (o['checkpoint'] === undefined)
    check.fail(
      'checkpoint',
      'a checkpoint store (fileCheckpointStore(path), or memoryCheckpointStore() if a restart may deliver everything again)',
    );
  if (o['flow'] !== undefined) check.fail('flow', 'unset: consume() controls the flow itself');
  const { concurrency, highWaterMark, retry } = handlingOptions(check, o);
  const stopOption = o['stop'];
  if (stopOption !== undefined && !(stopOption instanceof AbortSignal) && !isObservable(stopOption))
    check.fail('stop', 'an AbortSignal or an Observable');
  const logger = options.logger === undefined ? silentLogger : asLogger(options.logger);
  const scheduler = options.scheduler ?? asyncScheduler;

  const flow = flowControl({ highWaterMark });
  const counter = flowCounter(flow);
  let failure: unknown;
  /** Stops the sources (gracefully: they write their last checkpoint and complete). */
  const stopping = new AbortController();
  /** Aborted on a failure: queued events are dropped and retries waiting give up. */
  const abandon = new AbortController();
  const fail = (error: unknown): void => {
    if (failure === undefined) failure = error;
    abandon.abort();
    stopping.abort();
    void queue.close();
  };
  const gate = new CheckpointGate(options.checkpoint, (cause) =>
    fail(new ChatshiftError('ERR_CHECKPOINT_IO', 'consume: checkpoint save failed', { cause })),
  );

  /**
   * Calls the handler until it succeeds (true), the attempts run out or the consumer fails (false:
   * the conversation's later events are then not handled either — never past a gap).
   */
  const handle = async (event: ConversationEvent): Promise<boolean> => {
    for (let attempt = 1; ; attempt++) {
      try {
        await handler(event, { attempt });
        gate.handled(event);
        return true;
      } catch (cause) {
        if (attempt >= retry.maxAttempts) {
          logger.error('consume: handler failed; stopping', { id: event.id, attempts: attempt });
          fail(
            new ChatshiftError('ERR_HANDLER_FAILED', `consume: the handler failed ${attempt} times`, {
              cause,
              details: { eventId: event.id, attempts: attempt },
            }),
          );
          return false;
        }
        if (abandon.signal.aborted) return false;
        const wait = backoffDelay(attempt - 1, retry);
        logger.warn('consume: handler failed; retrying', { id: event.id, attempt, retryInMs: wait });
        if (!(await delay(wait))) return false;
      }
    }
  };
  /** Waits `ms` on the scheduler; false when the consumer failed meanwhile. */
  const delay = (ms: number): Promise<boolean> =>
    new Promise((resolve) => {
      const onAbandon = (): void => {
        timer.unsubscribe();
        resolve(false);
      };
      const timer = scheduler.schedule(() => {
        abandon.signal.removeEventListener('abort', onAbandon);
        resolve(true);
      }, ms);
      abandon.signal.addEventListener('abort', onAbandon, { once: true });
    });

  const queue = new KeyedQueue<ConversationEvent>(
    concurrency,
    async (event) => {
      try {
        return await handle(event);
      } finally {
        counter.remove();
      }
    },
    () => counter.remove(),
  );

  const { concurrency: _c, highWaterMark: _h, retry: _r, ...rest } = options;
  const stop$ =
    stopOption === undefined
      ? stopping.signal
      : AbortSignal.any([stopping.signal, ...(stopOption instanceof AbortSignal ? [stopOption] : [])]);
  let stopSub: Subscription | undefined;
  if (isObservable(stopOption)) {
    const s = stopOption;
    stopSub = s.subscribe({ next: () => stopping.abort(), complete: () => stopping.abort() });
  }
  const events$ = conversationEvents({ ...rest, checkpoint: gate.wrapped, flow, stop: stop$ });

  const done = new Promise<void>((resolve, reject) => {
    const finish = (streamError: unknown): void => {
      stopSub?.unsubscribe();
      if (streamError !== undefined) fail(streamError);
      stopping.abort();
      // A graceful end handles what was received (at most `highWaterMark` events), so that all of
      // it is saved; after a failure the queue is closed and only the running handlers finish.
      void (failure === undefined ? queue.drained() : queue.close())
        .then(() => gate.flush())
        .catch(() => undefined)
        .then(() => {
          if (gate.heldCount > 0)
            logger.info?.('consume: stopped; events not handled are delivered again on the next run', {
              conversations: gate.heldCount,
            });
          if (failure === undefined) resolve();
          else reject(failure instanceof Error ? failure : new Error(String(failure)));
        });
    };
    events$.subscribe({
      next: (event) => {
        // Counted here, in the source's own next(): before the source saves the entry covering it.
        gate.receive(event);
        counter.add();
        queue.push(`${event.backend}\u0000${event.conversationId}`, event);
      },
      error: (e: unknown) => finish(e ?? new Error('stream failed')),
      complete: () => finish(undefined),
    });
  });
  // The caller may only await stop(): an unobserved rejection of `done` is not an unhandled one.
  done.catch(() => undefined);

  return {
    done,
    stop() {
      stopping.abort();
      return done.then(
        () => undefined,
        () => undefined,
      );
    },
    get pending() {
      return queue.size;
    },
    abort(reason: unknown) {
      fail(reason);
      void gate.flush().catch(() => undefined);
    },
  };
}
