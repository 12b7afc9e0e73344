import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { decodeMultiChat } from '../../adapters/legacy-chat/decode.js';
import { mapChat, type ChatMemory } from '../../adapters/legacy-chat/mapping.js';
import {
  emptyMeta,
  mapConversationChange,
  mapSequencedEvent,
  mapTyping,
  type ConversationMeta,
} from '../../adapters/messaging/mapping.js';
import { ConversationChangeCodec, decodeWireEvent, EventRecordCodec } from '../../adapters/messaging/wire.js';
import type { ConversationEvent } from '../../src/model/event.js';
import { derivedEventId, eventId } from '../../src/model/ids.js';
import type { IsoTime } from '../../src/model/time.js';

// docs/event-model.md's "Event ids" table is the contract; this file keeps it equal to the code.

interface Row {
  type: string;
  backend: string;
  pattern: string;
}

const page = readFileSync(new URL('../../docs/event-model.md', import.meta.url), 'utf8');

function documentedRows(): Row[] {
  const section = page.slice(page.indexOf('## Event ids'), page.indexOf('## `message`'));
  return section
    .split('\n')
    .filter((l) => l.startsWith('| ') && l.includes('`{backend}'))
    .map((l) => {
      const cells = l
        .replace(/\\\|/g, '&#124;')
        .split('|')
        .map((c) => c.trim().replaceAll('&#124;', '|'));
      return { type: cells[1] ?? '', backend: cells[2] ?? '', pattern: (cells[3] ?? '').replace(/`/g, '') };
    });
}

/** The row's id pattern as a regular expression for one event. */
function regexOf(row: Row, e: ConversationEvent): RegExp {
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const source = row.pattern.replace(/\{([^{}]+)\}|[^{}]+/g, (m: string, name: string | undefined) => {
    if (name === undefined) return escape(m);
    if (name === 'backend') return escape(e.backend);
    if (name === 'conversationId') return escape(e.conversationId);
    if (name === 'seq') return String(e.seq);
    if (name === 'ms') return '-?\\d+';
    if (name.includes('|')) return `(?:${name.split('|').map(escape).join('|')})`;
    return '.+';
  });
  return new RegExp(`^${source}$`);
}

/** Rows that apply to the event: its type (or "any, numbered" when it has a seq) and backend. */
function rowsFor(rows: Row[], e: ConversationEvent): Row[] {
  return rows.filter(
    (r) =>
      (r.backend === 'both' || r.backend === e.backend) &&
      (e.seq !== undefined ? r.type === 'any, numbered' : r.type === `\`${e.type}\``),
  );
}

function legacyEvents(): ConversationEvent[] {
  const fixture = (name: string): unknown =>
    JSON.parse(
      readFileSync(new URL(`../adapters/legacy-chat/fixtures/${name}`, import.meta.url), 'utf8'),
    ) as unknown;
  const fallback = '2000-01-01T00:00:00.000Z' as IsoTime;
  const out: ConversationEvent[] = [];
  const bodies = [
    fixture('legacy-multichat-seed.json'),
    fixture('legacy-multichat-wire-quirks.json'),
    fixture('legacy-multichat-wire-one-chat.json'),
    // A chat whose info says ended while its `ended` event is out of view: the derived close.
    { chats: { chat: { info: { chatSessionKey: 'K1', state: 'ended' } } } },
  ];
  for (const body of bodies) {
    for (const chat of decodeMultiChat(body).chats) {
      const before: ChatMemory = { seq: -1, state: 'open', agentId: '7', agentTyping: true };
      out.push(...mapChat(chat, before, fallback).events);
    }
  }
  return out;
}

function messagingEvents(): ConversationEvent[] {
  const frames = readFileSync(
    new URL('../adapters/messaging/fixtures/messaging-frames.ndjson', import.meta.url),
    'utf8',
  )
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { type: string; body: { changes?: unknown[] } });
  const out: ConversationEvent[] = [];
  let meta: ConversationMeta = emptyMeta();
  const typing = new Map<string, boolean>();
  for (const f of frames) {
    if (f.type === '.ams.aam.ExConversationChangeNotification') {
      for (const raw of f.body.changes ?? []) {
        const change = ConversationChangeCodec.decode(raw);
        assert.equal(change._tag, 'Right');
        if (change._tag !== 'Right') continue;
        const r = mapConversationChange(change.right, meta, 1);
        out.push(...r.events);
        meta = r.meta;
      }
    } else if (f.type === '.ams.ms.OnlineEventDistribution') {
      const record = EventRecordCodec.decode(f.body);
      if (record._tag !== 'Right') continue;
      const r = record.right;
      const event = r.event as { type: string; chatState?: string };
      if (event.type === 'ChatStateEvent') {
        const who = r.originatorId ?? '?';
        const t = mapTyping(r.dialogId, r, event.chatState ?? '', typing.get(who), 1);
        typing.set(who, t.typing);
        if (t.event !== undefined) out.push(t.event);
      } else if (r.sequence !== undefined) {
        const wire = decodeWireEvent(r.event);
        if (!wire.known || wire.result._tag !== 'Right') continue;
        const e = mapSequencedEvent(r.dialogId, r.sequence, r, wire.result.right, 1);
        if (e !== undefined) out.push(e);
        // The same record in a non-main dialog (M1), as the tracker maps a POST_SURVEY dialog's.
        const d = mapSequencedEvent(
          r.dialogId,
          r.sequence,
          { ...r, dialogId: 'survey-1' },
          wire.result.right,
          1,
          'survey-1',
        );
        if (d !== undefined) out.push(d);
      }
    }
  }
  return out;
}

describe('event ids: one scheme, documented in one table', () => {
  const rows = documentedRows();

  it('the table is read from the page (the check checks itself)', () => {
    assert.ok(rows.length >= 7, `rows read: ${rows.length}`);
    assert.ok(rows.every((r) => r.pattern.startsWith('{backend}:{conversationId}:')));
  });

  it('eventId and derivedEventId build the documented shapes', () => {
    assert.equal(eventId('messaging', 'c1', 4), 'messaging:c1:4');
    assert.equal(eventId('messaging', 'c1', 4, 'survey-1'), 'messaging:c1:survey-1:4');
    assert.equal(derivedEventId('legacy-chat', 'K', 'state', 'closed'), 'legacy-chat:K:state-closed');
    assert.equal(
      derivedEventId('messaging', 'c1', 'typing', 'cons-1', 'on', 1700000010000),
      'messaging:c1:typing-cons-1-on-1700000010000',
    );
  });

  const emitted = () => [...legacyEvents(), ...messagingEvents()];

  it('every id the adapters emit matches the row for its type and backend', () => {
    const events = emitted();
    assert.ok(events.length > 20, `events mapped: ${events.length}`);
    for (const e of events) {
      const candidates = rowsFor(rows, e);
      assert.ok(
        candidates.some((r) => regexOf(r, e).test(e.id)),
        `${e.id} (${e.backend} ${e.type}) matches none of: ${candidates.map((r) => r.pattern).join(', ')}`,
      );
    }
  });

  it('every row of the table is something the adapters emit (no row documents nothing)', () => {
    const events = emitted();
    for (const row of rows) {
      assert.ok(
        events.some((e) => rowsFor([row], e).length === 1 && regexOf(row, e).test(e.id)),
        `no emitted event has the documented id ${row.backend} ${row.type} ${row.pattern}`,
      );
    }
  });

  it('every example on the page follows the scheme', () => {
    const examples = [...page.matchAll(/```json\n([\s\S]*?)```/g)].map(
      (m) => JSON.parse(m[1] ?? '') as ConversationEvent,
    );
    assert.ok(examples.length >= 5);
    for (const e of examples)
      assert.ok(
        rowsFor(rows, e).some((r) => regexOf(r, e).test(e.id)),
        `the example ${e.id} follows no documented row`,
      );
  });
});
