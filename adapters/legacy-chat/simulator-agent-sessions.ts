// The legacy simulator's agent sessions: created by POST, expiring apart from the bearer, chats
// owned per session, `chatSessions` continuity (legacy-chat-api.md §3.1, §3.11; production-behaviour.md L2).
import { randomUUID } from 'node:crypto';
import type { ChatScript } from './simulator-chats.js';

interface SimAgentSession {
  id: string;
  alive: boolean;
  cookie: string;
  /** The session this one was created beside while it still lived: its chats are listed in `chatSessions`. */
  predecessor?: string | undefined;
}

/**
 * Every agent session of the simulated agent. One is current; a chat belongs to the session that
 * held it when that session expired (`owner`) and is unknown to every other session until a
 * successor created with continuity reads `chatSessions`, which hands it over. Chats with no owner
 * are the current session's.
 */
export class SimAgentSessions {
  current: string;
  private readonly sessions = new Map<string, SimAgentSession>();
  private readonly owner = new Map<string, string>();
  /** Expired sessions whose chats went back to the queue: nothing to hand over. */
  private readonly orphaned = new Set<string>();
  private next = 2;
  /** Sessions created through `POST …/agentSession`. */
  created = 0;

  constructor(
    initialId: string,
    private readonly chats: ChatScript,
  ) {
    this.current = initialId;
    this.sessions.set(initialId, this.make(initialId));
  }

  /** The cookie (`name=value`) of a session. */
  cookieOf(id: string): string {
    return this.sessions.get(id)?.cookie ?? '';
  }

  isAlive(id: string): boolean {
    return this.sessions.get(id)?.alive === true;
  }

  /** Whether session `id` may read or write chat `key` now. */
  mayUse(id: string, key: string): boolean {
    const o = this.owner.get(key);
    return o === undefined ? id === this.current : o === id;
  }

  /** A new agent session; the previous one, if it still lives or expired with continuity, becomes its predecessor. */
  create(): string {
    const id = `s-${this.next++}`;
    const prev = this.sessions.get(this.current);
    const s = this.make(id);
    if (prev !== undefined) {
      // Chats of a live previous session move to it (it ends now); the new one may claim them.
      if (prev.alive) this.hold(prev);
      prev.alive = false;
      s.predecessor = prev.id;
    }
    this.sessions.set(id, s);
    this.current = id;
    this.created += 1;
    return id;
  }

  /**
   * The current session expires. With `continuity` its open chats wait for a successor to claim
   * them through `chatSessions`; without, they return to the queue (ringing again, no agent).
   */
  expire(continuity: boolean): void {
    const s = this.sessions.get(this.current);
    if (s === undefined || !s.alive) return;
    s.alive = false;
    if (continuity) return this.hold(s);
    for (const chat of this.chats.chats.values()) {
      if (chat.ringing || chat.state === 'ended' || !this.mayUse(s.id, chat.key)) continue;
      this.owner.delete(chat.key);
      chat.ringing = true;
      chat.agent = undefined;
    }
    // A successor must not claim what went back to the queue.
    this.orphaned.add(s.id);
  }

  /**
   * `chatSessions` of session `id`: its predecessor's open chats, handed over to it as they are
   * listed, and (the simulator's reading, so a lost accept can be recovered) the open chats it
   * holds itself.
   */
  chatSessions(id: string): string[] {
    const keys = new Set(this.claim(id));
    if (!this.isAlive(id)) return [...keys];
    for (const chat of this.chats.chats.values())
      if (!chat.ringing && chat.state !== 'ended' && this.mayUse(id, chat.key)) keys.add(chat.key);
    return [...keys];
  }

  private claim(id: string): string[] {
    const pred = this.sessions.get(id)?.predecessor;
    if (pred === undefined || this.orphaned.has(pred)) return [];
    const keys: string[] = [];
    for (const [key, o] of this.owner) {
      if (o !== pred) continue;
      this.owner.set(key, id);
      keys.push(key);
    }
    return keys;
  }

  private hold(s: SimAgentSession): void {
    for (const chat of this.chats.chats.values()) {
      if (!chat.ringing && chat.state !== 'ended' && this.mayUse(s.id, chat.key))
        this.owner.set(chat.key, s.id);
    }
  }

  private make(id: string): SimAgentSession {
    return { id, alive: true, cookie: `LPAgentSession=${id}.${randomUUID()}` };
  }
}
