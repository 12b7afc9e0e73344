// The vocabulary both loopback simulators speak, so a test written against one plays on the other.
// Types only: how a step is rendered on the wire is each simulator's business.

/** Who acts in a scripted step. */
export type ScriptRole = 'consumer' | 'agent';

/** Options of {@link ConversationScript.openConversation}. */
export interface OpenConversationOptions {
  /** The conversation id (legacy: the chatSessionKey). Default: a generated one. */
  id?: string;
  /**
   * Leave the conversation waiting for an agent instead of assigning it to the simulator's agent
   * straight away (legacy: ringing in the incoming queue; messaging: no assigned agent). Default false.
   */
  waiting?: boolean;
}

/** Options of {@link ConversationScript.agentSays}. */
export interface AgentSaysOptions {
  /** Format of the text. Default `plain`. */
  format?: 'plain' | 'html';
}

/** Options of {@link ConversationScript.typing}. */
export interface TypingOptions {
  /** Who types. Default `consumer`. */
  who?: ScriptRole;
  /** Typing starts (true) or stops (false). Default true. */
  on?: boolean;
}

/**
 * Scripting a conversation on a simulator: open it, let either side talk or type, close it. Both
 * `LegacyChatSimulator` and `MessagingSimulator` implement it; their backend-only steps (legacy
 * system lines, messaging joins and receipts, …) are extra methods of each.
 */
export interface ConversationScript {
  /** Opens a conversation; returns its id. */
  openConversation(options?: OpenConversationOptions): string;
  /** The consumer writes a text message; returns its sequence number (legacy: the event id). */
  consumerSays(conversationId: string, text: string): number;
  /** The conversation's agent writes a message; returns its sequence number (legacy: the event id). */
  agentSays(conversationId: string, text: string, options?: AgentSaysOptions): number;
  /** Typing starts or stops. */
  typing(conversationId: string, options?: TypingOptions): void;
  /** Closes the conversation. */
  closeConversation(conversationId: string): void;
}

/** Options of {@link SimulatorFaultQueue.queue}. */
export interface QueueFaultOptions {
  /** How many matching requests (or frames) the fault hits before it is used up. Default 1. */
  times?: number;
}

/** One queued fault and how many more times it will fire. */
export interface PendingFault<F> {
  fault: F;
  times: number;
}

/** The one-shot faults of a simulator: each hits the next matching request(s), then is gone. */
export interface SimulatorFaultQueue<F> {
  /** Queues `fault` for the next `times` matching requests. Faults fire in the order queued. */
  queue(fault: F, options?: QueueFaultOptions): void;
  /** Faults still queued, as copies. */
  pending(): PendingFault<F>[];
}

/**
 * The fault model both simulators share: one-shot faults in a queue (`faults.queue(fault, { times })`)
 * beside persistent switches (`configure(switches)`), and a check that every queued fault fired.
 */
export interface SimulatorFaultControls<F, S> {
  /** The one-shot fault queue. */
  readonly faults: SimulatorFaultQueue<F>;
  /** Current switches (a copy). */
  readonly switches: Readonly<S>;
  /** Changes switches; they hold until changed again or {@link clearFaults}. */
  configure(switches: Partial<S>): void;
  /** Drops every queued fault and sets the switches back to the ones the simulator started with. */
  clearFaults(): void;
  /** Throws, naming them, when queued faults never fired. */
  assertNoPendingFaults(): void;
}
