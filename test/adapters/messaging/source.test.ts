import assert from 'node:assert/strict';
import type { MessagingSimulator } from '../../../adapters/messaging/index.js';
import { ConversationEventCodec } from '../../../src/model/event.js';
import { counterMetrics } from '../../../src/runtime/metrics.js';
import { collect, simulatorPerTest, sourceFor, type Collected } from './support.js';
import { recordingLogger } from '../../support/logger.js';
import { waitFor } from '../../support/wait.js';

describe('messagingSource over loopback', () => {
  let sim: MessagingSimulator;
  let c: Collected | undefined;
  simulatorPerTest((s) => (sim = s));
  const source = (extra: Parameters<typeof sourceFor>[1] = {}) => sourceFor(sim, extra);

  it('subscribes, pulls history of each conversation, then streams live events in order', async () => {
    const conv = sim.openConversation();
    sim.consumerSays(conv, 'hello');
    sim.consumerSays(conv, 'order 4711');
    const metrics = counterMetrics();
    c = collect(source({ metrics }));
    await waitFor(() => c!.events.filter((e) => e.type === 'message').length === 2, 'history');
    sim.agentSays(conv, 'checking');
    await waitFor(() => c!.events.filter((e) => e.type === 'message').length === 3, 'live');
    const sub = sim.requests('.ams.aam.SubscribeExConversations');
    assert.deepEqual(sub[0]?.body, { convState: ['OPEN'], agentIds: ['123.77'] });
    const q = sim.requests('.ams.ms.QueryMessages');
    assert.deepEqual(q[0]?.body, { dialogId: conv, fromSeq: 0, newerThanSequence: 0 });
    assert.deepEqual(
      c.events.map((e) => [e.type, e.seq ?? null]),
      [
        ['state', null],
        ['participant', null],
        ['participant', null],
        ['message', 1],
        ['message', 2],
        ['message', 3],
      ],
    );
    const last = c.events[5]!;
    assert.equal(last.id, `messaging:${conv}:3`);
    assert.ok(
      last.type === 'message' &&
        last.text === 'checking' &&
        last.from.role === 'agent' &&
        last.from.id === '123.77',
    );
    for (const e of c.events) assert.ok(ConversationEventCodec.is(e), JSON.stringify(e));
    const snap = metrics.snapshot();
    assert.equal(snap['events.emitted'], 6);
    assert.equal(snap['ws.connects'], 1);
    assert.ok((snap['ws.frames.in'] ?? 0) > 3 && (snap['ws.frames.out'] ?? 0) >= 2);
  });

  it('maps rich content, typing changes, receipts, participants and close', async () => {
    const conv = sim.openConversation({ waiting: true });
    c = collect(source({ agentId: undefined }));
    await waitFor(() => c!.events.some((e) => e.type === 'state'), 'waiting state');
    sim.join(conv, 'ASSIGNED_AGENT', sim.agentId);
    sim.consumerSays(conv, 'hi');
    sim.typing(conv, { on: true });
    sim.typing(conv, { on: true });
    sim.chatState(conv, 'PAUSE');
    sim.richContent(conv, {
      type: 'vertical',
      elements: [
        { type: 'text', text: 'Order 4711' },
        { type: 'button', title: 'Track' },
      ],
    });
    sim.receipt(conv, 'READ', [2]);
    sim.receipt(conv, 'ACCESS', [2]);
    sim.join(conv, 'MANAGER', '123.88');
    sim.leave(conv, 'MANAGER', '123.88');
    sim.consumerSays(conv, 'bye');
    sim.closeConversation(conv);
    await waitFor(() => c!.events.some((e) => e.type === 'state' && e.state === 'closed'), 'closed');
    const view = c.events.map((e) => {
      switch (e.type) {
        case 'state':
          return `state ${e.state}`;
        case 'participant':
          return `${e.action} ${e.participant.role} ${e.participant.id}`;
        case 'typing':
          return `typing ${String(e.typing)}`;
        case 'message':
          return `${e.seq} ${e.format} ${e.text}`;
        case 'receipt':
          return `${e.seq} ${e.status} ${e.seqs.join(',')} ${e.participant.role}`;
      }
    });
    // Sequenced events come in sequence order; typing and participant changes carry no sequence
    // and are delivered when they arrive, so only their order among themselves is guaranteed
    // (a message waits for its history query, a metadata change does not).
    const expected = [
      'state waiting',
      'joined consumer cons-1',
      'state open',
      'joined agent 123.77',
      '1 plain hi',
      'typing true',
      'typing false',
      '2 rich Order 4711 Track',
      '3 read 2 consumer',
      'joined manager 123.88',
      'left manager 123.88',
      '5 plain bye',
      'state closed',
    ];
    assert.deepEqual([...view].sort(), [...expected].sort(), 'the same events, each once');
    const inOrder = (subset: string[]) =>
      assert.deepEqual(
        view.filter((v) => v !== undefined && subset.includes(v)),
        subset,
      );
    inOrder(['1 plain hi', '2 rich Order 4711 Track', '3 read 2 consumer', '5 plain bye']);
    inOrder(['state waiting', 'state open', 'state closed']);
    inOrder(['typing true', 'typing false']);
    inOrder(['joined manager 123.88', 'left manager 123.88']);
    assert.equal(view.at(-1), 'state closed', 'the stream of a conversation ends with its close');
    const rich = c.events.find((e) => e.type === 'message' && e.format === 'rich');
    assert.ok(rich?.type === 'message' && rich.content !== undefined);
    for (const e of c.events) assert.ok(ConversationEventCodec.is(e), JSON.stringify(e));
  });

  it('drops duplicated notifications and ignores conversations outside the subscription', async () => {
    const conv = sim.openConversation();
    const other = sim.openConversation({ id: 'foreign', agentId: '123.99' });
    const metrics = counterMetrics();
    c = collect(source({ metrics }));
    await waitFor(() => c!.events.some((e) => e.type === 'state'), 'open');
    await waitFor(() => sim.requests('.ams.ms.QueryMessages').length === 1, 'query');
    await new Promise((r) => setTimeout(r, 30));
    sim.configure({ duplicateNotifications: true });
    for (let i = 0; i < 5; i++) sim.consumerSays(conv, `m${i}`);
    sim.consumerSays(other, 'not mine');
    await waitFor(() => c!.events.filter((e) => e.type === 'message').length === 5, 'messages');
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(
      c.events.filter((e) => e.type === 'message').map((e) => e.seq),
      [1, 2, 3, 4, 5],
    );
    assert.ok(c.events.every((e) => e.conversationId === conv));
    assert.equal(metrics.snapshot()['events.duplicates'], 5);
  });

  it('never logs the bearer', async () => {
    const logger = recordingLogger();
    sim.openConversation();
    c = collect(source({ logger }));
    await waitFor(() => c!.events.length > 0, 'events');
    sim.closeConnections(1011);
    await waitFor(() => sim.connectionsOpened >= 2, 'reconnect');
    sim.sendRawToAll('not json TOKEN-1');
    await waitFor(() => logger.lines().some((l) => l.includes('non-JSON')), 'log');
    assert.ok(logger.lines().length > 0);
    assert.ok(!logger.lines().some((l) => l.includes(sim.token)), logger.lines().join('\n'));
  });
});
