import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as t from 'io-ts';
import {
  check,
  ConversationChangeCodec,
  ConversationChangesBodyCodec,
  decodeWireEvent,
  EventRecordCodec,
  isEventRecord,
  NotificationFrameCodec,
  isOnlineEventType,
  notificationTypes,
  requestTypes,
  ResponseFrameCodec,
} from '../../../adapters/messaging/wire.js';
import { formatValidationErrors } from '../../../src/model/decode.js';

// That the hand-written guards answer as the codecs' `is` do is a property test in
// test/fuzz/decoders.test.ts; this file covers the rest of the wire module.

const frames = readFileSync(new URL('./fixtures/messaging-frames.ndjson', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as unknown);

const errorsOf = <A>(v: t.Validation<A>): string[] =>
  v._tag === 'Left' ? formatValidationErrors(v.left) : [];

describe('messaging wire: frames of the protocol fixture', () => {
  it('decodes every fixture frame as a response or a notification', () => {
    for (const f of frames) {
      const ok = ResponseFrameCodec.is(f) || NotificationFrameCodec.is(f);
      assert.ok(ok, JSON.stringify(f));
    }
  });

  it('accepts every online event and conversation change of the fixture, extra fields and all', () => {
    let records = 0;
    let changes = 0;
    for (const f of frames as Array<{ type?: string; body?: unknown }>) {
      if (f.type !== undefined && notificationTypes.onlineEvent.has(f.type)) {
        assert.deepEqual(errorsOf(check(EventRecordCodec, f.body, isEventRecord)), []);
        const known = decodeWireEvent((f.body as { event: { type: string } }).event);
        assert.ok(known.known && known.result._tag === 'Right');
        records++;
      } else if (f.type !== undefined && notificationTypes.conversationChange.has(f.type)) {
        const body = ConversationChangesBodyCodec.decode(f.body);
        assert.ok(body._tag === 'Right');
        for (const c of body.right.changes) assert.deepEqual(errorsOf(ConversationChangeCodec.decode(c)), []);
        changes += body.right.changes.length;
      }
    }
    assert.ok(records >= 5 && changes >= 2, `${records} records, ${changes} changes`);
  });
});

describe('messaging wire: notification and request types', () => {
  it('knows the conversation change and online event notifications in both dialects', () => {
    assert.deepEqual(
      [...notificationTypes.conversationChange].sort(),
      ['.ams.aam.ExConversationChangeNotification', 'cqm.ExConversationChangeNotification'].sort(),
    );
    assert.deepEqual(
      [...notificationTypes.onlineEvent].sort(),
      ['.ams.ms.OnlineEventDistribution', 'ms.OnlineEventDistribution'].sort(),
    );
  });

  it("isOnlineEventType (the router's comparison) answers as the onlineEvent set", () => {
    const candidates = [
      ...notificationTypes.onlineEvent,
      ...notificationTypes.conversationChange,
      '.ams.routing.RoutingTaskNotification',
      '.ams.ms.onlineeventdistribution',
      'ms.OnlineEventDistribution ',
      '.ams.ms.OnlineEventDistributio',
      'OnlineEventDistribution',
      '',
    ];
    for (const type of candidates)
      assert.equal(isOnlineEventType(type), notificationTypes.onlineEvent.has(type), type);
  });

  it('keeps the two notification sets apart and leaves other notifications of the fixture out', () => {
    for (const type of notificationTypes.onlineEvent)
      assert.equal(notificationTypes.conversationChange.has(type), false);
    assert.equal(notificationTypes.onlineEvent.has('.ams.routing.RoutingTaskNotification'), false);
    assert.equal(notificationTypes.conversationChange.has('.ams.routing.RoutingTaskNotification'), false);
    assert.equal(
      notificationTypes.onlineEvent.has('.ams.ms.onlineeventdistribution'),
      false,
      'case-sensitive',
    );
  });

  it('sends requests in the agent .ams dialect', () => {
    assert.deepEqual(requestTypes, {
      subscribeConversations: '.ams.aam.SubscribeExConversations',
      queryMessages: '.ams.ms.QueryMessages',
      getClock: '.GetClock',
    });
  });
});

describe('messaging wire: check()', () => {
  const Point = t.type({ x: t.number }, 'Point');

  it('answers a valid value with that same value, without decoding it again', () => {
    const u = { x: 1, extra: 'kept' };
    const r = check(Point, u);
    assert.ok(r._tag === 'Right');
    assert.equal(r.right, u, 'the same object, not a copy');
  });

  it('falls back to the codec to report what is wrong with an invalid value, with its path', () => {
    const r = check(Point, { x: 'one' });
    assert.equal(r._tag, 'Left');
    assert.match(errorsOf(r).join('\n'), /x/);
  });

  it('trusts a faster guard it is given, and still decodes when that guard says no', () => {
    const yes = check(Point, { x: 'one' }, () => true);
    assert.equal(yes._tag, 'Right', 'a guard that says yes is believed: it must equal the codec');
    const no = check(Point, { x: 1 }, () => false);
    assert.ok(no._tag === 'Right', 'a guard that says no only costs a decode');
    assert.deepEqual(no.right, { x: 1 });
  });

  it('reports an invalid record with the path of its bad field', () => {
    const r = check(
      EventRecordCodec,
      { dialogId: 'c1', sequence: -1, event: { type: 'ContentEvent' } },
      isEventRecord,
    );
    assert.equal(r._tag, 'Left');
    assert.match(errorsOf(r).join('\n'), /sequence/);
  });
});

/** An event as it comes off the wire: an object with a type, and whatever else. */
const wireEvent = (u: { type: string } & Record<string, unknown>): { type: string } => u;

describe('messaging wire: event records and events', () => {
  const base = { dialogId: 'c1', event: { type: 'ContentEvent', message: 'hi' } };

  it('accepts a record whose sequence is 0, and rejects a negative, fractional or unsafe one', () => {
    assert.equal(EventRecordCodec.is({ ...base, sequence: 0 }), true);
    assert.equal(EventRecordCodec.is(base), true, 'a record without a sequence (typing) is valid');
    for (const sequence of [-1, 1.5, 2 ** 53, Number.NaN, '3'])
      assert.equal(EventRecordCodec.is({ ...base, sequence }), false, String(sequence));
  });

  it('treats event types chatshift does not know as unknown, including Object property names', () => {
    for (const type of [
      'AccessEvent',
      'contentevent',
      'constructor',
      'toString',
      '__proto__',
      'hasOwnProperty',
    ])
      assert.deepEqual(decodeWireEvent({ type }), { known: false }, type);
  });

  it('validates a known event type and reports what is missing', () => {
    const ok = decodeWireEvent(wireEvent({ type: 'ChatStateEvent', chatState: 'COMPOSING' }));
    assert.ok(ok.known && ok.result._tag === 'Right');
    const bad = decodeWireEvent(wireEvent({ type: 'AcceptStatusEvent', status: 'READ' }));
    assert.ok(bad.known && bad.result._tag === 'Left');
    assert.match(errorsOf(bad.result).join('\n'), /sequenceList/);
    const file = decodeWireEvent(
      wireEvent({ type: 'ContentEvent', message: { uri: 'x' }, contentType: 'hosted/file' }),
    );
    assert.ok(file.known && file.result._tag === 'Right', 'an object message (a file) is valid');
  });
});

describe('messaging wire: conversation changes', () => {
  it('accepts only UPSERT and DELETE changes with a conversation id', () => {
    assert.equal(ConversationChangeCodec.is({ type: 'UPSERT', result: { convId: 'c1' } }), true);
    assert.equal(ConversationChangeCodec.is({ type: 'DELETE', result: { convId: 'c1' } }), true);
    assert.equal(ConversationChangeCodec.is({ type: 'PATCH', result: { convId: 'c1' } }), false);
    assert.equal(ConversationChangeCodec.is({ type: 'UPSERT', result: {} }), false);
    assert.equal(ConversationChangeCodec.is({ type: 'toString', result: { convId: 'c1' } }), false);
  });

  it('rejects details whose participants are not lists of ids by role', () => {
    const change = (participants: unknown) => ({
      type: 'UPSERT',
      result: { convId: 'c1', conversationDetails: { participants } },
    });
    assert.equal(ConversationChangeCodec.is(change({ CONSUMER: ['c'] })), true);
    assert.equal(ConversationChangeCodec.is(change({ CONSUMER: 'c' })), false);
    assert.equal(ConversationChangeCodec.is(change({ CONSUMER: [1] })), false);
  });

  it('needs a changes list in a change notification body, whatever its entries', () => {
    assert.equal(ConversationChangesBodyCodec.is({ changes: [1, 'x', null] }), true);
    assert.equal(ConversationChangesBodyCodec.is({ changes: {} }), false);
    assert.equal(ConversationChangesBodyCodec.is({}), false);
  });
});

describe('messaging wire: response and notification envelopes', () => {
  it('needs kind, reqId and a numeric code in a response, and kind and type in a notification', () => {
    assert.equal(ResponseFrameCodec.is({ kind: 'resp', reqId: 'r', code: 200, body: null }), true);
    assert.equal(ResponseFrameCodec.is({ kind: 'resp', reqId: 1, code: 200, body: null }), false);
    assert.equal(ResponseFrameCodec.is({ kind: 'resp', reqId: 'r', code: '200', body: null }), false);
    assert.equal(ResponseFrameCodec.is({ kind: 'notification', reqId: 'r', code: 200, body: null }), false);
    assert.equal(NotificationFrameCodec.is({ kind: 'notification', type: 'x', body: {} }), true);
    assert.equal(NotificationFrameCodec.is({ kind: 'notification', body: {} }), false);
  });
});
