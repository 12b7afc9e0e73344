import type { ConversationEvent } from '../../src/model/event.js';

// Adapters may not import src/checkpoint (docs/architecture.md), so the store contract is
// restated here structurally; any store written for src/checkpoint/store.ts fits it unchanged.

export type { ConversationEvent };

/** What the source remembers about one conversation (same shape as core's `ConversationCheckpoint`). */
export interface ConversationCheckpoint {
  /** Highest sequence delivered; -1 for none. */
  seq: number;
  /** True once the conversation's `closed` event was delivered. */
  closed?: boolean;
  /** Adapter-owned state: last state, typing flags, participants, last `metaDataLastUpdateTs`. */
  meta?: Record<string, unknown>;
}

/** A checkpoint store (same shape as core's `CheckpointStore`); the source uses backend `'messaging'`. */
export interface MessagingCheckpointStore {
  load(backend: 'messaging'): Promise<Record<string, ConversationCheckpoint>>;
  save(backend: 'messaging', changes: Record<string, ConversationCheckpoint | null>): Promise<void>;
}
