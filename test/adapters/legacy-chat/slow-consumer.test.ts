import assert from 'node:assert/strict';
import { LegacyChatSimulator, legacyChatSource } from '../../../adapters/legacy-chat/index.js';
import { flowControl } from '../../../src/runtime/flow.js';
import { StalledConsumer } from '../../support/stalled-consumer.js';
import { fast, seqsOf } from './helpers.js';
import { sleep, waitFor } from '../../support/wait.js';

const CHATS = 10;
const HIGH_WATER = 100;

/**
 * A consumer that handles events asynchronously and stalls (its handler waits on a gate) while
 * visitors keep writing: 20 lines per chat every 20 ms for 600 ms. Reports what it held.
 */
async function stalledConsumer(sim: LegacyChatSimulator, giveFlowToSource: boolean) {
  const flow = flowControl({ highWaterMark: HIGH_WATER });
  const keys = Array.from({ length: CHATS }, () => sim.openConversation());
  const consumer = new StalledConsumer(
    legacyChatSource({
      ...sim.clientOptions(),
      chats: keys,
      ...fast,
      ...(giveFlowToSource ? { flow } : {}),
    }),
    flow,
  );
  const { handled } = consumer;
  try {
    await waitFor(() => keys.every((k) => handled.some((e) => e.conversationId === k)), 'every chat polled');
    consumer.stall();
    const requestsBefore = sim.multiChatRequests().length;
    for (let round = 0; round < 30; round++) {
      for (const k of keys) for (let i = 0; i < 20; i++) sim.consumerSays(k, `r${round}-${i}`);
      await sleep(20);
    }
    const requestsWhileStalled = sim.multiChatRequests().length - requestsBefore;
    const heldWhileStalled = consumer.maxPending;
    consumer.resume();
    for (const k of keys) sim.closeConversation(k);
    await waitFor(
      () => handled.filter((e) => e.type === 'state' && e.state === 'closed').length === CHATS,
      'every chat closed',
      20_000,
    );
    return { keys, handled, heldWhileStalled, requestsWhileStalled, flow };
  } finally {
    consumer.stop();
  }
}

describe('legacyChatSource with a slow asynchronous consumer', () => {
  let sim: LegacyChatSimulator;
  beforeEach(async () => {
    sim = await LegacyChatSimulator.start();
  });
  afterEach(async () => {
    await sim.close();
  });

  it('with flowControl polling waits: the consumer holds at most highWaterMark plus one response', async () => {
    const r = await stalledConsumer(sim, true);
    console.log(
      `    held at most ${r.heldWhileStalled} events (highWaterMark ${HIGH_WATER}); ${r.requestsWhileStalled} polls while stalled`,
    );
    // One response carries every event since the cursors: at most 20 lines x 10 chats per 20 ms
    // here, so the bound is the high-water mark plus what one or two polls brought.
    assert.ok(r.heldWhileStalled >= HIGH_WATER, 'the consumer did fall behind');
    assert.ok(r.heldWhileStalled < HIGH_WATER + 1000, `held ${r.heldWhileStalled}`);
    assert.ok(r.requestsWhileStalled <= 2, `${r.requestsWhileStalled} polls while paused`);
    for (const k of r.keys) {
      const seqs = seqsOf(r.handled, k);
      assert.deepEqual(
        seqs,
        Array.from({ length: seqs.length }, (_, i) => i),
        'every event of the chat, once, in order',
      );
      assert.equal(seqs.length, sim.chat(k).events.length);
    }
    assert.equal(r.flow.pending, 0);
  });

  it('without it (the control), the same consumer queues nearly everything that was written', async () => {
    const r = await stalledConsumer(sim, false);
    // All but the lines written after the last poll of the stall.
    assert.ok(r.heldWhileStalled >= 0.9 * 30 * 20 * CHATS, `held ${r.heldWhileStalled}`);
    assert.ok(r.requestsWhileStalled >= 10, 'polling went on');
  });
});
