import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { MessagingSimulator } from '../../../adapters/messaging/index.js';
import { sleep, waitFor } from '../../support/wait.js';

// The messaging simulator's write paths over a raw socket (production-behaviour.md §2–3).
describe('MessagingSimulator write paths', () => {
  let sim: MessagingSimulator;
  let ws: WebSocket;
  const frames: Array<Record<string, unknown>> = [];
  beforeEach(async () => {
    sim = await MessagingSimulator.start();
    frames.length = 0;
    ws = new WebSocket(
      `ws://${sim.domain}/ws_api/account/${sim.accountId}/messaging/brand/${sim.token}?v=2.1`,
    );
    ws.on('message', (d: Buffer) => frames.push(JSON.parse(d.toString('utf8')) as Record<string, unknown>));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  });
  afterEach(async () => {
    ws.terminate();
    await sim.close();
  });
  let n = 0;
  const call = async (type: string, body: object) => {
    const id = `w-${++n}`;
    ws.send(JSON.stringify({ kind: 'req', id, type, body }));
    await waitFor(() => frames.some((f) => f['reqId'] === id), `answer to ${type}`);
    return frames.find((f) => f['reqId'] === id) as { code: number; body: unknown };
  };
  const field = (conversationId: string, conversationField: unknown) =>
    call('.ams.cm.UpdateConversationField', { conversationId, conversationField });

  it('checks PublishEvent: 404 unknown dialog, 403 not a participant, 400 closed', async () => {
    const ev = { type: 'ContentEvent', contentType: 'text/plain', message: 'x' };
    assert.equal((await call('.ams.ms.PublishEvent', { dialogId: 'nope', event: ev })).code, 404);
    const other = sim.openConversation({ agentId: `${sim.accountId}.5` });
    assert.equal((await call('.ams.ms.PublishEvent', { dialogId: other, event: ev })).code, 403);
    const closed = sim.openConversation();
    sim.closeConversation(closed);
    assert.deepEqual(await call('.ams.ms.PublishEvent', { dialogId: closed, event: ev }), {
      ...(frames.at(-1) as object),
      code: 400,
      body: 'Conversation is closed',
    });
  });

  it('applies UpdateConversationField all or nothing: one bad field leaves the others unapplied', async () => {
    const conv = sim.openConversation();
    // A valid skill change beside the REMOVE of an absent agent (which fails): neither applies.
    const r = await field(conv, [
      { field: 'Skill', type: 'UPDATE', skill: '10' },
      { field: 'ParticipantsChange', type: 'REMOVE', role: 'ASSIGNED_AGENT', userId: `${sim.accountId}.5` },
    ]);
    assert.equal(r.code, 400);
    assert.deepEqual(sim.transfers, []);
    assert.equal(
      (await field(conv, [{ field: 'Skill', type: 'UPDATE', skill: '11' }])).code,
      400,
      'no agent online',
    );
    assert.equal((await field(conv, [{ field: 'Skill', type: 'UPDATE', skill: '10' }])).code, 200);
    assert.deepEqual(sim.transfers, [{ conversationId: conv, skillId: '10' }]);
    // The single-object form is accepted.
    assert.equal(
      (await field(conv, { field: 'ConversationStateField', conversationState: 'CLOSE' })).code,
      200,
    );
    assert.equal(
      (await field(conv, { field: 'ConversationStateField', conversationState: 'CLOSE' })).code,
      400,
    );
  });

  it('validates SetAgentState', async () => {
    assert.equal(
      (await call('.ams.routing.SetAgentState', { availability: 'AWAY', channels: ['MESSAGING'] })).code,
      202,
    );
    assert.equal((await call('.ams.routing.SetAgentState', { availability: 'NAPPING' })).code, 400);
    assert.equal(sim.agentState, 'AWAY');
  });

  it('rings only after a waiting conversation’s first consumer message; an accepted ring assigns the agent', async () => {
    const conv = sim.openConversation({ waiting: true });
    await call('.ams.routing.SubscribeRoutingTasks', { channelType: 'MESSAGING', agentId: sim.agentId });
    await sleep(20);
    assert.equal(sim.rings.length, 0);
    sim.consumerSays(conv, 'hello');
    const [ring] = sim.rings;
    assert.equal(ring?.ringState, 'WAITING');
    await waitFor(() => frames.some((f) => f['type'] === '.ams.routing.RoutingTaskNotification'), 'the ring');
    assert.equal(
      (await call('.ams.routing.UpdateRingState', { ringId: ring?.ringId, ringState: 'ACCEPTED' })).code,
      202,
    );
    assert.equal(
      (await call('.ams.routing.UpdateRingState', { ringId: ring?.ringId, ringState: 'ACCEPTED' })).code,
      202,
    );
    assert.equal(
      (await call('.ams.routing.UpdateRingState', { ringId: ring?.ringId, ringState: 'REJECTED' })).code,
      400,
    );
    const ev = { type: 'ContentEvent', contentType: 'text/plain', message: 'hi, I am yours' };
    assert.equal((await call('.ams.ms.PublishEvent', { dialogId: conv, event: ev })).code, 200);
  });

  it('commit-then-drop: the publish is applied, then the socket is cut without an answer', async () => {
    const conv = sim.openConversation();
    sim.faults.queue({ request: 'PublishEvent', commitThenDrop: 'close' });
    const closed = new Promise<number>((resolve) => ws.once('close', resolve));
    ws.send(
      JSON.stringify({
        kind: 'req',
        id: 'x',
        type: '.ams.ms.PublishEvent',
        body: {
          dialogId: conv,
          event: { type: 'ContentEvent', contentType: 'text/plain', message: 'applied' },
        },
      }),
    );
    assert.equal(await closed, 1006);
    assert.equal(sim.history(conv).length, 1);
    assert.ok(!frames.some((f) => f['reqId'] === 'x'));
  });
});
