import type { LegacyChatSimulator } from '../../adapters/legacy-chat/index.js';
import type { MessagingSimulator } from '../../adapters/messaging/index.js';
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

/** Plays the script on the legacy simulator; returns the chat key. `settle` waits for the step's effect. */
export async function playLegacy(
  sim: LegacyChatSimulator,
  settle: (step: Step) => Promise<void>,
): Promise<string> {
  let key = '';
  for (const step of parityScript) {
    switch (step.kind) {
      case 'open':
        key = sim.openChat({ ringing: true });
        break;
      case 'agent-joins':
        break; // accepting the ringing chat assigns the agent
      case 'consumer-says':
        sim.visitorSays(key, step.text);
        break;
      case 'agent-says':
        sim.agentSays(key, step.text, { textType: step.html === true ? 'html' : 'plain' });
        break;
      case 'consumer-typing':
        sim.setVisitorTyping(key, step.typing);
        break;
      case 'consumer-reads':
        break; // the legacy API has no receipts
      case 'close':
        sim.endChat(key);
        break;
    }
    await settle(step);
  }
  return key;
}

/** Plays the script on the Messaging simulator; returns the conversation id. */
export async function playMessaging(
  sim: MessagingSimulator,
  settle: (step: Step) => Promise<void>,
): Promise<string> {
  let conv = '';
  let lastAgentSeq = 0;
  for (const step of parityScript) {
    switch (step.kind) {
      case 'open':
        conv = sim.openConversation({ consumerId: 'cons-1' });
        break;
      case 'agent-joins':
        sim.join(conv, 'ASSIGNED_AGENT', sim.agentId);
        break;
      case 'consumer-says':
        sim.consumerMessage(conv, step.text);
        break;
      case 'agent-says':
        lastAgentSeq = sim.agentMessage(
          conv,
          step.text,
          sim.agentId,
          step.html === true ? 'text/html' : 'text/plain',
        );
        break;
      case 'consumer-typing':
        sim.typing(conv, 'consumer', step.typing ? 'COMPOSING' : 'ACTIVE');
        break;
      case 'consumer-reads':
        sim.receipt(conv, 'READ', [lastAgentSeq]);
        break;
      case 'close':
        sim.closeConversation(conv);
        break;
    }
    await settle(step);
  }
  return conv;
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
