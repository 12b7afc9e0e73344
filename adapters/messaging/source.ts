import { asyncScheduler, Observable, type SchedulerAction } from 'rxjs';
import { WebSocket as WsWebSocket } from 'ws';
import { ChatshiftError, isChatshiftError } from '../../src/errors.js';
import type { ConversationEvent } from '../../src/model/event.js';
import { backendServices, type Backend, type BackendContext } from '../../src/runtime/backend.js';
import { HealthTracker, type BackendHealth, type HealthReporter } from '../../src/runtime/health.js';
import { redactingLogger } from '../../src/runtime/logger.js';
import { invalidInputReporter } from '../../src/runtime/invalid-input.js';
import { assertSecureTransport, isLoopbackHost } from '../../src/runtime/transport-security.js';
import { Connection, type ConnectionSettings, type Session } from './connection.js';
import { sessionBearer, type Session as LoginSession } from '../../src/runtime/session.js';
import { CheckpointWriter, checkpointLoadError } from '../../src/checkpoint/writer.js';
import { ConversationTracker, RESUME_MARGIN_MS } from './conversation-tracker.js';
import { validateOptions, type MessagingOptions, type ResolvedMessagingOptions } from './options.js';
import { rateLimitWait, RequestPacer } from './pacing.js';
import { requestTypes } from './wire.js';
import { messagingActions } from './actions-backend.js';
import { AgentNames } from './profiles.js';
import { SocketShare } from './socket-share.js';

/** Checkpoint saves: the first change at once, then at most this often. */
const SAVE_EVERY_MS = 250;

/** The Messaging backend: what `messaging()` returns. */
export interface MessagingBackend extends Backend {
  readonly id: 'messaging';
  readonly health$: Observable<BackendHealth>;
}

/**
 * The Messaging agent WebSocket as a backend object for `conversationEvents({ messaging })`.
 * Validates every option now (throwing `ERR_INVALID_OPTIONS` / `ERR_INSECURE_TRANSPORT`
 * synchronously) and starts nothing: each subscription to `events()` runs its own connection.
 *
 * @example
 * ```ts
 * import { conversationEvents } from 'chatshift';
 * import { messaging } from 'chatshift/messaging';
 *
 * const msg = messaging({ accountId, domain, bearer: () => tokens.current(), agentId });
 * conversationEvents({ backend: 'messaging', messaging: msg }).subscribe(handle);
 * ```
 */
export function messaging(options: MessagingOptions): MessagingBackend {
  const cfg = validateOptions(options);
  const scheme =
    options.domain === undefined ? 'wss' : schemeFor(options.domain, options.allowInsecureTransport);
  const convState = [...(options.convState ?? ['OPEN'])];
  const health = new HealthTracker();
  // The events' sockets, offered to this object's actions: one connection per agent.
  const share = new SocketShare();
  return {
    id: 'messaging',
    health$: health.health$,
    events: (context: BackendContext = {}) =>
      health.track(context, (reporter) => events(options, cfg, scheme, convState, context, reporter, share)),
    actions: (services = {}) => messagingActions(options, cfg, scheme, services, share),
  };
}

/** `ws` for loopback hosts (or with `allowInsecureTransport`), else `wss`; refuses what is not allowed. */
function schemeFor(domain: string, allowInsecure: boolean | undefined): 'ws' | 'wss' {
  const host = domain.replace(/:\d+$/, '');
  const scheme = isLoopbackHost(host) || allowInsecure === true ? 'ws' : 'wss';
  assertSecureTransport(new URL(`${scheme}://${domain}/`), allowInsecure, 'domain');
  return scheme;
}

/**
 * With a session: the messaging host (`facadeMsg`, falling back to `asyncMessagingEnt`, M3) and
 * the agent id, asked of the session before each connect.
 */
export function sessionEndpoint(
  session: LoginSession,
  options: MessagingOptions,
  agent: { id: string | undefined },
): () => Promise<{ scheme: 'ws' | 'wss'; domain: string }> {
  return async () => {
    agent.id ??= await session.agentId();
    let domain: string;
    if (options.domain !== undefined) domain = options.domain;
    else {
      try {
        domain = await session.domain('facadeMsg');
      } catch (e) {
        if (!isChatshiftError(e, 'ERR_DISCOVERY')) throw e;
        domain = await session.domain('asyncMessagingEnt');
      }
    }
    return { scheme: schemeFor(domain, options.allowInsecureTransport), domain };
  };
}

