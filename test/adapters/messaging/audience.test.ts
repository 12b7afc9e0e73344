import assert from 'node:assert/strict';
import type { MessagingSimulator } from '../../../adapters/messaging/index.js';
import { ConversationEventCodec } from '../../../src/model/event.js';
import { collect, simulatorPerTest, sourceFor } from './support.js';
import { waitFor } from '../../support/wait.js';

// production-behaviour.md M5 and §2 (ExternalId metadata): private content is marked, the sender's
// idempotency key is read back.
describe('messagingSource: audience and clientMessageId', () => {
  let sim: MessagingSimulator;
  simulatorPerTest((s) => (sim = s));

  it("marks messageAudience AGENTS_AND_MANAGERS as audience 'agents' and reads ExternalId as clientMessageId", async () => {
    const conv = sim.openConversation();
    sim.consumerSays(conv, 'public');
    sim.agentSays(conv, 'private note', { audience: 'agents' });
    sim.agentSays(conv, 'keyed', { externalId: 'ext-42' });
    const c = collect(sourceFor(sim));
    await waitFor(() => c.events.filter((e) => e.type === 'message').length === 3, 'three messages');
    const [pub, priv, keyed] = c.events.filter((e) => e.type === 'message');
    assert.equal(pub?.audience, undefined);
    assert.equal(pub?.clientMessageId, undefined);
    assert.equal(priv?.audience, 'agents');
    assert.equal(keyed?.clientMessageId, 'ext-42');
    assert.equal(keyed?.audience, undefined);
    for (const e of c.events) assert.ok(ConversationEventCodec.is(e), JSON.stringify(e));
  });

  it('ignores metadata of another shape or type, and an empty ExternalId', async () => {
    const conv = sim.openConversation();
    const c = collect(sourceFor(sim));
    await waitFor(() => c.events.some((e) => e.type === 'state'), 'open');
    for (const metadata of [
      'ExternalId',
      [{ type: 'BotResponse', id: 'x' }],
      [{ type: 'ExternalId', id: '' }],
      [null, 3],
    ])
      sim.sendRawToAll(
        JSON.stringify({
          kind: 'notification',
          type: '.ams.ms.OnlineEventDistribution',
          body: {
            sequence: c.events.length + 1000,
            dialogId: conv,
            metadata,
            messageAudience: 'ALL',
            event: { type: 'ContentEvent', contentType: 'text/plain', message: 'm' },
          },
        }),
      );
    sim.consumerSays(conv, 'one');
    await waitFor(() => c.events.some((e) => e.type === 'message'), 'a message');
    for (const e of c.events) {
      assert.ok(ConversationEventCodec.is(e), JSON.stringify(e));
      if (e.type === 'message') assert.equal(e.clientMessageId ?? e.audience, undefined);
    }
  });
});
