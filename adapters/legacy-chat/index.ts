/**
 * `chatshift/legacy-chat`: the legacy Chat Agent API backend, its events alone, and its loopback simulator.
 * See docs/adapters/legacy-chat.md.
 *
 * @module chatshift/legacy-chat
 */

/** The backend id this entry point produces events for. */
export const backend = 'legacy-chat' as const;

export { legacyChat } from './backend.js';
/** The backend object `legacyChat()` returns. */
export type { LegacyChatBackend } from './backend.js';
export { legacyChatSource } from './source.js';
/** Options of `legacyChat` and `legacyChatSource`, documented field by field. */
export type { LegacyChatOptions, LegacyChatSourceOptions } from './options.js';
/** The loopback simulator of the legacy Chat Agent API, for tests and demos. */
export { LegacyChatSimulator } from './simulator.js';
/** Simulator options, the options it hands a client, and `agentSays`' options. */
export type {
  LegacyAgentSaysOptions,
  LegacyChatClientOptions,
  LegacyChatSimulatorOptions,
} from './simulator.js';
/** The simulator's switches and one-shot faults. */
export type { LegacyChatFault, LegacyChatSimulatorSwitches } from './simulator-switches.js';
/** A request the simulator received. */
export type { LegacyChatRequestRecord } from './simulator-routes.js';
/** Options of `openConversation`, the agent shape, and a chat as `chat(key)` copies it. */
export type { LegacyOpenOptions, SimAgent, SimChat, SimEvent } from './simulator-chats.js';
/** Transfer skills and accepted transfers as the simulator holds them. */
export type { LegacySimSkill, LegacySimTransfer } from './simulator-writes.js';
/** How the simulator renders its answers. */
export type { Rendering } from './simulator-render.js';
