import assert from 'node:assert/strict';
import { legacyChat, LegacyChatSimulator } from '../../adapters/legacy-chat/index.js';
import { messaging, MessagingSimulator } from '../../adapters/messaging/index.js';
import { demoBot } from '../../src/cli/demo-bot.js';
import {
  conversationActions,
  conversationEvents,
  isChatshiftError,
  type ConversationEvent,
} from '../../src/index.js';
import { waitFor } from '../support/wait.js';

interface Script {
  open(): string;
  says(id: string, text: string): void;
  agentTexts(id: string): string[];
  transfers(): Array<{ conversation: string; skill: string }>;
}

/** Plays the same conversation on one backend with the demo bot; returns what happened, projected. */
async function play(
  events$: (bot: (e: ConversationEvent) => Promise<void>) => { unsubscribe(): void },
  s: Script,
  actions: ReturnType<typeof conversationActions>,
  backend: 'legacy-chat' | 'messaging',
) {
  const outcomes: string[] = [];
  const bot = demoBot(actions);
  const sub = events$((e) =>
    bot(e).then(
      () => {
        if (e.type === 'message' && e.from.role === 'consumer') outcomes.push(`ok ${e.text}`);
      },
      (err: unknown) => {
        outcomes.push(`error ${isChatshiftError(err) ? err.code : String(err)}`);
      },
    ),
  );
  try {
    const a = s.open();
    const b = s.open();
    s.says(a, 'hi');
    await waitFor(
      () => outcomes.length === 1,
      () => `answer 1: ${outcomes.join()}`,
    );
    s.says(a, 'transfer me');
    await waitFor(
      () => outcomes.length === 2,
      () => `answer 2: ${outcomes.join()}`,
    );
    s.says(b, 'bye');
    await waitFor(
      () => outcomes.length === 3,
      () => `answer 3: ${outcomes.join()}`,
    );
    const after = await actions.send({ backend, conversationId: b }, { text: 'more' }).then(
      () => 'sent',
      (err: unknown) => (isChatshiftError(err) ? err.code : String(err)),
    );
    return {
      after,
      outcomes,
      a: s.agentTexts(a),
      b: s.agentTexts(b),
      transfers: s
        .transfers()
        .map((t) => ({ ...t, conversation: t.conversation === a ? 'a' : t.conversation })),
    };
  } finally {
    sub.unsubscribe();
    await actions.dispose();
  }
}

describe('parity: one scripted bot conversation (reply, typing, transfer, close) on both simulators', function () {
  this.timeout(30_000);

  it('behaves the same: the same answers, outcomes and transfer, the closed conversation refusing more', async () => {
    const legacySim = await LegacyChatSimulator.start();
    const msgSim = await MessagingSimulator.start({ frameLog: false });
    try {
      const legacy = legacyChat({ ...legacySim.clientOptions(), acceptIncoming: true, pollIntervalMs: 20 });
      const legacyActions = conversationActions({ legacy });
      const l = await play(
        (bot) => conversationEvents({ backend: 'legacy-chat', legacy }).subscribe((e) => void bot(e)),
        {
          open: () => legacySim.openConversation({ waiting: true }),
          says: (id, text) => void legacySim.consumerSays(id, text),
          agentTexts: (id) => legacySim.agentLines(id).map((e) => e.text ?? ''),
          transfers: () =>
            legacySim.transfers.map((t) => ({ conversation: t.chatSessionKey, skill: String(t.skillId) })),
        },
        legacyActions,
        'legacy-chat',
      );
      const msg = messaging({ ...msgSim.clientOptions(), agentId: msgSim.agentId });
      const m = await play(
        (bot) => conversationEvents({ backend: 'messaging', messaging: msg }).subscribe((e) => void bot(e)),
        {
          open: () => msgSim.openConversation(),
          says: (id, text) => void msgSim.consumerSays(id, text),
          agentTexts: (id) =>
            msgSim
              .history(id)
              .filter((r) => (r['originatorMetadata'] as { role?: string }).role !== 'CONSUMER')
              .map((r) => String((r['event'] as { message?: unknown }).message)),
          transfers: () =>
            msgSim.transfers.map((t) => ({ conversation: t.conversationId, skill: String(t.skillId) })),
        },
        conversationActions({ messaging: msg }),
        'messaging',
      );
      assert.deepEqual(l.outcomes, ['ok hi', 'ok transfer me', 'ok bye']);
      assert.deepEqual(m.outcomes, l.outcomes);
      assert.deepEqual([l.after, m.after], ['ERR_CONVERSATION_CLOSED', 'ERR_CONVERSATION_CLOSED']);
      assert.deepEqual(m.b, ['Goodbye!']);
      assert.deepEqual(m.b, l.b);
      assert.deepEqual(m.transfers, [{ conversation: 'a', skill: '10' }]);
      assert.deepEqual(m.transfers, l.transfers);
      assert.deepEqual(m.a, ['You said: hi', 'Transferring you to Sales.']);
      assert.deepEqual(m.a, l.a);
    } finally {
      await legacySim.close();
      await msgSim.close();
    }
  });
});
