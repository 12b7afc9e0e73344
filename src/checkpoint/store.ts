import type { BackendId } from '../model/event.js';

/**
 * What chatshift remembers about one conversation so that a restarted source resumes with nothing
 * lost and nothing duplicated.
 */
export interface ConversationCheckpoint {
  /** Highest sequence (legacy event id / messaging sequence) already delivered to the consumer; -1 for none. */
  seq: number;
  /** True once the conversation's `state: closed` event was delivered. */
  closed?: boolean;
  /**
   * Adapter-owned JSON state needed to avoid re-emitting derived events after a restart
   * (last state, typing flags, participants, last metadata timestamp). Opaque to the store.
   */
  meta?: Record<string, unknown>;
}

/** Checkpoints of one backend, keyed by conversation id. */
export type CheckpointMap = Record<string, ConversationCheckpoint>;

/**
 * Where checkpoints live. Keyed by backend, then conversation. `save` receives only the
 * conversations that changed since the last save; a `null` value deletes one.
 */
export interface CheckpointStore {
  load(backend: BackendId): Promise<CheckpointMap>;
  save(backend: BackendId, changes: Record<string, ConversationCheckpoint | null>): Promise<void>;
}
