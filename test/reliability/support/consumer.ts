import { retry, type Observable, type Subscription } from 'rxjs';
import type { ConversationEvent } from '../../../src/model/event.js';
import type { FlowControl } from '../../../src/runtime/flow.js';
import type { Rng } from './prng.js';

/** A handler failure drawn by a run (see {@link judge}'s `failures`). */
export interface HandlerFailure {
  /** `backend:conversationId` of the event whose handler threw. */
  conversation: string;
  /** How many events had been handled when it threw. */
  at: number;
}

/** Consumer behaviours the seeded runs draw (issue #15). */
export const consumerBehaviours = [
  'unsubscribe inside next()',
  'immediate resubscribe',
  'retry() with a reused flow',
] as const;
export type ConsumerBehaviour = (typeof consumerBehaviours)[number];

/**
 * A consumer of one cold events stream that misbehaves on request: it unsubscribes from inside
 * `next()` and subscribes again, drops its subscription and resubscribes at once, or (with a
 * `flow`) has its handler throw once so that `retry()` resubscribes with the same FlowControl.
 * `emitted` holds every event it handled, across all its subscriptions.
 */
export class MisbehavingConsumer {
  readonly emitted: ConversationEvent[] = [];
  /** Each drawn handler failure: its event's conversation and how many events were handled before. */
  readonly failures: HandlerFailure[] = [];
  error: unknown;
  private sub: Subscription | undefined;
  private unsubscribeNext = false;
  private throwNext = false;

  constructor(
    private readonly events$: Observable<ConversationEvent>,
    private readonly flow: FlowControl | undefined,
  ) {}

  start(): void {
    const handle = (e: ConversationEvent): void => {
      if (this.throwNext) {
        this.throwNext = false;
        this.failures.push({ conversation: `${e.backend}:${e.conversationId}`, at: this.emitted.length });
        throw new Error('the handler failed (drawn by the run)');
      }
      this.emitted.push(e);
    };
    const flow = this.flow;
    const handled$ =
      flow === undefined
        ? this.events$
        : this.events$.pipe(
            flow.process((e: ConversationEvent) => handle(e)),
            retry({ count: 1000 }),
          );
    const sub = handled$.subscribe({
      next: (e) => {
        if (flow === undefined) handle(e);
        if (this.unsubscribeNext) {
          this.unsubscribeNext = false;
          sub.unsubscribe();
          this.start();
        }
      },
      error: (e: unknown) => (this.error = e),
    });
    this.sub = sub;
  }

  /** Applies `b`; returns false when it does not apply to this consumer (no flow for a retry). */
  misbehave(b: ConsumerBehaviour): boolean {
    if (b === 'unsubscribe inside next()') this.unsubscribeNext = true;
    else if (b === 'immediate resubscribe') {
      this.sub?.unsubscribe();
      this.start();
    } else {
      if (this.flow === undefined) return false;
      this.throwNext = true;
    }
    return true;
  }

  stop(): void {
    this.sub?.unsubscribe();
  }
}

/**
 * The behaviours a run draws: every one. `CONSUMER_BEHAVIOURS=resubscribe` draws only the
 * immediate resubscribe (to tell a consumer-behaviour finding from a wire one).
 */
export function drawnBehaviours(): readonly ConsumerBehaviour[] {
  return process.env['CONSUMER_BEHAVIOURS'] === 'resubscribe'
    ? ['immediate resubscribe']
    : consumerBehaviours;
}

/** Whether a run's consumer handles events through a FlowControl (and its checkpoints()). */
export const drawsFlow = (r: Rng): boolean => r.next() < 0.5;
