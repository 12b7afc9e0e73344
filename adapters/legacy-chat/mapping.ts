import type { ConversationEvent, MessageEvent } from '../../src/model/event.js';
import type { Draft } from '../../src/model/event-types.js';
import { derivedEventId, eventId } from '../../src/model/ids.js';
import type { Participant } from '../../src/model/participant.js';
import type { IsoTime } from '../../src/model/time.js';
import type { DecodedChat, DecodedEvent } from './decode.js';

const BACKEND = 'legacy-chat' as const;

/** The normalized chat state. */
export type ChatState = 'waiting' | 'open' | 'closed';

/**
 * What the source remembers about one chat between polls (and, through a checkpoint, restarts):
 * the cursor plus the state needed to emit derived events on change only. O(1) per chat.
 */
export interface ChatMemory {
  /** Highest event id delivered; -1 before the first. */
  seq: number;
  state?: ChatState;
  visitorTyping?: boolean;
  agentTyping?: boolean;
  agentId?: string;
  agentName?: string;
}

// A field added to ChatMemory must be compared below: this fails to compile until it is listed.
const everyMemoryFieldCompared: Exclude<
  keyof ChatMemory,
  'seq' | 'state' | 'visitorTyping' | 'agentTyping' | 'agentId' | 'agentName'
> extends never
  ? true
  : never = true;
void everyMemoryFieldCompared;

/**
 * Whether two memories hold the same values (what a checkpoint of either would say). Field by
 * field: it runs for every chat of every poll, where two JSON.stringify calls cost more than the
 * chat's mapping.
 */
export function sameMemory(a: ChatMemory, b: ChatMemory): boolean {
  return (
    a.seq === b.seq &&
    a.state === b.state &&
    a.visitorTyping === b.visitorTyping &&
    a.agentTyping === b.agentTyping &&
    a.agentId === b.agentId &&
    a.agentName === b.agentName
  );
}

export interface MappedChat {
  events: ConversationEvent[];
  /** How many of `events` come from wire events (the rest are derived, then the closing state). */
  wireCount: number;
  memory: ChatMemory;
  /** Wire events dropped because their id was not above the cursor. */
  duplicates: number;
  /** Events of types the model has no place for (`url`, `resource`, `a2a-transfer`, …). */
  unknown: { id: number; type: string }[];
  /** Ids missing between the cursor and the events received (tolerated, reported). */
  gaps: number;
}

const STATES = { waiting: 'waiting', chatting: 'open', ended: 'closed' } as const;
const FORMATS = { plain: 'plain', html: 'html', 'rich-content': 'rich', json: 'rich' } as const;

/**
 * Maps one decoded chat of a poll to normalized events, given what was known before the poll.
 * Pure: the same inputs give the same events and ids. Wire events come in id order, above the
 * cursor only; derived events (participant, typing) follow them, and a `closed` state is always last.
 * `fallbackTime` dates derived events when neither an event of this poll nor `info.lastUpdate` does.
 */
