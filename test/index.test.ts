import assert from 'node:assert/strict';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import * as core from '../src/index.js';
import * as legacy from '../adapters/legacy-chat/index.js';
import * as messaging from '../adapters/messaging/index.js';

// The documented public surface (design.md §2, README): every name must exist with the right kind.
describe('public entry points', () => {
  it('chatshift exports the documented API', () => {
    for (const name of [
      'conversationEvents',
      'conversationActions',
      'memoryCheckpointStore',
      'fileCheckpointStore',
      'fromOpenFeature',
      'decodeConversationEvent',
      'isChatshiftError',
      'counterMetrics',
      'dedupe',
      'formatValidationErrors',
      'flowControl',
      'openTelemetryMetrics',
      'consume',
    ]) {
      assert.equal(typeof (core as Record<string, unknown>)[name], 'function', name);
    }
    assert.equal(typeof core.ChatshiftError, 'function');
    assert.ok(core.ConversationEventCodec.is !== undefined);
    assert.ok(core.errorCodes.includes('ERR_AUTH_REJECTED'));
  });

  it('chatshift/legacy-chat and chatshift/messaging export their backend, source and simulator', () => {
    assert.equal(typeof legacy.legacyChat, 'function');
    assert.equal(typeof messaging.messaging, 'function');
    assert.equal(typeof legacy.legacyChatSource, 'function');
    assert.equal(typeof legacy.LegacyChatSimulator.start, 'function');
    assert.equal(typeof messaging.messagingSource, 'function');
    assert.equal(typeof messaging.MessagingSimulator.start, 'function');
  });
});

/** Every name each entry point exports, values and types, as the TypeScript checker sees them. */
function exportedNames(entries: string[]): Map<string, string[]> {
  const program = ts.createProgram(entries, {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    noEmit: true,
    skipLibCheck: true,
  });
  const checker = program.getTypeChecker();
  const out = new Map<string, string[]>();
  for (const entry of entries) {
    const file = program.getSourceFile(entry);
    const symbol = file === undefined ? undefined : checker.getSymbolAtLocation(file);
    assert.ok(symbol !== undefined, `no module symbol for ${entry}`);
    out.set(
      entry,
      checker
        .getExportsOfModule(symbol)
        .map((s) => s.getName())
        .sort(),
    );
  }
  return out;
}

