import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { MessagingSimulator } from '../../../adapters/messaging/index.js';
import { preframed } from '../../../bench/preframe.js';
import { rawUrl } from '../../../bench/support.js';
import { counterMetrics } from '../../../src/runtime/metrics.js';
import { collect, sourceFor, type Collected } from './support.js';
import { waitFor } from '../../support/wait.js';

describe('messagingSource under a 10,000-message burst', () => {
  let sim: MessagingSimulator;
  let c: Collected | undefined;
  before(async () => {
    sim = await MessagingSimulator.start({ frameLog: false });
  });
  after(async () => {
    c?.sub.unsubscribe();
    await sim.close();
  });

  it('delivers each message exactly once, in order per conversation, across a socket drop mid-burst', async () => {
    const ids = Array.from({ length: 100 }, () => sim.openConversation());
    const metrics = counterMetrics();
    c = collect(sourceFor(sim, { heartbeatTimeoutMs: 2000, metrics }));
    await waitFor(
      () => c!.events.filter((e) => e.type === 'state').length === 100,
      'all conversations followed',
    );
    await waitFor(
      () => metrics.snapshot()['ws.frames.out'] !== undefined && sim.connectionCount === 1,
      'socket',
    );
    let dropped = false;
    await sim.burst({
      conversationIds: ids,
      perConversation: 100,
      batchSize: 500,
      onBatch: (sent) => {
        if (!dropped && sent >= 5000) {
          dropped = true;
          sim.dropConnections();
        }
      },
    });
    assert.ok(dropped);
    await waitFor(
      () => c!.events.filter((e) => e.type === 'message').length >= 10_000,
      'all messages',
      30_000,
    );
    const bySeq = new Map<string, number[]>();
    for (const e of c.events) {
      if (e.type !== 'message') continue;
      const list = bySeq.get(e.conversationId) ?? [];
      list.push(e.seq as number);
      bySeq.set(e.conversationId, list);
    }
    const expected = Array.from({ length: 100 }, (_, i) => i + 1);
    for (const id of ids) assert.deepEqual(bySeq.get(id), expected, id);
    assert.equal(c.events.filter((e) => e.type === 'message').length, 10_000);
    assert.ok(sim.connectionsOpened >= 2, 'the socket was really replaced');
    assert.equal(c.error, undefined);
  });
});

describe('MessagingSimulator pre-framed burst (the benchmarks’ load)', () => {
  it('paces each socket by its own drain: a client that stops reading holds back only its own writes', async () => {
    const sim = await MessagingSimulator.start({ frameLog: false });
    const sockets: WebSocket[] = [];
    try {
      const ids = Array.from({ length: 200 }, () => sim.openConversation());
      const counts = [0, 0];
      for (const i of [0, 1]) {
        const ws = new WebSocket(rawUrl(sim), { perMessageDeflate: false });
        sockets.push(ws);
        ws.on('message', (data: Buffer) => {
          if (data.includes('OnlineEventDistribution')) counts[i]!++;
        });
        await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      }
      await waitFor(() => sim.connectionCount === 2, 'both sockets');
      // The second client stops reading: ~20 MB for it is more than the loopback buffers hold.
      sockets[1]!.pause();
      const total = ids.length * 200;
      let done = false;
      const bursting = sim
        .burst({ conversationIds: ids, perConversation: 200, batchSize: 1000, encodeBatch: preframed })
        .then(() => (done = true));
      await waitFor(() => counts[0] === total, `the reading client to get all ${total}`, 30_000);
      assert.equal(done, false, 'the burst waits for the paused socket');
      assert.ok(counts[1]! < total, 'the paused client has not read everything');
      sockets[1]!.resume();
      await bursting;
      await waitFor(() => counts[1] === total, 'the paused client, once resumed, to get everything', 30_000);
    } finally {
      for (const ws of sockets) ws.terminate();
      await sim.close();
    }
  });
  it('awaits beforeSend once the burst is built, before any frame of it is sent (the benchmarks warm up there)', async () => {
    const sim = await MessagingSimulator.start({ frameLog: false });
    const ws = new WebSocket(rawUrl(sim), { perMessageDeflate: false });
    try {
      const [id, warmUpId] = [sim.openConversation(), sim.openConversation()];
      const seen: string[] = [];
      ws.on('message', (data: Buffer) => {
        const f = JSON.parse(data.toString('utf8')) as { body?: { dialogId?: string; sequence?: number } };
        if (f.body?.sequence !== undefined)
          seen.push(`${f.body.dialogId === id ? 'main' : 'warm'}:${f.body.sequence}`);
      });
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      await waitFor(() => sim.connectionCount === 1, 'the socket');
      let started = false;
      let seenBeforeSendEnded: string[] = [];
      let startedBeforeSendEnded: boolean | undefined;
      await sim.burst({
        conversationIds: [id!],
        perConversation: 3,
        batchSize: 2,
        encodeBatch: preframed,
        beforeSend: async () => {
          await sim.burst({ conversationIds: [warmUpId!], perConversation: 2, encodeBatch: preframed });
          await waitFor(() => seen.length === 2, 'the warm-up frames');
          // Long enough for a frame of the main burst to arrive, were it already on its way.
          await new Promise((r) => setTimeout(r, 50));
          seenBeforeSendEnded = [...seen];
          startedBeforeSendEnded = started;
        },
        onStart: () => (started = true),
      });
      await waitFor(() => seen.length === 5, 'every frame');
      assert.deepEqual(
        seenBeforeSendEnded,
        ['warm:1', 'warm:2'],
        'nothing of the burst before beforeSend ends',
      );
      assert.equal(startedBeforeSendEnded, false, 'onStart comes after beforeSend');
      // The main conversation's sequences were numbered before the warm-up and still arrive 1, 2, 3.
      assert.deepEqual(seen, ['warm:1', 'warm:2', 'main:1', 'main:2', 'main:3']);
    } finally {
      ws.terminate();
      await sim.close();
    }
  });
});
