import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  emptyMeta,
  mapConversationChange,
  mapSequencedEvent,
  mapTyping,
  originatorOf,
  roleOf,
  summariseRichContent,
  type ConversationMeta,
} from '../../../adapters/messaging/mapping.js';
import {
  ConversationChangeCodec,
  decodeWireEvent,
  EventRecordCodec,
  type ConversationChange,
  type EventRecord,
  type WireEvent,
} from '../../../adapters/messaging/wire.js';
import { ConversationEventCodec, type ConversationEvent } from '../../../src/model/event.js';

// The wire frames of one conversation's life (a copy of ../shared/protocol/fixtures).
const frames = readFileSync(new URL('./fixtures/messaging-frames.ndjson', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as { kind: string; type: string; body: unknown });

const NOW = 1_700_000_099_000;
const NOW_ISO = new Date(NOW).toISOString();

function decodeRecord(u: unknown): EventRecord {
  const r = EventRecordCodec.decode(u);
  assert.equal(r._tag, 'Right', JSON.stringify(u));
  return (r as { right: EventRecord }).right;
}

function decodeEvent(record: EventRecord): WireEvent {
  const d = decodeWireEvent(record.event);
  assert.ok(d.known && d.result._tag === 'Right', JSON.stringify(record.event));
  return d.result.right;
}

const liveRecords = frames
  .filter((f) => f.type === '.ams.ms.OnlineEventDistribution')
  .map((f) => decodeRecord(f.body));
const recordOf = (type: string) => {
  const r = liveRecords.find((x) => x.event.type === type);
  assert.ok(r, type);
  return r;
};
const changesOf = (type: 'UPSERT' | 'DELETE'): ConversationChange[] =>
  frames
    .filter((f) => f.type === '.ams.aam.ExConversationChangeNotification')
    .flatMap((f) => (f.body as { changes: unknown[] }).changes)
    .map((c) => {
      const r = ConversationChangeCodec.decode(c);
      assert.equal(r._tag, 'Right');
      return (r as { right: ConversationChange }).right;
    })
    .filter((c) => c.type === type);

/** Maps a record that carries a sequence, as the tracker does. */
function mapRecord(record: EventRecord, conversationId = record.dialogId): ConversationEvent | undefined {
  return mapSequencedEvent(conversationId, record.sequence ?? 0, record, decodeEvent(record), NOW);
}

const valid = (e: ConversationEvent | undefined): void => {
  assert.ok(e !== undefined);
  assert.equal(ConversationEventCodec.decode(e)._tag, 'Right', `rejected by the codec: ${JSON.stringify(e)}`);
};

function record(event: object, extra: Record<string, unknown> = {}): EventRecord {
  return decodeRecord({
    dialogId: 'c1',
    sequence: 7,
    originatorId: 'cons-1',
    originatorMetadata: { id: 'cons-1', role: 'CONSUMER' },
    serverTimestamp: 1_700_000_000_123,
    event,
    ...extra,
  });
}

function change(
  type: 'UPSERT' | 'DELETE',
  details: Record<string, unknown> | undefined,
  convId = 'c1',
): ConversationChange {
  const r = ConversationChangeCodec.decode({
    type,
    result: details === undefined ? { convId } : { convId, conversationDetails: details },
  });
  assert.equal(r._tag, 'Right');
  return (r as { right: ConversationChange }).right;
}

const summary = (events: readonly ConversationEvent[]) =>
  events.map((e) =>
    e.type === 'state'
      ? `state ${e.state}`
      : e.type === 'participant'
        ? `${e.action} ${e.participant.role}:${e.participant.id ?? ''}`
        : e.type,
  );

describe('messaging mapping: sequenced records', () => {
  it('maps the fixture text message to a plain message from its originator, at its server time', () => {
    const e = mapRecord(recordOf('ContentEvent'));
    valid(e);
    assert.deepEqual(e, {
      id: 'messaging:conv-1:3',
      backend: 'messaging',
      conversationId: 'conv-1',
      seq: 3,
      time: '2023-11-14T22:13:28.000Z',
      type: 'message',
      from: { role: 'agent', id: '123.77' },
      text: 'Hi, I am checking order 4711 now.',
      format: 'plain',
    });
  });

  it('maps the fixture rich content to a rich message whose text joins its texts and titles', () => {
    const r = recordOf('RichContentEvent');
    const e = mapRecord(r);
    valid(e);
    assert.equal(e?.type, 'message');
    assert.ok(e?.type === 'message');
    assert.equal(e.format, 'rich');
    assert.equal(e.text, 'Order 4711 Track parcel');
    assert.deepEqual(e.content, (r.event as unknown as { content: unknown }).content);
    assert.deepEqual(e.from, { role: 'agent', id: '123.77' });
  });

  it('maps the fixture READ status to a read receipt naming the sequences it covers', () => {
    const e = mapRecord(recordOf('AcceptStatusEvent'));
    valid(e);
    assert.deepEqual(e, {
      id: 'messaging:conv-1:4',
      backend: 'messaging',
      conversationId: 'conv-1',
      seq: 4,
      time: '2023-11-14T22:13:29.000Z',
      type: 'receipt',
      status: 'read',
      seqs: [3],
      participant: { role: 'consumer', id: 'cons-1' },
    });
  });

  it('maps every sequenced record of the fixture history answers to a codec-valid event', () => {
    const history = frames
      .filter((f) => f.kind === 'resp' && Array.isArray(f.body))
      .flatMap((f) => f.body as unknown[])
      .map(decodeRecord);
    assert.ok(history.length >= 4);
    for (const r of history) valid(mapRecord(r));
  });

  it('marks an HTML content type as html and keeps any other as plain', () => {
    const html = mapRecord(record({ type: 'ContentEvent', contentType: 'text/html', message: '<b>hi</b>' }));
    const other = mapRecord(record({ type: 'ContentEvent', contentType: 'text/markdown', message: '*hi*' }));
    const none = mapRecord(record({ type: 'ContentEvent', message: 'hi' }));
    assert.ok(html?.type === 'message' && other?.type === 'message' && none?.type === 'message');
    assert.equal(html.format, 'html');
    assert.equal(other.format, 'plain');
    assert.equal(none.format, 'plain');
    assert.equal(none.content, undefined, 'a string message carries no content');
  });

  it('gives a file message its caption as text, or its content type in brackets, and keeps the object as content', () => {
    const file = { uri: 'https://example.com/f.png', caption: 'the parcel' };
    const withCaption = mapRecord(
      record({ type: 'ContentEvent', contentType: 'hosted/file', message: file }),
    );
    const noCaption = mapRecord(
      record({ type: 'ContentEvent', contentType: 'hosted/file', message: { uri: 'x' } }),
    );
    const noType = mapRecord(record({ type: 'ContentEvent', message: { caption: 42 } }));
    for (const e of [withCaption, noCaption, noType]) valid(e);
    assert.ok(withCaption?.type === 'message' && noCaption?.type === 'message' && noType?.type === 'message');
    assert.equal(withCaption.text, 'the parcel');
    assert.deepEqual(withCaption.content, file);
    assert.equal(noCaption.text, '[hosted/file]');
    assert.equal(noType.text, '[file]', 'a caption that is not a string is not used');
  });

  it('maps ACCEPT to an accepted receipt and drops sequence numbers that are not valid sequences', () => {
    const e = mapRecord(
      record({ type: 'AcceptStatusEvent', status: 'ACCEPT', sequenceList: [0, 1, -1, 2.5, 3, 2 ** 60] }),
    );
    valid(e);
    assert.ok(e?.type === 'receipt');
    assert.equal(e.status, 'accepted');
    assert.deepEqual(e.seqs, [0, 1, 3]);
  });

  it('has no event for an ACCESS (or any other) status, nor for a chat state record', () => {
    assert.equal(
      mapRecord(record({ type: 'AcceptStatusEvent', status: 'ACCESS', sequenceList: [1] })),
      undefined,
    );
    assert.equal(
      mapRecord(record({ type: 'AcceptStatusEvent', status: 'read', sequenceList: [1] })),
      undefined,
    );
    assert.equal(mapRecord(record({ type: 'ChatStateEvent', chatState: 'COMPOSING' })), undefined);
  });

  it('uses the caller’s time when the record has no server timestamp or one out of range', () => {
    const missing = mapRecord(record({ type: 'ContentEvent', message: 'a' }, { serverTimestamp: undefined }));
    const huge = mapRecord(record({ type: 'ContentEvent', message: 'a' }, { serverTimestamp: 1e20 }));
    const nan = mapRecord(record({ type: 'ContentEvent', message: 'a' }, { serverTimestamp: Number.NaN }));
    for (const e of [missing, huge, nan]) {
      valid(e);
      assert.equal(e?.time, NOW_ISO);
    }
  });

  it('takes the id of the conversation and the sequence it is given, not the record’s', () => {
    const r = record({ type: 'ContentEvent', message: 'a' }, { dialogId: 'other', sequence: 1 });
    const e = mapSequencedEvent('c9', 12, r, decodeEvent(r), NOW);
    assert.equal(e?.id, 'messaging:c9:12');
    assert.equal(e?.conversationId, 'c9');
    assert.equal(e?.seq, 12);
  });
});

describe('messaging mapping: originators and roles', () => {
  it('maps every known wire role and treats unknown or missing ones as system', () => {
    assert.equal(roleOf('CONSUMER'), 'consumer');
    assert.equal(roleOf('ASSIGNED_AGENT'), 'agent');
    assert.equal(roleOf('AGENT'), 'agent');
    assert.equal(roleOf('READER'), 'agent');
    assert.equal(roleOf('MANAGER'), 'manager');
    assert.equal(roleOf('CONTROLLER'), 'system');
    assert.equal(roleOf('BOT'), 'system');
    assert.equal(roleOf(undefined), 'system');
    assert.equal(roleOf('toString'), 'system', 'an Object.prototype name is not a role');
    assert.equal(roleOf('constructor'), 'system');
    assert.equal(roleOf('__proto__'), 'system');
    assert.equal(roleOf('consumer'), 'system', 'roles are matched case-sensitively');
  });

  it('names the originator by its old-style id first, then its PId, then the metadata id', () => {
    const base = { dialogId: 'c1', event: { type: 'ContentEvent' } };
    const meta = { id: 'meta-1', role: 'ASSIGNED_AGENT' };
    const all = decodeRecord({
      ...base,
      originatorId: 'old',
      originatorPId: 'pid',
      originatorMetadata: meta,
    });
    const pid = decodeRecord({ ...base, originatorPId: 'pid', originatorMetadata: meta });
    const metaOnly = decodeRecord({ ...base, originatorMetadata: meta });
    const none = decodeRecord(base);
    assert.deepEqual(originatorOf(all), { role: 'agent', id: 'old' });
    assert.deepEqual(originatorOf(pid), { role: 'agent', id: 'pid' });
    assert.deepEqual(originatorOf(metaOnly), { role: 'agent', id: 'meta-1' });
    assert.deepEqual(originatorOf(none), { role: 'system' });
    assert.ok(!('id' in originatorOf(none)), 'no id key at all, not id: undefined');
  });
});

describe('messaging mapping: rich content summary', () => {
  it('joins texts and titles depth-first through nested elements', () => {
    const content = {
      type: 'vertical',
      elements: [
        { type: 'text', text: 'A' },
        {
          type: 'horizontal',
          elements: [
            { type: 'button', title: 'B' },
            { type: 'text', text: 'C', title: 'D' },
          ],
        },
        { type: 'image', url: 'https://example.com/i.png' },
      ],
    };
    assert.equal(summariseRichContent(content), 'A B C D');
  });

  it('falls back to a placeholder when nothing readable is found', () => {
    for (const c of [{}, { text: '' }, { elements: [] }, null, 'text', 42, { text: 7 }])
      assert.equal(summariseRichContent(c), '[rich content]', JSON.stringify(c));
  });

  it('stops at a bounded depth, so a deeply nested card cannot run away', () => {
    let deep: Record<string, unknown> = { text: 'bottom' };
    for (let i = 0; i < 20; i++) deep = { elements: [deep] };
    assert.equal(summariseRichContent({ text: 'top', elements: [deep] }), 'top');
  });
});

describe('messaging mapping: typing', () => {
  const chatState = recordOf('ChatStateEvent');

  it('emits typing when the fixture COMPOSING arrives for someone not typing, timed now when unstamped', () => {
    const r = mapTyping('conv-1', chatState, 'COMPOSING', undefined, NOW);
    assert.equal(r.typing, true);
    valid(r.event);
    assert.deepEqual(r.event, {
      id: `messaging:conv-1:typing-cons-1-on-${NOW}`,
      backend: 'messaging',
      conversationId: 'conv-1',
      time: NOW_ISO,
      type: 'typing',
      participant: { role: 'consumer', id: 'cons-1' },
      typing: true,
    });
  });

  it('emits nothing while the flag does not change, and a stop for any other chat state after typing', () => {
    assert.deepEqual(mapTyping('c1', chatState, 'COMPOSING', true, NOW), { typing: true });
    assert.deepEqual(mapTyping('c1', chatState, 'ACTIVE', false, NOW), { typing: false });
    assert.deepEqual(mapTyping('c1', chatState, 'PAUSE', undefined, NOW), { typing: false });
    const stop = mapTyping('c1', chatState, 'PAUSE', true, NOW);
    assert.equal(stop.typing, false);
    assert.ok(stop.event?.type === 'typing');
    assert.equal(stop.event.typing, false);
    assert.match(stop.event.id, /-off-/);
  });

  it('keys a typing event by role when the originator has no id, and by the server time when stamped', () => {
    const anon = decodeRecord({
      dialogId: 'c1',
      serverTimestamp: 1_700_000_000_000,
      event: { type: 'ChatStateEvent' },
    });
    const r = mapTyping('c1', anon, 'COMPOSING', false, NOW);
    valid(r.event);
    assert.equal(r.event?.id, 'messaging:c1:typing-system-on-1700000000000');
    assert.equal(r.event?.time, '2023-11-14T22:13:20.000Z');
  });
});

describe('messaging mapping: conversation changes', () => {
  const upsert = changesOf('UPSERT')[0] as ConversationChange;
  const del = changesOf('DELETE')[0] as ConversationChange;

  it('opens the fixture conversation with an agent assigned: state open, then each participant joined', () => {
    const r = mapConversationChange(upsert, emptyMeta(), NOW);
    r.events.forEach(valid);
    assert.equal(r.stale, false);
    assert.equal(r.left, false);
    assert.equal(r.closed, undefined);
    assert.deepEqual(summary(r.events), ['state open', 'joined agent:123.77', 'joined consumer:cons-1']);
    assert.deepEqual(
      r.events.map((e) => e.id),
      [
        'messaging:conv-1:state-open-1700000005000',
        'messaging:conv-1:participant-joined-ASSIGNED_AGENT-123.77-1700000005000',
        'messaging:conv-1:participant-joined-CONSUMER-cons-1-1700000005000',
      ],
    );
    assert.ok(r.events.every((e) => e.time === '2023-11-14T22:13:25.000Z'));
    assert.deepEqual(r.meta, {
      state: 'open',
      ts: 1_700_000_005_000,
      participants: ['ASSIGNED_AGENT|123.77', 'CONSUMER|cons-1'],
      typing: {},
    });
  });

  it('returns the fixture close apart from the other events, without marking the conversation as left', () => {
    const opened = mapConversationChange(upsert, emptyMeta(), NOW).meta;
    const r = mapConversationChange(del, opened, NOW);
    assert.equal(r.stale, false);
    assert.deepEqual(r.events, [], 'participants did not change');
    valid(r.closed);
    assert.equal(r.closed?.id, 'messaging:conv-1:state-closed-1700000020000');
    assert.ok(r.closed?.type === 'state' && r.closed.state === 'closed');
    assert.equal(r.left, false);
    assert.equal(r.meta.ts, 1_700_000_020_000);
  });

  it('is waiting while no agent is assigned, and open once one is', () => {
    const waiting = mapConversationChange(
      change('UPSERT', { state: 'OPEN', metaDataLastUpdateTs: 10, participants: { CONSUMER: ['c'] } }),
      emptyMeta(),
      NOW,
    );
    assert.deepEqual(summary(waiting.events), ['state waiting', 'joined consumer:c']);
    const open = mapConversationChange(
      change('UPSERT', {
        state: 'OPEN',
        metaDataLastUpdateTs: 20,
        participants: { CONSUMER: ['c'], ASSIGNED_AGENT: ['a'] },
      }),
      waiting.meta,
      NOW,
    );
    assert.deepEqual(summary(open.events), ['state open', 'joined agent:a']);
    assert.equal(open.meta.state, 'open');
  });

  it('reports participants who left before those who joined, and neither for an unchanged list', () => {
    const prev: ConversationMeta = {
      state: 'open',
      ts: 10,
      participants: ['ASSIGNED_AGENT|a1', 'CONSUMER|c'],
      typing: {},
    };
    const transfer = mapConversationChange(
      change('UPSERT', {
        state: 'OPEN',
        metaDataLastUpdateTs: 20,
        participants: { CONSUMER: ['c'], ASSIGNED_AGENT: ['a2'], MANAGER: ['m'] },
      }),
      prev,
      NOW,
    );
    transfer.events.forEach(valid);
    assert.deepEqual(summary(transfer.events), ['left agent:a1', 'joined agent:a2', 'joined manager:m']);
    assert.equal(transfer.events[0]?.id, 'messaging:c1:participant-left-ASSIGNED_AGENT-a1-20');
    const again = mapConversationChange(
      change('UPSERT', {
        state: 'OPEN',
        metaDataLastUpdateTs: 30,
        participants: { MANAGER: ['m'], ASSIGNED_AGENT: ['a2'], CONSUMER: ['c'] },
      }),
      transfer.meta,
      NOW,
    );
    assert.deepEqual(again.events, [], 'the same participants in another order change nothing');
  });

  it('keeps the known participants when a change does not list them', () => {
    const prev: ConversationMeta = { state: 'waiting', ts: 10, participants: ['CONSUMER|c'], typing: {} };
    const r = mapConversationChange(change('UPSERT', { state: 'OPEN', metaDataLastUpdateTs: 20 }), prev, NOW);
    assert.deepEqual(r.events, []);
    assert.deepEqual(r.meta.participants, ['CONSUMER|c']);
  });

  it('ignores a change older than one already applied, and applies an equal one without events', () => {
    const opened = mapConversationChange(upsert, emptyMeta(), NOW);
    const older = change('UPSERT', {
      state: 'CLOSE',
      metaDataLastUpdateTs: 1_700_000_004_999,
      participants: {},
    });
    const stale = mapConversationChange(older, opened.meta, NOW);
    assert.equal(stale.stale, true);
    assert.deepEqual(stale.events, []);
    assert.equal(stale.closed, undefined);
    assert.equal(stale.meta, opened.meta, 'the meta is returned untouched');
    const same = mapConversationChange(upsert, opened.meta, NOW);
    assert.equal(same.stale, false);
    assert.deepEqual(same.events, []);
  });

  it('treats a change without a timestamp as current, keyed by the caller’s time, keeping the last timestamp', () => {
    const prev: ConversationMeta = { ts: 50, participants: [], typing: {} };
    const r = mapConversationChange(change('UPSERT', { participants: { CONSUMER: ['c'] } }), prev, NOW);
    assert.equal(r.stale, false);
    assert.deepEqual(summary(r.events), ['state waiting', 'joined consumer:c']);
    assert.equal(r.events[0]?.id, `messaging:c1:state-waiting-${NOW}`);
    assert.equal(r.events[0]?.time, NOW_ISO);
    assert.equal(r.meta.ts, 50);
  });

  it('reads an UPSERT without details as an open conversation waiting for an agent', () => {
    const r = mapConversationChange(change('UPSERT', undefined), emptyMeta(), NOW);
    assert.deepEqual(summary(r.events), ['state waiting']);
  });

  it('marks a DELETE of a conversation that did not close as left, with no state event', () => {
    const prev: ConversationMeta = { state: 'open', ts: 10, participants: ['CONSUMER|c'], typing: {} };
    const noState = mapConversationChange(change('DELETE', { metaDataLastUpdateTs: 20 }), prev, NOW);
    assert.equal(noState.left, true);
    assert.deepEqual(noState.events, []);
    assert.equal(noState.closed, undefined);
    const stillOpen = mapConversationChange(
      change('DELETE', { state: 'OPEN', metaDataLastUpdateTs: 20 }),
      prev,
      NOW,
    );
    assert.equal(stillOpen.left, true);
    assert.equal(stillOpen.closed, undefined);
    assert.equal(stillOpen.meta.state, 'open');
  });

  it('does not repeat a state already emitted, and ignores an unknown wire state', () => {
    const prev: ConversationMeta = { state: 'open', ts: 10, participants: ['ASSIGNED_AGENT|a'], typing: {} };
    const same = mapConversationChange(
      change('UPSERT', { state: 'OPEN', metaDataLastUpdateTs: 20, participants: { ASSIGNED_AGENT: ['a'] } }),
      prev,
      NOW,
    );
    assert.deepEqual(same.events, []);
    const odd = mapConversationChange(
      change('UPSERT', {
        state: 'LOCKED',
        metaDataLastUpdateTs: 30,
        participants: { ASSIGNED_AGENT: ['a'] },
      }),
      prev,
      NOW,
    );
    assert.deepEqual(odd.events, []);
    assert.equal(odd.closed, undefined);
    assert.equal(odd.meta.state, 'open');
  });

  it('maps participants of an unknown wire role to system, keeping the wire role in the id', () => {
    const r = mapConversationChange(
      change('UPSERT', {
        state: 'OPEN',
        metaDataLastUpdateTs: 5,
        participants: { CONTROLLER: ['bot-1'], BOT: ['b'] },
      }),
      emptyMeta(),
      NOW,
    );
    r.events.forEach(valid);
    assert.deepEqual(summary(r.events), ['state waiting', 'joined system:b', 'joined system:bot-1']);
    assert.equal(r.events[1]?.id, 'messaging:c1:participant-joined-BOT-b-5');
  });

  it('maps a wire role named like an Object property (from JSON) to system, as a valid event', () => {
    const details = JSON.parse(
      '{"state":"OPEN","metaDataLastUpdateTs":5,"participants":{"constructor":["x"],"toString":["y"]}}',
    ) as Record<string, unknown>;
    const r = mapConversationChange(change('UPSERT', details), emptyMeta(), NOW);
    r.events.forEach(valid);
    assert.deepEqual(summary(r.events), ['state waiting', 'joined system:x', 'joined system:y']);
    const e = mapRecord(
      record({ type: 'ContentEvent', message: 'hi' }, { originatorMetadata: { role: 'constructor' } }),
    );
    valid(e);
    assert.ok(e?.type === 'message');
    assert.deepEqual(e.from, { role: 'system', id: 'cons-1' });
  });
});
