import assert from 'node:assert/strict';
import { BehaviorSubject } from 'rxjs';
import { ConversationEventCodec } from '../../../src/model/event.js';
import { counterMetrics } from '../../../src/runtime/metrics.js';
import { legacyChat, LegacyChatSimulator, legacyChatSource } from '../../../adapters/legacy-chat/index.js';
import { collect, fast, seqsOf } from './helpers.js';
import { recordingLogger } from '../../support/logger.js';
import { recordingStore } from '../../support/stores.js';
import { sleep, waitFor } from '../../support/wait.js';

describe('legacyChatSource against the simulator', () => {
  let sim: LegacyChatSimulator;
  beforeEach(async () => {
    sim = await LegacyChatSimulator.start();
  });
  afterEach(async () => {
    await sim.close();
  });
  const base = () => ({ ...sim.clientOptions(), ...fast });

  it('is cold: nothing is requested before subscribe', async () => {
    const key = sim.openConversation();
    const source = legacyChatSource({ ...base(), chats: [key] });
    await sleep(60);
    assert.equal(sim.requests.length, 0);
    const run = collect(source);
    await waitFor(() => run.events.length >= 4, 'opening events');
    run.sub.unsubscribe();
  });

  it('follows a new chat from event 0 and emits valid events in id order, each once', async () => {
    const key = sim.openConversation();
    const run = collect(legacyChatSource({ ...base(), chats: [key] }));
    await waitFor(() => seqsOf(run.events, key).length >= 4, 'opening');
    sim.consumerSays(key, 'hello');
    sim.agentSays(key, 'hi there');
    sim.closeConversation(key);
    await waitFor(() => run.events.some((e) => e.type === 'state' && e.state === 'closed'), 'closed');
    run.sub.unsubscribe();
    assert.deepEqual(seqsOf(run.events, key), [0, 1, 2, 3, 4, 5, 6]);
    for (const e of run.events) assert.ok(ConversationEventCodec.is(e), JSON.stringify(e));
    assert.equal(new Set(run.events.map((e) => e.id)).size, run.events.length);
    const last = run.events.at(-1);
    assert.ok(last?.type === 'state' && last.state === 'closed');
    // The first request for a new chat carries no fromEventIds (a positional 0 is ambiguous).
    const first = sim.multiChatRequests()[0];
    assert.equal(first?.query['fromEventIds'], undefined);
    assert.equal(first?.query['v'], '1');
    assert.equal(first?.query['NC'], 'true');
  });

  it('stops polling a closed chat and releases it', async () => {
    const a = sim.openConversation();
    const b = sim.openConversation();
    const run = collect(legacyChatSource({ ...base(), chats: [a, b] }));
    await waitFor(() => seqsOf(run.events, b).length >= 4, 'opening');
    sim.closeConversation(a);
    await waitFor(
      () => run.events.some((e) => e.conversationId === a && e.type === 'state' && e.state === 'closed'),
      'a closed',
    );
    const count = sim.multiChatRequests().length;
    await waitFor(() => sim.multiChatRequests().length >= count + 3, 'more polls');
    run.sub.unsubscribe();
    for (const r of sim.multiChatRequests().slice(count)) assert.deepEqual(r.keys, [b]);
  });

  it('sends one multi-chat request per cycle for all chats, split only at maxChatsPerRequest', async () => {
    const keys = Array.from({ length: 7 }, () => sim.openConversation());
    const metrics = counterMetrics();
    const run = collect(legacyChatSource({ ...base(), chats: keys, maxChatsPerRequest: 3, metrics }));
    await waitFor(() => sim.multiChatRequests().length >= 9, 'three cycles');
    run.sub.unsubscribe();
    const sizes = sim
      .multiChatRequests()
      .slice(0, 9)
      .map((r) => r.keys.length);
    assert.deepEqual(sizes, [3, 3, 1, 3, 3, 1, 3, 3, 1]);
    for (const r of sim.multiChatRequests().slice(3, 9)) {
      assert.equal(r.query['fromEventIds']?.split(',').length, r.keys.length);
      assert.ok(r.query['fromEventIds']?.split(',').every((id) => id === '3'));
    }
    assert.ok((metrics.snapshot()['http.requests'] ?? 0) >= 9);
    assert.equal(metrics.snapshot()['events.emitted'], run.events.length);
  });

  it('keeps every request line under maxRequestLineBytes and URL-encodes keys', async () => {
    const keys = Array.from({ length: 12 }, (_, i) => sim.openConversation({ id: `chat ${i}/Ä&x` }));
    const run = collect(
      legacyChatSource({ ...base(), chats: keys, maxChatsPerRequest: 50, maxRequestLineBytes: 250 }),
    );
    await waitFor(() => keys.every((k) => seqsOf(run.events, k).length === 4), 'all chats');
    run.sub.unsubscribe();
    const reqs = sim.multiChatRequests();
    assert.ok(reqs.length >= 2, `${reqs.length} requests`);
    for (const r of reqs) assert.ok(r.requestLineBytes <= 250, `line of ${r.requestLineBytes} bytes`);
    assert.deepEqual(new Set(reqs.flatMap((r) => r.keys)), new Set(keys));
  });

  it('delivers 200 chats x 50 events arriving while polling exactly once, in order per chat', async function () {
    this.timeout(40_000);
    const keys = Array.from({ length: 200 }, () => sim.openConversation());
    const metrics = counterMetrics();
    const run = collect(legacyChatSource({ ...base(), chats: keys, metrics }));
    // 46 lines per chat after the 4 opening events, written in rounds while the source polls.
    for (let round = 0; round < 46; round++) {
      for (const k of keys) sim.consumerSays(k, `line ${round}`);
      if (round % 5 === 0) await sleep(15);
    }
    await waitFor(() => keys.every((k) => seqsOf(run.events, k).length === 50), 'all 10000 events', 30_000);
    run.sub.unsubscribe();
    for (const k of keys)
      assert.deepEqual(
        seqsOf(run.events, k),
        Array.from({ length: 50 }, (_, i) => i),
      );
    assert.equal(run.events.filter((e) => e.seq !== undefined).length, 10_000);
    // 200 chats with the default 50 keys per request: 4 requests per cycle, never one per chat.
    const reqs = sim.multiChatRequests();
    assert.ok(reqs.every((r) => r.keys.length === 50));
    for (let i = 0; i + 4 <= reqs.length; i += 4) {
      assert.equal(new Set(reqs.slice(i, i + 4).flatMap((r) => r.keys)).size, 200, `cycle at request ${i}`);
    }
  });

  it('reads both renderings and survives every undocumented-behaviour switch', async () => {
    const combos = [
      { rendering: 'doc', fromEventIdsSemantics: 'exclusive' },
      { rendering: 'wire', fromEventIdsSemantics: 'inclusive', chatOrder: 'reversed', noNewEvents: 'absent' },
      { rendering: 'doc', timeMillis: 'omit-when-zero', offsetMinutes: -330, endedChatKey: 'omit' },
      { rendering: 'wire', unknownChatKey: 'error-element', endedChatKey: 'error-element' },
    ] as const;
    for (const combo of combos) {
      sim.configure(combo);
      const keys = [sim.openConversation(), sim.openConversation()];
      const run = collect(legacyChatSource({ ...base(), chats: [...keys, 'NO-SUCH-CHAT'] }));
      await waitFor(
        () => keys.every((k) => seqsOf(run.events, k).length >= 4),
        `opening ${JSON.stringify(combo)}`,
      );
      for (const k of keys) sim.consumerSays(k, 'one');
      sim.typing(keys[0] as string, { on: true });
      await waitFor(() => keys.every((k) => seqsOf(run.events, k).length >= 5), 'line');
      for (const k of keys) sim.consumerSays(k, 'two');
      await waitFor(() => keys.every((k) => seqsOf(run.events, k).length >= 6), 'second line');
      await sleep(60);
      run.sub.unsubscribe();
      assert.equal(run.error, undefined);
      for (const k of keys)
        assert.deepEqual(seqsOf(run.events, k), [0, 1, 2, 3, 4, 5], JSON.stringify(combo));
      const typing = run.events.filter((e) => e.type === 'typing');
      assert.equal(typing.length, 1, JSON.stringify(combo));
      for (const e of run.events) assert.ok(ConversationEventCodec.is(e));
      sim.configure({ rendering: 'wire', fromEventIdsSemantics: 'inclusive', chatOrder: 'request' });
    }
  });

  it('drops repeated events a server sends again', async () => {
    const key = sim.openConversation();
    const metrics = counterMetrics();
    const run = collect(legacyChatSource({ ...base(), chats: [key], metrics }));
    await waitFor(() => seqsOf(run.events, key).length >= 4, 'opening');
    sim.faults.queue({ duplicate: true }, { times: 3 });
    sim.consumerSays(key, 'x');
    await waitFor(() => seqsOf(run.events, key).length >= 5, 'line');
    await sleep(80);
    run.sub.unsubscribe();
    assert.deepEqual(seqsOf(run.events, key), [0, 1, 2, 3, 4]);
    assert.ok((metrics.snapshot()['events.duplicates'] ?? 0) >= 8);
  });

  it('follows chats added to an Observable set and releases removed ones', async () => {
    const a = sim.openConversation();
    const b = sim.openConversation();
    const chats = new BehaviorSubject<string[]>([a]);
    const run = collect(legacyChatSource({ ...base(), chats }));
    await waitFor(() => seqsOf(run.events, a).length >= 4, 'a');
    sim.consumerSays(b, 'before follow');
    chats.next([a, b]);
    await waitFor(() => seqsOf(run.events, b).length >= 5, 'b from its first event');
    assert.deepEqual(seqsOf(run.events, b), [0, 1, 2, 3, 4]);
    chats.next([b]);
    const n = sim.multiChatRequests().length;
    await waitFor(() => sim.multiChatRequests().length >= n + 3, 'polls');
    run.sub.unsubscribe();
    for (const r of sim.multiChatRequests().slice(n + 1)) assert.deepEqual(r.keys, [b]);
  });

  it('accepts incoming chats and follows them', async () => {
    const key = sim.openConversation({ waiting: true, agent: { id: 9, name: 'Robo' } });
    const run = collect(legacyChatSource({ ...base(), acceptIncoming: true }));
    await waitFor(() => seqsOf(run.events, key).length >= 4, 'accepted chat');
    run.sub.unsubscribe();
    assert.ok(sim.requests.some((r) => r.route === 'accept' && r.status === 201));
    assert.ok(
      run.events.some(
        (e) => e.type === 'participant' && e.action === 'joined' && e.participant.name === 'Robo',
      ),
    );
    assert.equal(sim.chat(key).ringing, false);
  });

  it('resumes from a checkpoint without re-emitting, and saves once per cycle after delivery', async () => {
    const key = sim.openConversation();
    const store = recordingStore();
    const held = () => store.checkpoint('legacy-chat', key);
    const first = collect(legacyChatSource({ ...base(), checkpoint: store, chats: [key] }));
    await waitFor(() => held()?.seq === 3, 'checkpoint at 3');
    first.sub.unsubscribe();
    assert.ok(store.saves.every((s) => Object.keys(s.changes).length > 0));
    assert.deepEqual(held()?.meta, {
      state: 'open',
      visitorTyping: false,
      agentTyping: false,
      agentId: '2',
      agentName: 'Agent Nick',
    });
    sim.consumerSays(key, 'while stopped');
    sim.closeConversation(key);
    // Restarted with no `chats`: the open chat comes back from the checkpoint alone.
    const second = collect(legacyChatSource({ ...base(), checkpoint: store }));
    await waitFor(() => held()?.closed === true, 'closed in checkpoint');
    second.sub.unsubscribe();
    assert.deepEqual(
      second.events.map((e) => `${e.type}:${e.seq ?? '-'}`),
      ['message:4', 'state:5'],
    );
    // A third run does not follow the closed chat at all.
    const before = sim.multiChatRequests().length;
    const third = collect(legacyChatSource({ ...base(), checkpoint: store, chats: [key] }));
    await sleep(80);
    third.sub.unsubscribe();
    assert.equal(sim.multiChatRequests().length, before);
    assert.deepEqual(third.events, []);
  });

  it('drains: takes no new chats, keeps the open ones until they close, then completes', async () => {
    const a = sim.openConversation();
    const draining = new BehaviorSubject(false);
    const chats = new BehaviorSubject<string[]>([a]);
    const logs = recordingLogger();
    const run = collect(
      legacyChat({ ...base(), chats, acceptIncoming: true, logger: logs }).events({ draining }),
    );
    await waitFor(() => seqsOf(run.events, a).length >= 4, 'a');
    draining.next(true);
    const b = sim.openConversation();
    chats.next([a, b]);
    const ringing = sim.openConversation({ waiting: true });
    await sleep(80);
    assert.equal(run.completed, false);
    assert.deepEqual(seqsOf(run.events, b), []);
    sim.consumerSays(a, 'still here');
    sim.closeConversation(a);
    await waitFor(() => run.completed, 'completion');
    assert.deepEqual(seqsOf(run.events, a), [0, 1, 2, 3, 4, 5]);
    assert.equal(sim.chat(ringing).ringing, true);
    assert.ok(!sim.requests.some((r) => r.route === 'accept'));
  });

  it('resumes normal behaviour when draining turns false before completion', async () => {
    const a = sim.openConversation();
    const draining = new BehaviorSubject(true);
    const chats = new BehaviorSubject<string[]>([]);
    const run = collect(
      legacyChat({
        ...base(),
        chats,
        checkpoint: recordingStore({ 'legacy-chat': { [a]: { seq: 3 } } }),
      }).events({ draining }),
    );
    const b = sim.openConversation();
    chats.next([b]);
    await sleep(60);
    assert.deepEqual(seqsOf(run.events, b), []);
    draining.next(false);
    await waitFor(() => seqsOf(run.events, b).length >= 4, 'b after resume');
    run.sub.unsubscribe();
    assert.equal(run.completed, false);
  });

  it('completes at once when draining with nothing followed', async () => {
    const run = collect(legacyChat(base()).events({ draining: new BehaviorSubject(true) }));
    await waitFor(() => run.completed, 'completion');
    assert.equal(sim.requests.length, 0);
  });
});