/**
 * The connection settings the events and the actions both build from the backend's options: host
 * (or the session's endpoint), account, bearer, socket class and the resolved timings.
 */
export function sharedConnectionSettings(
  options: MessagingOptions,
  cfg: ResolvedMessagingOptions,
  scheme: 'ws' | 'wss',
  agent: { id: string | undefined },
  onBearer: (token: string) => void,
): Omit<ConnectionSettings, 'scheduler' | 'logger' | 'metrics' | 'health' | 'share'> {
  return {
    scheme,
    domain: options.domain ?? '',
    ...(options.session === undefined ? {} : { endpoint: sessionEndpoint(options.session, options, agent) }),
    accountId: options.accountId ?? options.session?.accountId ?? '',
    // With a session, each connection reports its own refused tokens (sessionBearer).
    bearer: options.session === undefined ? (options.bearer ?? '') : sessionBearer(options.session),
    WebSocket: options.WebSocket ?? WsWebSocket,
    backoff: cfg.backoff,
    heartbeatIntervalMs: cfg.heartbeatIntervalMs,
    heartbeatTimeoutMs: cfg.heartbeatTimeoutMs,
    requestTimeoutMs: cfg.requestTimeoutMs,
    maxFrameBytes: cfg.maxFrameBytes,
    onBearer,
  };
}

/**
 * The events of the Messaging agent WebSocket alone, as a cold Observable:
 * `messaging(options).events()`. Subscribing loads the checkpoint and connects; each connection
 * subscribes to ExConversations, pulls every followed conversation's history from its cursor and
 * streams live events, each sequence once and in order per conversation, across reconnects.
 * Unsubscribing closes the socket and clears every timer.
 *
 * Throws `ERR_INVALID_OPTIONS` / `ERR_INSECURE_TRANSPORT` synchronously for bad options. The
 * stream errors only for conditions retrying cannot fix: `ERR_AUTH_REJECTED`,
 * `ERR_BEARER_PROVIDER`, `ERR_RETRIES_EXHAUSTED`, `ERR_HTTP_STATUS` (a handshake 404 three times), `ERR_CHECKPOINT_IO`.
 *
 * @example
 * ```ts
 * import { messagingSource } from 'chatshift/messaging';
 *
 * messagingSource({ accountId, domain, bearer: () => tokens.current(), agentId }).subscribe((e) =>
 *   console.log(e.conversationId, e.type),
 * );
 * ```
 */
export function messagingSource(options: MessagingOptions): Observable<ConversationEvent> {
  return messaging(options).events();
}

