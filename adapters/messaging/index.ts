/** `chatshift/messaging`: the Messaging agent WebSocket source and its loopback simulator. */

/** The backend id this entry point produces. */
export const backend = 'messaging' as const;

/** {@inheritDoc messagingSource} */
export { messagingSource } from './source.js';
/** Options of `messagingSource`, field by field with defaults. */
export type { MessagingSourceOptions } from './options.js';
/** The checkpoint store shape the source accepts (structurally core's `CheckpointStore`). */
export type { MessagingCheckpointStore, ConversationCheckpoint } from './checkpoint-types.js';
/** A `ws`-compatible WebSocket constructor. */
export type { WebSocketConstructor } from './connection.js';
/** {@inheritDoc MessagingSimulator} */
export { MessagingSimulator } from './simulator.js';
/** Simulator options, frame log entries, fault switches and wire roles. */
export type { MessagingSimulatorOptions, FrameLogEntry, SimulatorFaults, SimRole } from './simulator.js';
