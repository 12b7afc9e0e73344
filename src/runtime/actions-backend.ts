import type { Observable } from 'rxjs';
import type { BackendId } from '../model/event.js';

/**
 * Which conversation an action is for. Any `ConversationEvent` is one: the action goes to the
 * backend named by `backend` (ownership, not the flag), in the dialog `dialogId` when given.
 */
export interface ConversationRef {
  readonly backend: BackendId;
  readonly conversationId: string;
  /** Messaging: a non-main dialog (a survey); default the main dialog. */
  readonly dialogId?: string;
  /** The sequence of the event replied to, if known: a read-back looks only after it. */
  readonly seq?: number;
}

/** What `send` posts: text (plain or html), or rich content with a fallback text. */
export type SendContent =
  | { readonly text: string; readonly format?: 'plain' | 'html'; readonly audience?: 'all' | 'agents' }
  | { readonly rich: unknown; readonly fallbackText: string; readonly audience?: 'all' | 'agents' };

/** A transfer target: a skill, or an agent (legacy: numeric user id; messaging: `account.user`). */
export type TransferTarget = { readonly skillId: string | number } | { readonly agentId: string | number };

/** The agent's availability for new conversations. */
export type Availability = 'online' | 'away' | 'occupied';

/**
 * An offered conversation (a legacy incoming chat, a messaging routing ring), valid until
 * `expiresAt` (ISO-8601 UTC).
 */
export interface Offer {
  readonly backend: BackendId;
  /** Unique per backend: the ring id, or a legacy incoming-request number. */
  readonly offerId: string;
  /** Messaging: the ringing conversation; legacy names the chat only once it is accepted. */
  readonly conversationId?: string;
  readonly expiresAt: string;
}

/**
 * The actions side of a backend object (the seam core's `conversationActions` routes to): one
 * primitive per wire operation, each one attempt, failing with a coded `ChatshiftError`. The
 * at-most-once policy (retry after 429, read-back after an unclear outcome, never a blind resend)
 * lives in core, written once for both backends.
 */
export interface ActionsBackend {
  readonly id: BackendId;
  /** How long a write may take to land before a read-back trusts a miss (the poll interval). */
  readonly readBackDelayMs: number;
  /** One send attempt; resolves with the new message's sequence where the backend gives one. */
  publish(ref: ConversationRef, content: SendContent, clientMessageId: string): Promise<{ seq?: number }>;
  /**
   * Reads the conversation back: the message sent with `clientMessageId`, or `undefined`. With
   * `beforeSend` (a `skipIfSent` check, before any attempt of this send), anything after
   * `ref.seq` counts, also what this backend object sent itself earlier.
   */
  findSent(
    ref: ConversationRef,
    content: SendContent,
    clientMessageId: string,
    beforeSend?: boolean,
  ): Promise<{ seq?: number } | undefined>;
  typing(ref: ConversationRef, typing: boolean): Promise<void>;
  /** Read receipts; a backend without them documents what it does. */
  markRead(ref: ConversationRef, seqs: readonly number[]): Promise<void>;
  /** `retry`: a repeat after an unclear outcome, where "already closed" means done. */
  close(ref: ConversationRef, scope: 'dialog' | 'conversation', retry: boolean): Promise<void>;
  /** `retry`: a repeat after an unclear outcome, where "the conversation left us" means done. */
  transfer(ref: ConversationRef, target: TransferTarget, retry: boolean): Promise<void>;
  setAvailability(availability: Availability): Promise<void>;
  /** Offers as they come (cold: subscribing starts watching). */
  offers(): Observable<Offer>;
  /** Never repeated by core: an unclear outcome is `ERR_OUTCOME_UNKNOWN`. */
  accept(offer: Offer): Promise<{ conversationId: string }>;
  reject(offer: Offer): Promise<void>;
  /** Closes what the actions opened (a socket). Idempotent. */
  dispose(): Promise<void>;
}
