import type { BackendId } from '../model/event.js';
import type { CheckpointMap, CheckpointStore, ConversationCheckpoint } from './store.js';

/**
 * Checkpoints held in this process only: the default. Survives a source re-subscribing (a backend
 * switched off and on again) but not a restart; use {@link fileCheckpointStore} for that.
 *
 * @example
 * ```ts
 * import { conversationEvents, memoryCheckpointStore } from 'chatshift';
 *
 * // Kept across re-subscriptions in this process (a backend switched off and on), not restarts.
 * const checkpoint = memoryCheckpointStore();
 * conversationEvents({ backend: 'messaging', messaging, checkpoint }).subscribe(handle);
 * ```
 */
export function memoryCheckpointStore(): CheckpointStore {
  const data = new Map<BackendId, Map<string, ConversationCheckpoint>>();
  const of = (b: BackendId) => {
    let m = data.get(b);
    if (m === undefined) data.set(b, (m = new Map()));
    return m;
  };
  return {
    load(backend) {
      const out: CheckpointMap = {};
      for (const [k, v] of of(backend)) out[k] = structuredClone(v);
      return Promise.resolve(out);
    },
    save(backend, changes) {
      const m = of(backend);
      for (const [k, v] of Object.entries(changes)) {
        if (v === null) m.delete(k);
        else m.set(k, structuredClone(v));
      }
      return Promise.resolve();
    },
  };
}
