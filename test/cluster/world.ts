// The parent side of a cluster run: one legacy and one messaging simulator per shard, the traffic
// written into them, and what the simulators observe (overlapping requests, sockets per agent).
import { LegacyChatSimulator } from '../../adapters/legacy-chat/index.js';
import { MessagingSimulator } from '../../adapters/messaging/index.js';
import type { ShardConfig } from './shard-config.js';

interface Shard {
  id: string;
  legacy: LegacyChatSimulator;
  messaging: MessagingSimulator;
  legacyChats: string[];
  messagingConvs: string[];
}

/** N shards' simulators and the message ids written into them. */
export class ShardWorld {
  /** Ids of every consumer message written: each must be delivered exactly once. */
  readonly expected = new Set<string>();
  /** Most requests one legacy agent session had in flight at once, and sockets one agent had open (sampled every 2 ms). */
  maxInFlight = 0;
  maxSockets = 0;
  private sampler: NodeJS.Timeout | undefined;
  private round = 0;

  private constructor(readonly shards: Shard[]) {}

  static async start(n: number): Promise<ShardWorld> {
    const shards = await Promise.all(
      Array.from({ length: n }, async (_, i) => ({
        id: `agent-${String(i).padStart(2, '0')}`,
        legacy: await LegacyChatSimulator.start({ agentSessionId: `s-${i}` }),
        messaging: await MessagingSimulator.start({ agentUserId: `${100 + i}`, frameLog: false }),
        legacyChats: [],
        messagingConvs: [],
      })),
    );
    const w = new ShardWorld(shards);
    w.sampler = setInterval(() => w.sample(), 2);
    return w;
  }

  /** What the instances are given (open the conversations first: legacy follows the chats listed). */
  configs(): ShardConfig[] {
    return this.shards.map((s) => ({
      id: s.id,
      accountId: s.messaging.accountId,
      agentId: s.messaging.agentId,
      legacy: { ...s.legacy.clientOptions(), chats: [...s.legacyChats] },
      messaging: s.messaging.clientOptions(),
    }));
  }

  /** Opens `perBackend` conversations per shard and backend. */
  open(perBackend: number): void {
    for (const s of this.shards)
      for (let i = 0; i < perBackend; i++) {
        const n = s.legacyChats.length;
        s.legacyChats.push(s.legacy.openConversation({ id: `H${s.id}-${n}K1` }));
        s.messagingConvs.push(
          s.messaging.openConversation({ id: `${s.id}-conv-${n}`, consumerId: `c-${s.id}-${n}` }),
        );
      }
  }

  /** One consumer message in every open conversation. */
  say(backends: { legacy?: boolean; messaging?: boolean } = { legacy: true, messaging: true }): void {
    const r = this.round++;
    for (const s of this.shards) {
      if (backends.legacy !== false)
        for (const k of s.legacyChats)
          this.expected.add(`legacy-chat:${k}:${s.legacy.consumerSays(k, `r${r}`)}`);
      if (backends.messaging !== false)
        for (const c of s.messagingConvs)
          this.expected.add(`messaging:${c}:${s.messaging.consumerSays(c, `r${r}`)}`);
    }
  }

  /** Multi-chat (poll) requests every legacy agent session received so far, summed. */
  legacyPolls(): number {
    return this.shards.reduce((n, s) => n + s.legacy.multiChatRequests().length, 0);
  }

  /** Legacy requests of every route every agent session received so far, summed. */
  legacyRequests(): number {
    return this.shards.reduce((n, s) => n + s.legacy.requests.length, 0);
  }

  /** Frames received on a superseded socket of an agent (one simulator per agent), summed. */
  supersededSocketFrames(): number {
    return this.shards.reduce((n, s) => n + s.messaging.framesOnSupersededSockets, 0);
  }

  private sample(): void {
    for (const s of this.shards) {
      this.maxInFlight = Math.max(this.maxInFlight, s.legacy.inFlight);
      this.maxSockets = Math.max(this.maxSockets, s.messaging.connectionCount);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.sampler);
    await Promise.all(this.shards.flatMap((s) => [s.legacy.close(), s.messaging.close()]));
  }
}
