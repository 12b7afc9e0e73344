import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { legacyChatSource, LegacyChatSimulator } from '../../adapters/legacy-chat/index.js';
import { messagingSource, MessagingSimulator } from '../../adapters/messaging/index.js';
import { Recorder } from '../support/recorder.js';
import { waitFor } from '../support/wait.js';

// Strict mode: a simulator lists what it was sent and does not serve, and a test can fail on it
// (undici's MockAgent fails on a request no interceptor matches).
describe('simulators: strict mode (assertNoUnexpectedRequests)', function () {
  this.timeout(30_000);

  it('legacy: a source following a chat sends nothing unexpected; an unknown path and a method a chat path does not take are named', async () => {
    const sim = await LegacyChatSimulator.start();
    let rec: Recorder | undefined;
    try {
      const key = sim.openConversation();
      sim.consumerSays(key, 'hello');
      sim.closeConversation(key);
      rec = new Recorder(
        legacyChatSource({ ...sim.clientOptions(), chats: [key], acceptIncoming: true, pollIntervalMs: 10 }),
      );
      const legacyRec = rec;
      await legacyRec.waitFor(() => legacyRec.closed.size === 1, 10_000, 'the chat closed');
      legacyRec.subscription.unsubscribe();
      assert.ok(sim.requests.length > 0);
      sim.assertNoUnexpectedRequests();

      const { agentSessionUrl, bearer } = sim.clientOptions();
      const headers = { authorization: `Bearer ${bearer}` };
      const other = await fetch(`${agentSessionUrl}/no-such-resource`, { headers });
      const put = await fetch(`${agentSessionUrl}/chat/${encodeURIComponent(key)}`, {
        method: 'PUT',
        headers,
      });
      assert.deepEqual([other.status, put.status], [404, 404]);
      const base = new URL(agentSessionUrl).pathname;
      assert.deepEqual(sim.unexpectedRequests, [
        `GET ${base}/no-such-resource`,
        `PUT ${base}/chat/${encodeURIComponent(key)}`,
      ]);
      assert.throws(
        () => sim.assertNoUnexpectedRequests(),
        /unexpected requests: GET .*no-such-resource, PUT /,
      );
    } finally {
      rec?.subscription.unsubscribe();
      await sim.close();
    }
  });

  it('messaging: a source sends nothing unexpected; an unknown request type, a non-request frame and an unknown HTTP path are named', async () => {
    const sim = await MessagingSimulator.start({ frameLog: false });
    let rec: Recorder | undefined;
    try {
      rec = new Recorder(messagingSource(sim.clientOptions()));
      await waitFor(() => sim.subscriptionsAnswered > 0, 'the subscription answered');
      const conv = sim.openConversation();
      sim.consumerSays(conv, 'hello');
      sim.closeConversation(conv);
      const messagingRec = rec;
      await messagingRec.waitFor(() => messagingRec.closed.size === 1, 10_000, 'the conversation closed');
      messagingRec.subscription.unsubscribe();
      sim.assertNoUnexpectedRequests();

      const ws = new WebSocket(
        `ws://${sim.domain}/ws_api/account/${sim.accountId}/messaging/brand/${sim.token}?v=2.1`,
      );
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      ws.send(JSON.stringify({ kind: 'req', id: '1', type: '.ams.cm.NoSuchRequest', body: {} }));
      ws.send('not json');
      ws.send(JSON.stringify({ kind: 'resp', id: '2' }));
      await waitFor(() => sim.unexpectedRequests.length === 3, 'three unexpected frames');
      ws.close();
      const res = await fetch(`http://${sim.domain}/api/account/${sim.accountId}/no-such-thing`);
      assert.equal(res.status, 404);
      assert.deepEqual(sim.unexpectedRequests, [
        'request .ams.cm.NoSuchRequest',
        'a frame that is not JSON (8 chars)',
        'a frame that is not a request (kind resp)',
        `GET /api/account/${sim.accountId}/no-such-thing`,
      ]);
      assert.throws(
        () => sim.assertNoUnexpectedRequests(),
        /messaging simulator: unexpected requests: request \.ams\.cm\.NoSuchRequest/,
      );
    } finally {
      rec?.subscription.unsubscribe();
      await sim.close();
    }
  });
});
