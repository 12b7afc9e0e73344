import assert from 'node:assert/strict';
import { meteredCheckpointStore } from '../../src/checkpoint/metered.js';
import { memoryCheckpointStore } from '../../src/checkpoint/memory.js';
import type { CheckpointStore } from '../../src/checkpoint/store.js';
import { ChatshiftError } from '../../src/errors.js';
import { noopMetrics } from '../../src/runtime/metrics.js';
import { recordingMetrics } from '../support/metrics.js';

describe('meteredCheckpointStore', () => {
  it('reports open conversations per backend from the load, then from each save', async () => {
    const inner = memoryCheckpointStore();
    await inner.save('messaging', { a: { seq: 1 }, b: { seq: 2, closed: true }, c: { seq: 3 } });
    const m = recordingMetrics();
    const store = meteredCheckpointStore(inner, m);
    await store.load('messaging');
    await store.save('messaging', { d: { seq: 0 }, a: { seq: 4, closed: true } });
    await store.save('messaging', { c: null });
    await store.save('legacy-chat', { k: { seq: 1 } });
    assert.deepEqual(
      m.of('conversations.open').map((c) => [c.attributes['chatshift.backend'], c.value]),
      [
        ['messaging', 2],
        ['messaging', 2],
        ['messaging', 1],
        ['legacy-chat', 1],
      ],
    );
    assert.equal(m.of('checkpoint.save.duration').length, 3);
    assert.ok(
      m.of('checkpoint.save.duration').every((c) => c.value >= 0 && c.attributes['error.type'] === undefined),
    );
    assert.deepEqual(await inner.load('messaging'), await store.load('messaging'));
  });

  it('counts a failed save with its error code and passes the error on unchanged', async () => {
    const boom = new ChatshiftError('ERR_CHECKPOINT_FENCED', 'a newer owner holds the shard');
    const failing: CheckpointStore = { load: async () => ({}), save: () => Promise.reject(boom) };
    const m = recordingMetrics();
    const store = meteredCheckpointStore(failing, m);
    await assert.rejects(store.save('legacy-chat', { k: { seq: 1 } }), (e) => e === boom);
    assert.deepEqual(
      m.of('checkpoint.save.failures').map((c) => c.attributes),
      [{ 'chatshift.backend': 'legacy-chat', 'error.type': 'ERR_CHECKPOINT_FENCED' }],
    );
    assert.equal(m.of('checkpoint.save.duration')[0]?.attributes['error.type'], 'ERR_CHECKPOINT_FENCED');
    assert.equal(m.of('conversations.open').length, 0, 'a failed save changes no level');
  });

  it('leaves the store unwrapped for the no-op sink', () => {
    const inner = memoryCheckpointStore();
    assert.equal(meteredCheckpointStore(inner, noopMetrics), inner);
  });
});
