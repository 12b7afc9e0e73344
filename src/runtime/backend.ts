import type { Observable } from 'rxjs';
import { meteredCheckpointStore } from '../checkpoint/metered.js';
import type { CheckpointStore } from '../checkpoint/store.js';
import { ChatshiftError } from '../errors.js';
import type { BackendId, ConversationEvent } from '../model/event.js';
import type { ActionsBackend } from './actions-backend.js';
import type { FlowControl } from './flow.js';
import type { BackendHealth } from './health.js';
import { silentLogger, type Logger } from './logger.js';
import { noopMetrics, withAttributes, type Metrics } from './metrics.js';
import { BACKEND_ATTR } from './metric-catalog.js';

/**
 * What a composer (such as `conversationEvents`) hands a backend when it starts its events. The
 * shared services are defaults: a backend's own options win over them.
 */
export interface BackendContext {
  /**
   * While `true` the backend drains: it takes no new conversations (no accept, no new
   * subscription), keeps streaming the ones it follows, and completes once none is left open.
   * Turning `false` before that resumes normal behaviour. Default: never draining.
   */
  readonly draining?: Observable<boolean>;
  /**
   * A graceful stop: its first value (or completion) tells the backend to take no new input
   * (no request, no socket read, no accept), write its last checkpoint changes and then
   * **complete** — so a composer's stream completes only once everything delivered is saved, and
   * a restart from that checkpoint delivers nothing again. Default: never.
   */
  readonly stop?: Observable<unknown>;
  /** Where cursors live, unless the backend's options name a store. */
  readonly checkpoint?: CheckpointStore;
  /** Logger, unless the backend's options name one. */
  readonly logger?: Logger;
  /** Counter sink, unless the backend's options name one. */
  readonly metrics?: Metrics;
  /** Backpressure, unless the backend's options name one. */
  readonly flow?: FlowControl;
}

/**
 * The seam between core and adapters: one object per backend, made by an adapter's factory
 * (`legacyChat()` from `chatshift/legacy-chat`, `messaging()` from `chatshift/messaging`), whose
 * options were validated when it was made. Core composes backends without knowing their wire.
 */
export interface Backend {
  /** Which backend this is; every event it emits carries it as `backend`. */
  readonly id: BackendId;
  /**
   * A cold stream of this backend's normalized events: subscribing loads the checkpoint and starts
   * I/O, unsubscribing stops it. Each subscription runs its own connection / agent-session poller.
   */
  events(context?: BackendContext): Observable<ConversationEvent>;
  /**
   * Where this backend stands — `connecting`, `connected`, `backing-off`, `auth-refused`,
   * `draining`, `stopped` — current value first, one value per change, across reconnects and
   * resubscriptions (it follows the newest running `events()` subscription). Never completes.
   * Optional for backends written outside chatshift; `legacyChat()` and `messaging()` have it.
   */
  readonly health$?: Observable<BackendHealth>;
  /**
   * The backend's outbound actions (for `conversationActions`), sharing its agent session. Cold:
   * nothing is opened until an action is taken. Optional so a backend may be read-only.
   */
  actions?(options?: { logger?: Logger; metrics?: Metrics }): ActionsBackend;
}

/**
 * Checks that `value` is a {@link Backend} for `id`, throwing `ERR_INVALID_OPTIONS` naming `option`
 * otherwise — with a hint for the v1 habit of passing a backend's options where its object belongs.
 */
export function assertBackend(
  value: unknown,
  id: BackendId,
  where: { caller: string; option: string; factory: string },
): Backend {
  const { caller, option, factory } = where;
  const b = value as Partial<Backend> | null;
  if (typeof b === 'object' && b !== null && typeof b.events === 'function' && b.id === id)
    return b as Backend;
  const got =
    typeof b === 'object' && b !== null && typeof b.events === 'function'
      ? `a '${String(b.id)}' backend`
      : typeof b === 'object' && b !== null
        ? `an options object; wrap it: ${option}: ${factory}({ ... })`
        : typeof b;
  throw new ChatshiftError(
    'ERR_INVALID_OPTIONS',
    `${caller}: ${option} must be a ${id} backend from ${factory}(); got ${got}`,
  );
}

/** The shared services one backend subscription runs with, defaults applied. */
export interface BackendServices {
  logger: Logger;
  metrics: Metrics;
  checkpoint: CheckpointStore | undefined;
  flow: FlowControl | undefined;
}

/**
 * The services of one `events()` subscription: the backend's own options win, the composer's
 * context fills what they leave unset, and the logger and metrics default to silent and no-op.
 * The checkpoint store is metered (save durations and failures, open conversations) into the
 * metrics sink; given `backend`, every metric the backend emits is labelled `chatshift.backend`.
 */
export function backendServices(
  own: {
    logger?: Logger | undefined;
    metrics?: Metrics | undefined;
    checkpoint?: CheckpointStore | undefined;
    flow?: FlowControl | undefined;
  },
  context: BackendContext,
  backend?: BackendId,
): BackendServices {
  const sink = own.metrics ?? context.metrics ?? noopMetrics;
  const metrics =
    backend === undefined || sink === noopMetrics ? sink : withAttributes(sink, { [BACKEND_ATTR]: backend });
  const checkpoint = own.checkpoint ?? context.checkpoint;
  return {
    logger: own.logger ?? context.logger ?? silentLogger,
    metrics,
    checkpoint: checkpoint === undefined ? undefined : meteredCheckpointStore(checkpoint, sink),
    flow: own.flow ?? context.flow,
  };
}
