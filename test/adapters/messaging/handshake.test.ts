import assert from 'node:assert/strict';
import type { Subscription } from 'rxjs';
import { messagingSource } from '../../../adapters/messaging/index.js';
import type { ChatshiftError } from '../../../src/errors.js';
import { refusingUpgradeServer, type RefusingUpgradeServer } from '../../support/refusing-upgrade-server.js';
import { fast } from './support.js';
import { recordingLogger } from '../../support/logger.js';
import { waitFor } from '../../support/wait.js';

// The handshake status comes from ws's 'unexpected-response' (the response itself), and the failed
// upgrade's request and response are cleaned up: the server below never closes a connection.
describe('messagingSource handshake answered with an HTTP status', () => {
  let server: RefusingUpgradeServer | undefined;
  let sub: Subscription | undefined;
  afterEach(async () => {
    sub?.unsubscribe();
    await server?.close();
    server = sub = undefined;
  });

  const run = async (status: number) => {
    server = await refusingUpgradeServer(status);
    const logger = recordingLogger();
    let bearerCalls = 0;
    const r: { error?: ChatshiftError } = {};
    sub = messagingSource({
      accountId: '123',
      domain: server.domain,
      bearer: () => `TOKEN-${++bearerCalls}`,
      logger,
      ...fast,
      backoff: { ...fast.backoff, maxAttempts: 3 },
    }).subscribe({ error: (e: ChatshiftError) => (r.error = e) });
    await waitFor(() => r.error !== undefined, 'the stream to fail');
    await waitFor(() => server!.openConnections === 0, 'the refused connections to be closed');
    // Each refused socket closed at once, not when the handshake watchdog fired.
    assert.ok(!logger.lines().some((l) => l.includes('handshake timed out')), logger.lines().join('\n'));
    return { error: r.error!, bearerCalls, upgrades: server.upgrades, logger };
  };

  for (const status of [401, 403]) {
    it(`${status} refuses the bearer: one fresh token is tried, then ERR_AUTH_REJECTED`, async () => {
      const { error, bearerCalls, upgrades, logger } = await run(status);
      assert.equal(error.code, 'ERR_AUTH_REJECTED');
      assert.equal(error.details?.['status'], status);
      assert.equal(bearerCalls, 2);
      assert.equal(upgrades, 2);
      assert.ok(logger.lines().some((l) => l.includes(`"status":${status}`)));
      assert.ok(!logger.lines().some((l) => l.includes('TOKEN-')), 'the bearer was logged');
    });
  }

  it('404 is retried at most MAX_HANDSHAKE_NOT_FOUND times, then ERR_HTTP_STATUS (wrong account or host)', async () => {
    const { error, bearerCalls, upgrades } = await run(404);
    assert.equal(error.code, 'ERR_HTTP_STATUS');
    assert.equal(error.details?.['status'], 404);
    assert.equal(bearerCalls, 1);
    assert.equal(upgrades, 3);
  });

  for (const status of [500]) {
    it(`${status} is retried with backoff and the same bearer until the attempts run out`, async () => {
      const { error, bearerCalls, upgrades, logger } = await run(status);
      assert.equal(error.code, 'ERR_RETRIES_EXHAUSTED');
      assert.equal(bearerCalls, 1);
      assert.equal(upgrades, 4); // the first attempt and three retries
      const closes = logger.lines().filter((l) => l.includes('socket closed; reconnecting'));
      assert.equal(closes.length, 4);
      assert.ok(
        closes.every((l) => l.includes(`"status":${status}`)),
        closes.join('\n'),
      );
    });
  }
});
