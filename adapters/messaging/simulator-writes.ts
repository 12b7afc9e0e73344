// The Messaging simulator's write paths, as production answers them (production-behaviour.md §2–3):
// PublishEvent checks, UpdateConversationField in full, SetAgentState, and routing rings.
import type { SimConversation, SimModel, SimOriginator, SimRole } from './simulator-model.js';
import type { SimClient, SimSockets } from './simulator-sockets.js';
import type { SimSubscriptions } from './simulator-subscriptions.js';

/** A routing ring offered to the agent. */
export interface SimRing {
  ringId: string;
  conversationId: string;
  ringState: 'WAITING' | 'ACCEPTED' | 'REJECTED' | 'EXPIRED' | 'CANCELLED';
  /** Epoch ms. */
  ringExpiration: number;
}

/** A skill the simulator knows: a transfer to one with no agent online is refused. */
export interface MessagingSimSkill {
  id: string;
  onlineAgents: number;
}

type Reply = (code: number, type: string, body: unknown) => void;

const RESP = '.ReqBody$StringResp';
const availabilities = new Set(['ONLINE', 'AWAY', 'OCCUPIED', 'BACK_SOON', 'OFFLINE']);

/** What the writes need from the simulator. */
export interface WritesContext {
  readonly model: SimModel;
  readonly sockets: SimSockets;
  readonly subscriptions: SimSubscriptions;
  readonly agentId: string;
  readonly accountId: string;
  /** Sends a live event record to the sockets that may see it. */
  live(conv: SimConversation, record: Record<string, unknown>): void;
}

/** The write-side state: agent state, skills, transfers and rings (with their expiry timers). */
export class SimWrites {
  agentState = 'ONLINE';
  skills: MessagingSimSkill[] = [
    { id: '10', onlineAgents: 2 },
    { id: '11', onlineAgents: 0 },
  ];
  /** Agent ids (old-style) a transfer may suggest. */
  readonly agents = new Set<string>();
  /** How long a ring waits for an answer. */
  ringExpiryMs = 20_000;
  readonly rings = new Map<string, SimRing>();
  /** Conversations transferred: id and target, in order. */
  readonly transfers: Array<{ conversationId: string; skillId?: string; agentId?: string }> = [];
  private readonly routingClients = new Set<SimClient>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private nextRing = 1;

  constructor(private readonly ctx: WritesContext) {
    this.agents.add(`${ctx.accountId}.78`);
  }

  /** `.ams.ms.PublishEvent`: checks the dialog, its state and the agent's participation first. */
  publish(body: Record<string, unknown>, metadata: unknown[] | undefined, reply: Reply): void {
    const h = this.ctx.model.holder(String(body['dialogId']));
    const event = body['event'] as Record<string, unknown> | undefined;
    if (event === undefined || typeof event['type'] !== 'string')
      return reply(400, '.ams.ms.PublishEvent$Response', 'bad request');
    if (h === undefined) return reply(404, '.ams.ms.PublishEvent$Response', 'unknown dialog');
    const conv = h.conv;
    if (
      conv.state === 'CLOSE' ||
      (h.dialog ?? conv).state === 'CLOSE' ||
      (!h.dialog && conv.mainState === 'CLOSE')
    )
      return reply(400, '.ams.ms.PublishEvent$Response', 'Conversation is closed');
    const p = conv.participants;
    const role: SimRole | undefined = p.ASSIGNED_AGENT.includes(this.ctx.agentId)
      ? 'ASSIGNED_AGENT'
      : p.MANAGER.includes(this.ctx.agentId)
        ? 'MANAGER'
        : undefined;
    if (role === undefined) return reply(403, '.ams.ms.PublishEvent$Response', 'Not a participant');
    const from: SimOriginator = { id: this.ctx.agentId, role };
    const sequenced = event['type'] !== 'ChatStateEvent';
    const audience = typeof body['messageAudience'] === 'string' ? body['messageAudience'] : undefined;
    const r = this.ctx.model.record(
      conv,
      from,
      event,
      sequenced,
      {
        ...(audience === undefined ? {} : { messageAudience: audience }),
        ...(metadata === undefined ? {} : { metadata }),
      },
      h.dialog,
    );
    reply(200, '.ams.ms.PublishEvent$Response', { sequence: sequenced ? r['sequence'] : 0 });
    this.ctx.live(conv, r);
  }

