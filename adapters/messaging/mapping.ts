import type { ConversationEvent, StateEvent } from '../../src/model/event.js';
import type { Draft } from '../../src/model/event-types.js';
import { derivedEventId, eventId } from '../../src/model/ids.js';
import type { Participant, ParticipantRole } from '../../src/model/participant.js';
import { epochMsToIso, type IsoTime } from '../../src/model/time.js';
import type { ConversationChange, EventRecord, WireEvent } from './wire.js';

// Pure wire -> ConversationEvent functions. No I/O, no clocks: callers pass times in.

const backend = 'messaging' as const;

/** What the source remembers per conversation to emit derived events only on change. */
export interface ConversationMeta {
  /** Last emitted state. */
  state?: StateEvent['state'];
  /** Newest `metaDataLastUpdateTs` applied; -1 before the first. */
  ts: number;
  /** Participants as sorted `ROLE|id` keys. */
  participants: string[];
  /** Last emitted typing flag per participant id. */
  typing: Record<string, boolean>;
}

/**
 * The typing flags of a conversation nobody typed in yet: one shared frozen object instead of an
 * empty one per conversation (~56 B each); the tracker gives a conversation its own on the first
 * typing change.
 */
export const NO_TYPING: Record<string, boolean> = Object.freeze({});

export const emptyMeta = (): ConversationMeta => ({ ts: -1, participants: [], typing: NO_TYPING });

/**
 * A meta in one of two fixed shapes (without and with `state`, always in this key order). Built
 * by spreading and extending, each conversation's meta got a hidden class of its own in V8 (a map
 * and a descriptor array: ~230 B per followed conversation, found in a heap snapshot).
 */
export function metaOf(
  ts: number,
  participants: string[],
  typing: Record<string, boolean>,
  state: ConversationMeta['state'],
): ConversationMeta {
  return state === undefined ? { ts, participants, typing } : { ts, participants, typing, state };
}

/** Maps a wire role (`CONSUMER`, `ASSIGNED_AGENT`, `MANAGER`, …) to a participant role. */
export function roleOf(wireRole: string | undefined): ParticipantRole {
  // A switch, not a lookup table: reading a key with a string fresh from JSON.parse costs a
  // string-table lookup per event, and a role such as "constructor" must find nothing.
  switch (wireRole) {
    case 'CONSUMER':
      return 'consumer';
    case 'ASSIGNED_AGENT':
    case 'AGENT':
    case 'READER':
      return 'agent';
    case 'MANAGER':
      return 'manager';
    default:
      return 'system';
  }
}

/** The participant who originated a record: old-style id (as in the participants map), else PId. */
export function originatorOf(r: EventRecord): Participant {
  const role = roleOf(r.originatorMetadata?.role);
  const id = r.originatorId ?? r.originatorPId ?? r.originatorMetadata?.id;
  return id === undefined ? { role } : { role, id };
}

/** A time in ms or a clock to read it from, read only when needed. */
type Now = number | (() => number);

/** The event time: the wire's `ms` if usable, else now. */
function timeOf(ms: number | undefined, now: Now): IsoTime {
  const t = ms === undefined ? undefined : epochMsToIso(ms);
  if (t !== undefined) return t;
  return epochMsToIso(typeof now === 'number' ? now : now()) as IsoTime;
}

/** A readable one-line summary of rich content: its text and titles, else a placeholder. */
export function summariseRichContent(content: unknown): string {
  const parts: string[] = [];
  const walk = (v: unknown, depth: number): void => {
    if (depth > 8 || parts.length > 20 || v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      for (const x of v) walk(x, depth + 1);
      return;
    }
    const o = v as Record<string, unknown>;
    for (const key of ['text', 'title'] as const) {
      const s = o[key];
      if (typeof s === 'string' && s.length > 0) parts.push(s);
    }
    if (o['elements'] !== undefined) walk(o['elements'], depth + 1);
  };
  walk(content, 0);
  return parts.length > 0 ? parts.join(' ') : '[rich content]';
}

/**
 * `audience` and `clientMessageId` of a message record, read defensively (the record codec leaves
 * `messageAudience` and `metadata` unchecked, so a platform change in their shape never makes a
 * message disappear): `messageAudience: AGENTS_AND_MANAGERS` is private to agents; the first
 * `ExternalId` metadata entry with a non-empty id is the sender's idempotency key.
 */
