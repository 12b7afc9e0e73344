import assert from 'node:assert/strict';
import type { MessagingSimulator } from '../../../adapters/messaging/index.js';
import { flowControl } from '../../../src/runtime/flow.js';
import { counterMetrics } from '../../../src/runtime/metrics.js';
import { StalledConsumer } from '../../support/stalled-consumer.js';
import { seqsByConversation, simulatorPerTest, sourceFor } from './support.js';
import { sleep, waitFor } from '../../support/wait.js';

const CONVERSATIONS = 20;
const PER_CONVERSATION = 250;
const TOTAL = CONVERSATIONS * PER_CONVERSATION;
const HIGH_WATER = 100;

/**
 * A consumer that handles events asynchronously and stalls (its handler waits on a gate) while
 * the simulator sends a 5,000-message burst. Returns the most events it ever held unhandled.
 */
async function stalledConsumer(sim: MessagingSimulator, giveFlowToSource: boolean) {
  const flow = flowControl({ highWaterMark: HIGH_WATER });
  const metrics = counterMetrics();
  const ids = Array.from({ length: CONVERSATIONS }, () => sim.openConversation());
  const consumer = new StalledConsumer(
    sourceFor(sim, { metrics, ...(giveFlowToSource ? { flow } : {}) }),
    flow,
  );
  const { handled } = consumer;
  try {
    // Followed: announced, and its (paced) history query asked and answered.
    await waitFor(
      () =>
        handled.filter((e) => e.type === 'state').length === CONVERSATIONS &&
        sim.requests('.ams.ms.QueryMessages').length >= CONVERSATIONS &&
        flow.pending === 0,
      'every conversation followed',
    );
    await sleep(100);
    const before = handled.length;
    consumer.stall();
    await sim.burst({ conversationIds: ids, perConversation: PER_CONVERSATION });
    // Longer than the keep-alive deadline (300 ms in these tests): a paused socket must survive it.
    await sleep(800);
    const heldWhileStalled = consumer.maxPending;
    consumer.resume();
    await waitFor(() => handled.length === before + TOTAL, 'every message handled', 20_000);
    await sleep(50);
    return { heldWhileStalled, handled, metrics: metrics.snapshot(), flow };
  } finally {
    consumer.stop();
  }
}

describe('messagingSource with a slow asynchronous consumer', () => {
  let sim: MessagingSimulator;
  simulatorPerTest((s) => (sim = s));

  it('with flowControl the socket is paused: the consumer holds about highWaterMark events, none lost', async () => {
    const r = await stalledConsumer(sim, true);
    console.log(
      `    held at most ${r.heldWhileStalled} events (highWaterMark ${HIGH_WATER}) while a ${TOTAL}-message burst waited`,
    );
    // After the pause the socket still hands over the frames already read (one read is <= 64 KiB).
    assert.ok(r.heldWhileStalled >= HIGH_WATER, 'the consumer did fall behind');
    assert.ok(r.heldWhileStalled < HIGH_WATER + 1000, `held ${r.heldWhileStalled}`);
    const messages = r.handled.filter((e) => e.type === 'message');
    assert.equal(messages.length, TOTAL);
    for (const seqs of seqsByConversation(messages).values())
      assert.deepEqual(
        seqs,
        Array.from({ length: PER_CONVERSATION }, (_, i) => i + 1),
      );
    assert.equal(r.metrics['ws.connects'], 1, 'no keep-alive or request deadline fired while paused');
    assert.ok((r.metrics['flow.paused'] ?? 0) >= 1);
    assert.equal(r.flow.pending, 0);
    assert.equal(r.flow.paused, false);
  });

  it('without it (the control), the same consumer queues the whole burst', async () => {
    const r = await stalledConsumer(sim, false);
    assert.ok(r.heldWhileStalled >= TOTAL, `held ${r.heldWhileStalled}`);
    assert.equal(r.handled.filter((e) => e.type === 'message').length, TOTAL);
  });
});
