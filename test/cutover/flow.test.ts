import assert from 'node:assert/strict';
import { legacyChat, LegacyChatSimulator } from '../../adapters/legacy-chat/index.js';
import { messaging, MessagingSimulator } from '../../adapters/messaging/index.js';
import { conversationEvents } from '../../src/cutover/conversation-events.js';
import { flowControl } from '../../src/runtime/flow.js';
import { StalledConsumer } from '../support/stalled-consumer.js';
import { sleep, waitFor } from '../support/wait.js';

describe('conversationEvents with flowControl', () => {
  let legacy: LegacyChatSimulator;
  let messagingSim: MessagingSimulator;
  before(async () => {
    legacy = await LegacyChatSimulator.start();
    messagingSim = await MessagingSimulator.start({ frameLog: false });
  });
  after(async () => {
    await legacy.close();
    await messagingSim.close();
  });

  it('pauses both backends while the consumer is behind and loses nothing once it catches up', async () => {
    const flow = flowControl({ highWaterMark: 20 });
    const chat = legacy.openConversation();
    const conv = messagingSim.openConversation();
    const consumer = new StalledConsumer(
      conversationEvents({
        backend: 'both',
        legacy: legacyChat({
          ...legacy.clientOptions(),
          chats: [chat],
          pollIntervalMs: 10,
        }),
        messaging: messaging({
          ...messagingSim.clientOptions(),
          agentId: messagingSim.agentId,
          heartbeatIntervalMs: 50,
          heartbeatTimeoutMs: 150,
        }),
        flow,
      }),
      flow,
    );
    const { handled } = consumer;
    try {
      await waitFor(
        () =>
          handled.some((e) => e.conversationId === chat) && handled.some((e) => e.conversationId === conv),
        'both backends streaming',
      );
      consumer.stall();
      for (let i = 0; i < 100; i++) {
        legacy.consumerSays(chat, `l${i}`);
        messagingSim.consumerSays(conv, `m${i}`);
        if (i % 10 === 9) await sleep(15);
      }
      await sleep(300);
      const polls = legacy.multiChatRequests().length;
      await sleep(300);
      assert.equal(flow.paused, true);
      assert.equal(legacy.multiChatRequests().length, polls, 'legacy polling waits');
      assert.ok(flow.pending < 20 + 200, `pending ${flow.pending}`);
      assert.equal(messagingSim.connectionsOpened, 1, 'the paused socket outlived the keep-alive deadline');
      consumer.resume();
      legacy.closeConversation(chat);
      messagingSim.closeConversation(conv);
      await waitFor(
        () => handled.filter((e) => e.type === 'state' && e.state === 'closed').length === 2,
        'both closed',
      );
      const texts = (id: string) =>
        handled
          .filter((e) => e.conversationId === id && e.type === 'message' && e.from.role === 'consumer')
          .map((e) => e.type === 'message' && e.text);
      assert.deepEqual(
        texts(chat),
        Array.from({ length: 100 }, (_, i) => `l${i}`),
      );
      assert.deepEqual(
        texts(conv),
        Array.from({ length: 100 }, (_, i) => `m${i}`),
      );
      assert.equal(new Set(handled.map((e) => e.id)).size, handled.length);
    } finally {
      consumer.stop();
    }
  });
});
