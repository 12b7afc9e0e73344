import type { ConversationCheckpoint, ConversationEvent } from './checkpoint-types.js';
import { formatValidationErrors } from '../../src/model/decode.js';
import type { Logger } from '../../src/runtime/logger.js';
import type { Metrics } from '../../src/runtime/metrics.js';
import { invalidInputReporter, type InvalidInputReporter } from '../../src/runtime/invalid-input.js';
import { RecentlyClosed } from '../../src/runtime/recently-closed.js';
import { FreshKeyMap } from './fresh-key-map.js';
import {
  emptyMeta,
  mapConversationChange,
  metaOf,
  NO_TYPING,
  mapSequencedEvent,
  mapTyping,
  type ConversationMeta,
} from './mapping.js';
import {
  EventRecordCodec,
  validWireEvent,
  type ConversationChange,
  type EventRecord,
  type WireEvent,
} from './wire.js';

/** Where the tracker sends its effects; the source implements it. */
export interface TrackerHooks {
  /** Delivers one event downstream (returns after the consumer's `next`). */
  emit(event: ConversationEvent): void;
  /** Asks for the conversation's history after `afterSeq` (a QueryMessages). */
  query(conversationId: string, afterSeq: number): void;
  /** The conversation's checkpoint changed. */
  changed(conversationId: string): void;
  /**
   * The checkpoint writer's {@link CheckpointWriter.generation}: a conversation already marked
   * changed in this one is not marked again for each event (its entry is read when saved).
   * Without it, every change is marked.
   */
  markGeneration?: () => number;
  now(): number;
  logger: Logger;
  metrics: Metrics;
}

interface Conversation {
  /** The key: the conversation id, or for a non-main dialog its dialog id (what records carry). */
  id: string;
  /** The conversation id (equal to `id` for the MAIN dialog). */
  conv: string;
  /** Set on a non-main dialog's entry (M1): its own sequences, cursor and queries. */
  dialog?: string;
  /** On a conversation's entry: its non-main dialogs followed. */
  dialogs?: Set<string>;
  /** Highest sequence delivered (or consumed by a skipped record); -1 for none. */
  lastSeq: number;
  /** The writer generation in which a new `lastSeq` was last marked changed (-1: never). */
  markedIn: number;
  meta: ConversationMeta;
  /** A QueryMessages is outstanding: live events are held until it answers. */
  querying: boolean;
  /** Live events held meanwhile; allocated only while one is (most conversations hold none). */
  held: EventRecord[] | undefined;
  /** The closed event waiting for the remaining history. */
  pendingClose?: ConversationEvent;
  /** Left the subscription filter (DELETE while open): forget after the pending history. */
  leaving: boolean;
  /** Live events were dropped because `held` was full: query again after this answer. */
  overflowed?: boolean;
  /** Local time given to the last typing event without a `serverTimestamp` (kept increasing). */
  typingMs?: number;
}

/** Found by the fault runs: without it, a lost opening UPSERT older than the oldest followed change was never recovered. */
export const RESUME_MARGIN_MS = 60_000;
/**
 * Most live events held per conversation while its history query is out. Beyond it, sequenced
 * events are dropped and fetched again by a follow-up query (history is authoritative), so a
 * slow answer under a fast conversation cannot grow memory without bound.
 */
export const MAX_HELD_EVENTS = 5_000;
/**
 * Highest sequence accepted from the wire (UMS sequences are Java ints). A record above it is
 * reported and skipped: one value of 2^53-1 would otherwise make every later event a "duplicate".
 */
export const MAX_SEQUENCE = 2 ** 31 - 1;
/**
 * How far ahead of the local clock a `metaDataLastUpdateTs` (or a checkpoint's) may be. A change
 * stamped later is reported and skipped: one in year 275760 would make every later change, the
 * real CLOSE included, look stale.
 */
export const MAX_CLOCK_AHEAD_MS = 24 * 60 * 60 * 1000;

/**
 * Per-conversation cursors and ordering: live events are held while a conversation's history
 * is being fetched (first sight, reconnect, or a sequence gap), then history and held events go
 * out merged in sequence order, each sequence at most once. A conversation's `closed` event comes
 * after its remaining messages. Memory is O(conversations): held events exist only during a query.
 */
