import assert from 'node:assert/strict';
import { filter, firstValueFrom, take, type Subscription } from 'rxjs';
import { messaging, MessagingSimulator } from '../../adapters/messaging/index.js';
import {
  conversationActions,
  conversationEvents,
  flowControl,
  type ConversationEvent,
  type MessageEvent,
} from '../../src/index.js';
import { recordingLogger } from '../support/logger.js';
import { waitFor } from '../support/wait.js';

// Issue #13: each messaging backend object "uses the same connection / agent session as its
// events". Sockets are counted on the simulator: one per agent while the same object reads and writes.
describe('conversationActions over messaging: the events socket is shared', function () {
  this.timeout(30_000);
  let sim: MessagingSimulator;
  let most = 0;
  let sampler: NodeJS.Timeout | undefined;
  beforeEach(async () => {
    sim = await MessagingSimulator.start({ tokens: ['SECRET-SHARED-TOKEN'] });
    most = 0;
    sampler = setInterval(() => (most = Math.max(most, sim.connectionCount)), 2);
  });
  afterEach(async () => {
    clearInterval(sampler);
    await sim.close();
  });
  const make = (extra: { actionsIdleMs?: number } = {}) => {
    const logger = recordingLogger();
    const msg = messaging({
      ...sim.clientOptions(),
      agentId: sim.agentId,
      requestTimeoutMs: 400,
      heartbeatTimeoutMs: 2000,
      backoff: { initialMs: 50, maxMs: 200 },
      logger,
      ...extra,
    });
    return { msg, actions: conversationActions({ messaging: msg }), logger };
  };
  const connectionOf = (type: string): number[] => sim.requests(type).map((r) => r.connection);

  it('one socket while the same backend object reads, answers, types, sets availability and watches rings', async () => {
    const { msg, actions, logger } = make();
    const seen: ConversationEvent[] = [];
    let sub: Subscription | undefined;
    try {
      sub = msg.events().subscribe((e) => {
        seen.push(e);
        if (e.type === 'message' && e.from.role === 'consumer')
          void actions.send(e, { text: `re:${e.text}` });
      });
      await waitFor(() => sim.subscriptionsAnswered === 1, 'the events subscribed');
      const offers = firstValueFrom(actions.offers$.pipe(take(1)));
      await waitFor(() => sim.requests('.ams.routing.SubscribeRoutingTasks').length === 1, 'routing');
      const conv = sim.openConversation();
      for (const t of ['a', 'b', 'c']) sim.consumerSays(conv, t);
      await waitFor(
        () => ['re:a', 're:b', 're:c'].every((t) => seen.some((e) => e.type === 'message' && e.text === t)),
        'the answers came back through the events',
      );
      await actions.typing({ backend: 'messaging', conversationId: conv }, true);
      await actions.setAvailability('online');
      const waiting = sim.openConversation({ waiting: true });
      sim.consumerSays(waiting, 'ring me');
      assert.equal((await offers).conversationId, waiting);
      assert.equal(sim.connectionsOpened, 1, 'one socket opened in all');
      assert.equal(most, 1, 'never two at once');
      const events = connectionOf('.ams.aam.SubscribeExConversations');
      const writes = [
        ...connectionOf('.ams.ms.PublishEvent'),
        ...connectionOf('.ams.routing.SetAgentState'),
        ...connectionOf('.ams.routing.SubscribeRoutingTasks'),
      ];
      assert.equal(writes.length, 6);
      assert.deepEqual(new Set(writes), new Set(events), 'the writes went over the events socket');
    } finally {
      sub?.unsubscribe();
      await actions.dispose();
    }
    assert.ok(!logger.text().includes('SECRET-SHARED-TOKEN'));
  });

  it('a send in flight across a reconnect of the shared socket is read back on the next one, never resent blind', async () => {
    const { msg, actions } = make();
    const sub = msg.events().subscribe();
    try {
      await waitFor(() => sim.subscriptionsAnswered === 1, 'the events subscribed');
      const conv = sim.openConversation();
      // The write is applied, then the socket drops before its answer: the outcome is unclear.
      sim.faults.queue({ request: 'PublishEvent', commitThenDrop: 'close' });
      const r = await actions.send({ backend: 'messaging', conversationId: conv }, { text: 'once' });
      assert.equal(sim.withExternalId(conv, r.clientMessageId).length, 1, 'in the conversation once');
      const publishes = sim.requests('.ams.ms.PublishEvent');
      assert.equal(publishes.length, 1, 'posted once, no resend');
      const readBacks = sim
        .requests('.ams.ms.QueryMessages')
        .filter((q) => q.connection !== publishes[0]?.connection);
      assert.ok(readBacks.length >= 1, 'read back on the reconnected socket');
      await waitFor(() => sim.subscriptionsAnswered === 2, 'the events resubscribed');
      assert.equal(sim.connectionsOpened, 2, 'the events reconnected; the actions opened none');
      assert.equal(most, 1);

      // Applied, its answer held back, and the shared socket reset meanwhile by the network.
      sim.faults.queue({ request: 'PublishEvent', commitThenDrop: 'delay', delayMs: 5000 });
      const second = actions.send({ backend: 'messaging', conversationId: conv }, { text: 'late' });
      await waitFor(() => sim.requests('.ams.ms.PublishEvent').length === 2, 'the second send went out');
      sim.dropConnections();
      const r2 = await second;
      assert.equal(sim.withExternalId(conv, r2.clientMessageId).length, 1, 'in the conversation once');
      assert.equal(sim.requests('.ams.ms.PublishEvent').length, 2, 'not resent');
      await waitFor(() => sim.subscriptionsAnswered === 3, 'the events resubscribed again');
      assert.equal(sim.connectionsOpened, 3);
      assert.equal(most, 1);
    } finally {
      sub.unsubscribe();
      await actions.dispose();
    }
  });

  it('without events the actions open their own socket, close it when idle, and hand over to the events socket', async () => {
    const { msg, actions } = make({ actionsIdleMs: 300 });
    const conv = sim.openConversation();
    let sub: Subscription | undefined;
    try {
      await actions.send({ backend: 'messaging', conversationId: conv }, { text: 'cold' });
      assert.equal(sim.connectionCount, 1);
      await waitFor(() => sim.connectionCount === 0, 'the idle actions socket closed');
      await actions.typing({ backend: 'messaging', conversationId: conv }, true);
      assert.equal(sim.connectionsOpened, 2, 'opened again on the next action');
      // Events start: their socket takes over, and the actions' own closes without waiting.
      sub = msg.events().subscribe();
      await waitFor(() => sim.subscriptionsAnswered === 1, 'the events subscribed');
      await actions.send({ backend: 'messaging', conversationId: conv }, { text: 'warm' });
      await waitFor(() => sim.connectionCount === 1, 'one socket left');
      const last = sim.requests('.ams.ms.PublishEvent').at(-1)?.connection;
      assert.equal(last, sim.requests('.ams.aam.SubscribeExConversations')[0]?.connection);
      sub.unsubscribe();
      sub = undefined;
      await waitFor(() => sim.connectionCount === 0, 'the events socket closed');
      // The events stopped: the next action is cold again, and dispose() closes it.
      await actions.send({ backend: 'messaging', conversationId: conv }, { text: 'cold again' });
      assert.equal(sim.connectionCount, 1);
      await actions.dispose();
      await waitFor(() => sim.connectionCount === 0, 'dispose closed the actions socket');
    } finally {
      sub?.unsubscribe();
      await actions.dispose();
    }
  });

  it('a handler that awaits its send does not deadlock when flow control pauses the shared socket', async () => {
    const { msg, actions } = make();
    const flow = flowControl({ highWaterMark: 1, lowWaterMark: 0 });
    const answered: string[] = [];
    const conv = sim.openConversation();
    const sub = conversationEvents({ backend: 'messaging', messaging: msg, flow })
      .pipe(
        flow.process(async (e) => {
          if (e.type !== 'message' || e.from.role !== 'consumer') return;
          await actions.send(e, { text: `re:${e.text}` });
          answered.push(e.text);
        }),
      )
      .subscribe();
    try {
      for (const t of ['1', '2', '3', '4']) sim.consumerSays(conv, t);
      await waitFor(
        () => answered.length === 4,
        () => `answered ${answered.join(',')}`,
        15_000,
      );
      const echoed = firstValueFrom(
        msg.events().pipe(filter((e): e is MessageEvent => e.type === 'message' && e.text === 're:4')),
      );
      assert.equal((await echoed).text, 're:4');
    } finally {
      sub.unsubscribe();
      await actions.dispose();
    }
  });
});
