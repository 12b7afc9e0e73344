import { defer, finalize, isObservable, Observable, ReplaySubject, tap, type SchedulerLike } from 'rxjs';
import { checkpointLoadError } from '../checkpoint/writer.js';
import { memoryCheckpointStore } from '../checkpoint/memory.js';
import type { CheckpointStore } from '../checkpoint/store.js';
import type { BackendId, ConversationEvent } from '../model/event.js';
import { dedupe } from '../operators/dedupe.js';
import { assertBackend, type Backend } from '../runtime/backend.js';
import { OptionsChecker, resolveServices } from '../runtime/options.js';
import type { FlowControl } from '../runtime/flow.js';
import { silentLogger, type Logger } from '../runtime/logger.js';
import { BACKEND_ATTR } from '../runtime/metric-catalog.js';
import type { MetricAttributes, Metrics } from '../runtime/metrics.js';
import { backendFlag$, type BackendFlag } from './backend-flag.js';
import { bindFlagLogger } from './open-feature.js';
import { switchBackends, type CutoverDecision, type SourceFactory } from './switch.js';

/** Options of {@link conversationEvents}. */
export interface ConversationEventsOptions {
  /**
   * The legacy Chat Agent backend, `legacyChat(options)` from `chatshift/legacy-chat`; required
   * whenever the flag can be `legacy-chat` or `both`.
   */
  legacy?: Backend;
  /**
   * The Messaging backend, `messaging(options)` from `chatshift/messaging`; required whenever the
   * flag can be `messaging` or `both`.
   */
  messaging?: Backend;
  /**
   * Which backend runs: a value, an `Observable<BackendChoice>` (e.g. {@link fromOpenFeature}), or a
   * function re-evaluated every `flagIntervalMs`.
   */
  backend: BackendFlag;
  /**
   * Where both backends keep their cursors (keyed by backend and conversation), unless a backend's
   * own options name another store. Default: one in-memory store per subscription, so a backend
   * switched off and on again resumes without gap or duplicate; use `fileCheckpointStore` to
   * survive restarts.
   */
  checkpoint?: CheckpointStore;
  /** Console-compatible logger for cutover decisions and both backends (unless they name their own). Default: silent. */
  logger?: Logger;
  /**
   * Metric sink shared by both backends (unless they name their own), e.g.
   * `openTelemetryMetrics(meter)`. conversationEvents itself records each event's delay from its
   * `time` to delivery (`event.delay`) and counts cutover decisions (`cutover.decisions`).
   */
  metrics?: Metrics;
  /**
   * Backpressure shared by both backends (unless they name their own): handle the events with
   * `flow.process(handler)` and the sources pause while the handler is `highWaterMark` behind.
   */
  flow?: FlowControl;
  /** How often a function flag is re-evaluated, in ms. Default 5000. */
  flagIntervalMs?: number;
  /** Scheduler for the flag interval. Default `asyncScheduler`. */
  scheduler?: SchedulerLike;
  /**
   * A graceful stop: once this signal aborts (or this Observable emits or completes), no new
   * input is taken, each running backend writes its last checkpoint changes, and the stream
   * **completes** once they are written — `await lastValueFrom(events$)` then means "saved", and a
   * restart from that checkpoint delivers nothing again. Unsubscribing instead saves only
   * best-effort. Use it for handoffs and SIGTERM.
   */
  stop?: AbortSignal | Observable<unknown>;
  /** Called with every cutover decision (also logged at `info`, or `warn` for an ignored flag value). */
  onDecision?: (decision: CutoverDecision) => void;
}

