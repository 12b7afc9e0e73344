import { Observable, type OperatorFunction } from 'rxjs';
import type { ConversationEvent } from '../model/event.js';
import { relay } from '../runtime/relay.js';

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
      // Open cursors per backend, keyed by conversation id: the per-event lookup uses the strings
      // the event already carries (no key built per event). Closed ones keep the combined key.
      const open = new Map<string, Map<string, number>>();
      const openOf = (backend: string): Map<string, number> => {
        let m = open.get(backend);
        if (m === undefined) open.set(backend, (m = new Map()));
        return m;
      };
      for (const [key, seq] of options.initial ?? []) {
        const at = key.indexOf(':');
        if (at < 0) continue; // not a cursor key: it could never match an event
        openOf(key.slice(0, at)).set(key.slice(at + 1), seq);
      }
      const closed = new Map<string, number>();
      // The last backend's cursors: consecutive events mostly come from the same backend.
      let lastBackend: string | undefined;
      let lastOpens: Map<string, number> | undefined;
      return source.subscribe(
        relay<ConversationEvent>(subscriber, {
          next(event, out) {
            const isClose = event.type === 'state' && event.state === 'closed';
            const seq = event.seq;
            if (seq !== undefined) {
              if (event.backend !== lastBackend) {
                lastBackend = event.backend;
                lastOpens = openOf(event.backend);
              }
              const opens = lastOpens as Map<string, number>;
              let last = opens.get(event.conversationId);
              // Open and closed cursors never hold the same conversation: look in the closed ones
              // only when it has no open cursor.
              const closedKey = last === undefined && closed.size > 0 ? cursorKey(event) : undefined;
              if (closedKey !== undefined) last = closed.get(closedKey);
              if (last !== undefined && seq <= last) {
                options.onDuplicate?.(event);
                return;
              }
              if (!isClose) {
                if (closedKey !== undefined) closed.delete(closedKey);
                opens.set(event.conversationId, seq);
              }
            }
            // Any close frees the open cursor — also one without a seq (messaging, legacy's derived
            // close): its last seq moves to the bounded closed memory (#15).
            if (isClose) {
              const key = cursorKey(event);
              const opens = openOf(event.backend);
              const last = seq ?? opens.get(event.conversationId) ?? closed.get(key);
              opens.delete(event.conversationId);
              closed.delete(key);
              if (last !== undefined) {
                closed.set(key, last);
                if (closed.size > closedMemory) closed.delete(closed.keys().next().value as string);
              }
            }
            out.next(event);
          },
        }),
      );
    });
}
