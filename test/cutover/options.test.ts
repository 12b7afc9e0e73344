import assert from 'node:assert/strict';
import { conversationEvents, type ConversationEventsOptions } from '../../src/cutover/conversation-events.js';
import { legacyChat } from '../../adapters/legacy-chat/index.js';
import { messaging } from '../../adapters/messaging/index.js';
import { isChatshiftError } from '../../src/errors.js';

const legacyOptions = { agentSessionUrl: 'http://127.0.0.1:9/api/account/1/agentSession/s', bearer: 'b' };
const legacy = legacyChat(legacyOptions);
const msg = messaging({ accountId: '1', domain: '127.0.0.1:9', bearer: 'b' });

describe('conversationEvents options', () => {
  it('rejects bad options synchronously with ERR_INVALID_OPTIONS, before anything runs', () => {
    const bad: Array<[string, unknown]> = [
      ['no options', undefined],
      ['no backend', { legacy }],
      ['no backend object', { backend: 'both' }],
      ['a messaging backend given as legacy', { backend: 'legacy-chat', legacy: msg }],
      ['a legacy backend given as messaging', { backend: 'messaging', messaging: legacy }],
      ['a bad flag interval', { backend: 'legacy-chat', legacy, flagIntervalMs: 0 }],
      ['a flow not from flowControl()', { backend: 'legacy-chat', legacy, flow: { highWaterMark: 10 } }],
    ];
    for (const [what, options] of bad)
      assert.throws(
        () => conversationEvents(options as ConversationEventsOptions),
        (e: unknown) => isChatshiftError(e, 'ERR_INVALID_OPTIONS'),
        what,
      );
  });

  it("tells a v1 caller who passes a backend's options to wrap them in its factory", () => {
    assert.throws(
      () => conversationEvents({ backend: 'legacy-chat', legacy: legacyOptions } as never),
      (e: unknown) =>
        isChatshiftError(e, 'ERR_INVALID_OPTIONS') &&
        e.message ===
          'conversationEvents: legacy must be a legacy-chat backend from legacyChat(); got an options object; wrap it: legacy: legacyChat({ ... })',
    );
  });

  it('builds nothing and starts nothing: the backends were validated by their factories', () => {
    assert.throws(
      () => legacyChat({ ...legacyOptions, pollIntervalMs: -1 }),
      (e: unknown) => isChatshiftError(e, 'ERR_INVALID_OPTIONS') && e.message.startsWith('legacyChat: '),
    );
    const events$ = conversationEvents({ backend: 'both', legacy, messaging: msg });
    assert.equal(typeof events$.subscribe, 'function');
  });
});