export class ConversationTracker {
  private readonly open = new FreshKeyMap<Conversation>();
  private readonly closed = new RecentlyClosed<ConversationCheckpoint>();
  /**
   * Conversations that left the subscription filter while open (transferred away), with their
   * cursor: one that comes back continues from it instead of re-emitting its whole history.
   * Bounded like {@link closed}; in memory only.
   */
  private readonly departed = new RecentlyClosed<{ lastSeq: number; meta: ConversationMeta }>();
  private readonly report: InvalidInputReporter;
  /** While true, conversations not already followed are ignored. */
  draining = false;
  /**
   * Set on a resubscription after the socket was down: a conversation first seen closed whose
   * metadata changed at or after this time opened (and closed) while we could not see it, so its
   * messages and its close are delivered too. Undefined on the first connection: a new source
   * does not replay the account's closed history.
   */
  followClosedSince: number | undefined;
  /**
   * The consumer unsubscribed: nothing more is emitted, and no cursor moves for an event nobody
   * received (a `take(n)` inside a history batch stops the batch where the consumer stopped).
   */
  private stopped = false;
  /** `hooks.now`, bound once (handed to the mapping per event, called only when needed). */
  private readonly now = (): number => this.hooks.now();

  constructor(
    private readonly hooks: TrackerHooks,
    private readonly followClosed: boolean,
    private readonly maxHeld: number = MAX_HELD_EVENTS,
  ) {
    this.report = invalidInputReporter(hooks.logger, hooks.metrics);
  }

  /** The consumer is gone: stop emitting and stop moving cursors (see {@link stopped}). */
  stop(): void {
    this.stopped = true;
  }

  /**
   * Restores cursors from a checkpoint (before the first connection). An entry whose values are out
   * of range (a sequence that is not an integer in [-1, {@link MAX_SEQUENCE}], a time beyond
   * {@link MAX_CLOCK_AHEAD_MS} from now) is dropped with a warning: the conversation is followed
   * again from its start (repeats, never losses). Returns the newest
   * conversation-metadata time it holds (server clock), or undefined for an empty checkpoint: the
   * point from which a restarted source must look for conversations that changed while it was down.
   */
  restore(entries: Record<string, ConversationCheckpoint>): number | undefined {
    let newest: number | undefined;
    const latest = this.hooks.now() + MAX_CLOCK_AHEAD_MS;
    const dialogs: Array<[string, string, number]> = [];
    for (const [id, cp] of Object.entries(entries)) {
      const ts = metaFrom(cp.meta).ts;
      if (!Number.isSafeInteger(cp.seq) || cp.seq < -1 || cp.seq > MAX_SEQUENCE || ts > latest) {
        this.hooks.logger.warn('messaging: checkpoint entry out of range dropped; following it again', {
          code: 'ERR_CHECKPOINT_CORRUPT',
          conversationId: id,
        });
        this.hooks.metrics.increment('items.invalid');
        continue;
      }
      if (ts >= 0 && (newest === undefined || ts > newest)) newest = ts;
      const dialogOf = cp.meta?.['dialogOf'];
      if (cp.closed === true) this.closed.remember(id, cp);
      else if (typeof dialogOf === 'string') dialogs.push([id, dialogOf, cp.seq]);
      else
        this.open.set(id, {
          id,
          conv: id,
          lastSeq: cp.seq,
          markedIn: -1,
          meta: metaFrom(cp.meta),
          querying: false,
          held: undefined,
          leaving: false,
        });
    }
    for (const [id, conv, seq] of dialogs) {
      const parent = this.open.get(conv);
      if (parent !== undefined) this.addDialog(parent, id, seq);
    }
    return newest;
  }

  /** Follows a non-main dialog of `parent` from `lastSeq`. */
  private addDialog(parent: Conversation, dialogId: string, lastSeq: number): Conversation {
    const d: Conversation = {
      id: dialogId,
      conv: parent.id,
      dialog: dialogId,
      lastSeq,
      markedIn: -1,
      meta: emptyMeta(),
      querying: false,
      held: undefined,
      leaving: false,
    };
    this.open.set(dialogId, d);
    (parent.dialogs ??= new Set()).add(dialogId);
    return d;
  }

  /** The checkpoint entry of a conversation, or `undefined` if it is no longer known. */
  checkpointOf(id: string): ConversationCheckpoint | undefined {
    const c = this.open.get(id);
    if (c?.dialog !== undefined) return { seq: c.lastSeq, meta: { dialogOf: c.conv } };
    if (c !== undefined) return { seq: c.lastSeq, meta: metaCopy(c.meta) };
    return this.closed.get(id);
  }

