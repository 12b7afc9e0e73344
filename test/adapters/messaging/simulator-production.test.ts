import assert from 'node:assert/strict';
import WebSocket from 'ws';
import type { MessagingSimulator } from '../../../adapters/messaging/index.js';
import { simulatorPerTest } from './support.js';
import { sleep, waitFor } from '../../support/wait.js';

/** A raw client of the simulator: one socket, requests by hand, every frame kept. */
async function rawClient(sim: MessagingSimulator, token = sim.token) {
  const ws = new WebSocket(
    `ws://${sim.domain}/ws_api/account/${sim.accountId}/messaging/brand/${token}?v=2.1`,
  );
  const frames: Array<Record<string, unknown>> = [];
  ws.on('message', (d: Buffer) => frames.push(JSON.parse(d.toString('utf8')) as Record<string, unknown>));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let n = 0;
  const send = (type: string, body: object): string => {
    const id = `r-${++n}`;
    ws.send(JSON.stringify({ kind: 'req', id, type, body }));
    return id;
  };
  const answer = async (id: string) => {
    await waitFor(() => frames.some((f) => f['reqId'] === id), `answer to ${id}`);
    return frames.find((f) => f['reqId'] === id) as { code: number; body: unknown };
  };
  const live = () =>
    frames
      .filter((f) => f['type'] === '.ams.ms.OnlineEventDistribution')
      .map((f) => f['body'] as Record<string, unknown>);
  const changes = () =>
    frames
      .filter((f) => f['type'] === '.ams.aam.ExConversationChangeNotification')
      .flatMap((f) => (f['body'] as { changes: Array<{ result: { convId: string } }> }).changes);
  return { ws, frames, send, answer, live, changes };
}