  /**
   * `.ams.cm.UpdateConversationField`: every field checked before any is applied (one request is
   * one change); `conversationField` as a list or a single object.
   */
  updateField(body: Record<string, unknown>, reply: Reply): void {
    const conv = this.ctx.model.conversations.get(String(body['conversationId']));
    const raw = body['conversationField'];
    const fields = (
      Array.isArray(raw) ? raw : typeof raw === 'object' && raw !== null ? [raw] : undefined
    ) as Array<Record<string, unknown>> | undefined;
    if (fields === undefined) return reply(400, RESP, 'bad request');
    if (conv === undefined) return reply(404, RESP, 'unknown conversation');
    if (conv.state === 'CLOSE') return reply(400, RESP, 'Conversation is closed');
    const apply: Array<() => void> = [];
    const transfer: { conversationId: string; skillId?: string; agentId?: string } = {
      conversationId: conv.id,
    };
    for (const f of fields) {
      const problem = this.field(conv, f, apply, transfer);
      if (problem !== undefined) return reply(problem[0], RESP, problem[1]);
    }
    for (const a of apply) a();
    if (transfer.skillId !== undefined || transfer.agentId !== undefined) this.transfers.push(transfer);
    this.ctx.model.touch(conv);
    reply(200, RESP, 'OK');
    this.ctx.subscriptions.publishChange(conv);
  }

  /** `.ams.routing.SetAgentState`: the availability validated. */
  setAgentState(body: Record<string, unknown>, reply: Reply): void {
    const a = body['availability'];
    if (typeof a !== 'string' || !availabilities.has(a)) return reply(400, RESP, 'bad availability');
    this.agentState = a;
    reply(202, RESP, 'Agent state updated successfully');
  }

  /** `.ams.routing.SubscribeRoutingTasks`: the socket gets rings from now on (waiting ones at once). */
  subscribeRouting(client: SimClient, reply: Reply): void {
    const id = this.ctx.subscriptions.nextId('rt');
    reply(200, '.ams.GenericSubscribe$Response', { subscriptionId: id });
    this.routingClients.add(client);
    const waiting = [...this.rings.values()].filter((r) => r.ringState === 'WAITING');
    this.notifyRings(waiting, [client]);
  }

  /** `.ams.routing.UpdateRingState`: ACCEPTED assigns the conversation; a ring not waiting is refused. */
  updateRing(body: Record<string, unknown>, reply: Reply): void {
    const ring = this.rings.get(String(body['ringId']));
    const state = body['ringState'];
    if (state !== 'ACCEPTED' && state !== 'REJECTED') return reply(400, RESP, 'bad ringState');
    if (ring === undefined) return reply(404, RESP, 'unknown ring');
    // The same ringId may be repeated: accepting an accepted ring again is harmless.
    if (ring.ringState === state) return reply(202, RESP, 'Ring state updated successfully');
    if (ring.ringState !== 'WAITING') return reply(400, RESP, `ring is ${ring.ringState}`);
    ring.ringState = state;
    reply(202, RESP, 'Ring state updated successfully');
    if (state === 'ACCEPTED') {
      const conv = this.ctx.model.conversations.get(ring.conversationId);
      if (conv !== undefined && !conv.participants.ASSIGNED_AGENT.includes(this.ctx.agentId)) {
        conv.participants.ASSIGNED_AGENT = [this.ctx.agentId];
        this.ctx.model.touch(conv);
        this.ctx.subscriptions.publishChange(conv);
      }
    }
    this.notifyRings([ring]);
  }

  /** Rings come only after the consumer's first message, and only for an unassigned conversation. */
  consumerMessaged(conv: SimConversation): void {
    if (conv.state === 'CLOSE' || conv.participants.ASSIGNED_AGENT.length > 0) return;
    if ([...this.rings.values()].some((r) => r.conversationId === conv.id && r.ringState === 'WAITING'))
      return;
    this.ring(conv.id);
  }

