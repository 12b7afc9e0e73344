/**
 * chatshift: one RxJS Observable of normalized LivePerson conversation events.
 * The public entry point; every export is listed by name.
 *
 * @module chatshift
 */
export {
  ConversationEventCodec,
  MessageEventCodec,
  StateEventCodec,
  TypingEventCodec,
  ParticipantEventCodec,
  ReceiptEventCodec,
  BackendIdCodec,
  conversationEventTypes,
} from './model/event.js';
export type {
  ChatMessageEvent,
  ConversationEvent,
  ConversationEventBase,
  ConversationEventType,
  EventOfType,
  MessageEvent,
  StateEvent,
  TypingEvent,
  ParticipantEvent,
  ReceiptEvent,
  BackendId,
} from './model/event.js';
export {
  isEvent,
  isMessage,
  isParticipantChange,
  isReceipt,
  isStateChange,
  isTyping,
  speakerOf,
} from './model/guards.js';
export { ParticipantCodec, ParticipantRoleCodec } from './model/participant.js';
export type { Participant, ParticipantRole } from './model/participant.js';
export { IsoTimeCodec } from './model/time.js';
export type { IsoTime } from './model/time.js';
export { decodeConversationEvent, formatValidationErrors } from './model/decode.js';
export type {
  AgentSaysOptions,
  ConversationScript,
  OpenConversationOptions,
  PendingFault,
  QueueFaultOptions,
  ScriptRole,
  SimulatorFaultControls,
  SimulatorFaultQueue,
  TypingOptions,
} from './model/conversation-script.js';
export { ChatshiftError, errorCodes, isChatshiftError } from './errors.js';
export type { ErrorCode } from './errors.js';
export { pinoLogger } from './runtime/logger.js';
export type { Logger, PinoLike } from './runtime/logger.js';
export type { BackoffOptions } from './runtime/backoff.js';
export type { BearerSource } from './runtime/bearer.js';
export { dedupe } from './operators/dedupe.js';
export type { DedupeOptions } from './operators/dedupe.js';
export { conversationEvents } from './cutover/conversation-events.js';
export type { ConversationEventsOptions } from './cutover/conversation-events.js';
export type { BackendChoice, BackendFlag } from './cutover/backend-flag.js';
export type { Backend, BackendContext } from './runtime/backend.js';
export type { BackendHealth, HealthState } from './runtime/health.js';
export type { Session, SessionService } from './runtime/session.js';
export type { CutoverDecision } from './cutover/switch.js';
export { consume } from './consume/consume.js';
export type { ConsumeOptions, Consumer, EventHandler, HandlerContext } from './consume/consume.js';
export { fromOpenFeature } from './cutover/open-feature.js';
export type { FromOpenFeatureOptions, OpenFeatureClientLike } from './cutover/open-feature.js';
export { memoryCheckpointStore } from './checkpoint/memory.js';
export { fileCheckpointStore } from './checkpoint/file.js';
export type { FileCheckpointStoreOptions } from './checkpoint/file.js';
export type { CheckpointStore, CheckpointMap, ConversationCheckpoint } from './checkpoint/store.js';
export { flowControl } from './runtime/flow.js';
export type { FlowControl, FlowControlOptions } from './runtime/flow.js';
export { counterMetrics } from './runtime/metrics.js';
export type { Metrics, MetricAttributes } from './runtime/metrics.js';
export { openTelemetryMetrics } from './runtime/open-telemetry.js';
export type { MeterLike } from './runtime/open-telemetry.js';
export { metricCatalog } from './runtime/metric-catalog.js';
export type { MetricKind, MetricSpec } from './runtime/metric-catalog.js';
export { conversationActions } from './actions/conversation-actions.js';
export type {
  CloseOptions,
  ConversationActions,
  ConversationActionsOptions,
  SendOptions,
  SendResult,
} from './actions/conversation-actions.js';
export type {
  ActionsBackend,
  Availability,
  ConversationRef,
  Offer,
  SendContent,
  TransferTarget,
} from './runtime/actions-backend.js';
