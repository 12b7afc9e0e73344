import { tap, type Observable, type Subscription } from 'rxjs';
import type { ConversationEvent } from '../../src/model/event.js';
import type { FlowControl } from '../../src/runtime/flow.js';

/**
 * An asynchronous consumer that can be stalled: it handles events through `flow.process`, and
 * while stalled its handler waits. Records what it handled and the most events it ever held.
 */
export class StalledConsumer {
  readonly handled: ConversationEvent[] = [];
  /** The most events received and not yet handled, at any arrival. */
  maxPending = 0;
  private gate: Promise<void> = Promise.resolve();
  private release: () => void = () => undefined;
  private readonly sub: Subscription;

  constructor(
    events: Observable<ConversationEvent>,
    private readonly flow: FlowControl,
  ) {
    this.sub = events
      .pipe(
        // As each event arrives: process() is about to count it.
        tap(() => (this.maxPending = Math.max(this.maxPending, flow.pending + 1))),
        flow.process(async (e: ConversationEvent) => {
          await this.gate;
          this.handled.push(e);
        }),
      )
      .subscribe();
  }

  /** From now on the handler waits, until {@link resume}. */
  stall(): void {
    this.gate = new Promise<void>((r) => (this.release = r));
  }

  resume(): void {
    this.release();
  }

  get pending(): number {
    return this.flow.pending;
  }

  stop(): void {
    this.sub.unsubscribe();
  }
}