export function mapChat(chat: DecodedChat, before: ChatMemory, fallbackTime: IsoTime): MappedChat {
  const key = chat.key;
  const fresh = freshInOrder(chat.events, before.seq);
  const duplicates = chat.events.length - fresh.length;
  const unknown: MappedChat['unknown'] = [];
  const wire: ConversationEvent[] = [];
  let closing: ConversationEvent | undefined;
  let state = before.state;
  let seq = before.seq;
  let gaps = 0;
  let latest: IsoTime | undefined;

  for (const e of fresh) {
    if (e.id === seq) continue; // the same id twice in one body
    if (e.id > seq + 1) gaps += e.id - seq - 1;
    seq = e.id;
    if (e.kind === 'unknown') {
      unknown.push({ id: e.id, type: e.type });
      continue;
    }
    if (e.kind === 'invalid') continue; // reported by the decoder; the cursor moves past it
    latest = e.event.time;
    const mapped = mapWireEvent(key, e, state);
    if (mapped === undefined) continue;
    if (mapped.type === 'state') state = mapped.state;
    // Events after an end are still delivered, before the closing state, which stays last.
    if (mapped.type === 'state' && mapped.state === 'closed') closing = mapped;
    else wire.push(mapped);
  }

  const when = latest ?? chat.info.lastUpdate ?? fallbackTime;
  const derived: ConversationEvent[] = [];
  const memory: ChatMemory = { seq };
  const info = chat.info;

  const prevAgent = agentKey(before.agentId, before.agentName);
  const agentId = nonEmpty(info.agentId);
  const agentName = nonEmpty(info.agentName);
  const curAgent = agentKey(agentId, agentName);
  if (prevAgent !== curAgent) {
    if (prevAgent !== undefined) {
      derived.push(participantEvent(key, 'left', agent(before.agentId, before.agentName), prevAgent, when));
    }
    if (curAgent !== undefined) {
      derived.push(participantEvent(key, 'joined', agent(agentId, agentName), curAgent, when));
    }
  }
  if (agentId !== undefined) memory.agentId = agentId;
  if (agentName !== undefined) memory.agentName = agentName;

  const visitorTyping =
    info.visitorTyping === undefined ? before.visitorTyping : info.visitorTyping === 'typing';
  if ((visitorTyping ?? false) !== (before.visitorTyping ?? false)) {
    derived.push(typingEvent(key, { role: 'consumer' }, visitorTyping === true, when));
  }
  const agentTyping = info.agentTyping === undefined ? before.agentTyping : info.agentTyping === 'typing';
  if ((agentTyping ?? false) !== (before.agentTyping ?? false)) {
    derived.push(typingEvent(key, agent(agentId, agentName), agentTyping === true, when));
  }
  if (visitorTyping !== undefined) memory.visitorTyping = visitorTyping;
  if (agentTyping !== undefined) memory.agentTyping = agentTyping;

  // The chat ended but its `ended` event is not (or no longer) in view: close it anyway.
  if (closing === undefined && info.state === 'ended' && state !== 'closed') {
    closing = {
      ...common(key, derivedEventId(BACKEND, key, 'state', 'closed'), when),
      type: 'state',
      state: 'closed',
    };
    state = 'closed';
  }
  if (state !== undefined) memory.state = state;

  const events = derived.length === 0 ? wire : [...wire, ...derived];
  if (closing !== undefined) events.push(closing);
  return { events, wireCount: wire.length, memory, duplicates, unknown, gaps };
}

/**
 * The events above `seq`, in id order. A poll's answer is nearly always that already (ids
 * ascending, all new): then the list itself, without a filtered and sorted copy.
 */
function freshInOrder(events: readonly DecodedEvent[], seq: number): readonly DecodedEvent[] {
  let prev = seq;
  for (const e of events) {
    if (e.id <= prev) return events.filter((x) => x.id > seq).sort((a, b) => a.id - b.id);
    prev = e.id;
  }
  return events;
}

/**
 * What to remember when only the first `delivered` of `mapped.events` reached the consumer (it
 * stopped inside next()): the cursor of the wire events delivered, and the derived state
 * (participant, typing) of the derived events delivered — so a resume neither re-derives an event
 * already delivered nor skips one that was not.
 */
export function deliveredMemory(before: ChatMemory, mapped: MappedChat, delivered: number): ChatMemory {
  if (delivered >= mapped.events.length) return mapped.memory;
  // Derived events follow every wire event of the poll but one: a chat's wire `ended` event, which
  // mapChat moves after them (the close comes last). Not delivered, it must stay ahead of the
  // cursor, or a resumption skips it and closes the chat with a derived close instead (a lost
  // event: legacy fault run, seed 2939110926).
  const last = mapped.events[mapped.events.length - 1] as ConversationEvent;
  const derivedSeq =
    mapped.events.length - 1 >= mapped.wireCount && last.seq !== undefined
      ? Math.min(mapped.memory.seq, last.seq - 1)
      : mapped.memory.seq;
  const m: ChatMemory = { ...before };
  for (let i = 0; i < delivered; i++) {
    const e = mapped.events[i] as ConversationEvent;
    if (i < mapped.wireCount) {
      if (e.seq !== undefined) m.seq = Math.max(m.seq, e.seq);
      if (e.type === 'state') m.state = e.state;
      continue;
    }
    // The cursor is past every wire event before the derived ones.
    m.seq = Math.max(m.seq, derivedSeq);
    if (e.type === 'participant') {
      delete m.agentId;
      delete m.agentName;
      if (e.action === 'joined') {
        if (mapped.memory.agentId !== undefined) m.agentId = mapped.memory.agentId;
        if (mapped.memory.agentName !== undefined) m.agentName = mapped.memory.agentName;
      }
    } else if (e.type === 'typing') {
      if (e.participant.role === 'consumer') m.visitorTyping = e.typing;
      else m.agentTyping = e.typing;
    }
  }
  return m;
}

