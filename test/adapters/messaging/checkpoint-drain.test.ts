import assert from 'node:assert/strict';
import { BehaviorSubject } from 'rxjs';
import type { MessagingSimulator } from '../../../adapters/messaging/index.js';
import { messagingSource } from '../../../adapters/messaging/index.js';
import { isChatshiftError } from '../../../src/errors.js';
import { collect, simulatorPerTest, sourceFor, type Collected } from './support.js';
import { recordingStore } from '../../support/stores.js';
import { sleep, waitFor } from '../../support/wait.js';

describe('messagingSource checkpoints, draining and options', () => {
  let sim: MessagingSimulator;
  let c: Collected | undefined;
  simulatorPerTest((s) => (sim = s));
  const source = (extra: Parameters<typeof sourceFor>[1] = {}) => sourceFor(sim, extra);

  it('a restart with the checkpoint resumes each conversation without re-emitting anything', async () => {
    const store = recordingStore();
    const a = sim.openConversation();
    const b = sim.openConversation();
    sim.consumerSays(a, 'a1');
    sim.consumerSays(b, 'b1');
    c = collect(source({ checkpoint: store }));
    await waitFor(() => c!.events.filter((e) => e.type === 'message').length === 2, 'first run');
    sim.typing(a, { on: true });
    await waitFor(() => c!.events.some((e) => e.type === 'typing'), 'typing');
    c.sub.unsubscribe();
    await waitFor(
      () => store.checkpoint('messaging', a)?.seq === 1 && store.checkpoint('messaging', b)?.seq === 1,
      'saved',
    );
    sim.consumerSays(a, 'a2');
    sim.closeConversation(b);
    c = collect(source({ checkpoint: store }));
    await waitFor(() => c!.events.some((e) => e.type === 'state' && e.state === 'closed'), 'second run');
    await waitFor(() => c!.events.some((e) => e.type === 'message'), 'a2');
    assert.deepEqual(
      c.events.map((e) => `${e.conversationId} ${e.type} ${e.seq ?? ''}`).sort(),
      [`${a} message 2`, `${b} state `].sort(),
    );
    c.sub.unsubscribe();
    await waitFor(() => store.checkpoint('messaging', b)?.closed === true, 'closed saved');
    // A third run sees b's CLOSE again (convState includes CLOSE) and stays quiet about it.
    c = collect(source({ checkpoint: store, convState: ['OPEN', 'CLOSE'] }));
    await waitFor(() => sim.requests('.ams.aam.SubscribeExConversations').length === 3, 'third subscribe');
    await sleep(80);
    assert.deepEqual(c.events, []);
  });

  it('a conversation that changes again after a save is saved again: its cursor in the store keeps up', async () => {
    const store = recordingStore();
    const a = sim.openConversation();
    sim.consumerSays(a, 'a1');
    c = collect(source({ checkpoint: store }));
    await waitFor(() => store.checkpoint('messaging', a)?.seq === 1, 'the first save');
    // Each later message comes after a save took the marks: each must be marked, and saved, again.
    for (const [i, text] of ['a2', 'a3'].entries()) {
      sim.consumerSays(a, text);
      await waitFor(() => store.checkpoint('messaging', a)?.seq === i + 2, `${text} saved`, 5000);
    }
    c.sub.unsubscribe();
  });

  it('ends the stream with ERR_CHECKPOINT_IO when a save fails', async () => {
    const store = recordingStore();
    store.failSaves();
    sim.openConversation();
    c = collect(source({ checkpoint: store }));
    await waitFor(() => c!.error !== undefined, 'error');
    assert.ok(isChatshiftError(c.error, 'ERR_CHECKPOINT_IO'));
  });

  it('while draining takes no new conversations and completes once the followed ones close', async () => {
    const a = sim.openConversation();
    const draining = new BehaviorSubject(false);
    c = collect(source({ draining }));
    await waitFor(() => c!.events.some((e) => e.conversationId === a), 'following a');
    draining.next(true);
    const b = sim.openConversation();
    sim.consumerSays(b, 'ignored');
    sim.consumerSays(a, 'still streamed');
    await waitFor(() => c!.events.some((e) => e.type === 'message'), 'a message');
    assert.equal(c.completed, false);
    sim.closeConversation(a);
    await waitFor(() => c!.completed, 'completed');
    assert.ok(c.events.every((e) => e.conversationId === a));
    assert.ok(!sim.requests('.ams.ms.QueryMessages').some((q) => q.body['dialogId'] === b));
    await waitFor(() => sim.connectionCount === 0, 'socket closed');
  });

  it('resumes normal behaviour when draining turns false before completion', async () => {
    const a = sim.openConversation();
    const draining = new BehaviorSubject(false);
    c = collect(source({ draining }));
    await waitFor(() => c!.events.length > 0, 'following a');
    draining.next(true);
    draining.next(false);
    const b = sim.openConversation();
    sim.consumerSays(b, 'b1');
    await waitFor(() => c!.events.some((e) => e.conversationId === b && e.type === 'message'), 'b followed');
    assert.equal(c.completed, false);
    void a;
  });

  it('validates options synchronously', () => {
    const ok = { accountId: '123', domain: '127.0.0.1:1', bearer: 't' };
    for (const bad of [
      { ...ok, accountId: '' },
      { ...ok, domain: undefined },
      { ...ok, domain: 'wss://x' },
      { ...ok, bearer: '' },
      { ...ok, heartbeatIntervalMs: 0 },
      { ...ok, heartbeatTimeoutMs: Number.NaN },
      { ...ok, convState: ['OPEN', 'NOPE'] },
      { ...ok, backoff: { jitter: 2 } },
    ]) {
      assert.throws(
        () => messagingSource(bad as never),
        (e: unknown) => isChatshiftError(e, 'ERR_INVALID_OPTIONS'),
        JSON.stringify(bad),
      );
    }
    // Valid options build a cold source: nothing connects until subscribed.
    const before = sim.connectionsOpened;
    messagingSource({ ...ok, domain: sim.domain });
    messagingSource({ ...ok, domain: 'example.com:443' });
    assert.equal(sim.connectionsOpened, before);
  });
});
