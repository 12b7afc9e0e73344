import type { ClientRequest, IncomingMessage } from 'node:http';
import type { SchedulerLike, Subscription } from 'rxjs';
import { ChatshiftError } from '../../src/errors.js';
import { backoffDelay, type ResolvedBackoff } from '../../src/runtime/backoff.js';
import { resolveBearer, type BearerSource } from '../../src/runtime/bearer.js';
import type { HealthReporter } from '../../src/runtime/health.js';
import type { Logger } from '../../src/runtime/logger.js';
import { measureOperation, type Metrics } from '../../src/runtime/metrics.js';
import { invalidInputReporter } from '../../src/runtime/invalid-input.js';
import { KeepAlive, type KeepAliveSettings } from './keep-alive.js';
import type { ShareTap, SocketShare } from './socket-share.js';
import { FrameRouter, RequestCorrelator, sanitize, type NotificationSink } from './protocol.js';
import type { WebSocketConstructor, WebSocketLike } from './websocket.js';

/** Close codes after which a fresh bearer is fetched before reconnecting (protocol §6). */
export const authCloseCodes: ReadonlySet<number> = new Set([4401, 4407, 1011]);

/**
 * Close codes that say the bearer itself was refused (as does a handshake 401/403). 1011 is a
 * server error the SDK answers with a new token: it asks for one without counting as a refusal.
 */
const refusalCloseCodes: ReadonlySet<number> = new Set([4401, 4407]);

/**
 * Consecutive handshakes answered 404 before the stream ends with `ERR_HTTP_STATUS`: the account
 * or the host is wrong (a messaging host that is not `facadeMsg`/`asyncMessagingEnt`), which
 * retrying cannot fix; a few are tolerated for a load balancer's passing misroute.
 */
export const MAX_HANDSHAKE_NOT_FOUND = 3;

export interface ConnectionSettings {
  scheme: 'ws' | 'wss';
  domain: string;
  /**
   * With a session: where to connect, asked before each connect (CSDS answers are cached by the
   * session). A failure to discover is retried with backoff; a closed session or an insecure host
   * end the stream.
   */
  endpoint?: () => Promise<{ scheme: 'ws' | 'wss'; domain: string }>;
  accountId: string;
  bearer: BearerSource;
  WebSocket: WebSocketConstructor;
  scheduler: SchedulerLike;
  logger: Logger;
  metrics: Metrics;
  backoff: ResolvedBackoff;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  requestTimeoutMs: number;
  maxFrameBytes: number;
  /** Receives every token in use, so logs can redact it. */
  onBearer(token: string): void;
  /** Told when a socket is opening, open, or a reconnect is scheduled (the backend's `health$`). */
  health?: HealthReporter;
  /**
   * The events' connection offers its sockets to the same backend object's actions: each open
   * socket, its end, and the notifications the events do not use (routing rings).
   */
  share?: SocketShare;
}

/** One open socket, as the source sees it. */
export interface Session {
  request(
    type: string,
    body: object,
    timeoutMs?: number,
    metadata?: readonly object[],
  ): ReturnType<RequestCorrelator['request']>;
  /** False once this socket has gone; answers for it must be ignored. */
  readonly alive: boolean;
}

/** The source's side: socket up and down, and the decoded notifications (never a response). */
export interface ConnectionHooks extends NotificationSink {
  open(session: Session): void;
  down(): void;
  fatal(error: ChatshiftError): void;
}

/** The current socket and what lives and dies with it. */
interface Socket {
  ws: WebSocketLike;
  session: Session & { alive: boolean };
  /** The same socket as the actions use it (see {@link Connection.share}). */
  shared: Session | undefined;
  correlator: RequestCorrelator;
  handshake: Subscription;
  keepAlive: KeepAlive;
}

/**
 * The socket lifecycle: connect (fresh bearer after an auth close), handshake timeout, reconnect
 * with exponential backoff and jitter, and which failures refuse the bearer. Each socket gets its
 * frame protocol ({@link FrameRouter}) and keep-alive watchdog ({@link KeepAlive}). It knows
 * nothing about conversations.
 */