function mapWireEvent(
  key: string,
  e: Extract<DecodedEvent, { kind: 'line' | 'state' }>,
  state: ChatState | undefined,
): ConversationEvent | undefined {
  // Object literals in one shape, not `{ ...common, … }` spreads: this runs once per event, and V8
  // builds a spread-then-extended object field by field (docs/benchmarks.md).
  const id = eventId(BACKEND, key, e.id) as Common['id'];
  const conversationId = key as Common['conversationId'];
  const seq = e.id as Seq;
  const time = e.event.time;
  if (e.kind === 'state') {
    const next = STATES[e.event.state];
    return next === state
      ? undefined
      : { id, backend: BACKEND, conversationId, time, seq, type: 'state', state: next };
  }
  const line = e.event;
  const format = FORMATS[line.textType ?? 'plain'];
  const from: Participant =
    line.source === 'visitor'
      ? { role: 'consumer' }
      : line.source === 'agent'
        ? line.by === undefined
          ? { role: 'agent' }
          : { role: 'agent', name: line.by }
        : { role: 'system' };
  const event: Draft<MessageEvent> = {
    id,
    backend: BACKEND,
    conversationId,
    time,
    seq,
    type: 'message',
    from,
    text: line.text ?? '',
    format,
  };
  if (line.source === 'system' && line.systemMessageId !== undefined) event.systemCode = line.systemMessageId;
  // Rich lines keep their `text` as the fallback a plain-text consumer shows.
  if (format === 'rich' && line.json !== undefined) event.content = line.json;
  // An agent-only note (L8) is marked, never mixed silently with what the consumer sees.
  if (line.subType === 'ONLY_TO_REP') event.audience = 'agents';
  return event as MessageEvent;
}

type Common = Pick<ConversationEvent, 'id' | 'backend' | 'conversationId' | 'time'>;
type Seq = NonNullable<ConversationEvent['seq']>;

// The brands only assert non-emptiness and integer-ness, which the wire codecs already checked.
function common(key: string, id: string, time: IsoTime): Common {
  return {
    id: id as Common['id'],
    backend: BACKEND,
    conversationId: key as Common['conversationId'],
    time,
  };
}

const nonEmpty = (s: string | undefined): string | undefined => (s === undefined || s === '' ? undefined : s);
const agentKey = (id: string | undefined, name: string | undefined): string | undefined => id ?? name;

function agent(id: string | undefined, name: string | undefined): Participant {
  const p: Participant = { role: 'agent' };
  if (id !== undefined) p.id = id;
  if (name !== undefined) p.name = name;
  return p;
}

function participantEvent(
  key: string,
  action: 'joined' | 'left',
  participant: Participant,
  who: string,
  time: IsoTime,
): ConversationEvent {
  const ms = Date.parse(time);
  return {
    ...common(key, derivedEventId(BACKEND, key, 'participant', action, who, ms), time),
    type: 'participant',
    action,
    participant,
  };
}

function typingEvent(
  key: string,
  participant: Participant,
  typing: boolean,
  time: IsoTime,
): ConversationEvent {
  const who =
    participant.role === 'consumer' ? 'consumer' : `agent-${participant.id ?? participant.name ?? ''}`;
  const ms = Date.parse(time);
  return {
    ...common(key, derivedEventId(BACKEND, key, 'typing', who, typing ? 'on' : 'off', ms), time),
    type: 'typing',
    participant,
    typing,
  };
}
