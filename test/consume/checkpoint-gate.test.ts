import assert from 'node:assert/strict';
import { CheckpointGate } from '../../src/consume/checkpoint-gate.js';
import type { ConversationEvent } from '../../src/model/event-types.js';
import { recordingStore } from '../support/stores.js';

const time = '2026-01-01T00:00:00.000Z';
const line = (conversationId: string, seq: number, dialogId?: string): ConversationEvent => ({
  id: `messaging:${conversationId}:${dialogId === undefined ? '' : `${dialogId}:`}${seq}`,
  backend: 'messaging',
  conversationId,
  ...(dialogId === undefined ? {} : { dialogId }),
  seq,
  time,
  type: 'message',
  from: { role: 'consumer' },
  text: `line ${seq}`,
  format: 'plain',
});
const typing = (conversationId: string): ConversationEvent => ({
  id: `messaging:${conversationId}:typing-1`,
  backend: 'messaging',
  conversationId,
  time,
  type: 'typing',
  participant: { role: 'consumer' },
  typing: true,
});

/** Lets the gate's writes (promise chains) run. */
const settle = () => new Promise((r) => setImmediate(r));

// The bookkeeping behind consume(): what is written, and when (issue #14).
describe('CheckpointGate', () => {
  const make = (failed: unknown[] = []) => {
    const store = recordingStore();
    return { store, gate: new CheckpointGate(store, (e) => failed.push(e)) };
  };

  it("holds a conversation's entry until its events received before the save are handled; others go at once", async () => {
    const { store, gate } = make();
    const a = [line('a', 1), line('a', 2)];
    for (const e of a) gate.receive(e);
    gate.receive(line('b', 1));
    gate.handled(line('b', 1));
    await gate.wrapped.save('messaging', { a: { seq: 2, meta: { m: 2 } }, b: { seq: 1 } });
    assert.equal(store.checkpoint('messaging', 'b')?.seq, 1);
    assert.equal(store.checkpoint('messaging', 'a'), undefined);
    gate.handled(a[0] as ConversationEvent);
    gate.handled(a[1] as ConversationEvent);
    await settle();
    assert.deepEqual(store.checkpoint('messaging', 'a'), { seq: 2, meta: { m: 2 } });
  });

  it("between the source's saves, each handled event moves the cursor with the last entry's (older) meta, never closed", async () => {
    const { store, gate } = make();
    await gate.wrapped.save('messaging', { a: { seq: 0, meta: { state: 'open' } } });
    for (const s of [1, 2, 3]) gate.receive(line('a', s));
    await gate.wrapped.save('messaging', { a: { seq: 3, closed: true, meta: { state: 'closed' } } });
    gate.handled(line('a', 1));
    await settle();
    assert.deepEqual(store.checkpoint('messaging', 'a'), { seq: 1, meta: { state: 'open' } });
    gate.handled(line('a', 2));
    await settle();
    assert.deepEqual(store.checkpoint('messaging', 'a'), { seq: 2, meta: { state: 'open' } });
    gate.handled(line('a', 3));
    await settle();
    assert.deepEqual(store.checkpoint('messaging', 'a'), { seq: 3, closed: true, meta: { state: 'closed' } });
  });

  it('does not move a cursor it has no entry for (an adapter-owned entry is never invented)', async () => {
    const { store, gate } = make();
    gate.receive(line('a', 5));
    gate.handled(line('a', 5));
    await settle();
    assert.deepEqual(store.saves, []);
  });

  it("a dialog's events move the dialog's entry, and hold back the main conversation's", async () => {
    const { store, gate } = make();
    await gate.wrapped.save('messaging', { a: { seq: 4, meta: {} }, d: { seq: 0, meta: { dialogOf: 'a' } } });
    const e = line('a', 1, 'd');
    gate.receive(e);
    await gate.wrapped.save('messaging', { a: { seq: 4, meta: { dialogs: ['d'] } } });
    assert.deepEqual(store.checkpoint('messaging', 'a'), { seq: 4, meta: {} }, 'main entry held');
    gate.handled(e);
    await settle();
    assert.deepEqual(store.checkpoint('messaging', 'd'), { seq: 1, meta: { dialogOf: 'a' } });
    assert.deepEqual(store.checkpoint('messaging', 'a'), { seq: 4, meta: { dialogs: ['d'] } });
  });

  it('an event without seq holds the entry back but moves no cursor', async () => {
    const { store, gate } = make();
    await gate.wrapped.save('messaging', { a: { seq: 1, meta: {} } });
    gate.receive(typing('a'));
    await gate.wrapped.save('messaging', { a: { seq: 1, meta: { typing: true } } });
    assert.deepEqual(store.checkpoint('messaging', 'a'), { seq: 1, meta: {} });
    gate.handled(typing('a'));
    await settle();
    assert.deepEqual(store.checkpoint('messaging', 'a'), { seq: 1, meta: { typing: true } });
  });

  it('reports a failed write through onError and rejects the save', async () => {
    const failed: unknown[] = [];
    const { store, gate } = make(failed);
    store.failSaves();
    await assert.rejects(gate.wrapped.save('messaging', { a: { seq: 1 } }), /disk full/);
    assert.equal(failed.length, 1);
  });
});
