/** `chatshift/messaging`: the Messaging agent WebSocket backend, its events alone, and its loopback simulator. */

/** The backend id this entry point produces. */
export const backend = 'messaging' as const;

/** {@inheritDoc messaging} */
export { messaging, messagingSource } from './source.js';
/** The backend object `messaging()` returns. */
export type { MessagingBackend } from './source.js';
/** Options of `messaging` and `messagingSource`, field by field with defaults. */
export type { MessagingOptions, MessagingSourceOptions } from './options.js';
/** A `ws`-compatible WebSocket constructor. */
export type { WebSocketConstructor, WebSocketLike, WebSocketOptions } from './websocket.js';
/** {@inheritDoc MessagingSimulator} */
export { MessagingSimulator } from './simulator.js';
/** Simulator options, frame log entries, fault switches and wire roles. */
export type { MessagingSimulatorOptions, FrameLogEntry, SimulatorFaults, SimRole } from './simulator.js';
