import assert from 'node:assert/strict';
import { messaging, MessagingSimulator } from '../../../../adapters/messaging/index.js';
import { conversationActions } from '../../../../src/index.js';
import { waitFor } from '../../../support/wait.js';
import { sdkLoopback, type SdkAgent, type SdkLoopback } from './sdk-loopback.js';

// The real node-agent-sdk@1.2.0 on a socket of its own (a second agent's view; the simulator gives
// every socket one agent identity) sees what a bot sends through conversationActions.
describe('conformance: node-agent-sdk@1.2.0 sees messages sent through conversationActions', function () {
  this.timeout(20_000);
  let sim: MessagingSimulator;
  let sdk: SdkLoopback;
  let agent: SdkAgent | undefined;
  beforeEach(async () => {
    sim = await MessagingSimulator.start({ tokens: ['TOKEN-BOT', 'TOKEN-SDK'] });
    sdk = sdkLoopback(sim.domain);
  });
  afterEach(async () => {
    if (agent !== undefined) {
      agent.removeAllListeners();
      agent.on('error', () => {});
      try {
        agent.dispose();
      } catch {
        // SDK bug: dispose may ping a closed socket
      }
    }
    agent = undefined;
    sdk.restore();
    await sim.close();
  });

  it('as live events, with the ExternalId metadata and the agent-only audience', async () => {
    const conv = sim.openConversation();
    const a = new sdk.Agent({ accountId: sim.accountId, token: 'TOKEN-SDK', userId: '77' });
    agent = a;
    let connected = false;
    a.on('connected', (() => (connected = true)) as never);
    a.on('error', (() => undefined) as never);
    await waitFor(() => connected, 'SDK connected');
    const seen: Array<{ event: { message?: string }; metadata?: unknown; messageAudience?: unknown }> = [];
    a.on('ms.MessagingEventNotification', ((n: { changes: typeof seen }) =>
      seen.push(...n.changes)) as never);
    await new Promise<void>((resolve, reject) =>
      a.subscribeMessagingEvents({ dialogId: conv, fromSeq: 0 }, (err) =>
        err ? reject(new Error(String(err))) : resolve(),
      ),
    );
    const actions = conversationActions({
      messaging: messaging({
        accountId: sim.accountId,
        domain: sim.domain,
        bearer: 'TOKEN-BOT',
        agentId: sim.agentId,
      }),
    });
    try {
      await actions.send(
        { backend: 'messaging', conversationId: conv },
        { text: 'from the bot' },
        { clientMessageId: 'bot-1' },
      );
      await actions.send(
        { backend: 'messaging', conversationId: conv },
        { text: 'note', audience: 'agents' },
      );
      await waitFor(
        () => seen.filter((c) => c.event.message !== undefined).length >= 2,
        () => `SDK saw ${JSON.stringify(seen)}`,
      );
      const bot = seen.find((c) => c.event.message === 'from the bot');
      assert.deepEqual(bot?.metadata, [{ type: 'ExternalId', id: 'bot-1' }]);
      assert.equal(seen.find((c) => c.event.message === 'note')?.messageAudience, 'AGENTS_AND_MANAGERS');
    } finally {
      await actions.dispose();
    }
  });
});
