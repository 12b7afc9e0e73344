import assert from 'node:assert/strict';
import { MessagingSimulator } from '../../../../adapters/messaging/index.js';
import { waitFor } from '../../../support/wait.js';
import { sdkLoopback, type SdkAgent, type SdkLoopback } from './sdk-loopback.js';

// The real node-agent-sdk@1.2.0 as an independent client: where it and the simulator disagree,
// the simulator is wrong.
describe('conformance: node-agent-sdk@1.2.0 against MessagingSimulator', () => {
  let sim: MessagingSimulator;
  let sdk: SdkLoopback;
  let agent: SdkAgent | undefined;
  const errors: unknown[] = [];

  beforeEach(async () => {
    sim = await MessagingSimulator.start({ tokens: ['TOKEN-X'] });
    sdk = sdkLoopback(sim.domain);
    errors.length = 0;
  });
  afterEach(async () => {
    if (agent !== undefined) {
      agent.removeAllListeners();
      agent.on('error', () => {});
      try {
        agent.dispose();
      } catch {
        // SDK bug 8.6.10: dispose may ping a closed socket
      }
    }
    agent = undefined;
    sdk.restore();
    await sim.close();
  });

  const connect = async (): Promise<SdkAgent> => {
    const a = new sdk.Agent({ accountId: sim.accountId, token: 'TOKEN-X', userId: '77' });
    a.on('error', ((e: unknown) => errors.push(e)) as never);
    let connected = 0;
    a.on('connected', (() => connected++) as never);
    agent = a;
    await waitFor(() => connected === 1, 'SDK connected');
    return a;
  };
  const call = <T>(fn: (cb: (err: unknown, resp: T) => void) => void): Promise<T> =>
    new Promise((resolve, reject) =>
      fn((err, resp) =>
        err ? reject(err instanceof Error ? err : new Error(JSON.stringify(err))) : resolve(resp),
      ),
    );

  it('connects, subscribes, receives a scripted conversation and its history, publishes', async () => {
    const conv = sim.openConversation();
    sim.consumerSays(conv, 'hello from the consumer');
    const a = await connect();
    const changes: Array<{
      type: string;
      result: { convId: string; conversationDetails: { participants: unknown } };
    }> = [];
    a.on('cqm.ExConversationChangeNotification', ((n: { changes: typeof changes }) =>
      changes.push(...n.changes)) as never);
    const events: Array<{
      dialogId: string;
      changes: Array<{ sequence?: number; event: { type: string; message?: string }; originatorId?: string }>;
    }> = [];
    a.on('ms.MessagingEventNotification', ((n: (typeof events)[number]) => events.push(n)) as never);

    await call((cb) => a.setAgentState({ availability: 'ONLINE' }, cb));
    await call((cb) => a.subscribeExConversations({ convState: ['OPEN'], agentIds: [sim.agentId] }, cb));
    await waitFor(
      () => changes.some((ch) => ch.result.convId === conv),
      'UPSERT through the SDK transformer',
    );
    assert.ok(
      Array.isArray(changes[0]?.result.conversationDetails.participants),
      'SDK converted role maps to [{id, role}]',
    );

    await call((cb) => a.subscribeMessagingEvents({ dialogId: conv, fromSeq: 0 }, cb));
    await waitFor(
      () => events.some((n) => n.changes.some((e) => e.event.message === 'hello from the consumer')),
      'history',
    );

    sim.agentSays(conv, 'live from another agent', { agentId: '123.99' });
    await waitFor(
      () => events.some((n) => n.changes.some((e) => e.event.message === 'live from another agent')),
      'live event',
    );

    const resp = await call<{ sequence: number }>((cb) =>
      a.publishEvent(
        {
          dialogId: conv,
          event: { type: 'ContentEvent', contentType: 'text/plain', message: 'hi from the SDK' },
        },
        cb,
      ),
    );
    assert.equal(resp.sequence, 3);
    const recorded = sim.history(conv).at(-1) as {
      sequence: number;
      originatorId: string;
      event: { message: string };
    };
    assert.deepEqual(
      [recorded.sequence, recorded.originatorId, recorded.event.message],
      [3, '123.77', 'hi from the SDK'],
    );
    const clock = await call<{ currentTime: number }>((cb) => a.getClock({}, cb));
    assert.equal(typeof clock.currentTime, 'number');

    const sent = sim.requests().map((r) => r.type);
    for (const t of [
      '.ams.routing.SetAgentState',
      '.ams.aam.SubscribeExConversations',
      '.ams.ms.QueryMessages',
      '.ams.ms.PublishEvent',
      '.GetClock',
    ])
      assert.ok(sent.includes(t), `${t} not seen in ${sent.join(', ')}`);
    assert.deepEqual(errors, []);
  });

  it('sees a 4401 close and reconnects to the simulator', async () => {
    sim.openConversation();
    const a = await connect();
    const closed: number[] = [];
    let reconnected = false;
    a.on('closed', ((code: number) => closed.push(code)) as never);
    a.on('connected', (() => (reconnected = true)) as never);
    sim.closeConnections(4401, { reason: 'token expired' });
    await waitFor(() => closed.includes(4401), 'closed 4401');
    a.reconnect(false);
    await waitFor(() => reconnected && sim.connectionCount === 1, 'reconnected');
    const changes: unknown[] = [];
    a.on('cqm.ExConversationChangeNotification', ((n: { changes: unknown[] }) =>
      changes.push(...n.changes)) as never);
    await call((cb) => a.subscribeExConversations({ convState: ['OPEN'], agentIds: [sim.agentId] }, cb));
    await waitFor(() => changes.length === 1, 'resubscribed after reconnect');
    assert.equal(sim.connectionsOpened, 2);
  });
});
