// The legacy simulator's chat model: scripted chats and their events, before any rendering.
import type { OpenConversationOptions } from '../../src/model/conversation-script.js';

/** One event as the simulator stores it (times in epoch ms). */
export interface SimEvent {
  id: number;
  type: string;
  time: number;
  state?: 'waiting' | 'chatting' | 'ended';
  text?: string;
  /** `plain`, `html`, and in production also `rich-content`, `json`; anything else to test the decoder. */
  textType?: string;
  /** `REGULAR` (rendered by default) or `ONLY_TO_REP` (an agent-only note, production-behaviour.md L8). */
  subType?: string;
  /** The id as rendered, in place of `id` (e.g. `9007199254740991`, to test id bounds). */
  wireId?: string;
  /** Fields left out of the rendered event (e.g. `source`, to test a line the decoder rejects). */
  omitFields?: string[];
  by?: string;
  source?: 'visitor' | 'agent' | 'system';
  systemMessageId?: string;
  json?: unknown;
}

/** One scripted chat. */
export interface SimChat {
  key: string;
  events: SimEvent[];
  state: 'waiting' | 'chatting' | 'ended';
  agent: { id: number; name: string } | undefined;
  visitorTyping: boolean;
  agentTyping: boolean;
  visitorName: string;
  startTime: number;
  lastUpdate: number;
  /** Waiting in the incoming queue (not yet accepted by the agent). */
  ringing: boolean;
}

/** An agent as the simulator shows it in `info`. */
export interface SimAgent {
  id: number;
  name: string;
}

/**
 * Options of `LegacyChatSimulator.openConversation`: `id` is the chatSessionKey (default a generated
 * `H…K…` key); `waiting: true` puts the chat in the incoming queue (ringing) until the agent accepts it.
 */
export interface LegacyOpenOptions extends OpenConversationOptions {
  /** The agent it is assigned to (now, or when accepted). Default `{ id: 2, name: 'Agent Nick' }`. */
  agent?: SimAgent;
  /** Default `visitor`. */
  visitorName?: string;
}

export const DEFAULT_AGENT: SimAgent = { id: 2, name: 'Agent Nick' };

/**
 * The scripted chats: ids from 0 in one sequence per chat for all event types, the canonical
 * opening (state waiting, system line 4, state chatting, system line 3), typing as info state.
 */
export class ChatScript {
  readonly chats = new Map<string, SimChat>();
  private counter = 0;

  constructor(private readonly now: () => number) {}

  openChat(o: LegacyOpenOptions = {}): string {
    this.counter += 1;
    const key = o.id ?? `H4709474615328845423-2767456311409308813K${8414055 + this.counter}`;
    if (this.chats.has(key)) throw new Error(`simulator: chat ${key} already exists`);
    const t = this.now();
    const chat: SimChat = {
      key,
      events: [],
      state: 'waiting',
      agent: undefined,
      visitorTyping: false,
      agentTyping: false,
      visitorName: o.visitorName ?? 'visitor',
      startTime: t,
      lastUpdate: t,
      ringing: o.waiting === true,
    };
    this.chats.set(key, chat);
    this.append(key, { type: 'state', state: 'waiting' });
    this.append(key, {
      type: 'line',
      source: 'system',
      by: 'info',
      textType: 'plain',
      systemMessageId: '4',
      text: 'Thank you for choosing to chat with us. An agent will be with you shortly.',
    });
    this.pendingAgent.set(key, o.agent ?? DEFAULT_AGENT);
    if (!chat.ringing) this.accept(key);
    return key;
  }

  private readonly pendingAgent = new Map<string, SimAgent>();

  /** Assigns the chat to its agent: state chatting and system line 3. */
  accept(key: string): void {
    const chat = this.get(key);
    const agent = this.pendingAgent.get(key) ?? DEFAULT_AGENT;
    this.pendingAgent.delete(key);
    chat.ringing = false;
    chat.agent = agent;
    this.append(key, { type: 'state', state: 'chatting' });
    this.append(key, {
      type: 'line',
      source: 'system',
      by: 'info',
      textType: 'plain',
      systemMessageId: '3',
      text: `You are now chatting with ${agent.name}.`,
    });
  }

  /** The first ringing chat, if any. */
  nextRinging(): SimChat | undefined {
    for (const c of this.chats.values()) if (c.ringing && c.state !== 'ended') return c;
    return undefined;
  }

  ringingCount(): number {
    let n = 0;
    for (const c of this.chats.values()) if (c.ringing && c.state !== 'ended') n += 1;
    return n;
  }

  /** Appends an event with the next id; returns the id. */
  append(key: string, e: Omit<SimEvent, 'id' | 'time'> & { time?: number }): number {
    const chat = this.get(key);
    const id = (chat.events.at(-1)?.id ?? -1) + 1;
    const time = e.time ?? this.now();
    chat.events.push({ ...e, id, time });
    chat.lastUpdate = time;
    if (e.type === 'state' && e.state !== undefined) chat.state = e.state;
    return id;
  }

  get(key: string): SimChat {
    const chat = this.chats.get(key);
    if (chat === undefined) throw new Error(`simulator: no chat ${key}`);
    return chat;
  }

  touch(key: string): void {
    this.get(key).lastUpdate = this.now();
  }
}
