import assert from 'node:assert/strict';
import { legacyChat, LegacyChatSimulator } from '../../adapters/legacy-chat/index.js';
import { messaging, MessagingSimulator } from '../../adapters/messaging/index.js';
import {
  conversationActions,
  isChatshiftError,
  type MetricAttributes,
  type Metrics,
} from '../../src/index.js';
import { metricSpec } from '../../src/runtime/metric-catalog.js';

/** Every data point, with its attributes. */
function recording(): Metrics & { points: Array<{ name: string; attributes: MetricAttributes }> } {
  const points: Array<{ name: string; attributes: MetricAttributes }> = [];
  return {
    points,
    increment: (name, _by, attributes = {}) => void points.push({ name, attributes }),
    record: (name, _v, attributes = {}) => void points.push({ name, attributes }),
  };
}

// Issue #17's "sends by outcome": one `sends` point per send, and every point the actions emit
// is in the metric catalog with only the attributes it allows.
describe('conversationActions: metrics', function () {
  this.timeout(20_000);

  it('counts each send once by outcome and backend, and emits only catalogued names and attributes', async () => {
    const legacySim = await LegacyChatSimulator.start();
    const msgSim = await MessagingSimulator.start();
    const metrics = recording();
    const actions = conversationActions({
      legacy: legacyChat({ ...legacySim.clientOptions(), pollIntervalMs: 100, requestTimeoutMs: 400 }),
      messaging: messaging({ ...msgSim.clientOptions(), agentId: msgSim.agentId, requestTimeoutMs: 400 }),
      metrics,
    });
    try {
      const chat = { backend: 'legacy-chat', conversationId: legacySim.openConversation() } as const;
      const conv = { backend: 'messaging', conversationId: msgSim.openConversation() } as const;
      await actions.send(conv, { text: 'plain' });
      msgSim.faults.queue({ request: 'PublishEvent', commitThenDrop: 'close' });
      await actions.send(conv, { text: 'dropped after the write' });
      msgSim.faults.queue({ request: 'PublishEvent', code: 429, retryAfter: 1 });
      await actions.send(conv, { text: 'after a 429' });
      legacySim.faults.queue({ route: 'events', status: 503 });
      await actions.send(chat, { text: '5xx, not applied' });
      msgSim.closeConversation(conv.conversationId);
      await assert.rejects(actions.send(conv, { text: 'closed' }), (e) =>
        isChatshiftError(e, 'ERR_CONVERSATION_CLOSED'),
      );
      await actions.typing(chat, true);

      const sends = metrics.points
        .filter((p) => p.name === 'sends')
        .map((p) =>
          `${p.attributes['chatshift.backend']} ${p.attributes['chatshift.outcome']} ${p.attributes['error.type'] ?? ''}`.trim(),
        );
      assert.deepEqual(sends, [
        'messaging sent',
        'messaging found_on_read_back',
        'messaging sent',
        'legacy-chat resent',
        'messaging refused ERR_CONVERSATION_CLOSED',
      ]);
      const of = (name: string) =>
        metrics.points.filter((p) => p.name === name).map((p) => p.attributes['chatshift.backend']);
      assert.deepEqual(of('actions.unclear'), ['messaging', 'legacy-chat']);
      assert.deepEqual(of('actions.rate_limited'), ['messaging']);
      for (const p of metrics.points) {
        const spec = metricSpec(p.name);
        assert.ok(spec !== undefined, `${p.name} is not in the metric catalog`);
        for (const a of Object.keys(p.attributes))
          assert.ok(spec.attributes.includes(a), `${p.name} carries ${a}, which the catalog does not allow`);
        assert.ok(typeof p.attributes['chatshift.backend'] === 'string', `${p.name} names its backend`);
      }
    } finally {
      await actions.dispose();
      await legacySim.close();
      await msgSim.close();
    }
  });
});
