import { memoryCheckpointStore } from '../../src/checkpoint/memory.js';
import type { CheckpointMap, CheckpointStore, ConversationCheckpoint } from '../../src/checkpoint/store.js';
import type { BackendId } from '../../src/model/event.js';

/** One save a {@link RecordingStore} was asked for. */
export interface RecordedSave {
  backend: BackendId;
  changes: Record<string, ConversationCheckpoint | null>;
}

/** A memory checkpoint store that records its saves and can be told to fail them. */
export interface RecordingStore extends CheckpointStore {
  /** Every save that succeeded, in order (copies). */
  readonly saves: RecordedSave[];
  /** The checkpoint held now for `conversationId`, read synchronously (for waits). */
  checkpoint(backend: BackendId, conversationId: string): ConversationCheckpoint | undefined;
  /** From now on saves reject with `disk full` (until called with false). */
  failSaves(fail?: boolean): void;
}

/** {@link RecordingStore} over `memoryCheckpointStore()`, holding `initial` to start with. */
export function recordingStore(initial: Partial<Record<BackendId, CheckpointMap>> = {}): RecordingStore {
  const inner = memoryCheckpointStore();
  const held = new Map<string, ConversationCheckpoint>();
  const keyOf = (backend: BackendId, id: string) => `${backend}\u0000${id}`;
  const saves: RecordedSave[] = [];
  let failing = false;
  const apply = (backend: BackendId, changes: Record<string, ConversationCheckpoint | null>) => {
    for (const [id, cp] of Object.entries(changes)) {
      if (cp === null) held.delete(keyOf(backend, id));
      else held.set(keyOf(backend, id), structuredClone(cp));
    }
    return inner.save(backend, changes);
  };
  for (const [backend, map] of Object.entries(initial) as [BackendId, CheckpointMap][])
    void apply(backend, map);
  return {
    saves,
    load: (backend) => inner.load(backend),
    save: (backend, changes) => {
      if (failing) return Promise.reject(new Error('disk full'));
      saves.push({ backend, changes: structuredClone(changes) });
      return apply(backend, changes);
    },
    checkpoint: (backend, id) => {
      const cp = held.get(keyOf(backend, id));
      return cp === undefined ? undefined : structuredClone(cp);
    },
    failSaves: (fail = true) => {
      failing = fail;
    },
  };
}
