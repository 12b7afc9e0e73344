import {
  BehaviorSubject,
  concatMap,
  distinctUntilChanged,
  from,
  map,
  Observable,
  of,
  type OperatorFunction,
} from 'rxjs';
import type { CheckpointStore } from '../checkpoint/store.js';
import { ChatshiftError } from '../errors.js';
import { BACKEND_ATTR, ERROR_TYPE_ATTR } from './metric-catalog.js';
import { errorType, type MetricAttributes, type Metrics } from './metrics.js';

export interface FlowControlOptions {
  /** Pause the sources once this many events are received and not yet handled; default 1000. */
  highWaterMark?: number;
  /** Resume them once no more than this many are left; default half the high-water mark. */
  lowWaterMark?: number;
  /**
   * Where `process` records how long the handler took per event (`process.duration`, with the
   * event's backend and, for a handler that failed, `error.type`). Default: not recorded.
   */
  metrics?: Metrics;
}

/**
 * Backpressure between an asynchronous consumer and the sources. RxJS pushes: a consumer that
 * handles events asynchronously (a database write per event) would otherwise queue them without
 * bound inside its own `concatMap`. Give the same `FlowControl` to the source (`flow` option) and
 * handle the events with {@link FlowControl.process}: once `highWaterMark` events wait, the sources
 * pause — the legacy poller starts no new request, the messaging socket stops being read (the
 * backlog stays in the kernel and on the server) — and resume at `lowWaterMark`.
 */
export interface FlowControl {
  /** True while the consumer holds `highWaterMark` or more unhandled events (until `lowWaterMark`). */
  readonly paused: boolean;
  /** `paused` as it changes (current value first). */
  readonly paused$: Observable<boolean>;
  /** Events received by {@link process} and not yet handled. */
  readonly pending: number;
  /**
   * `concatMap` that counts: runs `handler` for one event at a time, in order, and emits each
   * event once its handler has settled. A handler that throws or rejects errors the stream.
   */
  process<T>(handler: (value: T) => unknown): OperatorFunction<T, T>;
  /** Resolves at once when not paused, else when the consumer has caught up (or `signal` aborts). */
  whenFlowing(signal?: AbortSignal): Promise<void>;
  /**
   * Wraps a checkpoint store so that a save is written only once every event that reached
   * {@link process} before it was handled: the checkpoint never runs ahead of the handler, and
   * after a crash the events it had not finished come again (same ids) instead of being skipped.
   * A save waits (and so does a legacy poll cycle) until then; if the consumer unsubscribes first
   * with events unhandled, that save writes only the conversations whose events were all handled
   * (events are matched to conversations by `backend` and `conversationId`). Put `process` right after the source (no
   * asynchronous operator between), so events reach it before the source saves.
   */
  checkpoints(store: CheckpointStore): CheckpointStore;
}

/**
 * A {@link FlowControl}: give it to `conversationEvents({ flow })` and handle the events with its
 * `process`; wrap the checkpoint store with its `checkpoints` so a save never runs ahead of the
 * handler. Throws `ERR_INVALID_OPTIONS` unless `highWaterMark` is an integer >= 1 and
 * `lowWaterMark` an integer from 0 to below it.
 *
 * @example
 * ```ts
 * import { conversationEvents, fileCheckpointStore, flowControl } from 'chatshift';
 *
 * const flow = flowControl({ highWaterMark: 1000 });
 * conversationEvents({ backend, legacy, flow, checkpoint: flow.checkpoints(fileCheckpointStore(path)) })
 *   .pipe(flow.process(async (e) => db.upsert(e))) // e.id is stable: upsert by it
 *   .subscribe();
 * ```
 */