/**
 * The one stream consumers subscribe to: normalized events from the legacy Chat Agent API, the
 * Messaging platform, or both, as the `backend` flag says, changeable at runtime.
 *
 * A backend switched off **drains**: it takes no new conversations and keeps streaming the open
 * ones until they close, then stops. Switching it back on resumes from the checkpoint with no gap
 * and no duplicate. Cold: nothing runs until subscribed; unsubscribing stops every source.
 * Invalid options throw `ERR_INVALID_OPTIONS` synchronously; a flag naming a backend without
 * options fails the stream with `ERR_BACKEND_UNAVAILABLE` (or is ignored, logged, once running).
 *
 * @example
 * ```ts
 * import { conversationEvents, fileCheckpointStore } from 'chatshift';
 * import { legacyChat } from 'chatshift/legacy-chat';
 * import { messaging } from 'chatshift/messaging';
 *
 * const events$ = conversationEvents({
 *   backend: flag$, // 'legacy-chat' | 'both' | 'messaging', changeable at run time
 *   legacy: legacyChat({ agentSessionUrl, bearer: () => tokens.current() }),
 *   messaging: messaging({ accountId, domain, bearer: () => tokens.current() }),
 *   checkpoint: fileCheckpointStore('./chatshift-checkpoint.json'),
 * });
 * events$.subscribe((e) => console.log(e.id, e.type));
 * ```
 */
export function conversationEvents(options: ConversationEventsOptions): Observable<ConversationEvent> {
  const check = new OptionsChecker('conversationEvents');
  const o = check.object(options);
  if (o['backend'] === undefined)
    check.fail('backend', "given: 'legacy-chat', 'messaging', 'both', an Observable or a function");
  if (o['legacy'] === undefined && o['messaging'] === undefined)
    check.fail('legacy or messaging', 'given: a backend from legacyChat() or messaging() (or both)');
  const legacy =
    o['legacy'] === undefined
      ? undefined
      : assertBackend(o['legacy'], 'legacy-chat', {
          caller: check.caller,
          option: 'legacy',
          factory: 'legacyChat',
        });
  const messaging =
    o['messaging'] === undefined
      ? undefined
      : assertBackend(o['messaging'], 'messaging', {
          caller: check.caller,
          option: 'messaging',
          factory: 'messaging',
        });
  const flagIntervalMs = check.positive('flagIntervalMs', o['flagIntervalMs'], 5000, { ms: true });
  const services = resolveServices(check, o);
  check.withMethods('scheduler', o['scheduler'], ['schedule', 'now'], 'an RxJS scheduler');
  if (o['onDecision'] !== undefined && typeof o['onDecision'] !== 'function')
    check.fail('onDecision', 'a function');
  const logger = services.logger ?? silentLogger;
  // A fromOpenFeature() flag without a logger of its own reports its misconfiguration through ours.
  bindFlagLogger(o['backend'], logger);
  const stop = o['stop'];
  if (stop !== undefined && !(stop instanceof AbortSignal) && !isObservable(stop))
    check.fail('stop', 'an AbortSignal or an Observable');
  const stop$ =
    stop === undefined ? undefined : isObservable(stop) ? stop : abortedSignal$(stop as AbortSignal);

  return defer(() => {
    const shared = { ...services, checkpoint: services.checkpoint ?? memoryCheckpointStore(), logger };
    const factories: Partial<Record<BackendId, SourceFactory>> = {};
    for (const b of [legacy, messaging]) {
      if (b !== undefined) factories[b.id] = ({ draining, stop }) => b.events({ ...shared, draining, stop });
    }
    const flag$ = backendFlag$(options.backend, {
      everyMs: flagIntervalMs,
      logger,
      ...(options.scheduler === undefined ? {} : { scheduler: options.scheduler }),
    });
    // Drain-on-start: a backend whose checkpoint (in the shared store) still holds open
    // conversations is started draining even if the flag does not want it (#11).
    const openAtStart = Promise.all(
      [legacy, messaging].map(async (b) => {
        if (b === undefined) return [] as const;
        let map;
        try {
          map = await shared.checkpoint.load(b.id);
        } catch (cause) {
          throw checkpointLoadError(b.id, cause);
        }
        const open = Object.values(map).filter((c) => c.closed !== true).length;
        return [[b.id, open] as const];
      }),
    ).then((pairs) => Object.fromEntries(pairs.flat()) as Partial<Record<BackendId, number>>);
    // The stop is latched at once: one asked while the checkpoints above are read is not missed.
    const stopLatch = stop$ === undefined ? undefined : new ReplaySubject<void>(1);
    const latch = (): void => stopLatch?.next();
    const latchSub = stop$?.subscribe({ next: latch, complete: latch, error: latch });
    // The backends start once the checkpoints are read. The switch is subscribed with this
    // subscriber itself, as RxJS's `defer` does: no operator between it and the dedupe below
    // (`from(promise).pipe(switchMap(…))` put two subscribers and a closure on every event).
    const switched = new Observable<ConversationEvent>((subscriber) => {
      openAtStart.then(
        (open) => {
          if (subscriber.closed) return;
          switchBackends(flag$, factories, {
            logger,
            openAtStart: open,
            onDecision: (d) => {
              options.metrics?.increment('cutover.decisions', 1, {
                [BACKEND_ATTR]: d.backend,
                'chatshift.decision': d.action,
              });
              options.onDecision?.(d);
            },
            ...(stopLatch === undefined ? {} : { stop: stopLatch }),
            onDrainOnStart: (b) =>
              options.metrics?.increment('cutover.drainOnStart', 1, { [BACKEND_ATTR]: b }),
          }).subscribe(subscriber);
        },
        (e: unknown) => subscriber.error(e),
      );
    });
    const delivered = switched.pipe(
      // A safety net over the sources' own cursors (O(conversations) memory). It should never
      // fire: a hit means a source re-emitted an event, so it is logged and counted apart.
      dedupe({
        onDuplicate: (e) => {
          options.metrics?.increment('cutover.duplicates', 1, { [BACKEND_ATTR]: e.backend });
          logger.warn('cutover: dropped an event a source emitted twice', { id: e.id });
        },
      }),
    );
    // The delay histogram only with a sink that records one: no operator per event otherwise.
    const delay = eventDelay(options.metrics, () => options.scheduler?.now() ?? Date.now());
    return (delay === undefined ? delivered : delivered.pipe(tap(delay))).pipe(
      finalize(() => latchSub?.unsubscribe()),
    );
  });
}

