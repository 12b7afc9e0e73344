import assert from 'node:assert/strict';
import { LegacyChatSimulator } from '../../adapters/legacy-chat/index.js';
import { MessagingSimulator } from '../../adapters/messaging/index.js';
import { conversationEvents } from '../../src/cutover/conversation-events.js';
import { decodeConversationEvent } from '../../src/model/decode.js';
import { Recorder } from '../support/recorder.js';
import { parityScript, playLegacy, playMessaging, project, settleOn } from './script.js';

// What one platform has and the other cannot: legacy system lines (no Messaging equivalent),
// Messaging receipts (the legacy API has none), and the consumer as a Messaging participant
// (legacy `info` names only the agent). Everything else must be identical, in the same order.
const platformOnly = (p: string) =>
  p.startsWith('message system ') || p.startsWith('receipt ') || p === 'participant joined consumer';

describe('parity: one scripted conversation on both simulators', function () {
  this.timeout(30_000);
  let legacySim: LegacyChatSimulator;
  let messagingSim: MessagingSimulator;
  before(async () => {
    legacySim = await LegacyChatSimulator.start();
    messagingSim = await MessagingSimulator.start();
  });
  after(async () => {
    await legacySim.close();
    await messagingSim.close();
  });

  it('yields the same normalized events apart from backend, id, time and sequence numbering', async () => {
    const legacy = new Recorder(
      conversationEvents({
        backend: 'legacy-chat',
        legacy: {
          agentSessionUrl: legacySim.agentSessionUrl,
          bearer: 'sim-bearer',
          acceptIncoming: true,
          pollIntervalMs: 20,
        },
      }),
    );
    const messaging = new Recorder(
      conversationEvents({
        backend: 'messaging',
        messaging: {
          accountId: messagingSim.accountId,
          domain: messagingSim.domain,
          bearer: messagingSim.token,
        },
      }),
    );
    try {
      await Promise.all([
        playLegacy(legacySim, settleOn(legacy, 'legacy-chat')),
        playMessaging(messagingSim, settleOn(messaging, 'messaging')),
      ]);
    } finally {
      legacy.subscription.unsubscribe();
      messaging.subscription.unsubscribe();
    }
    for (const e of [...legacy.events, ...messaging.events])
      assert.equal(decodeConversationEvent(e)._tag, 'Right');
    const l = legacy.events.map(project);
    const m = messaging.events.map(project);
    assert.deepEqual(
      l.filter((p) => !platformOnly(p)),
      m.filter((p) => !platformOnly(p)),
    );
    // The shared part covers every kind of step in the script …
    assert.ok(l.filter((p) => !platformOnly(p)).length >= parityScript.length);
    for (const kind of [
      'state waiting',
      'state open',
      'participant joined agent',
      'typing consumer true',
      'message agent html',
      'state closed',
    ]) {
      assert.ok(
        l.some((p) => p.startsWith(kind)),
        `legacy has ${kind}`,
      );
    }
    // … and the platform-only events are exactly the documented ones.
    assert.deepEqual(
      l.filter(platformOnly).map((p) => p.split(' ').slice(0, 2).join(' ')),
      ['message system', 'message system'],
    );
    assert.deepEqual(m.filter(platformOnly), ['participant joined consumer', 'receipt read consumer']);
    assert.ok(legacy.events.every((e) => e.backend === 'legacy-chat'));
    assert.ok(messaging.events.every((e) => e.backend === 'messaging'));
  });
});
