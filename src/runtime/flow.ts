import {
  BehaviorSubject,
  concatMap,
  distinctUntilChanged,
  from,
  map,
  Observable,
  type OperatorFunction,
} from 'rxjs';
import { ChatshiftError } from '../errors.js';

export interface FlowControlOptions {
  /** Pause the sources once this many events are received and not yet handled; default 1000. */
  highWaterMark?: number;
  /** Resume them once no more than this many are left; default half the high-water mark. */
  lowWaterMark?: number;
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
}

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
  const state = new BehaviorSubject(false);
  let pending = 0;
  const update = (): void => {
    if (!state.value && pending >= high) state.next(true);
    else if (state.value && pending <= low) state.next(false);
  };
  const paused$ = state.pipe(distinctUntilChanged());

  return {
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
          let mine = 0;
          let closed = false;
          const sub = source
            .pipe(
              map((value) => {
                mine++;
                pending++;
                update();
                return value;
              }),
              concatMap((value) =>
                from(
                  (async () => {
                    try {
                      await handler(value);
                    } finally {
                      if (!closed) {
                        mine--;
                        pending--;
                        update();
                      }
                    }
                    return value;
                  })(),
                ),
              ),
            )
            .subscribe(subscriber);
          return () => {
            closed = true;
            sub.unsubscribe();
            // Events this subscription never handled no longer hold the sources back.
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
  };
}
