import assert from 'node:assert/strict';
import { filter, take } from 'rxjs';
import type { MessagingSimulator } from '../../../adapters/messaging/index.js';
import type { ConversationEvent } from '../../../src/model/event.js';
import { recordingStore } from '../../support/stores.js';
import { recordingLogger } from '../../support/logger.js';
import { collect, simulatorPerTest, sourceFor } from './support.js';
import { sleep, waitFor } from '../../support/wait.js';

// Issue #15: the guarantees hold whatever the consumer does and whatever the wire says.
describe('messagingSource: teardown inside next() and out-of-range values', () => {
  let sim: MessagingSimulator;
  simulatorPerTest((s) => (sim = s));

  for (const n of [1, 5]) {
    it(`take(${n}) in the middle of a history batch: the checkpoint ends at the last delivered message, no save for the rest`, async () => {
      const conv = sim.openConversation();
      for (let i = 1; i <= 20; i++) sim.consumerSays(conv, `m${i}`);
      const store = recordingStore();
      const got: ConversationEvent[] = [];
      let done = false;
      sourceFor(sim, { checkpoint: store })
        .pipe(
          filter((e) => e.type === 'message'),
          take(n),
        )
        .subscribe({ next: (e) => got.push(e), complete: () => (done = true) });
      await waitFor(() => done, 'take to complete');
      await sleep(400);
      assert.deepEqual(
        got.map((e) => e.seq),
        Array.from({ length: n }, (_, i) => i + 1),
      );
      assert.equal(store.checkpoint('messaging', conv)?.seq, n, JSON.stringify(store.saves));
      const max = Math.max(...store.saves.map((s) => s.changes[conv]?.seq ?? -1));
      assert.equal(max, n, 'no save ever held a cursor past what was delivered');
    });
  }

  it('a resubscription after take(n) delivers the rest, each once', async () => {
    const conv = sim.openConversation();
    for (let i = 1; i <= 10; i++) sim.consumerSays(conv, `m${i}`);
    const store = recordingStore();
    const first: ConversationEvent[] = [];
    let done = false;
    sourceFor(sim, { checkpoint: store })
      .pipe(
        filter((e) => e.type === 'message'),
        take(3),
      )
      .subscribe({ next: (e) => first.push(e), complete: () => (done = true) });
    await waitFor(() => done, 'take to complete');
    await sleep(100);
    const c = collect(sourceFor(sim, { checkpoint: store }));
    await waitFor(() => c.events.filter((e) => e.type === 'message').length >= 7, 'the rest');
    await sleep(100);
    assert.deepEqual(
      c.events.filter((e) => e.type === 'message').map((e) => e.seq),
      [4, 5, 6, 7, 8, 9, 10],
    );
  });

  for (const n of [1, 2]) {
    it(`take(${n}) among a change's derived events (state, participants): a resubscription delivers the rest, each once`, async () => {
      const conv = sim.openConversation();
      const store = recordingStore();
      const first: ConversationEvent[] = [];
      let done = false;
      sourceFor(sim, { checkpoint: store })
        .pipe(take(n))
        .subscribe({ next: (e) => first.push(e), complete: () => (done = true) });
      await waitFor(() => done, 'take to complete');
      assert.ok(
        first.every((e) => e.seq === undefined),
        `derived events first: ${first.map((e) => e.id).join()}`,
      );
      await sleep(100);
      const whole = collect(sourceFor(sim));
      const c = collect(sourceFor(sim, { checkpoint: store }));
      await waitFor(() => whole.events.length >= 3 && c.events.length + n >= whole.events.length, 'the rest');
      await sleep(100);
      const ids = [...first, ...c.events].filter((e) => e.conversationId === conv).map((e) => e.id);
      assert.deepEqual(
        ids,
        whole.events.filter((e) => e.conversationId === conv).map((e) => e.id),
      );
    });
  }

  it('a live sequence of 2^53-1 is rejected with a warning and does not turn later events into duplicates', async () => {
    const conv = sim.openConversation();
    const logger = recordingLogger();
    const c = collect(sourceFor(sim, { logger }));
    await waitFor(() => c.events.some((e) => e.type === 'state'), 'open');
    await sleep(50);
    sim.sendRawToAll(
      JSON.stringify({
        kind: 'notification',
        type: '.ams.ms.OnlineEventDistribution',
        body: {
          sequence: Number.MAX_SAFE_INTEGER,
          dialogId: conv,
          originatorId: 'x',
          serverTimestamp: Date.now(),
          event: { type: 'ContentEvent', contentType: 'text/plain', message: 'poison' },
        },
      }),
    );
    sim.consumerSays(conv, 'real 1');
    sim.consumerSays(conv, 'real 2');
    await waitFor(() => c.events.filter((e) => e.type === 'message').length >= 2, 'the real messages');
    await sleep(50);
    sim.consumerSays(conv, 'real 3');
    await waitFor(() => c.events.filter((e) => e.type === 'message').length >= 3, 'the later message');
    await sleep(50);
    assert.deepEqual(
      c.events.filter((e) => e.type === 'message').map((e) => e.text),
      ['real 1', 'real 2', 'real 3'],
    );
    assert.ok(
      logger.lines().some((l) => l.includes('out of range')),
      logger.lines().join('\n'),
    );
  });

  it('a metaDataLastUpdateTs in year 275760 does not make the real CLOSE stale', async () => {
    const conv = sim.openConversation();
    const c = collect(sourceFor(sim));
    await waitFor(() => c.events.some((e) => e.type === 'state'), 'open');
    const change = {
      type: 'UPSERT',
      result: {
        convId: conv,
        conversationDetails: {
          convId: conv,
          state: 'OPEN',
          participants: { CONSUMER: ['cons-1'], ASSIGNED_AGENT: [sim.agentId] },
          metaDataLastUpdateTs: 8.64e15,
        },
      },
    };
    sim.sendRawToAll(
      JSON.stringify({
        kind: 'notification',
        type: '.ams.aam.ExConversationChangeNotification',
        body: { subscriptionId: 'sub', changes: [change] },
      }),
    );
    await sleep(50);
    sim.consumerSays(conv, 'bye');
    sim.closeConversation(conv);
    await waitFor(() => c.events.some((e) => e.type === 'state' && e.state === 'closed'), 'the closed event');
  });

  it('checkpoint values out of range are dropped on restore with a warning (seq 1e300 would drop every message)', async () => {
    const conv = sim.openConversation();
    sim.consumerSays(conv, 'one');
    sim.consumerSays(conv, 'two');
    const logger = recordingLogger();
    const store = recordingStore({
      messaging: { [conv]: { seq: 1e300, meta: { state: 'open', ts: 1e300 } } },
    });
    const c = collect(sourceFor(sim, { checkpoint: store, logger }));
    await waitFor(() => c.events.filter((e) => e.type === 'message').length >= 2, 'both messages');
    assert.ok(
      logger.lines().some((l) => l.includes('checkpoint')),
      logger.lines().join('\n'),
    );
  });
});

