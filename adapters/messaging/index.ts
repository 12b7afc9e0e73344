/**
 * `chatshift/messaging`: the Messaging agent WebSocket backend, its events alone, and its loopback simulator.
 *
 * @module chatshift/messaging
 */

/** The backend id this entry point produces. */
export const backend = 'messaging' as const;

export { messaging, messagingSource } from './source.js';
/** The backend object `messaging()` returns. */
export type { MessagingBackend } from './source.js';
/** Options of `messaging` and `messagingSource`, field by field with defaults. */
export type { MessagingOptions, MessagingSourceOptions } from './options.js';
/** A `ws`-compatible WebSocket constructor. */
export type { WebSocketConstructor, WebSocketLike, WebSocketOptions } from './websocket.js';
export { MessagingSimulator } from './simulator.js';
/** Simulator options, the options it hands a client, and its methods' option bags. */
export type {
  MessagingFromOptions,
  MessagingAgentSaysOptions,
  MessagingClientOptions,
  MessagingOpenOptions,
  MessagingSimulatorOptions,
} from './simulator-options.js';
/** Options of `MessagingSimulator.burst`. */
export type { MessagingBurstOptions } from './simulator-burst.js';
/** An agent profile the simulator serves through `GetUserProfile`. */
export type { MessagingAgentProfile } from './simulator-profiles.js';
/** The simulator's switches and one-shot faults. */
export type { MessagingFault, MessagingSimulatorSwitches } from './simulator-switches.js';
/** Frame log entries and client requests as the simulator logged them. */
export type { FrameLogEntry, MessagingRequestRecord } from './simulator-sockets.js';
/** A routing ring and a transfer skill as the simulator holds them. */
export type { MessagingSimSkill, SimRing } from './simulator-writes.js';
/** Wire roles the simulator knows. */
export type { SimRole } from './simulator-model.js';
