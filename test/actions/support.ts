// Both backends behind one harness, so every action test runs on each simulator.
import { legacyChat, LegacyChatSimulator } from '../../adapters/legacy-chat/index.js';
import { messaging, MessagingSimulator } from '../../adapters/messaging/index.js';
import { conversationActions, type ConversationActions, type ConversationRef } from '../../src/index.js';

/** One backend under test: its simulator, actions over it, and simulator-side observations. */
export interface ActionsHarness {
  readonly name: 'legacy-chat' | 'messaging';
  actions: ConversationActions;
  open(options?: { waiting?: boolean }): ConversationRef;
  consumerSays(ref: ConversationRef, text: string): number;
  /** Agent messages with this text as the simulator stores them. */
  sent(ref: ConversationRef, text: string): number;
  /** All agent message texts, in order. */
  agentTexts(ref: ConversationRef): string[];
  closeBySimulator(ref: ConversationRef): void;
  /** Queues a fault on the next write of this kind. */
  fault(kind: 'send-drop' | 'send-late' | 'send-429' | 'send-500', times?: number): void;
  readonly unavailableSkill: string;
  readonly availableSkill: string;
  close(): Promise<void>;
}

export const harnesses: Array<() => Promise<ActionsHarness>> = [
  async () => {
    const sim = await LegacyChatSimulator.start();
    const legacy = legacyChat({ ...sim.clientOptions(), pollIntervalMs: 100, requestTimeoutMs: 400 });
    const actions = conversationActions({ legacy });
    return {
      name: 'legacy-chat',
      actions,
      open: (o = {}) => ({ backend: 'legacy-chat', conversationId: sim.openConversation(o) }),
      consumerSays: (ref, text) => sim.consumerSays(ref.conversationId, text),
      sent: (ref, text) => sim.agentLines(ref.conversationId).filter((e) => e.text === text).length,
      agentTexts: (ref) => sim.agentLines(ref.conversationId).map((e) => e.text ?? ''),
      closeBySimulator: (ref) => void sim.closeConversation(ref.conversationId),
      fault: (kind, times = 1) =>
        sim.faults.queue(
          kind === 'send-drop'
            ? { route: 'events', commitThenDrop: 'reset' }
            : kind === 'send-late'
              ? { route: 'events', commitThenDrop: 'delay', delayMs: 1500 }
              : kind === 'send-429'
                ? { route: 'events', status: 429, retryAfter: '1' }
                : { route: 'events', status: 503 },
          { times },
        ),
      unavailableSkill: '11',
      availableSkill: '10',
      close: async () => {
        await actions.dispose();
        await sim.close();
      },
    };
  },
  async () => {
    const sim = await MessagingSimulator.start({ frameLog: true });
    const msg = messaging({
      ...sim.clientOptions(),
      agentId: sim.agentId,
      requestTimeoutMs: 400,
      backoff: { initialMs: 50 },
    });
    const actions = conversationActions({ messaging: msg });
    const texts = (ref: ConversationRef) =>
      sim
        .history(ref.conversationId)
        .filter((r) => (r['originatorMetadata'] as { role?: string }).role !== 'CONSUMER')
        .map((r) => (r['event'] as { message?: string }).message)
        .filter((m): m is string => typeof m === 'string');
    return {
      name: 'messaging',
      actions,
      open: (o = {}) => ({ backend: 'messaging', conversationId: sim.openConversation(o) }),
      consumerSays: (ref, text) => sim.consumerSays(ref.conversationId, text),
      sent: (ref, text) => texts(ref).filter((t) => t === text).length,
      agentTexts: texts,
      closeBySimulator: (ref) => sim.closeConversation(ref.conversationId),
      fault: (kind, times = 1) =>
        sim.faults.queue(
          kind === 'send-drop'
            ? { request: 'PublishEvent', commitThenDrop: 'close' }
            : kind === 'send-late'
              ? { request: 'PublishEvent', commitThenDrop: 'delay', delayMs: 1500 }
              : { request: 'PublishEvent', code: 429, retryAfter: 1 },
          { times },
        ),
      unavailableSkill: '11',
      availableSkill: '10',
      close: async () => {
        await actions.dispose();
        await sim.close();
      },
    };
  },
];