  /** Number of followed conversations whose `closed` event has not been delivered yet. */
  get openCount(): number {
    return this.open.size;
  }

  /**
   * Where a resubscription reaches back to catch closes: the oldest metadata timestamp among open
   * conversations, less {@link RESUME_MARGIN_MS}, so that an open conversation whose UPSERT was lost
   * shortly before a followed one changed (or stamped by a server clock slightly behind) still comes back.
   */
  resumeFrom(): number | undefined {
    let min: number | undefined;
    for (const c of this.open.values())
      if (c.meta.ts >= 0 && (min === undefined || c.meta.ts < min)) min = c.meta.ts;
    return min === undefined ? undefined : Math.max(0, min - RESUME_MARGIN_MS);
  }

  /** A socket opened: pull every followed conversation from its cursor again. */
  resumeAll(): void {
    for (const c of this.open.values()) this.startQuery(c);
  }

  /** Observer mode: asks the history of every followed conversation not already being asked. */
  pollAll(): void {
    if (this.stopped) return;
    for (const c of this.open.values()) this.startQuery(c);
  }

  /** The socket went down: outstanding queries are void; the next {@link resumeAll} reissues them. */
  disconnected(): void {
    for (const c of this.open.values()) c.querying = false;
  }

  /** Re-asks a query that failed on a socket that is still up. */
  retryQuery(id: string): void {
    const c = this.open.get(id);
    if (c !== undefined && c.querying) this.hooks.query(c.id, c.lastSeq);
  }

  private changedWhileAway(metaTs: number | undefined): boolean {
    return this.followClosedSince !== undefined && metaTs !== undefined && metaTs >= this.followClosedSince;
  }

  onChange(change: ConversationChange): void {
    if (this.stopped) return;
    const id = change.result.convId;
    if (this.closed.has(id)) return;
    const ts = change.result.conversationDetails?.metaDataLastUpdateTs;
    if (ts !== undefined && ts > this.hooks.now() + MAX_CLOCK_AHEAD_MS) {
      this.outOfRange('conversation change (metaDataLastUpdateTs)', id, ts);
      return;
    }
    let c = this.open.get(id);
    let created = false;
    if (c === undefined) {
      if (change.type === 'DELETE' || this.draining) return;
      const details = change.result.conversationDetails;
      if (
        details?.state === 'CLOSE' &&
        !this.followClosed &&
        !this.changedWhileAway(details.metaDataLastUpdateTs)
      )
        return;
      const back = this.departed.get(id);
      this.departed.forget(id);
      c = {
        id,
        conv: id,
        lastSeq: back?.lastSeq ?? -1,
        markedIn: -1,
        meta: back?.meta ?? emptyMeta(),
        querying: false,
        held: undefined,
        leaving: false,
      };
      this.open.set(id, c);
      created = true;
    }
    const r = mapConversationChange(change, c.meta, this.hooks.now());
    if (r.stale) {
      this.hooks.logger.debug?.('messaging: stale conversation change ignored', { conversationId: id });
      return;
    }
    for (let i = 0; i < r.events.length; i++) {
      // The meta moves with each event before it is handed over: a consumer that stops inside
      // next() leaves a checkpoint claiming exactly what it received — no more (losses), no less
      // (the same derived event again after a resubscribe).
      c.meta = r.delivered[i] ?? c.meta;
      this.hooks.changed(id);
      this.hooks.emit(r.events[i] as ConversationEvent);
      if (this.stopped) return;
    }
    c.meta = r.meta;
    this.hooks.changed(id);
    // M1: every dialog is followed, each from its own cursor.
    for (const d of change.result.conversationDetails?.dialogs ?? []) {
      const dialogId = d.dialogId;
      if (dialogId === undefined || dialogId === id || this.open.has(dialogId) || this.closed.has(dialogId))
        continue;
      this.startQuery(this.addDialog(c, dialogId, -1));
    }
    if (r.closed !== undefined) {
      c.pendingClose = r.closed;
      this.startQuery(c);
      // The remaining history of every dialog comes before the conversation's `closed`.
      for (const dialogId of c.dialogs ?? []) {
        const d = this.open.get(dialogId);
        if (d !== undefined) this.startQuery(d);
      }
    } else if (r.left) {
      c.leaving = true;
      if (!c.querying) this.forget(c);
    } else if (created) this.startQuery(c);
  }