describe('messagingSource: a conversation transferred away and back', () => {
  let sim: MessagingSimulator;
  simulatorPerTest((s) => (sim = s));

  it('continues from its cursor instead of re-emitting its whole history', async () => {
    const conv = sim.openConversation();
    for (let i = 1; i <= 5; i++) sim.consumerSays(conv, `m${i}`);
    const c = collect(sourceFor(sim));
    await waitFor(() => c.events.filter((e) => e.type === 'message').length === 5, 'the history');
    sim.leave(conv, 'ASSIGNED_AGENT', sim.agentId);
    sim.join(conv, 'ASSIGNED_AGENT', '123.99');
    sim.agentSays(conv, 'while away', { agentId: '123.99' });
    await sleep(50);
    sim.leave(conv, 'ASSIGNED_AGENT', '123.99');
    sim.join(conv, 'ASSIGNED_AGENT', sim.agentId);
    sim.consumerSays(conv, 'back');
    await waitFor(() => c.events.some((e) => e.type === 'message' && e.text === 'back'), 'back');
    await sleep(50);
    const ids = c.events.map((e) => e.id);
    assert.equal(new Set(ids).size, ids.length, `re-emitted: ${ids.join(' ')}`);
    assert.deepEqual(
      c.events.filter((e) => e.type === 'message').map((e) => e.seq),
      [1, 2, 3, 4, 5, 6, 7],
    );
  });
});
