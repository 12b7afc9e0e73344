import { defer, type Observable, type SchedulerLike } from 'rxjs';
import { memoryCheckpointStore } from '../checkpoint/memory.js';
import type { CheckpointStore } from '../checkpoint/store.js';
import { ChatshiftError } from '../errors.js';
import type { BackendId, ConversationEvent } from '../model/event.js';
import { dedupe } from '../operators/dedupe.js';
import { assertBackend, type Backend } from '../runtime/backend.js';
import type { FlowControl } from '../runtime/flow.js';
import { silentLogger, type Logger } from '../runtime/logger.js';
import type { Metrics } from '../runtime/metrics.js';
import { backendFlag$, type BackendFlag } from './backend-flag.js';
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
  /** Counter sink shared by both backends (unless they name their own). */
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
 */
export function conversationEvents(options: ConversationEventsOptions): Observable<ConversationEvent> {
  if (typeof options !== 'object' || options === null) {
    throw new ChatshiftError('ERR_INVALID_OPTIONS', 'conversationEvents: options object required');
  }
  if (options.backend === undefined) {
    throw new ChatshiftError('ERR_INVALID_OPTIONS', 'conversationEvents: backend is required');
  }
  if (options.legacy === undefined && options.messaging === undefined) {
    throw new ChatshiftError(
      'ERR_INVALID_OPTIONS',
      'conversationEvents: give a legacy or a messaging backend (or both)',
    );
  }
  const legacy =
    options.legacy === undefined
      ? undefined
      : assertBackend(options.legacy, 'legacy-chat', {
          caller: 'conversationEvents',
          option: 'legacy',
          factory: 'legacyChat',
        });
  const messaging =
    options.messaging === undefined
      ? undefined
      : assertBackend(options.messaging, 'messaging', {
          caller: 'conversationEvents',
          option: 'messaging',
          factory: 'messaging',
        });
  const flagIntervalMs = options.flagIntervalMs ?? 5000;
  if (!(Number.isFinite(flagIntervalMs) && flagIntervalMs > 0)) {
    throw new ChatshiftError(
      'ERR_INVALID_OPTIONS',
      'conversationEvents: flagIntervalMs must be a positive number',
    );
  }
  const flow = options.flow as Partial<FlowControl> | null | undefined;
  if (flow !== undefined && (typeof flow !== 'object' || flow === null || flow.paused$ === undefined)) {
    throw new ChatshiftError('ERR_INVALID_OPTIONS', 'conversationEvents: flow must come from flowControl()');
  }
  const logger = options.logger ?? silentLogger;

  return defer(() => {
    const store = options.checkpoint ?? memoryCheckpointStore();
    const shared = {
      checkpoint: store,
      logger,
      ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
      ...(options.flow === undefined ? {} : { flow: options.flow }),
    };
    const factories: Partial<Record<BackendId, SourceFactory>> = {};
    for (const b of [legacy, messaging]) {
      if (b !== undefined) factories[b.id] = ({ draining }) => b.events({ ...shared, draining });
    }
    const flag$ = backendFlag$(options.backend, {
      everyMs: flagIntervalMs,
      logger,
      ...(options.scheduler === undefined ? {} : { scheduler: options.scheduler }),
    });
    return switchBackends(flag$, factories, {
      logger,
      ...(options.onDecision === undefined ? {} : { onDecision: options.onDecision }),
    }).pipe(
      // A safety net over the sources' own cursors (O(conversations) memory). It should never
      // fire: a hit means a source re-emitted an event, so it is logged and counted apart.
      dedupe({
        onDuplicate: (e) => {
          options.metrics?.increment('cutover.duplicates');
          logger.warn('cutover: dropped an event a source emitted twice', { id: e.id });
        },
      }),
    );
  });
}