// The whole public surface, snapshotted: adding or removing a name is a deliberate change to the
// contract (design.md §2), so it shows up here and in review.
describe('public surface snapshot', function () {
  this.timeout(60_000);
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const snapshots: Record<string, string[]> = {
    'src/index.ts': [
      'ActionsBackend',
      'AgentSaysOptions',
      'Availability',
      'Backend',
      'BackendChoice',
      'BackendContext',
      'BackendFlag',
      'BackendHealth',
      'BackendId',
      'BackendIdCodec',
      'BackoffOptions',
      'BearerSource',
      'ChatMessageEvent',
      'ChatshiftError',
      'CheckpointMap',
      'CheckpointStore',
      'CloseOptions',
      'ConsumeOptions',
      'Consumer',
      'ConversationActions',
      'ConversationActionsOptions',
      'ConversationCheckpoint',
      'ConversationEvent',
      'ConversationEventBase',
      'ConversationEventCodec',
      'ConversationEventType',
      'ConversationEventsOptions',
      'ConversationRef',
      'ConversationScript',
      'CutoverDecision',
      'DedupeOptions',
      'ErrorCode',
      'EventHandler',
      'EventOfType',
      'FileCheckpointStoreOptions',
      'FlowControl',
      'FlowControlOptions',
      'FromOpenFeatureOptions',
      'HandlerContext',
      'HealthState',
      'IsoTime',
      'IsoTimeCodec',
      'Logger',
      'MessageEvent',
      'MessageEventCodec',
      'MeterLike',
      'MetricAttributes',
      'MetricKind',
      'MetricSpec',
      'Metrics',
      'Offer',
      'OpenConversationOptions',
      'OpenFeatureClientLike',
      'Participant',
      'ParticipantCodec',
      'ParticipantEvent',
      'ParticipantEventCodec',
      'ParticipantRole',
      'ParticipantRoleCodec',
      'PendingFault',
      'PinoLike',
      'QueueFaultOptions',
      'ReceiptEvent',
      'ReceiptEventCodec',
      'ScriptRole',
      'SendContent',
      'SendOptions',
      'SendResult',
      'Session',
      'SessionService',
      'SimulatorFaultControls',
      'SimulatorFaultQueue',
      'StateEvent',
      'StateEventCodec',
      'TransferTarget',
      'TypingEvent',
      'TypingEventCodec',
      'TypingOptions',
      'consume',
      'conversationActions',
      'conversationEventTypes',
      'conversationEvents',
      'counterMetrics',
      'decodeConversationEvent',
      'dedupe',
      'errorCodes',
      'fileCheckpointStore',
      'flowControl',
      'formatValidationErrors',
      'fromOpenFeature',
      'isChatshiftError',
      'isEvent',
      'isMessage',
      'isParticipantChange',
      'isReceipt',
      'isStateChange',
      'isTyping',
      'memoryCheckpointStore',
      'metricCatalog',
      'openTelemetryMetrics',
      'pinoLogger',
      'speakerOf',
    ],
    'adapters/legacy-chat/index.ts': [
      'LegacyAgentSaysOptions',
      'LegacyChatBackend',
      'LegacyChatClientOptions',
      'LegacyChatFault',
      'LegacyChatOptions',
      'LegacyChatRequestRecord',
      'LegacyChatSimulator',
      'LegacyChatSimulatorOptions',
      'LegacyChatSimulatorSwitches',
      'LegacyChatSourceOptions',
      'LegacyOpenOptions',
      'LegacySimSkill',
      'LegacySimTransfer',
      'Rendering',
      'SimAgent',
      'SimChat',
      'SimEvent',
      'backend',
      'legacyChat',
      'legacyChatSource',
    ],
    'adapters/messaging/index.ts': [
      'FrameLogEntry',
      'MessagingAgentProfile',
      'MessagingAgentSaysOptions',
      'MessagingBackend',
      'MessagingBurstOptions',
      'MessagingClientOptions',
      'MessagingFault',
      'MessagingFromOptions',
      'MessagingOpenOptions',
      'MessagingOptions',
      'MessagingRequestRecord',
      'MessagingSimSkill',
      'MessagingSimulator',
      'MessagingSimulatorOptions',
      'MessagingSimulatorSwitches',
      'MessagingSourceOptions',
      'SimRing',
      'SimRole',
      'WebSocketConstructor',
      'WebSocketLike',
      'WebSocketOptions',
      'backend',
      'messaging',
      'messagingSource',
    ],
    'adapters/redis/index.ts': [
      'OwnershipChange',
      'RedisCheckpointStoreOptions',
      'RedisClientLike',
      'ShardBackends',
      'ShardContext',
      'ShardLease',
      'ShardLeaseOptions',
      'ShardSpec',
      'ShardedConsumeOptions',
      'ShardedConsumer',
      'ShardedConversationEventsOptions',
      'ShardedEvent',
      'ShardedHandler',
      'ShardedRunner',
      'redisCheckpointStore',
      'rendezvousOwner',
      'shardFlagContext',
      'shardedConsume',
      'shardedConversationEvents',
    ],
    'adapters/login/index.ts': [
      'AppKeyCredentials',
      'ExistingBearer',
      'LoginClientOptions',
      'LoginRequestRecord',
      'LoginSession',
      'LoginSessionCommonOptions',
      'LoginSessionOptions',
      'LoginSimulator',
      'LoginSimulatorFault',
      'LoginSimulatorOptions',
      'LoginSimulatorSwitches',
      'PasswordCredentials',
      'loginSession',
    ],
  };
  let actual: Map<string, string[]>;
  before(() => {
    actual = exportedNames(Object.keys(snapshots).map((entry) => join(root, entry)));
  });
  for (const [entry, expected] of Object.entries(snapshots)) {
    it(`${entry} exports exactly the listed names`, () => {
      assert.deepEqual(actual.get(join(root, entry)), expected);
    });
  }
});
