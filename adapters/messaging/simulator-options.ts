// Options and shapes of the Messaging simulator's public methods.
import type {
  AgentSaysOptions,
  OpenConversationOptions,
  ScriptRole,
} from '../../src/model/conversation-script.js';
import type { MessagingAgentProfile } from './simulator-profiles.js';
import type { MessagingSimulatorSwitches } from './simulator-switches.js';

/** Options of `MessagingSimulator.start`. */
export interface MessagingSimulatorOptions {
  /** Account id. Default `'123'`. */
  accountId?: string;
  /** Agent login user id; the agent's old-style id is `{accountId}.{agentUserId}`. Default `'77'`. */
  agentUserId?: string;
  /** Bearers accepted from the start. Default `['TOKEN-1']`. */
  tokens?: string[];
  /** Keep a frame log. Default true. */
  frameLog?: boolean;
  /** Switches to start with (and to return to on `MessagingSimulator.clearFaults`). */
  switches?: Partial<MessagingSimulatorSwitches>;
  /** How long a routing ring waits before it is EXPIRED, in ms. Default 20000. */
  ringExpiryMs?: number;
  /**
   * Agent profiles served by `GetUserProfile`, by old-style agent id (more with
   * `MessagingSimulator.setProfile`). Default: the simulator's agent as first name `Agent`, last
   * name `Mia`; any other id is answered 404.
   */
  profiles?: Record<string, MessagingAgentProfile>;
}

/**
 * Options of `MessagingSimulator.openConversation`: unless `waiting`, the conversation is
 * assigned to `agentId` (default the simulator's agent).
 */
export interface MessagingOpenOptions extends OpenConversationOptions {
  /** The consumer's id. Default `'cons-1'`. */
  consumerId?: string;
  /** The assigned agent's old-style id. Default the simulator's `MessagingSimulator.agentId`. */
  agentId?: string;
}

/** Options of `MessagingSimulator.agentSays`. */
export interface MessagingAgentSaysOptions extends AgentSaysOptions {
  /** The sending agent's old-style id. Default the simulator's agent. */
  agentId?: string;
  /** `'agents'`: sent with `messageAudience: AGENTS_AND_MANAGERS` (private to agents and managers). */
  audience?: 'agents';
  /** Sent with `metadata: [{ type: 'ExternalId', id }]`, echoed in the record. */
  externalId?: string;
  /** A non-main dialog to say it in (see `openDialog`). Default the MAIN dialog. */
  dialogId?: string;
}

/** Who sends a messaging-only step. Default per method. */
export interface MessagingFromOptions {
  who?: ScriptRole;
}

/** The options that point `messagingSource` at a simulator. */
export interface MessagingClientOptions {
  accountId: string;
  domain: string;
  bearer: string;
}