/**
 * Records each delivered event's delay since its `time` (clock skew below zero counts as 0);
 * `undefined` when the sink records no histograms.
 */
function eventDelay(
  metrics: Metrics | undefined,
  now: () => number,
): ((e: ConversationEvent) => void) | undefined {
  const record = metrics?.record?.bind(metrics);
  if (record === undefined) return undefined;
  // Events of one burst often carry the same time (the same string): parse it once.
  let lastTime: string | undefined;
  let lastAt = Number.NaN;
  // One attribute set per backend and event type, not one object per event.
  const attrs = new Map<string, Map<string, MetricAttributes>>();
  const attributesOf = (e: ConversationEvent): MetricAttributes => {
    let byType = attrs.get(e.backend);
    if (byType === undefined) attrs.set(e.backend, (byType = new Map()));
    let a = byType.get(e.type);
    if (a === undefined)
      byType.set(e.type, (a = Object.freeze({ [BACKEND_ATTR]: e.backend, 'chatshift.event.type': e.type })));
    return a;
  };
  return (e) => {
    if (e.time !== lastTime) {
      lastTime = e.time;
      lastAt = Date.parse(e.time);
    }
    if (Number.isNaN(lastAt)) return;
    record('event.delay', Math.max(0, now() - lastAt) / 1000, attributesOf(e));
  };
}

/** One value once `signal` aborts (at once if it already has). */
function abortedSignal$(signal: AbortSignal): Observable<void> {
  return new Observable<void>((subscriber) => {
    const fire = (): void => {
      subscriber.next();
      subscriber.complete();
    };
    if (signal.aborted) return fire();
    signal.addEventListener('abort', fire, { once: true });
    return () => signal.removeEventListener('abort', fire);
  });
}
