import { isObservable, Observable, Subscription } from 'rxjs';
import { ChatshiftError } from '../../src/errors.js';
import type { ConversationEvent } from '../../src/model/event.js';
import type { Backend, BackendContext } from '../../src/runtime/backend.js';
import { redactingLogger, silentLogger } from '../../src/runtime/logger.js';
import { noopMetrics } from '../../src/runtime/metrics.js';
import { validateOptions, type LegacyChatOptions, type Validated } from './options.js';
import { LegacyPoller, type PollerConfig } from './poller.js';

/** The legacy Chat Agent backend: what `legacyChat()` returns. */
export interface LegacyChatBackend extends Backend {
  readonly id: 'legacy-chat';
}

/**
 * The legacy Chat Agent API as a backend object for `conversationEvents({ legacy })`. Validates
 * every option now (throwing `ERR_INVALID_OPTIONS` / `ERR_INSECURE_TRANSPORT` synchronously) and
 * starts nothing: each subscription to `events()` polls the agent session on its own.
 *
 * @example
 * ```ts
 * const legacy = legacyChat({ agentSessionUrl, bearer: () => tokens.current(), acceptIncoming: true });
 * conversationEvents({ backend: 'legacy-chat', legacy }).subscribe(handle);
 * ```
 */
export function legacyChat(options: LegacyChatOptions): LegacyChatBackend {
  const validated = validateOptions(options);
  return {
    id: 'legacy-chat',
    events: (context: BackendContext = {}) => events(options, validated, context),
  };
}

/** The backend's own options win; the composer's shared services fill what they leave unset. */
function withContext(v: Validated, c: BackendContext): Validated {
  const logger = v.logger ?? c.logger;
  const metrics = v.metrics ?? c.metrics;
  return {
    ...v,
    checkpoint: v.checkpoint ?? c.checkpoint,
    flow: v.flow ?? c.flow,
    ...(logger === undefined ? {} : { logger }),
    ...(metrics === undefined ? {} : { metrics }),
  };
}

/** One subscription's poller: loads the checkpoint, follows the draining switch and the chat set. */
function events(
  options: LegacyChatOptions,
  validated: Validated,
  context: BackendContext,
): Observable<ConversationEvent> {
  const opts = withContext(validated, context);
  return new Observable<ConversationEvent>((subscriber) => {
    const subs = new Subscription();
    const holder: { poller?: LegacyPoller } = {};
    const bearer = options.bearer;
    const logger = redactingLogger(opts.logger ?? silentLogger, () => [
      ...(typeof bearer === 'string' ? [bearer] : []),
      ...(holder.poller?.secrets() ?? []),
    ]);
    const cfg: PollerConfig = { ...opts, metrics: opts.metrics ?? noopMetrics, logger };
    const active = new LegacyPoller(cfg, {
      next: (e) => subscriber.next(e),
      error: (e) => subscriber.error(e),
      complete: () => subscriber.complete(),
    });
    holder.poller = active;
    let cancelled = false;
    const load = opts.checkpoint === undefined ? Promise.resolve({}) : opts.checkpoint.load('legacy-chat');
    load.then(
      (map) => {
        if (cancelled) return;
        active.restore(map ?? {});
        if (context.draining !== undefined) {
          subs.add(
            context.draining.subscribe({
              next: (d) => active.setDraining(d),
              error: (e) => subscriber.error(e),
            }),
          );
        }
        const chats = options.chats;
        if (isObservable(chats)) {
          subs.add(
            chats.subscribe({ next: (keys) => active.setChats(keys), error: (e) => subscriber.error(e) }),
          );
        } else if (chats !== undefined) {
          active.setChats(chats);
        }
        if (!cancelled) active.start();
      },
      (cause: unknown) => {
        if (!cancelled) {
          subscriber.error(
            new ChatshiftError('ERR_CHECKPOINT_IO', 'legacy-chat: checkpoint load failed', { cause }),
          );
        }
      },
    );
    return () => {
      cancelled = true;
      subs.unsubscribe();
      void active.stop();
    };
  });
}
