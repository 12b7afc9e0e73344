import assert from 'node:assert/strict';
import { BehaviorSubject } from 'rxjs';
import { legacyChat } from '../../adapters/legacy-chat/index.js';
import { messaging } from '../../adapters/messaging/index.js';
import type { BackendChoice } from '../../src/cutover/backend-flag.js';
import { conversationEvents } from '../../src/cutover/conversation-events.js';
import type { BackendHealth } from '../../src/runtime/health.js';
import { Recorder } from '../support/recorder.js';
import { bothSimulatorsPerSuite } from '../support/simulators.js';
import { waitFor } from '../support/wait.js';

const label = (h: BackendHealth) => (h.code === undefined ? h.state : `${h.state}:${h.code}`);

describe('backend health through a cutover', function () {
  this.timeout(30_000);
  const sims = bothSimulatorsPerSuite();

  it('legacy drains (draining, then stopped once its chat ends) while messaging connects, as the flag moves', async () => {
    const legacy = legacyChat({
      ...sims.legacy.clientOptions(),
      acceptIncoming: true,
      pollIntervalMs: 15,
      backoff: { initialMs: 10, maxMs: 50 },
    });
    const msg = messaging({ ...sims.messaging.clientOptions(), backoff: { initialMs: 10, maxMs: 50 } });
    const seen = { legacy: [] as string[], messaging: [] as string[] };
    const subs = [
      legacy.health$.subscribe((h) => seen.legacy.push(label(h))),
      msg.health$.subscribe((h) => seen.messaging.push(label(h))),
    ];
    const flag = new BehaviorSubject<BackendChoice>('legacy-chat');
    const rec = new Recorder(conversationEvents({ backend: flag, legacy, messaging: msg }));
    try {
      const key = sims.legacy.openConversation({ waiting: true });
      sims.legacy.consumerSays(key, 'hello');
      await rec.waitFor(() => rec.events.some((e) => e.type === 'message'), 10_000, 'the legacy line');
      // Connected once the whole poll cycle succeeded (its events may arrive a little earlier).
      await waitFor(
        () => seen.legacy.at(-1) === 'connected',
        () => `legacy connected (saw ${seen.legacy.join(', ')})`,
      );
      assert.deepEqual(seen.messaging, ['stopped']);
      flag.next('messaging');
      await waitFor(
        () => seen.legacy.at(-1) === 'draining' && seen.messaging.at(-1) === 'connected',
        () => `legacy draining, messaging connected (saw ${JSON.stringify(seen)})`,
      );
      sims.legacy.closeConversation(key);
      await waitFor(
        () => seen.legacy.at(-1) === 'stopped',
        () => `legacy stopped (saw ${seen.legacy.join(', ')})`,
      );
      assert.deepEqual(seen.legacy, ['stopped', 'connecting', 'connected', 'draining', 'stopped']);
      assert.deepEqual(seen.messaging, ['stopped', 'connecting', 'connected']);
    } finally {
      rec.subscription.unsubscribe();
      for (const s of subs) s.unsubscribe();
    }
    assert.equal(seen.messaging.at(-1), 'stopped', 'messaging stops with the stream');
  });
});
