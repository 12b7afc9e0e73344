import assert from 'node:assert/strict';
import { legacyChat, LegacyChatSimulator } from '../../adapters/legacy-chat/index.js';
import { messaging, MessagingSimulator } from '../../adapters/messaging/index.js';
import { conversationEvents } from '../../src/cutover/conversation-events.js';
import { decodeConversationEvent } from '../../src/model/decode.js';
import { Recorder } from '../support/recorder.js';
import { legacySteps, messagingSteps, parityScript, play, project, settleOn } from './script.js';

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
    const legacyRun = new Recorder(
      conversationEvents({
        backend: 'legacy-chat',
        legacy: legacyChat({
          ...legacySim.clientOptions(),
          acceptIncoming: true,
          pollIntervalMs: 20,
        }),
      }),
    );
    const messagingRun = new Recorder(
      conversationEvents({
        backend: 'messaging',
        messaging: messaging(messagingSim.clientOptions()),
      }),
    );
    try {
      await Promise.all([
        play(legacySim, legacySteps, settleOn(legacyRun, 'legacy-chat')),
        play(messagingSim, messagingSteps(messagingSim), settleOn(messagingRun, 'messaging')),
      ]);
    } finally {
      legacyRun.subscription.unsubscribe();
      messagingRun.subscription.unsubscribe();
    }
    for (const e of [...legacyRun.events, ...messagingRun.events])
      assert.equal(decodeConversationEvent(e)._tag, 'Right');
    const l = legacyRun.events.map(project);
    const m = messagingRun.events.map(project);
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
    assert.ok(legacyRun.events.every((e) => e.backend === 'legacy-chat'));
    assert.ok(messagingRun.events.every((e) => e.backend === 'messaging'));
  });
});