/** One subscription: loads the checkpoint, then runs connections until unsubscribed, drained or failed. */
function events(
  options: MessagingOptions,
  cfg: ResolvedMessagingOptions,
  scheme: 'ws' | 'wss',
  convState: Array<'OPEN' | 'CLOSE'>,
  context: BackendContext,
  health: HealthReporter,
  share: SocketShare,
): Observable<ConversationEvent> {
  return new Observable<ConversationEvent>((subscriber) => {
    const scheduler = cfg.scheduler ?? asyncScheduler;
    const services = backendServices(cfg, context, 'messaging');
    const metrics = services.metrics;
    const tokens = new Set<string>(typeof options.bearer === 'string' ? [options.bearer] : []);
    const agent: { id: string | undefined } = { id: options.agentId };
    const logger = redactingLogger(services.logger, () => tokens);
    const report = invalidInputReporter(logger, metrics);
    const store = services.checkpoint;
    const flow = services.flow;
    let finished = false;
    let draining = false;
    let session: Session | undefined;
    /** When the socket was lost (scheduler time); cleared once a resubscription was answered. */
    let lostAt: number | undefined;

    const fail = (e: ChatshiftError): void => {
      if (finished) {
        logger.error('messaging: error after the stream ended', { code: e.code });
        return;
      }
      finished = true;
      connection?.stop();
      subscriber.error(e);
    };

    const writer = new CheckpointWriter({
      backend: 'messaging',
      store,
      scheduler,
      throttleMs: SAVE_EVERY_MS,
      entryOf: (id) => tracker.checkpointOf(id),
      // Also after the stream finished draining: its completion waits for this save.
      onError: (e) => {
        finished = true;
        connection?.stop();
        if (!subscriber.closed) subscriber.error(e);
      },
      logger,
    });

    // Agents' display names (profiles.ts): filled in when already known, never awaited.
    const names =
      options.agentNames === false
        ? undefined
        : new AgentNames({ logger, metrics, now: () => scheduler.now(), timeoutMs: cfg.requestTimeoutMs });

    const tracker = new ConversationTracker(
      {
        emit(event) {
          subscriber.next(names === undefined ? event : names.fill(event));
          metrics.increment('events.emitted');
        },
        query(conversationId, afterSeq) {
          const s = session;
          if (s === undefined || !s.alive) return;
          // Paced globally: started when the budget allows, dropped if its socket went meanwhile
          // (the next socket's resumeAll asks again).
          pacer.submit(() => {
            if (s.alive && !finished) queryNow(s, conversationId, afterSeq);
          });
        },
        changed: (conversationId) => writer.mark(conversationId),
        markGeneration: (): number => writer.generation,
        now: () => scheduler.now(),
        logger,
        metrics,
      },
      convState.includes('CLOSE'),
    );

    const pacer = new RequestPacer(scheduler, cfg.historyQueriesPerSecond);
    // Observer mode (M2): messages of conversations the agent does not take part in come only from history.
    const poll =
      cfg.historyPollMs === undefined
        ? undefined
        : scheduler.schedule(
            function (this: SchedulerAction<number>, every?: number) {
              if (session?.alive === true && !finished) tracker.pollAll();
              this.schedule(every, every);
            },
            cfg.historyPollMs,
            cfg.historyPollMs,
          );

    const queryNow = (s: Session, conversationId: string, afterSeq: number): void => {
      const from = Math.max(0, afterSeq);
      s.request(requestTypes.queryMessages, {
        dialogId: conversationId,
        fromSeq: from,
        newerThanSequence: from,
      }).then(
        (resp) => {
          if (!s.alive || finished) return;
          if (!Array.isArray(resp.body)) {
            report({
              code: 'ERR_SCHEMA_INVALID',
              message: 'messaging: QueryMessages answer is not an array; retrying',
            });
            retryLater(s, conversationId);
            return;
          }
          tracker.onHistory(conversationId, resp.body);
          afterFrame();
        },
        (e: ChatshiftError) => {
          if (!s.alive || finished) return;
          const wait = rateLimitWait(e);
          if (wait !== undefined) {
            // M4: a 429 holds every history query for ≥ 1 s; same socket, same cursor.
            metrics.increment('requests.rateLimited');
            logger.warn('messaging: QueryMessages rate-limited (429); waiting', {
              conversationId,
              waitMs: wait,
            });
            pacer.holdFor(wait);
            tracker.retryQuery(conversationId);
            return;
          }
          logger.warn('messaging: QueryMessages failed; retrying', { code: e.code, conversationId });
          retryLater(s, conversationId);
        },
      );
    };

    const retryLater = (s: Session, conversationId: string): void => {
      scheduler.schedule(() => {
        if (s.alive && !finished) tracker.retryQuery(conversationId);
      }, cfg.backoff.initialMs);
    };

    const afterFrame = (): void => {
      if (!draining || finished || tracker.openCount > 0) return;
      finished = true;
      logger.info?.('messaging: drained; no followed conversation left open');
      connection?.stop();
      void writer.flush().then((saved) => {
        if (saved) subscriber.complete();
      });
    };

    const subscribe = (s: Session): void => {
      const body: Record<string, unknown> = { convState: [...convState] };
      if (agent.id !== undefined) body['agentIds'] = [agent.id];
      // Conversations may have closed while we were away — followed ones, and ones that opened and
      // closed during the outage: ask for closed ones changed since then too.
      const away = lostAt === undefined ? undefined : Math.max(0, lostAt - RESUME_MARGIN_MS);
      tracker.followClosedSince = away;
      const followed = tracker.openCount > 0 ? tracker.resumeFrom() : undefined;
      const since = followed === undefined ? away : away === undefined ? followed : Math.min(followed, away);
      if (since !== undefined) {
        if (!convState.includes('CLOSE')) body['convState'] = [...convState, 'CLOSE'];
        body['minLastUpdatedTime'] = since;
      }
      s.request(requestTypes.subscribeConversations, body).then(
        () => {
          // The server has pushed (or is pushing) everything changed since `lostAt`.
          if (s.alive) lostAt = undefined;
          connection?.markHealthy();
        },
        (e: ChatshiftError) => {
          if (!s.alive || finished) return;
          const wait = rateLimitWait(e);
          if (wait !== undefined) {
            // M4: a 429 is the server asking for patience, not a broken socket: same socket, later.
            metrics.increment('requests.rateLimited');
            logger.warn('messaging: subscribe rate-limited (429); waiting', { waitMs: wait });
            pacer.holdFor(wait);
            scheduler.schedule(() => {
              if (s.alive && !finished) subscribe(s);
            }, wait);
            return;
          }
          logger.warn('messaging: subscribe failed; replacing the socket', { code: e.code });
          connection?.replace();
        },
      );
    };

    let connection: Connection | undefined;
    /** Whether the consumer's flow control last said "paused"; applied to each new connection. */
    let flowPaused = false;
    const startConnection = (): void => {
      connection = new Connection(
        {
          ...sharedConnectionSettings(options, cfg, scheme, agent, (t) => tokens.add(t)),
          scheduler,
          logger,
          metrics,
          health,
          share,
        },
        {
          open(s) {
            session = s;
            names?.connected(s, agent.id);
            subscribe(s);
            tracker.resumeAll();
          },
          onlineEvent(record) {
            tracker.onLive(record);
            afterFrame();
          },
          conversationChanges(changes) {
            for (const change of changes) tracker.onChange(change);
            afterFrame();
          },
          otherNotification(type) {
            logger.debug?.('messaging: notification type not used', { type });
            afterFrame();
          },
          down() {
            session = undefined;
            lostAt ??= scheduler.now();
            tracker.disconnected();
          },
          fatal: fail,
        },
      );
      if (flowPaused) connection.setPaused(true);
      connection.start();
    };

    const flowSub = flow?.paused$.subscribe((paused) => {
      if (paused === flowPaused) return;
      flowPaused = paused;
      if (paused) metrics.increment('flow.paused');
      logger.debug?.(
        paused ? 'messaging: consumer is behind; socket reads paused' : 'messaging: reads resumed',
      );
      connection?.setPaused(paused);
    });

    const drainSub = context.draining?.subscribe({
      next(v) {
        const resumed = draining && !v;
        draining = v;
        tracker.draining = v;
        // Conversations that appeared while draining were ignored and will not be announced again
        // until they change: subscribing anew makes the server push every open one (found by the fault runs).
        if (resumed && session?.alive === true && !finished) subscribe(session);
        afterFrame();
      },
      error: (e: unknown) =>
        fail(
          isChatshiftError(e)
            ? e
            : new ChatshiftError('ERR_INVALID_OPTIONS', 'draining errored', { cause: e }),
        ),
    });

    // A graceful stop: no new socket read or request, the last checkpoint written, then complete.
    // Deferred to a microtask so a frame already taken (a stop asked from inside next()) is
    // delivered and marked in full first.
    const graceful = (): void =>
      queueMicrotask(() => {
        if (finished) return;
        finished = true;
        poll?.unsubscribe();
        pacer.clear();
        drainSub?.unsubscribe();
        flowSub?.unsubscribe();
        connection?.stop();
        void writer.close().then(() => subscriber.complete());
      });
    const stopSub = context.stop?.subscribe({ next: graceful, complete: graceful, error: graceful });

    void (async () => {
      if (store !== undefined) {
        try {
          // A restart is an outage too: look back from the newest change the checkpoint knows.
          lostAt = tracker.restore(await store.load('messaging'));
        } catch (cause) {
          fail(checkpointLoadError('messaging', cause));
          return;
        }
      }
      if (finished || subscriber.closed) return;
      startConnection();
    })();

    return () => {
      // First: an unsubscribe from inside next() returns into the tracker's loop, which must stop
      // there — no cursor moves and no save for events nobody received (issue #15).
      tracker.stop();
      poll?.unsubscribe();
      pacer.clear();
      stopSub?.unsubscribe();
      drainSub?.unsubscribe();
      flowSub?.unsubscribe();
      connection?.stop();
      if (!finished) void writer.close();
      finished = true;
    };
  });
}
