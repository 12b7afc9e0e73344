/**
 * A triage bot: it watches what consumers write and decides, per conversation, when to greet and
 * when to hand over to a person. The decisions are a stream of values, so the part that acts on them
 * (sending a reply, transferring to a skill) is one subscriber, and the rules are testable without
 * any server.
 */
import { defer, filter, map, type Observable, type OperatorFunction } from 'rxjs';
import type { ConversationEvent, MessageEvent } from 'chatshift';

/** One decision of the bot about one conversation. */
export interface TriageDecision {
  readonly backend: ConversationEvent['backend'];
  readonly conversationId: string;
  /** `greet`: the consumer's first message; `escalate`: a keyword that needs a person. */
  readonly kind: 'greet' | 'escalate';
  /** The event that caused it (its id is stable across restarts: a de-duplication key). */
  readonly causeId: string;
  readonly reply: string;
}

/** Words that send a conversation to a person. */
export const escalationWords: readonly string[] = ['refund', 'cancel', 'complaint', 'lawyer'];

const isConsumerMessage = (e: ConversationEvent): e is MessageEvent =>
  e.type === 'message' && e.from.role === 'consumer';

/**
 * Turns conversation events into decisions. State is one set of greeted conversations, released
 * when a conversation closes, so memory stays O(open conversations).
 */
export function triage(): OperatorFunction<ConversationEvent, TriageDecision> {
  return (events$: Observable<ConversationEvent>) =>
    defer(() => {
      // One set per subscription: two subscribers never share what was greeted.
      const greeted = new Set<string>();
      return events$.pipe(
        map((e) => step(e, greeted)),
        filter((d): d is TriageDecision => d !== undefined),
      );
    });
}

function step(e: ConversationEvent, greeted: Set<string>): TriageDecision | undefined {
  if (e.type === 'state' && e.state === 'closed') greeted.delete(key(e));
  return isConsumerMessage(e) ? decide(e, greeted) : undefined;
}

const key = (e: ConversationEvent): string => `${e.backend}/${e.conversationId}`;

function decide(e: MessageEvent, greeted: Set<string>): TriageDecision | undefined {
  const base = { backend: e.backend, conversationId: e.conversationId, causeId: e.id };
  const word = escalationWords.find((w) => e.text.toLowerCase().includes(w));
  if (word !== undefined) {
    return { ...base, kind: 'escalate', reply: `I am passing you to a colleague about the ${word}.` };
  }
  if (greeted.has(key(e))) return undefined;
  greeted.add(key(e));
  return { ...base, kind: 'greet', reply: 'Hello! How can I help?' };
}
