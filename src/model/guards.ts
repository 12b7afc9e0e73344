import type {
  ChatMessageEvent,
  ConversationEvent,
  ConversationEventType,
  EventOfType,
  ParticipantEvent,
  ReceiptEvent,
  StateEvent,
  TypingEvent,
} from './event-types.js';
import type { Participant } from './participant.js';

/**
 * A type guard for one event `type`, for `filter(isEvent('message'))` (narrows to
 * {@link ChatMessageEvent}) and `if` statements alike.
 *
 * @example
 * ```ts
 * import { filter } from 'rxjs';
 * import { isEvent } from 'chatshift';
 *
 * events$.pipe(filter(isEvent('state'))).subscribe((e) => e.state);
 * ```
 */
export function isEvent<K extends ConversationEventType>(
  type: K,
): (e: ConversationEvent) => e is EventOfType<K> {
  return (e): e is EventOfType<K> => e.type === type;
}

/** `e` is a message: `events$.pipe(filter(isMessage))` is an `Observable<ChatMessageEvent>`. */
export const isMessage = (e: ConversationEvent): e is ChatMessageEvent => e.type === 'message';
/** `e` is a state change. */
export const isStateChange = (e: ConversationEvent): e is StateEvent => e.type === 'state';
/** `e` is a typing change. */
export const isTyping = (e: ConversationEvent): e is TypingEvent => e.type === 'typing';
/** `e` is a participant joining or leaving. */
export const isParticipantChange = (e: ConversationEvent): e is ParticipantEvent => e.type === 'participant';
/** `e` is a read or accepted receipt. */
export const isReceipt = (e: ConversationEvent): e is ReceiptEvent => e.type === 'receipt';

/**
 * Who the event is from or about, whatever its type: a message's `from`, the `participant` of a
 * typing, participant or receipt event; `undefined` for a state change.
 */
export function speakerOf(e: ConversationEvent): Participant | undefined {
  switch (e.type) {
    case 'message':
      return e.from;
    case 'state':
      return undefined;
    default:
      return e.participant;
  }
}