function privacyAndKey(event: Draft<ConversationEvent & { type: 'message' }>, record: EventRecord): void {
  const r = record as EventRecord & { messageAudience?: unknown; metadata?: unknown };
  if (r.messageAudience === 'AGENTS_AND_MANAGERS') event.audience = 'agents';
  const metadata = r.metadata;
  if (!Array.isArray(metadata)) return;
  for (const m of metadata as unknown[]) {
    if (typeof m !== 'object' || m === null) continue;
    const entry = m as { type?: unknown; id?: unknown };
    if (entry.type === 'ExternalId' && typeof entry.id === 'string' && entry.id.length > 0) {
      event.clientMessageId = entry.id;
      return;
    }
  }
}

/**
 * Maps a sequenced record (ContentEvent, RichContentEvent, AcceptStatusEvent) to its event, or
 * `undefined` when the wire event has no normalized form (e.g. an ACCESS receipt).
 */
export function mapSequencedEvent(
  conversationId: string,
  seq: number,
  record: EventRecord,
  wire: WireEvent,
  /** Now in ms, or a clock read only if the record has no usable `serverTimestamp`. */
  now: Now,
  /** Set for a non-main dialog (M1): in the id and on the event. */
  dialogId?: string,
): ConversationEvent | undefined {
  const event = sequencedEvent(conversationId, seq, record, wire, now, dialogId);
  if (event !== undefined && dialogId !== undefined) (event as { dialogId?: string }).dialogId = dialogId;
  return event;
}

function sequencedEvent(
  conversationId: string,
  seq: number,
  record: EventRecord,
  wire: WireEvent,
  now: Now,
  dialogId: string | undefined,
): ConversationEvent | undefined {
  // Literal objects, not `{ ...common, … }`: on this per-message path V8's spread-then-extend
  // costs several microseconds per event (bench/messaging-throughput.ts, docs/benchmarks.md).
  const id = eventId(backend, conversationId, seq, dialogId);
  const time = timeOf(record.serverTimestamp, now);
  switch (wire.type) {
    case 'ContentEvent': {
      const m = wire.message;
      const text =
        typeof m === 'string'
          ? m
          : typeof m['caption'] === 'string'
            ? m['caption']
            : `[${wire.contentType ?? 'file'}]`;
      const format = wire.contentType === 'text/html' ? 'html' : 'plain';
      const from = originatorOf(record);
      const event: Draft<ConversationEvent & { type: 'message' }> = {
        id,
        backend,
        conversationId,
        seq,
        time,
        type: 'message',
        from,
        text,
        format,
      };
      if (typeof m !== 'string') event.content = m;
      privacyAndKey(event, record);
      return event;
    }
    case 'RichContentEvent': {
      const event: Draft<ConversationEvent & { type: 'message' }> = {
        id,
        backend,
        conversationId,
        seq,
        time,
        type: 'message',
        from: originatorOf(record),
        text: summariseRichContent(wire.content),
        format: 'rich',
        content: wire.content,
      };
      privacyAndKey(event, record);
      return event;
    }
    case 'AcceptStatusEvent': {
      const status = wire.status === 'ACCEPT' ? 'accepted' : wire.status === 'READ' ? 'read' : undefined;
      if (status === undefined) return undefined;
      const seqs = wire.sequenceList.filter((n) => Number.isSafeInteger(n) && n >= 0);
      const participant = originatorOf(record);
      return {
        id,
        backend,
        conversationId,
        seq,
        time,
        type: 'receipt',
        status,
        seqs: seqs as never,
        participant,
      };
    }
    case 'ChatStateEvent':
      return undefined;
  }
}

/**
 * A typing event when the participant's typing flag changes (COMPOSING = typing, anything else
 * not), else `undefined`. The id is deterministic: participant, on/off and time (a start and a stop
 * in the same millisecond must not share an id).
 */
export function mapTyping(
  conversationId: string,
  record: EventRecord,
  chatState: string,
  previous: boolean | undefined,
  nowMs: number,
  dialogId?: string,
): { event?: ConversationEvent; typing: boolean } {
  const typing = chatState === 'COMPOSING';
  if (typing === (previous ?? false)) return { typing };
  const participant = originatorOf(record);
  const ms = record.serverTimestamp ?? nowMs;
  return {
    typing,
    event: {
      id: derivedEventId(
        backend,
        conversationId,
        'typing',
        participant.id ?? participant.role,
        typing ? 'on' : 'off',
        ms,
      ),
      backend,
      conversationId,
      time: timeOf(ms, nowMs),
      type: 'typing',
      participant,
      typing,
      ...(dialogId === undefined ? {} : { dialogId }),
    },
  };
}

