import {
  firstValueFrom,
  filter,
  type Observable,
  ReplaySubject,
  type Subscription,
  take,
  timeout,
} from 'rxjs';
import type { ConversationEvent } from '../../src/model/event.js';

/**
 * Records a stream and lets a test wait for conditions on it. Keeps the sets of conversations
 * seen and closed (keyed `backend:conversationId`) so waits stay cheap with thousands of events.
 */
export class Recorder {
  readonly events: ConversationEvent[] = [];
  readonly seen = new Set<string>();
  readonly closed = new Set<string>();
  error: unknown;
  completed = false;
  readonly subscription: Subscription;
  private readonly changes = new ReplaySubject<number>(1);

  constructor(source: Observable<ConversationEvent>) {
    this.changes.next(0);
    this.subscription = source.subscribe({
      next: (e) => {
        this.events.push(e);
        const key = `${e.backend}:${e.conversationId}`;
        this.seen.add(key);
        if (e.type === 'state' && e.state === 'closed') this.closed.add(key);
        this.changes.next(this.events.length);
      },
      error: (e: unknown) => {
        this.error = e;
        this.changes.next(this.events.length);
      },
      complete: () => {
        this.completed = true;
        this.changes.next(this.events.length);
      },
    });
  }

  /** Re-checks pending waits: call it when something outside the stream changed (a decision). */
  nudge(): void {
    this.changes.next(this.events.length);
  }

  /** Waits until `pred` holds of what has been recorded; fails if the stream errored first. */
  async waitFor(pred: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
    await firstValueFrom(
      this.changes.pipe(
        filter(() => {
          if (this.error !== undefined) throw this.error;
          return pred();
        }),
        take(1),
        timeout({ first: ms, with: () => Promise.reject(new Error(`timed out waiting for ${what}`)) }),
      ),
    );
  }

  /** Waits until every given `backend:conversationId` key has been seen (or closed). */
  waitSeen(keys: Iterable<string>, ms?: number): Promise<void> {
    const list = [...keys];
    return this.waitFor(
      () => list.every((k) => this.seen.has(k)),
      ms,
      `${list.length} conversations to be seen`,
    );
  }

  waitClosed(keys: Iterable<string>, ms?: number): Promise<void> {
    const list = [...keys];
    return this.waitFor(
      () => list.every((k) => this.closed.has(k)),
      ms,
      `${list.length} conversations to close`,
    );
  }
}