export class Connection {
  private socket: Socket | undefined;
  private reconnectTimer: Subscription | undefined;
  private attempt = 0;
  /**
   * The token in use was fetched because the previous one was refused, and has not proved itself
   * yet (a subscribed session, or a socket it opened that then closed for another reason). A
   * refusal while on probation ends the stream: even a fresh bearer is refused.
   */
  private probation = false;
  private freshBearer = true;
  /**
   * The last socket closed abruptly (1006) after it had opened: if the next handshake with the
   * same token is refused (401/403), that close was the token's revocation (M6, SDK issue #29),
   * and counts as a refusal from the probation the token had when it closed.
   */
  private abruptWhileOnProbation: boolean | undefined;
  private notFound = 0;
  private token: string | undefined;
  private stopped = false;
  private paused = false;
  /** Bumped on every pause and resume, so deadlines that spanned a pause are re-armed. */
  private flowEpoch = 0;
  private readonly keepAliveSettings: KeepAliveSettings;
  private tap: ShareTap | undefined;
  /**
   * Action requests waiting for their answer on the current socket. Their answers must be read
   * even while the consumer's flow control pauses reading: a handler that awaits a send would
   * otherwise never let the consumer catch up (a deadlock).
   */
  private actionsInFlight = 0;
  /** Whether the socket is not read now: paused by flow control and no action waits for an answer. */
  private readsPaused = false;

  constructor(
    private readonly s: ConnectionSettings,
    private readonly hooks: ConnectionHooks,
  ) {
    this.keepAliveSettings = {
      scheduler: s.scheduler,
      logger: s.logger,
      intervalMs: s.heartbeatIntervalMs,
      timeoutMs: s.heartbeatTimeoutMs,
    };
  }

  start(): void {
    this.tap ??= this.s.share?.attach();
    void this.connect();
  }

  /**
   * The socket proved usable (subscribed): reset backoff and end the token's probation. An open
   * alone does not: a server may accept the handshake and close with 4401 right after.
   */
  markHealthy(): void {
    this.attempt = 0;
    this.probation = false;
  }

  /**
   * Stops (or restarts) reading the socket for a consumer that is behind: the backlog stays in the
   * kernel and on the server. While paused, neither the keep-alive watchdog nor request deadlines
   * count, since answers cannot be read.
   */
  setPaused(paused: boolean): void {
    if (paused === this.paused) return;
    this.paused = paused;
    this.applyReads();
  }

  /** Pauses or resumes reading the socket: paused by flow control unless an action waits. */
  private applyReads(): void {
    const paused = this.paused && this.actionsInFlight === 0;
    if (paused === this.readsPaused) return;
    this.readsPaused = paused;
    this.flowEpoch++;
    const ws = this.socket?.ws;
    if (ws === undefined || ws.readyState !== ws.OPEN) return;
    if (paused) ws.pause();
    else ws.resume();
  }

  /** Drops the current socket; the usual reconnect (with backoff) follows. */
  replace(): void {
    this.socket?.ws.terminate();
  }