  onLive(record: EventRecord): void {
    if (this.stopped) return;
    const c = this.open.get(record.dialogId);
    if (c === undefined) return;
    const seq = record.sequence;
    if (seq !== undefined && seq > MAX_SEQUENCE) return this.outOfRange('live event sequence', c.id, seq);
    if (seq === undefined) {
      if (c.querying) this.hold(c, record);
      else this.deliver(c, record);
      return;
    }
    if (seq <= c.lastSeq) {
      this.hooks.metrics.increment('events.duplicates');
      return;
    }
    if (c.querying) {
      this.hold(c, record);
    } else if (c.lastSeq < 0 ? seq <= 1 : seq === c.lastSeq + 1) {
      // An empty history was confirmed before, so the first sequence (0 or 1) needs no backfill.
      this.deliver(c, record);
    } else {
      this.hooks.metrics.increment('gaps');
      this.hooks.logger.debug?.('messaging: sequence gap; backfilling', {
        conversationId: c.id,
        after: c.lastSeq,
        got: seq,
      });
      (c.held ??= []).push(record);
      this.startQuery(c);
    }
  }

  private hold(c: Conversation, record: EventRecord): void {
    const held = (c.held ??= []);
    if (held.length < this.maxHeld) {
      held.push(record);
      return;
    }
    // Full: drop it. A typing change is transient; a sequenced event comes back with the next query.
    if (record.sequence !== undefined) c.overflowed = true;
    this.hooks.metrics.increment('held.dropped');
  }

  /** The answer to a conversation's QueryMessages: merge with held events, deliver in order. */
  onHistory(id: string, body: readonly unknown[]): void {
    if (this.stopped) return;
    const c = this.open.get(id);
    if (c === undefined || !c.querying) return;
    const records: EventRecord[] = [];
    for (const item of body) {
      const r = EventRecordCodec.decode(item);
      if (r._tag === 'Left') {
        this.invalid('history record', formatValidationErrors(r.left));
        continue;
      }
      const seq = r.right.sequence;
      if (seq !== undefined && seq > MAX_SEQUENCE) this.outOfRange('history record sequence', id, seq);
      else if (r.right.dialogId === id && seq !== undefined) records.push(r.right);
    }
    const held = c.held ?? [];
    const unsequenced = held.filter((r) => r.sequence === undefined);
    for (const r of held) if (r.sequence !== undefined) records.push(r);
    c.held = undefined;
    c.querying = false;
    records.sort((a, b) => (a.sequence as number) - (b.sequence as number));
    for (const r of records) {
      if ((r.sequence as number) <= c.lastSeq) {
        this.hooks.metrics.increment('events.duplicates');
        continue;
      }
      this.deliver(c, r);
      if (this.stopped) return;
    }
    for (const r of unsequenced) {
      this.deliver(c, r);
      if (this.stopped) return;
    }
    if (c.overflowed === true) {
      c.overflowed = false;
      this.startQuery(c);
      return;
    }
    const parent = c.dialog === undefined ? c : this.open.get(c.conv);
    if (parent?.pendingClose !== undefined) this.maybeClose(parent);
    else if (c.leaving) this.forget(c);
  }

  /** Emits a conversation's `closed` once it and every dialog have their remaining history. */
  private maybeClose(c: Conversation): void {
    if (c.pendingClose === undefined || c.querying) return;
    for (const dialogId of c.dialogs ?? []) if (this.open.get(dialogId)?.querying === true) return;
    this.hooks.emit(c.pendingClose);
    if (this.stopped) return;
    c.meta = metaOf(c.meta.ts, c.meta.participants, c.meta.typing, 'closed');
    for (const dialogId of c.dialogs ?? []) {
      const d = this.open.get(dialogId);
      if (d === undefined) continue;
      this.open.delete(dialogId);
      this.closed.remember(dialogId, { seq: d.lastSeq, closed: true, meta: { dialogOf: c.id } });
      this.hooks.changed(dialogId);
    }
    this.open.delete(c.id);
    this.closed.remember(c.id, {
      seq: c.lastSeq,
      closed: true,
      meta: metaCopy(c.meta),
    });
    this.hooks.changed(c.id);
  }

