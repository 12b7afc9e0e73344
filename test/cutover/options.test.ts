import assert from 'node:assert/strict';
import { conversationEvents, type ConversationEventsOptions } from '../../src/cutover/conversation-events.js';
import { isChatshiftError } from '../../src/errors.js';

const legacy = { agentSessionUrl: 'http://127.0.0.1:9/api/account/1/agentSession/s', bearer: 'b' };

describe('conversationEvents options', () => {
  it('rejects bad options synchronously with ERR_INVALID_OPTIONS, before anything runs', () => {
    const bad: Array<[string, unknown]> = [
      ['no options', undefined],
      ['no backend', { legacy }],
      ['no source options', { backend: 'both' }],
      ['a bad flag interval', { backend: 'legacy-chat', legacy, flagIntervalMs: 0 }],
      ['a flow not from flowControl()', { backend: 'legacy-chat', legacy, flow: { highWaterMark: 10 } }],
      ['bad legacy options', { backend: 'legacy-chat', legacy: { ...legacy, pollIntervalMs: -1 } }],
    ];
    for (const [what, options] of bad)
      assert.throws(
        () => conversationEvents(options as ConversationEventsOptions),
        (e: unknown) => isChatshiftError(e, 'ERR_INVALID_OPTIONS'),
        what,
      );
  });
});
