import { isObservable, Observable, Subject, Subscription } from 'rxjs';
import type { ConversationEvent } from '../../src/model/event.js';
import { backendServices, type Backend, type BackendContext } from '../../src/runtime/backend.js';
import { checkpointLoadError } from '../../src/checkpoint/writer.js';
import { HealthTracker, type BackendHealth, type HealthReporter } from '../../src/runtime/health.js';
import { redactingLogger, type Logger } from '../../src/runtime/logger.js';
import { sessionBearer } from '../../src/runtime/session.js';
import { validateOptions, type LegacyChatOptions, type Validated } from './options.js';
import { LegacyPoller, type PollerConfig } from './poller.js';
import type { AgentSessionHandle } from './agent-session.js';
import { legacyActionsBackend } from './actions-backend.js';

/** The legacy Chat Agent backend: what `legacyChat()` returns. */
export interface LegacyChatBackend extends Backend {
  readonly id: 'legacy-chat';
  readonly health$: Observable<BackendHealth>;
}

/**
 * The legacy Chat Agent API as a backend object for `conversationEvents({ legacy })`. Validates
 * every option now (throwing `ERR_INVALID_OPTIONS` / `ERR_INSECURE_TRANSPORT` synchronously) and
 * starts nothing: each subscription to `events()` polls the agent session on its own.
 *
 * @example
 * ```ts
 * import { conversationEvents } from 'chatshift';
 * import { legacyChat } from 'chatshift/legacy-chat';
 *
 * const legacy = legacyChat({ agentSessionUrl, bearer: () => tokens.current(), acceptIncoming: true });
 * conversationEvents({ backend: 'legacy-chat', legacy }).subscribe(handle);
 * ```
 */
export function legacyChat(options: LegacyChatOptions): LegacyChatBackend {
  const validated = validateOptions(options);
  // Subscriptions of this backend that stopped with an accept still unanswered (see settled()).
  const settling = new Set<Promise<void>>();
  const health = new HealthTracker();
  const live: { poller?: LegacyPoller | undefined } = {};
  // Chats accepted through the actions: every events() subscription follows them.
  const adopted = new Subject<string>();
  const backend: LegacyChatBackend = {
    id: 'legacy-chat',
    health$: health.health$,
    events: (context: BackendContext = {}) =>
      health.track(context, (reporter) =>
        events(options, validated, context, settling, reporter, live, adopted),
      ),
    actions: (services = {}) =>
      legacyActionsBackend(
        validated,
        services,
        (key) => adopted.next(key),
        () => live.poller?.agentSession.handle(),
      ),
  };
  agentSessions.set(backend, () => live.poller?.agentSession.handle());
  return backend;
}

const agentSessions = new WeakMap<LegacyChatBackend, () => AgentSessionHandle | undefined>();

/**
 * Internal (for the backend's actions): the agent session the backend's running `events()`
 * subscription works in — URL, cookies, bearer and its client — or `undefined` while none runs
 * or before its agent session exists. The latest subscription wins.
 */
export function currentAgentSession(backend: LegacyChatBackend): AgentSessionHandle | undefined {
  return agentSessions.get(backend)?.();
}

/** One subscription's poller: loads the checkpoint, follows the draining switch and the chat set. */
function events(
  options: LegacyChatOptions,
  validated: Validated,
  context: BackendContext,
  settling: Set<Promise<void>>,
  health: HealthReporter,
  live: { poller?: LegacyPoller | undefined },
  adopted: Observable<string>,
): Observable<ConversationEvent> {
  const services = backendServices(validated, context, 'legacy-chat');
  return new Observable<ConversationEvent>((subscriber) => {
    const subs = new Subscription();
    const holder: { poller?: LegacyPoller } = {};
    const bearer = options.bearer;
    const logger = redactingLogger(services.logger, () => [
      ...(typeof bearer === 'string' ? [bearer] : []),
      ...(holder.poller?.secrets() ?? []),
    ]);
    // With a session, each subscription reports its own refused tokens (sessionBearer).
    const cfg: PollerConfig = {
      ...validated,
      ...services,
      logger,
      health,
      ...(options.session === undefined ? {} : { bearer: sessionBearer(options.session) }),
    };
    const active = new LegacyPoller(cfg, {
      next: (e) => subscriber.next(e),
      error: (e) => subscriber.error(e),
      complete: () => subscriber.complete(),
    });
    holder.poller = active;
    live.poller = active;
    let cancelled = false;
    // A resubscription (retry(), an unsubscribe inside next() and back) first lets the previous
    // subscriptions' late accepts reach the checkpoint: an accepted chat rings no more.
    const store = services.checkpoint;
    const load =
      store === undefined
        ? Promise.resolve({})
        : Promise.all([...settling]).then(() => store.load('legacy-chat'));
    load.then(
      (map) => {
        if (cancelled) return;
        active.restore(map ?? {});
        warnIfIdle(options, validated.acceptIncoming, map ?? {}, logger);
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
        subs.add(adopted.subscribe((key) => active.adopt(key)));
        if (!cancelled) active.start();
      },
      (cause: unknown) => {
        if (!cancelled) {
          subscriber.error(checkpointLoadError('legacy-chat', cause));
        }
      },
    );
    // A graceful stop: no new poll or accept, the last checkpoint written, then complete. Deferred
    // to a microtask so a response already taken (a stop asked from inside next()) is delivered
    // and marked in full first.
    if (context.stop !== undefined) {
      const graceful = (): void =>
        queueMicrotask(() => {
          if (cancelled) return;
          cancelled = true;
          subs.unsubscribe();
          const stopped = active.stop();
          const settled = stopped.then(() => active.settled());
          settling.add(settled);
          void settled.finally(() => settling.delete(settled));
          // Completes only once an accept still unanswered at the stop is saved: the process may
          // exit right after, and that chat rings no more.
          void settled.then(() => subscriber.complete());
        });
      subs.add(context.stop.subscribe({ next: graceful, complete: graceful, error: graceful }));
    }
    return () => {
      cancelled = true;
      if (live.poller === active) live.poller = undefined;
      subs.unsubscribe();
      const settled = active.stop().then(() => active.settled());
      settling.add(settled);
      void settled.finally(() => settling.delete(settled));
    };
  });
}

/**
 * Neither `chats` nor `acceptIncoming`, and no open chat in the checkpoint: the backend would poll
 * nothing and say nothing. One warning at subscribe (a restart that only drains is left quiet).
 */
function warnIfIdle(
  options: LegacyChatOptions,
  acceptIncoming: boolean,
  checkpoint: Record<string, { closed?: boolean }>,
  logger: Logger,
): void {
  if (options.chats !== undefined || acceptIncoming) return;
  if (Object.values(checkpoint).some((c) => c.closed !== true)) return;
  logger.warn(
    'legacy-chat: nothing to follow — give `chats` (chat keys to follow) or `acceptIncoming: true` (accept ringing chats); only chats in the checkpoint are followed otherwise',
    { code: 'ERR_INVALID_OPTIONS' },
  );
}