describe('MessagingSimulator: production behaviours (production-behaviour.md §3)', () => {
  let sim: MessagingSimulator;
  const clients: WebSocket[] = [];
  simulatorPerTest((s) => (sim = s));
  afterEach(() => {
    for (const ws of clients.splice(0)) ws.terminate();
  });
  const client = async (token?: string) => {
    const c = await rawClient(sim, token);
    clients.push(c.ws);
    return c;
  };

  it('counts frames an older socket of the agent sends while a newer one is open (M8), and only those', async () => {
    const older = await client();
    const id1 = older.send('.GetClock', {});
    await older.answer(id1);
    assert.equal(sim.framesOnSupersededSockets, 0, 'alone, the socket is not superseded');
    const newer = await client();
    await newer.answer(newer.send('.GetClock', {}));
    assert.equal(sim.framesOnSupersededSockets, 0, 'the newest socket talking is fine');
    await older.answer(older.send('.GetClock', {}));
    assert.equal(sim.framesOnSupersededSockets, 1);
    newer.ws.terminate();
    await waitFor(() => sim.connectionCount === 1, 'the newer socket gone');
    await older.answer(older.send('.GetClock', {}));
    assert.equal(sim.framesOnSupersededSockets, 1, 'the older socket alone again');
  });

  it('counts a subscription as answered only once its answer frame left (a delayed one closed first is not)', async () => {
    const c = await client();
    sim.configure({ delayMs: 100 });
    c.send('.ams.aam.SubscribeExConversations', { convState: ['OPEN'] });
    await sleep(20);
    sim.closeConnections(4401);
    await sleep(150);
    assert.equal(sim.subscriptionsAnswered, 0);
    sim.configure({ delayMs: 0 });
    const d = await client();
    await d.answer(d.send('.ams.aam.SubscribeExConversations', { convState: ['OPEN'] }));
    assert.equal(sim.subscriptionsAnswered, 1);
  });

  it('sends live events only when its agent participates (M2); the every-socket switch sends them to all', async () => {
    const mine = sim.openConversation();
    const theirs = sim.openConversation({ agentId: '123.99' });
    const c = await client();
    sim.consumerSays(mine, 'to me');
    sim.consumerSays(theirs, 'not to me');
    await waitFor(() => c.live().length >= 1, 'a live event');
    await sleep(50);
    assert.deepEqual(
      c.live().map((r) => r['dialogId']),
      [mine],
    );
    sim.join(theirs, 'READER', sim.agentId);
    sim.consumerSays(theirs, 'now as reader');
    await waitFor(() => c.live().length >= 2, 'the reader sees it');
    sim.configure({ liveEventsTo: 'every-socket' });
    const other = sim.openConversation({ agentId: '123.98' });
    sim.consumerSays(other, 'lenient');
    await waitFor(() => c.live().some((r) => r['dialogId'] === other), 'lenient model');
  });

  it("matches agentIds against the ASSIGNED_AGENT only (M2); the 'assigned-or-manager' switch matches managers too", async () => {
    const assigned = sim.openConversation();
    const managed = sim.openConversation({ agentId: '123.99' });
    sim.join(managed, 'MANAGER', sim.agentId);
    const c = await client();
    await c.answer(
      c.send('.ams.aam.SubscribeExConversations', { convState: ['OPEN'], agentIds: [sim.agentId] }),
    );
    await waitFor(() => c.changes().length > 0, 'changes');
    await sleep(30);
    assert.deepEqual([...new Set(c.changes().map((ch) => ch.result.convId))], [assigned]);
    sim.configure({ agentIdsMatch: 'assigned-or-manager' });
    const d = await client();
    await d.answer(
      d.send('.ams.aam.SubscribeExConversations', { convState: ['OPEN'], agentIds: [sim.agentId] }),
    );
    await waitFor(() => d.changes().length >= 2, 'both');
    assert.deepEqual(new Set(d.changes().map((ch) => ch.result.convId)), new Set([assigned, managed]));
  });

  it('answers a queued request fault with 429, with or without retryAfter (M4), once', async () => {
    const conv = sim.openConversation();
    sim.consumerSays(conv, 'x');
    sim.faults.queue({ request: 'QueryMessages', code: 429 });
    sim.faults.queue({ request: 'SubscribeExConversations', code: 429, retryAfter: 2 });
    const c = await client();
    const q1 = await c.answer(c.send('.ams.ms.QueryMessages', { dialogId: conv, newerThanSequence: 0 }));
    const s1 = await c.answer(c.send('.ams.aam.SubscribeExConversations', { convState: ['OPEN'] }));
    assert.deepEqual([q1.code, q1.body], [429, 'Too many requests']);
    assert.deepEqual([s1.code, s1.body], [429, { retryAfter: 2 }]);
    const q2 = await c.answer(c.send('.ams.ms.QueryMessages', { dialogId: conv, newerThanSequence: 0 }));
    assert.equal(q2.code, 200);
    sim.assertNoPendingFaults();
  });

  it('answers QueryMessages beyond queryMessagesPerSecond with 429', async () => {
    const conv = sim.openConversation();
    sim.configure({ queryMessagesPerSecond: 3 });
    const c = await client();
    const ids = Array.from({ length: 5 }, () =>
      c.send('.ams.ms.QueryMessages', { dialogId: conv, newerThanSequence: 0 }),
    );
    const codes = await Promise.all(ids.map(async (id) => (await c.answer(id)).code));
    assert.deepEqual(codes, [200, 200, 200, 429, 429]);
  });

  it('echoes messageAudience and ExternalId metadata of a PublishEvent in the record (M5)', async () => {
    const conv = sim.openConversation();
    const c = await client();
    c.ws.send(
      JSON.stringify({
        kind: 'req',
        id: 'p-1',
        type: '.ams.ms.PublishEvent',
        body: {
          dialogId: conv,
          messageAudience: 'AGENTS_AND_MANAGERS',
          event: { type: 'ContentEvent', contentType: 'text/plain', message: 'note' },
        },
        metadata: [{ type: 'ExternalId', id: 'ext-1' }],
      }),
    );
    await c.answer('p-1');
    const r = sim.history(conv)[0];
    assert.equal(r?.['messageAudience'], 'AGENTS_AND_MANAGERS');
    assert.deepEqual(r?.['metadata'], [{ type: 'ExternalId', id: 'ext-1' }]);
  });

  it("revokes abruptly under revocationClose 'abrupt' (M6): the socket ends 1006, the next upgrade with that token gets 401", async () => {
    sim.configure({ revocationClose: 'abrupt' });
    const c = await client();
    const code = new Promise<number>((resolve) => c.ws.once('close', (n: number) => resolve(n)));
    sim.revokeToken(sim.token);
    assert.equal(await code, 1006);
    const status = await new Promise<number | undefined>((resolve) => {
      const ws = new WebSocket(
        `ws://${sim.domain}/ws_api/account/${sim.accountId}/messaging/brand/${sim.token}`,
      );
      ws.on('unexpected-response', (_req, res) => {
        resolve(res.statusCode);
        res.destroy();
        ws.terminate();
      });
      ws.on('error', () => undefined);
      ws.on('open', () => resolve(undefined));
    });
    assert.equal(status, 401);
  });

  for (const which of ['facadeMsg', 'asyncMessagingEnt'] as const)
    it(`lists only ${which} in CSDS under csdsMessagingService '${which}' (M3)`, async () => {
      sim.configure({ csdsMessagingService: which });
      const res = await fetch(`http://${sim.domain}/api/account/${sim.accountId}/service/baseURI.json`);
      const body = (await res.json()) as { baseURIs: Array<{ service: string }> };
      assert.deepEqual(
        body.baseURIs.map((b) => b.service),
        ['agentVep', which],
      );
    });

  it('opens a POST_SURVEY dialog with its own dialogId and sequences through DialogChange, and closes the conversation after its last dialog (M1)', async () => {
    const conv = sim.openConversation();
    sim.consumerSays(conv, 'main');
    const c = await client();
    const field = (conversationField: object[]) =>
      c.answer(c.send('.ams.cm.UpdateConversationField', { conversationId: conv, conversationField }));
    assert.equal(
      (await field([{ field: 'DialogChange', type: 'ADD', dialog: { dialogType: 'POST_SURVEY' } }])).code,
      200,
    );
    const [survey] = sim.dialogIds(conv);
    assert.ok(survey !== undefined && survey !== conv);
    await field([{ field: 'DialogChange', type: 'UPDATE', dialog: { dialogId: conv, state: 'CLOSE' } }]);
    sim.consumerSays(conv, 'answer', { dialogId: survey });
    const q = await c.answer(c.send('.ams.ms.QueryMessages', { dialogId: survey, newerThanSequence: 0 }));
    assert.deepEqual(
      (q.body as Array<{ sequence: number; dialogId: string }>).map((r) => [r.dialogId, r.sequence]),
      [[survey, 1]],
    );
    assert.equal(sim.history(conv).length, 1, 'the main dialog keeps its own sequence');
    await c.answer(c.send('.ams.aam.SubscribeExConversations', { convState: ['OPEN', 'CLOSE'] }));
    await field([{ field: 'DialogChange', type: 'UPDATE', dialog: { dialogId: survey, state: 'CLOSE' } }]);
    await waitFor(
      () =>
        c
          .changes()
          .some(
            (ch) =>
              (ch.result as { conversationDetails?: { state?: string } }).conversationDetails?.state ===
              'CLOSE',
          ),
      'the conversation closed after its last dialog',
    );
  });
});