export function flowControl(options: FlowControlOptions = {}): FlowControl {
  const high = options.highWaterMark ?? 1000;
  const low = options.lowWaterMark ?? Math.floor(high / 2);
  if (!Number.isInteger(high) || high < 1)
    throw new ChatshiftError('ERR_INVALID_OPTIONS', 'flowControl: highWaterMark must be an integer >= 1', {
      details: { highWaterMark: high },
    });
  if (!Number.isInteger(low) || low < 0 || low >= high)
    throw new ChatshiftError(
      'ERR_INVALID_OPTIONS',
      'flowControl: lowWaterMark must be an integer >= 0 and below highWaterMark',
      { details: { lowWaterMark: low, highWaterMark: high } },
    );
  if (options.metrics !== undefined && typeof options.metrics.increment !== 'function')
    throw new ChatshiftError('ERR_INVALID_OPTIONS', 'flowControl: metrics must have an increment() method');
  const record = options.metrics?.record?.bind(options.metrics);
  const state = new BehaviorSubject(false);
  let pending = 0;
  const update = (): void => {
    if (!state.value && pending >= high) state.next(true);
    else if (state.value && pending <= low) state.next(false);
  };
  const paused$ = state.pipe(distinctUntilChanged());
  // Totals for checkpoints(): events that reached process(), and those whose handler succeeded.
  let received = 0;
  let handled = 0;
  /**
   * Saves waiting for the handler. `done(covered)`: `undefined` writes the save whole; a function
   * (at a teardown) writes only the conversations it says are covered — all their events handled.
   */
  type Covered = (backend: string, conversationId: string) => boolean;
  const waiters: Array<{ target: number; done(covered: Covered | undefined): void }> = [];
  const settle = (abandon: Covered | undefined): void => {
    while (waiters.length > 0) {
      const w = waiters[0] as (typeof waiters)[number];
      if (abandon === undefined && w.target > handled) return;
      waiters.shift();
      w.done(abandon);
    }
  };

  const flow: FlowControl = {
    get paused() {
      return state.value;
    },
    paused$,
    get pending() {
      return pending;
    },
    process<T>(handler: (value: T) => unknown): OperatorFunction<T, T> {
      return (source) =>
        new Observable<T>((subscriber) => {
          // Counted on arrival, before concatMap's own queue: that queue is what must stay bounded.
          // `mine`: this subscription's share of `pending`; `unhandled`: its share of
          // `received - handled`, given back at teardown so a reused FlowControl (a retry() after
          // the handler threw, a resubscribe with events pending) does not wait forever (#15).
          let mine = 0;
          let unhandled = 0;
          let closed = false;
          // Per conversation (for events that are conversation events), what is not handled yet:
          // at teardown, a dropped save still writes the conversations it fully covers (#15).
          const open = new Map<string, number>();
          let opaque = 0;
          const count = (value: T, by: 1 | -1): void => {
            const key = conversationKeyOf(value);
            if (key === undefined) opaque += by;
            else {
              const n = (open.get(key) ?? 0) + by;
              if (n === 0) open.delete(key);
              else open.set(key, n);
            }
          };
          const sub = source
            .pipe(
              map((value) => {
                mine++;
                unhandled++;
                count(value, 1);
                received++;
                pending++;
                update();
                return value;
              }),
              concatMap((value) => {
                const started = record === undefined ? 0 : performance.now();
                const done = (ok: boolean, error?: unknown): void => {
                  if (record !== undefined)
                    record(
                      'process.duration',
                      (performance.now() - started) / 1000,
                      processAttrs(value, ok, error),
                    );
                  if (closed) return;
                  if (ok) {
                    handled++;
                    unhandled--;
                    count(value, -1);
                  }
                  mine--;
                  pending--;
                  update();
                  settle(undefined);
                };
                // A handler that returns no promise is settled at once, in the source's own
                // next(): nothing queues, so a consumer that stops itself (take(n), an unsubscribe
                // inside next()) leaves no handled event behind an unwritten save (#15).
                let result: unknown;
                try {
                  result = handler(value);
                } catch (e) {
                  // A failure is reported after the source's next() returned, as for a rejection.
                  result = Promise.reject(e);
                }
                if (!isPromiseLike(result)) {
                  done(true);
                  return of(value);
                }
                return from(
                  Promise.resolve(result).then(
                    () => {
                      done(true);
                      return value;
                    },
                    (e: unknown) => {
                      done(false, e);
                      throw e;
                    },
                  ),
                );
              }),
            )
            .subscribe(subscriber);
          return () => {
            closed = true;
            sub.unsubscribe();
            // Events this subscription never handled (or failed to) no longer hold the sources
            // back, and the checkpoints that cover them are not written — only the conversations
            // whose events were all handled are.
            settle((backend, id) => opaque === 0 && !open.has(`${backend}\u0000${id}`));
            received -= unhandled;
            unhandled = 0;
            pending -= mine;
            mine = 0;
            update();
          };
        });
    },
    whenFlowing(signal?: AbortSignal): Promise<void> {
      if (!state.value || signal?.aborted === true) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const done = (): void => {
          sub.unsubscribe();
          signal?.removeEventListener('abort', done);
          resolve();
        };
        const sub = paused$.subscribe((p) => {
          if (!p) queueMicrotask(done);
        });
        signal?.addEventListener('abort', done, { once: true });
      });
    },
    checkpoints(store: CheckpointStore): CheckpointStore {
      return {
        load: (backend) => store.load(backend),
        save(backend, changes) {
          const target = received;
          if (handled >= target) return store.save(backend, changes);
          return new Promise<void>((resolve, reject) => {
            waiters.push({
              target,
              done: (covered) => {
                const write =
                  covered === undefined
                    ? changes
                    : Object.fromEntries(Object.entries(changes).filter(([id]) => covered(backend, id)));
                if (Object.keys(write).length === 0) resolve();
                else store.save(backend, write).then(resolve, reject);
              },
            });
          });
        },
      };
    },
  };
  counters.set(flow, {
    add() {
      pending++;
      update();
    },
    remove() {
      pending--;
      update();
    },
  });
  return flow;
}

/** Counts events as pending without {@link FlowControl.process} (for `consume()`, which handles them itself). */
export interface FlowCounter {
  add(): void;
  remove(): void;
}

const counters = new WeakMap<FlowControl, FlowCounter>();

/** The counter behind a FlowControl made by {@link flowControl}; internal (not exported from `chatshift`). */
export function flowCounter(flow: FlowControl): FlowCounter {
  const c = counters.get(flow);
  if (c === undefined) throw new Error('flowCounter: not a FlowControl from flowControl()');
  return c;
}

const isPromiseLike = (v: unknown): v is PromiseLike<unknown> =>
  (typeof v === 'object' || typeof v === 'function') &&
  v !== null &&
  typeof (v as { then?: unknown }).then === 'function';

/** A process-duration data point's attributes: the event's backend, and the failure's type. */
function processAttrs(value: unknown, ok: boolean, error: unknown): MetricAttributes {
  const backend =
    typeof value === 'object' && value !== null ? (value as { backend?: unknown }).backend : undefined;
  return {
    ...(typeof backend === 'string' ? { [BACKEND_ATTR]: backend } : {}),
    ...(ok ? {} : { [ERROR_TYPE_ATTR]: errorType(error) }),
  };
}

/** `backend` + `conversationId` of a value that looks like a conversation event, else undefined. */
function conversationKeyOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { backend, conversationId } = value as { backend?: unknown; conversationId?: unknown };
  return typeof backend === 'string' && typeof conversationId === 'string'
    ? `${backend}\u0000${conversationId}`
    : undefined;
}
