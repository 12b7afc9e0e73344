// The sockets that a messaging backend object's `events()` runs, offered to the same object's
// actions, so one agent reads and writes over one connection (issue #13: each backend object
// "uses the same connection / agent session as its events").
import type { Session } from './connection.js';

/** What the actions hear from the shared sockets. */
export interface ShareListener {
  /** A socket of `events()` opened (or the first one is open when the listener is added). */
  open(session: Session): void;
  /** No `events()` connection is left: actions must open a socket of their own. */
  idle(): void;
  /** A notification the events do not use (routing rings among them). */
  notification(type: string, body: unknown): void;
}

/** One events connection's side of the share: told of its sockets, and when it stops. */
export interface ShareTap {
  open(session: Session): void;
  down(session: Session): void;
  notification(type: string, body: unknown): void;
  detach(): void;
}

/**
 * The events connections of one backend object (one per `events()` subscription, usually one),
 * and their open sockets. Actions ask {@link SocketShare.session} first, and wait for
 * {@link SocketShare.running} connections to reconnect instead of opening a socket of their own.
 */
export class SocketShare {
  private connections = 0;
  private readonly sessions: Session[] = [];
  private readonly listeners = new Set<ShareListener>();

  /** Whether an `events()` connection runs (open, or reconnecting). */
  get running(): boolean {
    return this.connections > 0;
  }

  /** An open socket of `events()`: the newest that is still alive. */
  get session(): Session | undefined {
    for (let i = this.sessions.length - 1; i >= 0; i--) {
      const s = this.sessions[i] as Session;
      if (s.alive) return s;
    }
    return undefined;
  }

  listen(listener: ShareListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Called by each events connection once, when it starts. */
  attach(): ShareTap {
    this.connections++;
    let attached = true;
    const mine = new Set<Session>();
    const forget = (s: Session): void => {
      mine.delete(s);
      const i = this.sessions.indexOf(s);
      if (i !== -1) this.sessions.splice(i, 1);
    };
    return {
      open: (s) => {
        if (!attached) return;
        mine.add(s);
        this.sessions.push(s);
        for (const l of [...this.listeners]) l.open(s);
      },
      down: forget,
      notification: (type, body) => {
        for (const l of [...this.listeners]) l.notification(type, body);
      },
      detach: () => {
        if (!attached) return;
        attached = false;
        for (const s of [...mine]) forget(s);
        this.connections--;
        if (this.connections === 0) for (const l of [...this.listeners]) l.idle();
      },
    };
  }
}
