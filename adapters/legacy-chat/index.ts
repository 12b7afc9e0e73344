/**
 * `chatshift/legacy-chat`: the legacy Chat Agent API backend, its events alone, and its loopback simulator.
 * See docs/adapters/legacy-chat.md.
 */

/** The backend id this entry point produces events for. */
export const backend = 'legacy-chat' as const;

/** {@inheritDoc legacyChat} */
export { legacyChat } from './backend.js';
/** The backend object `legacyChat()` returns. */
export type { LegacyChatBackend } from './backend.js';
/** {@inheritDoc legacyChatSource} */
export { legacyChatSource } from './source.js';
/** Options of `legacyChat` and `legacyChatSource`, documented field by field. */
export type { LegacyChatOptions, LegacyChatSourceOptions } from './options.js';
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
