/**
 * `chatshift/legacy-chat`: the legacy Chat Agent API source and its loopback simulator.
 * See docs/adapters/legacy-chat.md.
 */

/** The backend id this entry point produces events for. */
export const backend = 'legacy-chat' as const;

/** {@inheritDoc legacyChatSource} */
export { legacyChatSource } from './source.js';
/** Options of `legacyChatSource`, documented field by field. */
export type { LegacyChatSourceOptions } from './source.js';
/** The checkpoint store shape the source accepts (structurally the core `CheckpointStore`). */
export type { CheckpointStore, ConversationCheckpoint } from './checkpoint-meta.js';
/** The loopback simulator of the legacy Chat Agent API, for tests and demos. */
export { LegacyChatSimulator } from './simulator.js';
/** Simulator options, switches, faults and request records. */
export type {
  LegacyChatFault,
  LegacyChatRequestRecord,
  LegacyChatSimulatorOptions,
  LegacyChatSimulatorSwitches,
} from './simulator.js';
/** Options of `LegacyChatSimulator.openChat` and the agent shape it uses. */
export type { OpenChatOptions, SimAgent } from './simulator-script.js';
/** Stored shape of a simulated chat and its events. */
export type { SimChat, SimEvent, Rendering } from './simulator-chats.js';