  /** A new ring for a conversation, expiring after {@link ringExpiryMs}. */
  ring(conversationId: string): SimRing {
    const ring: SimRing = {
      ringId: `ring-${this.nextRing++}`,
      conversationId,
      ringState: 'WAITING',
      ringExpiration: Date.now() + this.ringExpiryMs,
    };
    this.rings.set(ring.ringId, ring);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (ring.ringState !== 'WAITING') return;
      ring.ringState = 'EXPIRED';
      this.notifyRings([ring]);
    }, this.ringExpiryMs);
    this.timers.add(timer);
    this.notifyRings([ring]);
    return ring;
  }

  /** Another agent takes the conversation (TakeOver): its waiting rings are CANCELLED. */
  takenElsewhere(conversationId: string, otherAgentId: string): void {
    const conv = this.ctx.model.get(conversationId);
    conv.participants.ASSIGNED_AGENT = [otherAgentId];
    this.ctx.model.touch(conv);
    const cancelled: SimRing[] = [];
    for (const r of this.rings.values())
      if (r.conversationId === conversationId && r.ringState === 'WAITING') {
        r.ringState = 'CANCELLED';
        cancelled.push(r);
      }
    this.notifyRings(cancelled);
    this.ctx.subscriptions.publishChange(conv);
  }

  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private notifyRings(rings: SimRing[], to: Iterable<SimClient> = this.routingClients): void {
    if (rings.length === 0) return;
    const changes = rings.map((r) => ({
      type: 'UPSERT',
      result: {
        taskId: `task-${r.conversationId}`,
        conversationId: r.conversationId,
        ringsDetails: [{ ringId: r.ringId, ringState: r.ringState, ringExpiration: r.ringExpiration }],
      },
    }));
    for (const c of to) {
      if (!this.ctx.sockets.clients.has(c)) {
        this.routingClients.delete(c);
        continue;
      }
      this.ctx.sockets.send(c, {
        kind: 'notification',
        type: '.ams.routing.RoutingTaskNotification',
        body: { changes },
      });
    }
  }

  /** Checks one field; pushes its effect to `apply` or returns [code, reason]. */
  private field(
    conv: SimConversation,
    f: Record<string, unknown>,
    apply: Array<() => void>,
    transfer: { skillId?: string; agentId?: string },
  ): [number, string] | undefined {
    const model = this.ctx.model;
    if (f['field'] === 'ConversationStateField') {
      if (f['conversationState'] !== 'CLOSE') return [400, 'bad conversationState'];
      apply.push(() => {
        conv.state = 'CLOSE';
        conv.endTs = model.now();
      });
      return undefined;
    }
    if (f['field'] === 'DialogChange') {
      // M1: closing the MAIN dialog lets a POST_SURVEY run; the conversation closes after its last dialog.
      const dialog = (f['dialog'] ?? {}) as Record<string, unknown>;
      if (f['type'] === 'ADD') {
        apply.push(() => model.openDialog(conv, String(dialog['dialogType'] ?? 'POST_SURVEY')));
        return undefined;
      }
      if (f['type'] !== 'UPDATE' || dialog['state'] !== 'CLOSE') return [400, 'bad DialogChange'];
      const h = model.holder(String(dialog['dialogId']));
      if (h === undefined || h.conv !== conv) return [400, 'unknown dialog'];
      apply.push(() => {
        if (h.dialog === undefined) conv.mainState = 'CLOSE';
        else h.dialog.state = 'CLOSE';
        if (conv.mainState === 'CLOSE' && conv.dialogs.every((d) => d.state === 'CLOSE')) {
          conv.state = 'CLOSE';
          conv.endTs = model.now();
        }
      });
      return undefined;
    }
    if (f['field'] === 'ParticipantsChange') {
      const role = f['role'] as SimRole;
      const userId = typeof f['userId'] === 'string' ? f['userId'] : this.ctx.agentId;
      if (!(role in conv.participants)) return [400, 'bad role'];
      if (f['type'] === 'ADD') {
        apply.push(() => {
          if (!conv.participants[role].includes(userId)) conv.participants[role].push(userId);
        });
        return undefined;
      }
      if (f['type'] === 'REMOVE') {
        // Removing an absent agent fails the whole request (so a retried transfer fails).
        if (!conv.participants[role].includes(userId)) return [400, 'participant not in conversation'];
        apply.push(() => {
          conv.participants[role] = conv.participants[role].filter((id) => id !== userId);
        });
        return undefined;
      }
      if (f['type'] === 'SUGGEST') {
        if (!this.agents.has(userId)) return [400, 'suggested agent unavailable'];
        transfer.agentId = userId;
        return undefined;
      }
      return [400, 'bad ParticipantsChange'];
    }
    if (f['field'] === 'Skill') {
      const skill = this.skills.find((s) => s.id === String(f['skill']));
      if (f['type'] !== 'UPDATE' || skill === undefined || skill.onlineAgents === 0)
        return [400, 'skill unavailable'];
      transfer.skillId = skill.id;
      return undefined;
    }
    return [400, `unknown field ${String(f['field'])}`];
  }
}