  private startQuery(c: Conversation): void {
    if (c.querying) return;
    c.querying = true;
    this.hooks.query(c.id, c.lastSeq);
  }

  private deliver(c: Conversation, record: EventRecord): void {
    const wire = validWireEvent(record.event);
    const seq = record.sequence;
    if (wire === undefined) {
      this.hooks.logger.debug?.('messaging: unknown event type skipped', { type: record.event.type });
    } else if (Array.isArray(wire)) {
      // The cursor stays put: a valid copy (live or from history) may still come for this sequence.
      this.invalid('event', formatValidationErrors(wire));
      return;
    } else if (wire.type === 'ChatStateEvent') {
      if (seq === undefined) {
        // Without a server time, typing ids carry local time, kept strictly increasing per
        // conversation: held typing flips released together (on, off, on within one ms) must
        // not share an id (found by the fault runs once history queries were paced).
        const now =
          record.serverTimestamp === undefined
            ? Math.max(this.hooks.now(), (c.typingMs ?? 0) + 1)
            : this.hooks.now();
        const r = mapTyping(c.conv, record, wire.chatState, c.meta.typing[typingKey(record)], now, c.dialog);
        if (r.event !== undefined) {
          if (record.serverTimestamp === undefined) c.typingMs = now;
          if (c.meta.typing === NO_TYPING) c.meta.typing = {};
          c.meta.typing[typingKey(record)] = r.typing;
          this.hooks.changed(c.id);
          this.hooks.emit(r.event);
        }
      }
    } else if (seq !== undefined) {
      // The clock is read only for a record without a usable server time (most have one).
      const event = mapSequencedEvent(c.conv, seq, record, wire as WireEvent, this.now, c.dialog);
      if (event !== undefined) this.hooks.emit(event);
      else
        this.hooks.logger.debug?.('messaging: event without a normalized form skipped', {
          type: wire.type,
        });
    }
    if (seq !== undefined && seq > c.lastSeq) {
      c.lastSeq = seq;
      const generation = this.hooks.markGeneration?.() ?? -1;
      if (generation === -1 || c.markedIn !== generation) {
        c.markedIn = generation;
        this.hooks.changed(c.id);
      }
    }
  }

  private outOfRange(what: string, conversationId: string, value: number): void {
    this.report({
      code: 'ERR_SCHEMA_INVALID',
      message: `messaging: ${what} out of range; skipped`,
      errors: [`${what} ${value} out of range`],
      fields: { conversationId },
    });
  }

  private invalid(what: string, errors: string[]): void {
    this.report({ code: 'ERR_SCHEMA_INVALID', message: `messaging: invalid ${what} skipped`, errors });
  }

  private forget(c: Conversation): void {
    for (const dialogId of c.dialogs ?? []) this.open.delete(dialogId);
    this.open.delete(c.id);
    this.departed.remember(c.id, { lastSeq: c.lastSeq, meta: c.meta });
    this.hooks.logger.debug?.('messaging: conversation left the subscription', { conversationId: c.id });
  }
}

/** A checkpoint's copy of a meta, in the meta's fixed shape (see `metaOf`). */
const metaCopy = (m: ConversationMeta): Record<string, unknown> =>
  metaOf(m.ts, m.participants, m.typing, m.state) as unknown as Record<string, unknown>;

const typingKey = (r: EventRecord): string =>
  r.originatorId ?? r.originatorPId ?? r.originatorMetadata?.id ?? '?';

function metaFrom(raw: Record<string, unknown> | undefined): ConversationMeta {
  if (raw === undefined) return emptyMeta();
  const rawState = raw['state'];
  const state = rawState === 'waiting' || rawState === 'open' || rawState === 'closed' ? rawState : undefined;
  const ts = typeof raw['ts'] === 'number' ? raw['ts'] : -1;
  const participants = Array.isArray(raw['participants'])
    ? raw['participants'].filter((p): p is string => typeof p === 'string')
    : [];
  let typing = NO_TYPING;
  const rawTyping = raw['typing'];
  if (rawTyping !== null && typeof rawTyping === 'object')
    for (const [k, v] of Object.entries(rawTyping))
      if (typeof v === 'boolean') (typing === NO_TYPING ? (typing = {}) : typing)[k] = v;
  return metaOf(ts, participants, typing, state);
}
