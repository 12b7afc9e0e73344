import { Observable, type OperatorFunction } from 'rxjs';
import type { ConversationEvent } from '../model/event.js';

export interface DedupeOptions {
  /** Starting cursors, keyed by `${backend}:${conversationId}`; e.g. loaded from a checkpoint store. */
  initial?: ReadonlyMap<string, number>;
  /**
   * How many closed conversations keep their cursor so a late re-delivery is still dropped.
   * Bounded so memory stays O(open conversations). Default 10000.
   */
  closedMemory?: number;
  /** Called for every dropped duplicate (for metrics). */
  onDuplicate?: (event: ConversationEvent) => void;
}

/** The cursor key of a conversation: backend and conversation id. */
export const cursorKey = (e: Pick<ConversationEvent, 'backend' | 'conversationId'>): string =>
  `${e.backend}:${e.conversationId}`;

/**
 * Drops every sequenced event whose `seq` is not above the highest already emitted for its
 * conversation. Unsequenced events (typing) pass through. Memory is one number per conversation,
 * never per event: a `state: closed` event (with or without a `seq`) moves the conversation's cursor to a bounded
 * closed-conversation memory.
 */
export function dedupe(options: DedupeOptions = {}): OperatorFunction<ConversationEvent, ConversationEvent> {
  const closedMemory = options.closedMemory ?? 10_000;
  return (source) =>
    new Observable<ConversationEvent>((subscriber) => {
      const open = new Map<string, number>(options.initial);
      const closed = new Map<string, number>();
      return source.subscribe({
        next(event) {
          const key = cursorKey(event);
          const isClose = event.type === 'state' && event.state === 'closed';
          if (event.seq !== undefined) {
            const last = open.get(key) ?? closed.get(key);
            if (last !== undefined && event.seq <= last) {
              options.onDuplicate?.(event);
              return;
            }
            if (!isClose) {
              closed.delete(key);
              open.set(key, event.seq);
            }
          }
          // Any close frees the open cursor — also one without a seq (messaging, legacy's derived
          // close): its last seq moves to the bounded closed memory (#15).
          if (isClose) {
            const last = event.seq ?? open.get(key) ?? closed.get(key);
            open.delete(key);
            closed.delete(key);
            if (last !== undefined) {
              closed.set(key, last);
              if (closed.size > closedMemory) closed.delete(closed.keys().next().value as string);
            }
          }
          subscriber.next(event);
        },
        error: (e: unknown) => subscriber.error(e),
        complete: () => subscriber.complete(),
      });
    });
}
