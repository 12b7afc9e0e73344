import type { BackendId } from '../model/event.js';
import { BACKEND_ATTR, ERROR_TYPE_ATTR } from '../runtime/metric-catalog.js';
import { errorType, noopMetrics, secondsSince, type Metrics } from '../runtime/metrics.js';
import type { CheckpointMap, CheckpointStore, ConversationCheckpoint } from './store.js';

/**
 * Wraps a store so that its saves are measured (`checkpoint.save.duration`, and
 * `checkpoint.save.failures` with the error's code) and the open conversations it holds per
 * backend are reported as the `conversations.open` gauge — from the load, then kept current from
 * each save's changes (O(changes) per save). The store itself is unchanged: errors pass through.
 * Returns `store` itself for the no-op sink.
 */
export function meteredCheckpointStore(
  store: CheckpointStore,
  metrics: Metrics,
  now: () => number = () => performance.now(),
): CheckpointStore {
  if (metrics === noopMetrics) return store;
  const open = new Map<BackendId, Set<string>>();
  const report = (backend: BackendId, ids: Set<string>): void =>
    metrics.gauge?.('conversations.open', ids.size, { [BACKEND_ATTR]: backend });
  return {
    async load(backend: BackendId): Promise<CheckpointMap> {
      const map = await store.load(backend);
      const ids = new Set<string>();
      for (const [id, entry] of Object.entries(map ?? {})) if (entry?.closed !== true) ids.add(id);
      open.set(backend, ids);
      report(backend, ids);
      return map;
    },
    async save(backend: BackendId, changes: Record<string, ConversationCheckpoint | null>): Promise<void> {
      const start = now();
      try {
        await store.save(backend, changes);
      } catch (e) {
        const attrs = { [BACKEND_ATTR]: backend, [ERROR_TYPE_ATTR]: errorType(e) };
        metrics.record?.('checkpoint.save.duration', secondsSince(start, now()), attrs);
        metrics.increment('checkpoint.save.failures', 1, attrs);
        throw e;
      }
      metrics.record?.('checkpoint.save.duration', secondsSince(start, now()), { [BACKEND_ATTR]: backend });
      let ids = open.get(backend);
      if (ids === undefined) open.set(backend, (ids = new Set()));
      for (const [id, entry] of Object.entries(changes)) {
        if (entry === null || entry.closed === true) ids.delete(id);
        else ids.add(id);
      }
      report(backend, ids);
    },
  };
}
