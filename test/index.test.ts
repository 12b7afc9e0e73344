import assert from 'node:assert/strict';
import * as core from '../src/index.js';
import * as legacy from '../adapters/legacy-chat/index.js';
import * as messaging from '../adapters/messaging/index.js';

// The documented public surface (design.md §2, README): every name must exist with the right kind.
describe('public entry points', () => {
  it('chatshift exports the documented API', () => {
    for (const name of [
      'conversationEvents',
      'memoryCheckpointStore',
      'fileCheckpointStore',
      'fromOpenFeature',
      'decodeConversationEvent',
      'isChatshiftError',
      'counterMetrics',
      'dedupe',
      'formatValidationErrors',
      'flowControl',
    ]) {
      assert.equal(typeof (core as Record<string, unknown>)[name], 'function', name);
    }
    assert.equal(typeof core.ChatshiftError, 'function');
    assert.ok(core.ConversationEventCodec.is !== undefined);
    assert.ok(core.errorCodes.includes('ERR_AUTH_REJECTED'));
  });

  it('chatshift/legacy-chat and chatshift/messaging export their source and simulator', () => {
    assert.equal(typeof legacy.legacyChatSource, 'function');
    assert.equal(typeof legacy.LegacyChatSimulator.start, 'function');
    assert.equal(typeof messaging.messagingSource, 'function');
    assert.equal(typeof messaging.MessagingSimulator.start, 'function');
  });
});
