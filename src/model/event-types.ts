import type { BackendId } from './event.js';
import type { Participant } from './participant.js';
import type { IsoTime } from './time.js';

// The named, documented shapes of the normalized events. The io-ts codecs in event.ts validate
// exactly these (test/model/event-types.test.ts keeps the two mutually assignable), so hovers and
// errors show these names rather than io-ts internals. docs/event-model.md describes each field.

/** Fields every conversation event carries. */
export interface ConversationEventBase {
  /**
   * Unique and stable across restarts: `${backend}:${conversationId}:${seq}` (or with the dialog id
   * before `seq`), or a deterministic derived key for events the backend does not number. A
   * re-delivered event has the same id: make handlers idempotent by it.
   */
  readonly id: string;
  /** The backend the event came from. */
  readonly backend: BackendId;
  /** Legacy: the chatSessionKey. Messaging: the conversationId (the main dialog id). */
  readonly conversationId: string;
  /** Messaging only: set for events of a non-main dialog (a post-conversation survey, a bot dialog). */
  readonly dialogId?: string;
  /**
   * The backend's sequence: the legacy event id, the messaging sequence (per dialog). Absent where
   * the backend numbers nothing (typing, derived participant changes).
   */
  readonly seq?: number;
  /** When it happened: ISO-8601 UTC with milliseconds (`2015-08-30T15:06:02.001Z`). */
  readonly time: IsoTime;
}

/**
 * A message (a legacy `line`, a messaging ContentEvent or RichContentEvent). Named so as not to
 * collide with the DOM/Node global `MessageEvent`.
 */
export interface ChatMessageEvent extends ConversationEventBase {
  readonly type: 'message';
  /**
   * Who sent it. Messages name their sender `from`; the other events name the participant they are
   * about `participant`. {@link speakerOf} reads either.
   */
  readonly from: Participant;
  /** The text; for rich content, the fallback text (may be empty). */
  readonly text: string;
  /** `plain`, `html` (legacy `textType: html`, messaging `text/html`) or `rich` (structured content in `content`). */
  readonly format: 'plain' | 'html' | 'rich';
  /** The structured content of a `rich` message, as the backend sent it. */
  readonly content?: unknown;
  /** A system message's code, when the backend gives one. */
  readonly systemCode?: string;
  /** `agents`: private content the consumer never sees (legacy ONLY_TO_REP, messaging AGENTS_AND_MANAGERS). */
  readonly audience?: 'all' | 'agents';
  /** The sender's idempotency key, read back from the wire (messaging `ExternalId` metadata). */
  readonly clientMessageId?: string;
}

/** The conversation's state changed. Its stream ends with `closed`. */
export interface StateEvent extends ConversationEventBase {
  readonly type: 'state';
  /** `waiting` (no agent yet), `open` (an agent is assigned), `closed`. */
  readonly state: 'waiting' | 'open' | 'closed';
}

/** Someone started or stopped typing (changes only). */
export interface TypingEvent extends ConversationEventBase {
  readonly type: 'typing';
  /** Who is typing. */
  readonly participant: Participant;
  /** True when they started, false when they stopped. */
  readonly typing: boolean;
}

/** A participant joined or left the conversation. */
export interface ParticipantEvent extends ConversationEventBase {
  readonly type: 'participant';
  /** `joined` or `left`. */
  readonly action: 'joined' | 'left';
  /** Who joined or left. */
  readonly participant: Participant;
}

/** Messaging only: messages were accepted or read. */
export interface ReceiptEvent extends ConversationEventBase {
  readonly type: 'receipt';
  /** `accepted` (delivered) or `read`. */
  readonly status: 'accepted' | 'read';
  /** The sequences of the messages it is about. */
  readonly seqs: readonly number[];
  /** Who accepted or read them. */
  readonly participant: Participant;
}

/** One normalized conversation event, whichever backend produced it. See docs/event-model.md. */
export type ConversationEvent = ChatMessageEvent | StateEvent | TypingEvent | ParticipantEvent | ReceiptEvent;

/** The discriminant values of {@link ConversationEvent}. */
export type ConversationEventType = ConversationEvent['type'];

/** The event of one `type`: `EventOfType<'message'>` is {@link ChatMessageEvent}. */
export type EventOfType<K extends ConversationEventType> = Extract<ConversationEvent, { type: K }>;

/** An event under construction inside an adapter (fields still being set); not public. */
export type Draft<T> = { -readonly [K in keyof T]: T[K] };
