// Which socket a messaging action goes over: the events' socket of the same backend object when
// `events()` runs (one connection per agent), else one of the actions' own, opened on first use and
// closed when idle, when the events' socket takes over, or by dispose().
import type { Subscription } from 'rxjs';
import { ChatshiftError } from '../../src/errors.js';
import type { Logger } from '../../src/runtime/logger.js';
import type { Metrics } from '../../src/runtime/metrics.js';
import { Connection, type ConnectionSettings, type Session } from './connection.js';
import type { SocketShare } from './socket-share.js';

export interface ActionSocketsConfig {
  /** How to open a socket of the actions' own. */
  connection: Omit<ConnectionSettings, 'logger' | 'metrics' | 'share' | 'health'>;
  /** The events' sockets of the same backend object. */
  share: SocketShare | undefined;
  /** Longest wait for a socket before an action fails (`ERR_CONNECTION`, not sent). */
  connectWaitMs: number;
  /** How long the own socket stays open with nothing to do. */
  idleCloseMs: number;
  logger: Logger;
  metrics: Metrics;
  /** A socket the actions may use opened (shared or own): routing is subscribed there. */
  onOpen(session: Session): void;
  /** A notification from a socket the actions use (routing rings). */
  onNotification(type: string, body: unknown): void;
  /** The own socket failed for good (bearer refused, retries exhausted). */
  onFatal(error: ChatshiftError): void;
  /** True while something needs a socket even with no request in flight (offers$ subscribers). */
  wanted(): boolean;
}

type Waiter = { resolve(s: Session): void; reject(e: unknown): void };

const disposedError = (): ChatshiftError =>
  new ChatshiftError('ERR_CONNECTION', 'messaging: the actions were disposed', { details: { sent: false } });

export class ActionSockets {
  private own: Connection | undefined;
  private ownSession: Session | undefined;
  private waiters: Waiter[] = [];
  /** Requests in flight on the own socket. */
  private busy = 0;
  private idleTimer: Subscription | undefined;
  private disposed = false;
  private readonly unlisten: (() => void) | undefined;

  constructor(private readonly cfg: ActionSocketsConfig) {
    this.unlisten = cfg.share?.listen({
      open: (s) => {
        this.resolveWaiters(s);
        this.cfg.onOpen(s);
        this.settle();
      },
      idle: () => {
        // The events stopped while actions waited for their socket to come back: open our own.
        if (this.waiters.length > 0 || this.cfg.wanted()) this.openOwn();
      },
      notification: (type, body) => this.cfg.onNotification(type, body),
    });
  }

  /** The socket an action would use now, if one is open: the events' first. */
  current(): Session | undefined {
    const shared = this.cfg.share?.session;
    if (shared !== undefined) return shared;
    return this.ownSession?.alive === true ? this.ownSession : undefined;
  }

  /** Runs one request on a socket (waiting at most `connectWaitMs` for one). */
  async run<T>(fn: (s: Session) => Promise<T>): Promise<T> {
    const s = await this.ready();
    const own = s === this.ownSession;
    if (own) {
      this.busy++;
      this.idleTimer?.unsubscribe();
    }
    try {
      return await fn(s);
    } finally {
      if (own) {
        this.busy--;
        this.settle();
      }
    }
  }

  /** An open socket: the events' when one is open or they are reconnecting, else the own one. */
  ready(): Promise<Session> {
    if (this.disposed) return Promise.reject(disposedError());
    const now = this.current();
    if (now !== undefined) return Promise.resolve(now);
    if (this.cfg.share?.running !== true) this.openOwn();
    return new Promise<Session>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject };
      this.waiters.push(waiter);
      const timer = this.cfg.connection.scheduler.schedule(() => {
        if (!this.waiters.includes(waiter)) return;
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(
          new ChatshiftError('ERR_CONNECTION', 'messaging: no socket for the action in time', {
            details: { sent: false },
          }),
        );
        this.settle();
      }, this.cfg.connectWaitMs);
      waiter.resolve = (s) => {
        timer.unsubscribe();
        resolve(s);
      };
      waiter.reject = (e) => {
        timer.unsubscribe();
        reject(e);
      };
    });
  }

  /**
   * After a request or a change of sockets: the own socket closes when the events' socket can
   * take its place, or after `idleCloseMs` with nothing to do.
   */
  settle(): void {
    this.idleTimer?.unsubscribe();
    if (this.own === undefined || this.busy > 0 || this.waiters.length > 0 || this.disposed) return;
    if (this.cfg.share?.session !== undefined) {
      this.closeOwn('the events socket took over');
      return;
    }
    if (this.cfg.wanted()) return;
    this.idleTimer = this.cfg.connection.scheduler.schedule(() => {
      if (this.busy === 0 && this.waiters.length === 0 && !this.cfg.wanted()) this.closeOwn('idle');
    }, this.cfg.idleCloseMs);
  }

  dispose(): void {
    this.disposed = true;
    this.unlisten?.();
    this.closeOwn('disposed');
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) w.reject(disposedError());
  }

  private openOwn(): void {
    if (this.own !== undefined || this.disposed) return;
    const c = new Connection(
      { ...this.cfg.connection, logger: this.cfg.logger, metrics: this.cfg.metrics },
      {
        open: (s) => {
          c.markHealthy();
          this.ownSession = s;
          this.resolveWaiters(s);
          this.cfg.onOpen(s);
          this.settle();
        },
        down: () => {
          this.ownSession = undefined;
        },
        fatal: (e) => {
          if (this.own === c) this.closeOwn('failed');
          const waiting = this.waiters;
          this.waiters = [];
          for (const w of waiting) w.reject(e);
          this.cfg.onFatal(e);
        },
        onlineEvent: () => undefined,
        conversationChanges: () => undefined,
        otherNotification: (type, body) => this.cfg.onNotification(type, body),
      },
    );
    this.own = c;
    c.start();
  }

  private closeOwn(why: string): void {
    this.idleTimer?.unsubscribe();
    const c = this.own;
    if (c === undefined) return;
    this.own = undefined;
    this.ownSession = undefined;
    this.cfg.logger.debug?.('messaging: the actions socket closes', { why });
    c.stop();
  }

  private resolveWaiters(s: Session): void {
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) w.resolve(s);
  }
}
