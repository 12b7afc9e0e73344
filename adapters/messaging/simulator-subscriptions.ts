// Conversation subscriptions of the Messaging simulator: who is sent which conversation change.
import type { SimConversation, SimModel } from './simulator-model.js';
import type { SimClient, SimSockets, Subscription } from './simulator-sockets.js';
import type { MessagingSimulatorSwitches } from './simulator-switches.js';

export class SimSubscriptions {
  /** Subscription answers that actually left (a delayed answer whose socket closed first is not counted). */
  answered = 0;
  private nextSub = 1;

  constructor(
    private readonly model: SimModel,
    private readonly sockets: SimSockets,
    private readonly switches: () => Readonly<MessagingSimulatorSwitches>,
  ) {}

  /** A new subscription id (`kind` is `conv` or `rt`). */
  nextId(kind: string): string {
    return `sub-${kind}-${this.nextSub++}`;
  }

  /** SubscribeExConversations: answers, then sends the matching conversations. */
  subscribe(
    client: SimClient,
    body: Record<string, unknown>,
    answer: (id: string, sent: () => void) => void,
  ): void {
    const id = this.nextId('conv');
    const sub: Subscription = {
      convState: new Set(Array.isArray(body['convState']) ? (body['convState'] as string[]) : ['OPEN']),
      inFilter: new Set(),
    };
    if (Array.isArray(body['agentIds'])) sub.agentIds = body['agentIds'] as string[];
    if (typeof body['minLastUpdatedTime'] === 'number') sub.minLastUpdatedTime = body['minLastUpdatedTime'];
    client.subscription = sub;
    answer(id, () => this.answered++);
    const changes: Array<Record<string, unknown>> = [];
    for (const conv of this.model.conversations.values()) {
      if (changes.length >= 1000) break;
      if (!this.matches(sub, conv)) continue;
      sub.inFilter.add(conv.id);
      changes.push(this.model.change(conv, 'UPSERT'));
    }
    if (this.switches().emptyChangesAfterSubscribe) this.sockets.notifyChanges(client, id, []);
    if (changes.length > 0) this.sockets.notifyChanges(client, id, changes);
  }

  /** A conversation changed: an UPSERT to the subscribers it matches, a DELETE to those it left. */
  publishChange(conv: SimConversation): void {
    this.model.touch(conv);
    for (const c of this.sockets.clients) {
      const sub = c.subscription;
      if (sub === undefined) continue;
      if (this.matches(sub, conv)) {
        sub.inFilter.add(conv.id);
        const change = this.model.change(conv, 'UPSERT');
        this.sockets.notifyChanges(c, 'sub', [change]);
        if (this.switches().staleConversationChanges) {
          // The same change as it was a second earlier: OPEN, nobody assigned.
          const result = change['result'] as { conversationDetails: object };
          const details = { ...result.conversationDetails, metaDataLastUpdateTs: conv.metaTs - 1000 };
          this.sockets.notifyChanges(c, 'sub', [
            {
              ...change,
              result: { ...result, conversationDetails: { ...details, state: 'OPEN', participants: {} } },
            },
          ]);
        }
      } else if (sub.inFilter.delete(conv.id)) {
        this.sockets.notifyChanges(c, 'sub', [this.model.change(conv, 'DELETE')]);
      }
    }
  }

  /** `agentIds` matches the ASSIGNED_AGENT only in production (M2); managers too under the lenient switch. */
  private matches(sub: Subscription, conv: SimConversation): boolean {
    if (!sub.convState.has(conv.state)) return false;
    if (sub.minLastUpdatedTime !== undefined && conv.metaTs < sub.minLastUpdatedTime) return false;
    if (sub.agentIds === undefined) return true;
    const all =
      this.switches().agentIdsMatch === 'assigned'
        ? conv.participants.ASSIGNED_AGENT
        : [...conv.participants.ASSIGNED_AGENT, ...conv.participants.MANAGER];
    return sub.agentIds.some((a) => all.includes(a));
  }
}
