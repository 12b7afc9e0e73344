import assert from 'node:assert/strict';
import { lastValueFrom } from 'rxjs';
import { legacyChat } from '../../adapters/legacy-chat/index.js';
import { messaging } from '../../adapters/messaging/index.js';
import { isChatshiftError } from '../../src/errors.js';
import { bothSimulatorsPerSuite } from '../support/simulators.js';

// Issue #15: a bearer no header can carry was refused by the HTTP client on every request and
// retried for ever as ERR_CONNECTION. Both backends now end with ERR_BEARER_PROVIDER.
describe('a bearer with CR/LF, NUL or non-Latin-1 characters, on both backends (#15)', function () {
  this.timeout(20_000);
  const sims = bothSimulatorsPerSuite();

  for (const bad of ['tok\r\nX-Injected: 1', 'tok\u0000en', 'tök€n']) {
    it(`ends the stream with ERR_BEARER_PROVIDER for ${JSON.stringify(bad)}, not a retried connection error`, async () => {
      const key = sims.legacy.openConversation();
      const backends = [
        legacyChat({
          ...sims.legacy.clientOptions(),
          bearer: () => bad,
          chats: [key],
          pollIntervalMs: 10,
          backoff: { initialMs: 5, maxMs: 10 },
        }),
        messaging({
          ...sims.messaging.clientOptions(),
          bearer: () => bad,
          backoff: { initialMs: 5, maxMs: 10 },
        }),
      ];
      for (const b of backends) {
        const started = Date.now();
        await assert.rejects(
          lastValueFrom(b.events()),
          (e: unknown) => isChatshiftError(e, 'ERR_BEARER_PROVIDER') && !e.message.includes(bad),
          b.id,
        );
        assert.ok(Date.now() - started < 5000, `${b.id} failed at once`);
      }
    });
  }
});
