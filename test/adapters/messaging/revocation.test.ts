import assert from 'node:assert/strict';
import type { MessagingSimulator } from '../../../adapters/messaging/index.js';
import { MAX_HANDSHAKE_NOT_FOUND } from '../../../adapters/messaging/connection.js';
import { isChatshiftError } from '../../../src/errors.js';
import { recordingLogger } from '../../support/logger.js';
import { collect, simulatorPerTest, sourceFor, type Collected } from './support.js';
import { waitFor } from '../../support/wait.js';

// production-behaviour.md M6: a revoked token may close the socket abruptly (1006), and the server
// says 401 only at the next upgrade. That counts as a refusal, under the usual probation rule.
describe('messagingSource: abrupt revocation (M6) and handshake 404', () => {
  let sim: MessagingSimulator;
  let c: Collected | undefined;
  simulatorPerTest((s) => (sim = s));
  const slowKeepAlive = { heartbeatIntervalMs: 5_000, heartbeatTimeoutMs: 5_000 };

  it('an abrupt close then a 401 with the same token: a fresh bearer is fetched and the stream goes on', async () => {
    sim.configure({ revocationClose: 'abrupt' });
    const conv = sim.openConversation();
    let current = sim.token;
    let calls = 0;
    const logger = recordingLogger();
    c = collect(sourceFor(sim, { bearer: () => (calls++, current), logger }));
    await waitFor(() => c!.events.length > 0, 'connected');
    const old = current;
    current = sim.issueToken();
    sim.revokeToken(old);
    sim.consumerSays(conv, 'after the revocation');
    await waitFor(() => c!.events.some((e) => e.type === 'message'), 'the message');
    assert.equal(c.error, undefined);
    assert.equal(calls, 2, 'one fresh bearer');
    assert.ok(
      logger.lines().some((l) => l.includes('"code":1006')),
      logger.lines().join('\n'),
    );
    assert.ok(
      logger.lines().some((l) => l.includes('"status":401')),
      logger.lines().join('\n'),
    );
  });

  for (const how of [4401, 'abrupt'] as const)
    it(`a fresh bearer revoked (${how}) before its socket proved healthy ends the stream with ERR_AUTH_REJECTED`, async () => {
      sim.openConversation();
      let current = sim.token;
      c = collect(sourceFor(sim, { bearer: () => current, ...slowKeepAlive }));
      await waitFor(() => c!.events.length > 0, 'connected');
      const revoke = () => {
        const old = current;
        current = sim.issueToken();
        sim.revokeToken(old, { closeCode: how });
      };
      sim.configure({ silent: true }); // the next subscribe is never answered: the token stays on probation
      revoke();
      await waitFor(
        () => sim.connectionCount === 1 && sim.connectionsOpened === 2,
        'the fresh token’s socket',
      );
      revoke();
      await waitFor(() => c!.error !== undefined, 'the stream to end');
      assert.ok(isChatshiftError(c.error, 'ERR_AUTH_REJECTED'), String(c.error));
    });

  it('a network drop (1006, token still valid) while on probation is not a refusal', async () => {
    sim.openConversation();
    let current = sim.token;
    c = collect(sourceFor(sim, { bearer: () => current, ...slowKeepAlive }));
    await waitFor(() => c!.events.length > 0, 'connected');
    const old = current;
    current = sim.issueToken();
    sim.revokeToken(old, { closeCode: 4401 });
    await waitFor(
      () => sim.connectionsOpened === 2 && sim.subscriptionsAnswered === 2,
      'fresh token subscribed',
    );
    sim.dropConnections();
    await waitFor(() => sim.connectionsOpened === 3 && sim.subscriptionsAnswered === 3, 'reconnected');
    assert.equal(c.error, undefined);
  });

  it(`a handshake answered 404 ${MAX_HANDSHAKE_NOT_FOUND} times in a row ends the stream with ERR_HTTP_STATUS`, async () => {
    sim.faults.queue({ handshake: 404 }, { times: MAX_HANDSHAKE_NOT_FOUND });
    c = collect(sourceFor(sim));
    await waitFor(() => c!.error !== undefined, 'the stream to end');
    assert.ok(isChatshiftError(c.error, 'ERR_HTTP_STATUS'), String(c.error));
    assert.equal((c.error as { details: Record<string, unknown> }).details['status'], 404);
  });

  it('fewer 404s than that are retried', async () => {
    sim.openConversation();
    sim.faults.queue({ handshake: 404 }, { times: MAX_HANDSHAKE_NOT_FOUND - 1 });
    c = collect(sourceFor(sim));
    await waitFor(() => c!.events.length > 0, 'connected');
    assert.equal(c.error, undefined);
    sim.assertNoPendingFaults();
  });
});
