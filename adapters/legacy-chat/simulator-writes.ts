// The legacy simulator's write paths, as production answers them (production-behaviour.md §2–3):
// lines (plain, html, rich, agent-only), the typing override, end chat, transfer with its skill
// list, and the agent's availability.
import type { ChatScript, SimChat, SimEvent } from './simulator-chats.js';
import { errorBody } from './simulator-multichat.js';

/** A skill the simulator offers for transfers: unavailable when no agent of it is online. */
export interface LegacySimSkill {
  id: number;
  name: string;
  /** Agents of this skill online now; a transfer to a skill with none is refused. */
  onlineAgents: number;
}

/** One transfer the simulator accepted, for assertions. */
export interface LegacySimTransfer {
  chatSessionKey: string;
  skillId?: number;
  agentId?: number;
  text?: string;
}

/** The write-side state of one simulated agent session. */
export class LegacyWriteState {
  skills: LegacySimSkill[] = [
    { id: 10, name: 'Sales', onlineAgents: 2 },
    { id: 11, name: 'Support', onlineAgents: 0 },
  ];
  /** Agent ids a transfer may name. */
  agents = new Set<number>([3, 4]);
  /** `Online`, `Away` or `Occupied`. */
  availability = 'Online';
  readonly transfers: LegacySimTransfer[] = [];
  /** Chats transferred away, as they were when they left (for assertions). */
  readonly departed = new Map<string, SimChat>();
}

/** Route names of the write requests, for one-shot faults and the request log. */
export type LegacyWriteRoute = 'events' | 'typing' | 'transfer' | 'availability';

/** The write route a request takes, if it is a write. */
export function writeRoute(method: string, rest: string): LegacyWriteRoute | undefined {
  if (method === 'PUT' && rest === '/availability') return 'availability';
  if (method !== 'POST' && method !== 'PUT') return undefined;
  if (/^\/chat\/[^/]+\/events$/.test(rest)) return 'events';
  if (/^\/chat\/[^/]+\/info\/agentTyping$/.test(rest)) return 'typing';
  if (/^\/chat\/[^/]+\/transfer$/.test(rest)) return 'transfer';
  return undefined;
}

interface Answer {
  status: number;
  body: unknown;
}

/** What the write paths need from the simulator. */
export interface WriteContext {
  readonly chats: ChatScript;
  readonly writes: LegacyWriteState;
  chatUrl(key: string): string;
  /** Appends an event to a chat (a line or a state change); returns its id. */
  append(key: string, e: Omit<SimEvent, 'id' | 'time'>): number;
  agentTyping(key: string, typing: boolean): void;
}

/**
 * Answers a chat sub-resource write or the skill list (`GET {chat}/transfer`); undefined when the
 * request is none of them.
 */
export function chatWrite(
  ctx: WriteContext,
  chat: SimChat,
  sub: string,
  method: string,
  body: string,
): Answer | undefined {
  if (sub === '/transfer' && method === 'GET') {
    const skills = ctx.writes.skills
      .filter((s) => s.onlineAgents > 0)
      .map((s) => ({ id: String(s.id), name: s.name, onlineAgents: String(s.onlineAgents) }));
    return { status: 200, body: { transfer: { skill: skills } } };
  }
  const route = writeRoute(method, `/chat/x${sub}`);
  if (route === undefined) return undefined;
  // Writes to an ended chat are refused (the resource stays readable).
  if (chat.state === 'ended') return { status: 400, body: errorBody('Chat session has ended') };
  const json = parseJson(body);
  if (route === 'typing') {
    const v = json?.['agentTyping'];
    if (v !== 'typing' && v !== 'not-typing') return { status: 400, body: errorBody('Bad agentTyping') };
    ctx.agentTyping(chat.key, v === 'typing');
    return { status: 201, body: { agentTyping: v } };
  }
  if (route === 'transfer') return transfer(ctx, chat, json);
  return postEvent(ctx, chat, json);
}

function postEvent(ctx: WriteContext, chat: SimChat, json: Record<string, unknown> | undefined): Answer {
  const ev = json?.['event'] as Record<string, unknown> | undefined;
  const type = ev?.['@type'] ?? ev?.['type'];
  if (type === 'state' && ev?.['state'] === 'ended') {
    ctx.append(chat.key, { type: 'state', state: 'ended' });
    return {
      status: 201,
      body: { chatLocation: { link: { '@href': ctx.chatUrl(chat.key), '@rel': 'location' } } },
    };
  }
  if (type !== 'line' || typeof ev?.['text'] !== 'string')
    return { status: 400, body: errorBody('Bad event') };
  const textType = typeof ev['textType'] === 'string' ? ev['textType'] : 'plain';
  if (!['plain', 'html', 'rich-content'].includes(textType))
    return { status: 400, body: errorBody('Unsupported textType') };
  // DC send-lines: html must not carry scripts or iframes.
  if (textType === 'html' && /<\s*(script|iframe)/i.test(ev['text']))
    return { status: 400, body: errorBody('Forbidden html') };
  const line: Omit<SimEvent, 'id' | 'time'> = {
    type: 'line',
    source: 'agent',
    by: chat.agent?.name ?? 'agent',
    textType,
    text: ev['text'],
  };
  if (ev['json'] !== undefined) line.json = ev['json'];
  if (ev['subType'] === 'ONLY_TO_REP') line.subType = 'ONLY_TO_REP';
  const id = ctx.append(chat.key, line);
  return {
    status: 201,
    body: {
      chatEventLocation: { link: { '@href': `${ctx.chatUrl(chat.key)}/events/${id}`, '@rel': 'location' } },
    },
  };
}

function transfer(ctx: WriteContext, chat: SimChat, json: Record<string, unknown> | undefined): Answer {
  const t = json?.['transfer'] as Record<string, unknown> | undefined;
  const agentId = Number((t?.['agent'] as { id?: unknown } | undefined)?.id);
  const skillId = Number((t?.['skill'] as { id?: unknown } | undefined)?.id);
  const text = typeof t?.['text'] === 'string' ? t['text'] : undefined;
  const record: LegacySimTransfer = { chatSessionKey: chat.key, ...(text === undefined ? {} : { text }) };
  // DC transfer-chat: the agent wins when both are given.
  if (Number.isFinite(agentId)) {
    if (!ctx.writes.agents.has(agentId)) return { status: 400, body: errorBody('Agent is not available') };
    record.agentId = agentId;
  } else if (Number.isFinite(skillId)) {
    const skill = ctx.writes.skills.find((s) => s.id === skillId);
    if (skill === undefined || skill.onlineAgents === 0)
      return { status: 400, body: errorBody('Skill is not available') };
    record.skillId = skillId;
  } else return { status: 400, body: errorBody('Bad transfer') };
  ctx.writes.transfers.push(record);
  // The chat leaves this agent session: its key is unknown here from now on.
  ctx.writes.departed.set(chat.key, chat);
  ctx.chats.chats.delete(chat.key);
  return { status: 200, body: {} };
}

/** `GET`/`PUT {agent-session}/availability`. */
export function availability(ctx: WriteContext, method: string, body: string): Answer {
  if (method === 'GET') return { status: 200, body: { availability: { chat: ctx.writes.availability } } };
  const v = (parseJson(body)?.['availability'] as { chat?: unknown } | undefined)?.chat;
  if (v !== 'Online' && v !== 'Away' && v !== 'Occupied')
    return { status: 400, body: errorBody('Bad availability') };
  ctx.writes.availability = v;
  return { status: 200, body: {} };
}

export function parseJson(body: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(body);
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
