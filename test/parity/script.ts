import type { MessagingSimulator } from '../../adapters/messaging/index.js';
import type { ConversationScript } from '../../src/model/conversation-script.js';
import type { ConversationEvent } from '../../src/model/event.js';
import type { Recorder } from '../support/recorder.js';

/** The steps of the parity conversation, played on either simulator. */
export type Step =
  | { kind: 'open' }
  | { kind: 'agent-joins' }
  | { kind: 'consumer-says'; text: string }
  | { kind: 'agent-says'; text: string; html?: boolean }
  | { kind: 'consumer-typing'; typing: boolean }
  | { kind: 'consumer-reads' }
  | { kind: 'close' };

export const parityScript: Step[] = [
  { kind: 'open' },
  { kind: 'agent-joins' },
  { kind: 'consumer-says', text: 'Hello, my order has not arrived.' },
  { kind: 'consumer-typing', typing: true },
  { kind: 'consumer-typing', typing: false },
  { kind: 'consumer-says', text: 'Order number 4711.' },
  { kind: 'agent-says', text: '<div dir="ltr">Let me <b>check</b> that.</div>', html: true },
  { kind: 'consumer-reads' },
  { kind: 'agent-says', text: 'It arrives tomorrow.' },
  { kind: 'close' },
];

/** What must match across backends: everything but backend, id, time and seq numbering. */
export function project(e: ConversationEvent): string {
  switch (e.type) {
    case 'message':
      return `message ${e.from.role} ${e.format} ${JSON.stringify(e.text)}`;
    case 'state':
      return `state ${e.state}`;
    case 'typing':
      return `typing ${e.participant.role} ${e.typing}`;
    case 'participant':
      return `participant ${e.action} ${e.participant.role}`;
    case 'receipt':
      return `receipt ${e.status} ${e.participant.role}`;
  }
}

/**
 * The steps only one platform has, played with that simulator's own methods; every other step goes
 * through the shared `ConversationScript` vocabulary.
 */
export interface PlatformSteps {
  /** The agent takes the waiting conversation. */
  agentJoins(conversationId: string): void;
  /** The consumer reads the agent's message with sequence `seq`. */
  consumerReads(conversationId: string, seq: number): void;
}

export const legacySteps: PlatformSteps = {
  agentJoins: () => {}, // the source accepts the ringing chat, which assigns the agent
  consumerReads: () => {}, // the legacy API has no receipts
};

export const messagingSteps = (sim: MessagingSimulator): PlatformSteps => ({
  agentJoins: (id) => sim.join(id, 'ASSIGNED_AGENT', sim.agentId),
  consumerReads: (id, seq) => void sim.receipt(id, 'READ', [seq]),
});

/** Plays the script on a simulator; returns the conversation id. `settle` waits for the step's effect. */
export async function play(
  sim: ConversationScript,
  platform: PlatformSteps,
  settle: (step: Step) => Promise<void>,
): Promise<string> {
  let id = '';
  let lastAgentSeq = 0;
  for (const step of parityScript) {
    switch (step.kind) {
      case 'open':
        id = sim.openConversation({ waiting: true });
        break;
      case 'agent-joins':
        platform.agentJoins(id);
        break;
      case 'consumer-says':
        sim.consumerSays(id, step.text);
        break;
      case 'agent-says':
        lastAgentSeq = sim.agentSays(id, step.text, { format: step.html === true ? 'html' : 'plain' });
        break;
      case 'consumer-typing':
        sim.typing(id, { who: 'consumer', on: step.typing });
        break;
      case 'consumer-reads':
        platform.consumerReads(id, lastAgentSeq);
        break;
      case 'close':
        sim.closeConversation(id);
        break;
    }
    await settle(step);
  }
  return id;
}

/** The projection a step produces on `backend`, or undefined when the backend has no such event. */
export function expectedOf(step: Step, backend: 'legacy-chat' | 'messaging'): string | undefined {
  switch (step.kind) {
    case 'open':
      return 'state waiting';
    case 'agent-joins':
      return 'participant joined agent';
    case 'consumer-says':
      return `message consumer plain ${JSON.stringify(step.text)}`;
    case 'agent-says':
      return `message agent ${step.html === true ? 'html' : 'plain'} ${JSON.stringify(step.text)}`;
    case 'consumer-typing':
      return `typing consumer ${step.typing}`;
    case 'consumer-reads':
      return backend === 'messaging' ? 'receipt read consumer' : undefined;
    case 'close':
      return 'state closed';
  }
}

/** A `settle` that waits until the step's own event has arrived (as often as the script produced it so far). */
export function settleOn(rec: Recorder, backend: 'legacy-chat' | 'messaging'): (step: Step) => Promise<void> {
  const counts = new Map<string, number>();
  return async (step) => {
    const want = expectedOf(step, backend);
    if (want === undefined) return;
    const n = (counts.get(want) ?? 0) + 1;
    counts.set(want, n);
    await rec.waitFor(() => rec.events.filter((e) => project(e) === want).length >= n);
  };
}