/** The outcome of applying one ExConversation change to a conversation's meta. */
export interface ChangeResult {
  /** True when the change is older than one already applied: ignore it entirely. */
  stale: boolean;
  /** Events to emit now, in order (state waiting/open, participant joined/left). */
  events: ConversationEvent[];
  /**
   * `delivered[i]`: the meta that holds once `events[0..i]` are delivered (the old `ts` kept) —
   * what to keep when the consumer stops after `events[i]`, so a re-delivered change emits only
   * the rest.
   */
  delivered: ConversationMeta[];
  /** The `closed` state event, to emit only after the conversation's remaining history. */
  closed?: ConversationEvent;
  /** A DELETE of a conversation still open: it left the subscription filter. */
  left: boolean;
  meta: ConversationMeta;
}

function participantKeys(map: Record<string, string[]> | undefined): string[] {
  const keys: string[] = [];
  for (const [role, ids] of Object.entries(map ?? {})) for (const id of ids) keys.push(`${role}|${id}`);
  // Kept per conversation: a copy holds exactly its keys (a pushed-to array keeps room for 17).
  return keys.sort().slice();
}

/** Applies an UPSERT/DELETE to `prev`: derived state and participant events, changes only. */
export function mapConversationChange(
  change: ConversationChange,
  prev: ConversationMeta,
  nowMs: number,
): ChangeResult {
  const d = change.result.conversationDetails ?? {};
  const conversationId = change.result.convId;
  const ts = d.metaDataLastUpdateTs;
  // Equal timestamps are re-deliveries (e.g. after a resubscribe): applied, but they change nothing.
  if (ts !== undefined && ts < prev.ts)
    return { stale: true, events: [], delivered: [], left: false, meta: prev };
  const tsKey = ts ?? nowMs;
  const time = timeOf(ts, nowMs);
  const participants = d.participants !== undefined ? participantKeys(d.participants) : prev.participants;
  const events: ConversationEvent[] = [];
  const delivered: ConversationMeta[] = [];
  let partial: ConversationMeta = prev;
  const common = { backend, conversationId, time } as const;

  const wireState = d.state ?? (change.type === 'DELETE' ? undefined : 'OPEN');
  let next: StateEvent['state'] | undefined;
  if (wireState === 'CLOSE') next = 'closed';
  else if (wireState === 'OPEN' && change.type === 'UPSERT')
    next = (d.participants?.['ASSIGNED_AGENT']?.length ?? 0) > 0 ? 'open' : 'waiting';
  // The new meta, its state included (built whole, see metaOf).
  const moves = next !== undefined && next !== prev.state && next !== 'closed';
  const meta = metaOf(ts ?? prev.ts, participants, prev.typing, moves ? next : prev.state);
  let closed: ConversationEvent | undefined;
  if (next !== undefined && next !== prev.state) {
    const event: ConversationEvent = {
      ...common,
      id: derivedEventId(backend, conversationId, 'state', next, tsKey),
      type: 'state',
      state: next,
    };
    if (next === 'closed') closed = event;
    else {
      events.push(event);
      partial = metaOf(partial.ts, partial.participants, partial.typing, next);
      delivered.push(partial);
    }
  }
  const before = new Set(prev.participants);
  const after = new Set(participants);
  const diff = (keys: Iterable<string>, other: Set<string>, action: 'joined' | 'left'): void => {
    for (const key of keys) {
      if (other.has(key)) continue;
      const [role = '', id = ''] = key.split('|');
      const was = partial.participants;
      partial = metaOf(
        partial.ts,
        action === 'joined' ? [...was, key].sort() : was.filter((k) => k !== key),
        partial.typing,
        partial.state,
      );
      delivered.push(partial);
      events.push({
        ...common,
        id: derivedEventId(backend, conversationId, 'participant', action, role, id, tsKey),
        type: 'participant',
        action,
        participant: { role: roleOf(role), id },
      });
    }
  };
  diff(prev.participants, after, 'left');
  diff(participants, before, 'joined');
  const left = change.type === 'DELETE' && wireState !== 'CLOSE';
  return closed === undefined
    ? { stale: false, events, delivered, left, meta }
    : { stale: false, events, delivered, closed, left, meta };
}