  stop(): void {
    this.stopped = true;
    this.reconnectTimer?.unsubscribe();
    this.teardown(new ChatshiftError('ERR_CONNECTION', 'the source was stopped'));
    this.tap?.detach();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    this.s.health?.connecting();
    if (this.freshBearer || this.token === undefined) {
      try {
        this.token = await resolveBearer(this.s.bearer);
      } catch (e) {
        if (!this.stopped) this.hooks.fatal(e as ChatshiftError);
        return;
      }
      this.s.onBearer(this.token);
      this.freshBearer = false;
    }
    if (this.stopped) return;
    let { scheme, domain } = this.s;
    if (this.s.endpoint !== undefined) {
      try {
        ({ scheme, domain } = await this.s.endpoint());
      } catch (e) {
        if (this.stopped) return;
        const code = (e as { code?: unknown }).code;
        if (code === 'ERR_DISCOVERY' || code === 'ERR_RETRIES_EXHAUSTED') {
          this.s.logger.warn('messaging: the messaging host could not be discovered; retrying', { code });
          this.scheduleReconnect();
        } else this.hooks.fatal(e as ChatshiftError);
        return;
      }
      if (this.stopped) return;
    }
    const url = `${scheme}://${domain}/ws_api/account/${encodeURIComponent(this.s.accountId)}/messaging/brand/${encodeURIComponent(this.token)}?v=2.1`;
    let ws: WebSocketLike;
    try {
      ws = new this.s.WebSocket(url, { maxPayload: this.s.maxFrameBytes, perMessageDeflate: false });
    } catch (e) {
      this.s.logger.warn('messaging: could not create the socket', { error: sanitize(e) });
      this.scheduleReconnect();
      return;
    }
    const correlator = new RequestCorrelator(
      (text) => {
        ws.send(text);
        this.s.metrics.increment('ws.frames.out');
      },
      this.s.scheduler,
      () => (this.readsPaused ? -1 : this.flowEpoch),
    );
    const tap = this.tap;
    const hooks = this.hooks;
    const sink =
      tap === undefined
        ? hooks
        : {
            onlineEvent: hooks.onlineEvent.bind(hooks),
            conversationChanges: hooks.conversationChanges.bind(hooks),
            otherNotification: (type: string, body: unknown) => {
              tap.notification(type, body);
              hooks.otherNotification(type, body);
            },
          };
    const router = new FrameRouter(
      correlator,
      sink,
      this.s.logger,
      invalidInputReporter(this.s.logger, this.s.metrics),
    );
    const keepAlive = new KeepAlive(
      this.keepAliveSettings,
      correlator,
      () => this.readsPaused,
      () => ws.terminate(),
    );
    const session = {
      alive: true,
      request: (
        type: string,
        body: object,
        timeoutMs = this.s.requestTimeoutMs,
        metadata?: readonly object[],
      ) =>
        measureOperation(
          this.s.metrics,
          'messaging',
          type,
          correlator.request(type, body, timeoutMs, metadata),
        ),
    };
    // The actions' view of this socket: while one of their requests waits, the socket is read.
    const shared: Session | undefined =
      tap === undefined
        ? undefined
        : {
            get alive() {
              return session.alive;
            },
            request: (type, body, timeoutMs, metadata) => {
              this.actionsInFlight++;
              this.applyReads();
              const answer = session.request(type, body, timeoutMs, metadata);
              const release = (): void => {
                if (this.socket?.session !== session) return;
                this.actionsInFlight--;
                this.applyReads();
              };
              answer.then(release, release);
              return answer;
            },
          };
    let opened = false;
    let handshakeStatus: number | undefined;
    const handshake = this.s.scheduler.schedule(() => {
      if (opened || this.socket?.ws !== ws) return;
      this.s.logger.warn('messaging: handshake timed out; retrying', {
        timeoutMs: this.s.heartbeatTimeoutMs,
      });
      ws.terminate();
    }, this.s.heartbeatTimeoutMs);
    this.socket = { ws, session, shared, correlator, handshake, keepAlive };

    ws.on('open', () => {
      opened = true;
      handshake.unsubscribe();
      this.notFound = 0;
      // The token was taken again after an abrupt close: that close was a drop, not a revocation.
      if (this.abruptWhileOnProbation !== undefined) {
        this.abruptWhileOnProbation = undefined;
        this.probation = false;
      }
      if (this.readsPaused) ws.pause();
      this.s.metrics.increment('ws.connects');
      this.s.health?.connected();
      this.s.logger.debug?.('messaging: socket open');
      keepAlive.start();
      this.hooks.open(session);
      if (shared !== undefined && this.socket?.ws === ws) tap?.open(shared);
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      keepAlive.frames++;
      this.s.metrics.increment('ws.frames.in');
      if (isBinary) router.binary();
      else router.text(data.toString('utf8'));
    });
    ws.on('unexpected-response', (_req: ClientRequest, res: IncomingMessage) => {
      handshakeStatus = res.statusCode;
      this.s.logger.warn('messaging: handshake answered without an upgrade', { status: handshakeStatus });
      // With this listener ws leaves the failed upgrade to us: drop the response, and terminate()
      // aborts the request and destroys its socket, then closes this WebSocket (1006).
      res.destroy();
      ws.terminate();
    });
    ws.on('error', (err: Error & { code?: string }) => {
      if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
        this.s.logger.warn('messaging: frame above the size cap; reconnecting', {
          code: 'ERR_PAYLOAD_TOO_LARGE',
          maxFrameBytes: this.s.maxFrameBytes,
        });
        return;
      }
      // After a refused handshake the error only says that we aborted it.
      if (handshakeStatus !== undefined) return;
      this.s.logger.warn('messaging: socket error', { error: sanitize(err) });
    });
    ws.on('close', (code: number) => {
      if (this.socket?.ws !== ws) return;
      this.endSocket(new ChatshiftError('ERR_CONNECTION', 'the socket closed', { details: { code } }));
      if (this.stopped) return;
      const status = handshakeStatus !== undefined ? { status: handshakeStatus } : {};
      const handshakeRefused = handshakeStatus === 401 || handshakeStatus === 403;
      const refused = (opened && refusalCloseCodes.has(code)) || handshakeRefused;
      // An abrupt close, then a refusal of the same token at the next upgrade: a revocation, judged
      // with the probation the token had when its socket was cut.
      // A 502 or a stalled handshake in between says nothing either way: the question stays open.
      if (handshakeRefused && this.abruptWhileOnProbation === true) this.probation = true;
      if (handshakeRefused || opened) this.abruptWhileOnProbation = undefined;
      this.s.logger.info?.('messaging: socket closed; reconnecting', { code, ...status });
      this.notFound = handshakeStatus === 404 ? this.notFound + 1 : 0;
      if (this.notFound >= MAX_HANDSHAKE_NOT_FOUND) {
        this.hooks.fatal(
          new ChatshiftError(
            'ERR_HTTP_STATUS',
            `the messaging handshake was answered 404 ${this.notFound} times: wrong account or host`,
            { details: { status: 404, attempts: this.notFound } },
          ),
        );
        return;
      }
      if (refused && this.probation) {
        this.hooks.fatal(
          new ChatshiftError('ERR_AUTH_REJECTED', 'the server rejected the bearer even after a fresh one', {
            details: { code, ...status },
          }),
        );
        return;
      }
      if (refused) {
        this.probation = true;
        this.freshBearer = true;
      } else if (opened && code === 1006) {
        // Cut without a close frame: a network drop, or a revoked token (M6). Only the next
        // handshake tells; until then the token keeps its probation.
        this.abruptWhileOnProbation = this.probation;
      } else if (opened) {
        // The server took this token at the handshake and closed for another reason.
        this.probation = false;
        if (authCloseCodes.has(code)) this.freshBearer = true;
      }
      if (opened) this.hooks.down();
      this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    if (this.attempt >= this.s.backoff.maxAttempts) {
      this.hooks.fatal(
        new ChatshiftError('ERR_RETRIES_EXHAUSTED', `no connection after ${this.attempt} attempts`, {
          details: { attempts: this.attempt },
        }),
      );
      return;
    }
    const delay = backoffDelay(this.attempt, this.s.backoff);
    this.attempt++;
    this.s.health?.backingOff();
    this.s.metrics.increment('reconnects');
    this.reconnectTimer = this.s.scheduler.schedule(() => void this.connect(), delay);
  }

  /** Forgets the current socket: its timers stop, its session dies, its requests fail. */
  private endSocket(error: ChatshiftError): WebSocketLike | undefined {
    const socket = this.socket;
    if (socket === undefined) return undefined;
    this.socket = undefined;
    socket.handshake.unsubscribe();
    socket.keepAlive.stop();
    socket.session.alive = false;
    if (socket.shared !== undefined) this.tap?.down(socket.shared);
    // The next socket starts with no action waiting (the answers of this one's are lost).
    this.actionsInFlight = 0;
    this.applyReads();
    socket.correlator.failAll(error);
    return socket.ws;
  }

  private teardown(error: ChatshiftError): void {
    const ws = this.endSocket(error);
    if (ws !== undefined) {
      ws.removeAllListeners('message');
      ws.on('error', () => {});
      // A socket not being read would never see the server's close frame: read it to the end.
      if (this.readsPaused && ws.readyState === ws.OPEN) ws.resume();
      try {
        if (ws.readyState === ws.OPEN) ws.close(1000);
        else ws.terminate();
      } catch {
        // already closed
      }
    }
  }
}
