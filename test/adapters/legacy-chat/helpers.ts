import type { Observable, Subscription } from 'rxjs';
import type { ConversationEvent } from '../../../src/model/event.js';

/** Subscribes and records everything the source does. */
export function collect(source: Observable<ConversationEvent>) {
  const out = {
    events: [] as ConversationEvent[],
    error: undefined as unknown,
    completed: false,
    sub: undefined as unknown as Subscription,
  };
  out.sub = source.subscribe({
    next: (e) => out.events.push(e),
    error: (e: unknown) => (out.error = e),
    complete: () => (out.completed = true),
  });
  return out;
}

/** Fast options for tests: small poll interval and backoff. */
export const fast = { pollIntervalMs: 20, backoff: { initialMs: 5, maxMs: 40 } } as const;

/** Events of one conversation, by seq (sequenced events only). */
export const seqsOf = (events: ConversationEvent[], key: string): number[] =>
  events.filter((e) => e.conversationId === key && e.seq !== undefined).map((e) => e.seq as number);
