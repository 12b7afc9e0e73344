import type { LegacyChatSimulator } from '../../adapters/legacy-chat/index.js';
import type { MessagingSimulator } from '../../adapters/messaging/index.js';

/** A small deterministic PRNG (mulberry32), so a demo run can be replayed with `--seed`. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const consumerLines = [
  'Hi, my order has not arrived yet.',
  'The order number is 4711.',
  'It was supposed to come on Monday.',
  'Can you check the tracking for me?',
  'Thanks, that helps a lot.',
  'Could you also change the delivery address?',
  'Perfect, thank you!',
];
const agentLines = [
  'Hello! Let me look into that for you.',
  'I can see the parcel is at the local depot.',
  'It will be delivered tomorrow before noon.',
  'I have updated the address on the order.',
  'Is there anything else I can help with?',
];
const agentNames = ['Agent Nick', 'Natalie', 'Sam', 'Priya'];

/** One step of a scripted conversation, applied to whichever simulator hosts it. */
type Step =
  | 'consumer'
  | 'agent'
  | 'agent-html'
  | 'consumer-typing'
  | 'agent-typing'
  | 'join'
  | 'rich'
  | 'read'
  | 'close';

/** The shape of every demo conversation: a realistic support exchange, 9–12 steps. */
function steps(rand: () => number): Step[] {
  const s: Step[] = ['consumer', 'join', 'agent-typing', 'agent-html', 'consumer-typing', 'consumer'];
  const rounds = 1 + Math.floor(rand() * 3);
  for (let i = 0; i < rounds; i++) s.push('agent-typing', 'agent', 'read', 'consumer');
  if (rand() < 0.4) s.push('rich');
  s.push('agent', 'close');
  return s;
}

export interface ScriptedConversation {
  backend: 'legacy-chat' | 'messaging';
  id: string;
  remaining: Step[];
  closed: boolean;
  /** Messaging: the sequence of the agent's last message, which the consumer then reads. */
  lastAgentSeq?: number;
}

/**
 * Drives both simulators like a contact centre mid-migration: conversations arrive on the
 * platform that takes intake at the moment, then move through their steps at random intervals.
 */
export class Workload {
  readonly conversations: ScriptedConversation[] = [];
  private readonly rand: () => number;

  constructor(
    private readonly legacy: LegacyChatSimulator,
    private readonly messaging: MessagingSimulator,
    seed: number,
  ) {
    this.rand = prng(seed);
  }

  /** Opens a conversation on `backend`. Legacy chats ring and are accepted by the source. */
  open(backend: 'legacy-chat' | 'messaging'): ScriptedConversation {
    const id =
      backend === 'legacy-chat'
        ? this.legacy.openConversation({
            waiting: true,
            agent: { id: 2 + this.conversations.length, name: this.pick(agentNames) },
          })
        : this.messaging.openConversation({
            consumerId: `cons-${this.conversations.length + 1}`,
            waiting: true,
          });
    const c: ScriptedConversation = { backend, id, remaining: steps(this.rand), closed: false };
    this.conversations.push(c);
    return c;
  }

  /** Plays the next step of `c`; returns false once it has closed. */
  advance(c: ScriptedConversation): boolean {
    const step = c.remaining.shift();
    if (step === undefined) return false;
    if (c.backend === 'legacy-chat') this.legacyStep(c.id, step);
    else this.messagingStep(c, step);
    if (step === 'close') c.closed = true;
    return !c.closed;
  }

  /** Milliseconds until a conversation's next step, scaled to the demo's pace. */
  nextDelay(scale: number): number {
    return Math.round((250 + this.rand() * 900) * scale);
  }

  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.rand() * xs.length)] as T;
  }

  private legacyStep(key: string, step: Step): void {
    const sim = this.legacy;
    // An agent cannot write in a chat it has not accepted yet: while it rings (a loaded machine, or
    // the drain, when nobody takes it), the agent's steps are skipped, not played as a nameless agent.
    if (step.startsWith('agent') || step === 'rich') {
      if (sim.chat(key).ringing) return;
    }
    switch (step) {
      case 'consumer':
        sim.typing(key, { on: false });
        sim.consumerSays(key, this.pick(consumerLines));
        return;
      case 'consumer-typing':
        sim.typing(key, { on: true });
        return;
      case 'agent-typing':
        sim.typing(key, { who: 'agent', on: true });
        return;
      case 'agent':
      case 'rich':
        sim.typing(key, { who: 'agent', on: false });
        sim.agentSays(key, this.pick(agentLines));
        return;
      case 'agent-html':
        sim.typing(key, { who: 'agent', on: false });
        sim.agentSays(key, `<div dir="ltr">${this.pick(agentLines)}</div>`, { format: 'html' });
        return;
      case 'join':
      case 'read':
        return; // legacy chats are assigned on accept and have no receipts
      case 'close':
        sim.closeConversation(key);
        return;
    }
  }

  private messagingStep(c: ScriptedConversation, step: Step): void {
    const sim = this.messaging;
    const conv = c.id;
    switch (step) {
      case 'consumer':
        sim.consumerSays(conv, this.pick(consumerLines));
        return;
      case 'consumer-typing':
        sim.typing(conv, { on: true });
        return;
      case 'agent-typing':
        sim.typing(conv, { who: 'agent', on: true });
        return;
      case 'agent':
      case 'agent-html':
        sim.typing(conv, { who: 'agent', on: false });
        c.lastAgentSeq = sim.agentSays(conv, this.pick(agentLines));
        return;
      case 'rich':
        sim.richContent(conv, {
          type: 'vertical',
          elements: [
            { type: 'text', text: 'Order 4711', style: { bold: true } },
            {
              type: 'button',
              title: 'Track parcel',
              click: { actions: [{ type: 'link', name: 'Track', uri: 'https://example.com/t/4711' }] },
            },
          ],
        });
        return;
      case 'join':
        sim.join(conv, 'ASSIGNED_AGENT', sim.agentId);
        return;
      case 'read':
        if (c.lastAgentSeq !== undefined) sim.receipt(conv, 'READ', [c.lastAgentSeq]);
        return;
      case 'close':
        sim.closeConversation(conv);
        return;
    }
  }
}
