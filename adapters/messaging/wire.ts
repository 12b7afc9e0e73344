import * as t from 'io-ts';
import { refined } from '../../src/model/refine.js';

// Wire codecs are deliberately open (t.type, not strict): the platform adds fields freely, and
// an unknown extra field must never make a real message disappear.

/** A response to one of our requests, matched by `reqId` only (`type` is informational). */
export const ResponseFrameCodec = t.type(
  { kind: t.literal('resp'), reqId: t.string, code: t.number, body: t.unknown },
  'ResponseFrame',
);
export type ResponseFrame = t.TypeOf<typeof ResponseFrameCodec>;

/** A server push: subscription changes or one live messaging event. */
export const NotificationFrameCodec = t.type(
  { kind: t.literal('notification'), type: t.string, body: t.unknown },
  'NotificationFrame',
);
export type NotificationFrame = t.TypeOf<typeof NotificationFrameCodec>;

const OriginatorMetadataCodec = t.partial({ id: t.string, role: t.string });

const ContentEventCodec = t.intersection([
  t.type({ type: t.literal('ContentEvent'), message: t.union([t.string, t.UnknownRecord]) }),
  t.partial({ contentType: t.string }),
]);
const RichContentEventCodec = t.type({ type: t.literal('RichContentEvent'), content: t.UnknownRecord });
const AcceptStatusEventCodec = t.type({
  type: t.literal('AcceptStatusEvent'),
  status: t.string,
  sequenceList: t.array(t.number),
});
const ChatStateEventCodec = t.type({ type: t.literal('ChatStateEvent'), chatState: t.string });

/** The event types chatshift understands; others are skipped (their sequence still counts). */
export const KnownEventCodecs = {
  ContentEvent: ContentEventCodec,
  RichContentEvent: RichContentEventCodec,
  AcceptStatusEvent: AcceptStatusEventCodec,
  ChatStateEvent: ChatStateEventCodec,
} as const;

export type WireContentEvent = t.TypeOf<typeof ContentEventCodec>;
export type WireRichContentEvent = t.TypeOf<typeof RichContentEventCodec>;
export type WireAcceptStatusEvent = t.TypeOf<typeof AcceptStatusEventCodec>;
export type WireChatStateEvent = t.TypeOf<typeof ChatStateEventCodec>;
export type WireEvent = WireContentEvent | WireRichContentEvent | WireAcceptStatusEvent | WireChatStateEvent;

const SequenceCodec = t.refinement(t.number, (n) => Number.isSafeInteger(n) && n >= 0, 'Sequence');

/**
 * One messaging event record, as in `.ams.ms.OnlineEventDistribution` bodies and the
 * `.ams.ms.QueryMessages$Response` array. `event` is only checked to be an object with a `type`
 * here; {@link decodeWireEvent} validates the known types.
 */
export const EventRecordCodec = t.intersection(
  [
    t.type({ dialogId: t.string, event: t.type({ type: t.string }) }),
    t.partial({
      sequence: SequenceCodec,
      originatorId: t.string,
      originatorPId: t.string,
      originatorMetadata: OriginatorMetadataCodec,
      serverTimestamp: t.number,
    }),
  ],
  'EventRecord',
);
export type EventRecord = t.TypeOf<typeof EventRecordCodec>;

/**
 * `codec.decode(u)` for codecs that only check (every wire codec here: none converts a value, so
 * a valid input decodes to itself): a type guard answers the common valid case without
 * allocating, and `decode` runs only to report what is wrong. The guard is `codec.is` unless a
 * faster one is given.
 */
export function check<A>(
  codec: t.Type<A, unknown, unknown>,
  u: unknown,
  is: (u: unknown) => boolean = codec.is,
): t.Validation<A> {
  return is(u) ? t.success(u as A) : codec.decode(u);
}

// Hand-written guards for the live path: io-ts `is` on these intersections costs ~160 ns (record)
// and ~60 ns (event) per message, these a few ns. For every JSON value they answer exactly as the
// codecs' `is` do (property test in test/fuzz/decoders.test.ts); io-ts still reports the errors.
const isObject = (u: unknown): u is Record<string, unknown> =>
  typeof u === 'object' && u !== null && !Array.isArray(u);
const isString = (u: unknown): u is string => typeof u === 'string';
const optional = (v: unknown, is: (v: unknown) => boolean): boolean => v === undefined || is(v);

/** {@link EventRecordCodec}'s `is`, for JSON values. */
export function isEventRecord(u: unknown): u is EventRecord {
  if (!isObject(u) || typeof u['dialogId'] !== 'string') return false;
  const event = u['event'];
  if (!isObject(event) || typeof event['type'] !== 'string') return false;
  const seq = u['sequence'];
  if (seq !== undefined && !(typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 0)) return false;
  const meta = u['originatorMetadata'];
  return (
    optional(u['originatorId'], isString) &&
    optional(u['originatorPId'], isString) &&
    optional(u['serverTimestamp'], (v) => typeof v === 'number') &&
    optional(meta, (m) => isObject(m) && optional(m['id'], isString) && optional(m['role'], isString))
  );
}

/** The `is` of each of {@link KnownEventCodecs}, for JSON values. */
export const knownEventGuards: { [K in keyof typeof KnownEventCodecs]: (u: unknown) => boolean } = {
  ContentEvent: (u) =>
    isObject(u) &&
    u['type'] === 'ContentEvent' &&
    (typeof u['message'] === 'string' || isObject(u['message'])) &&
    optional(u['contentType'], isString),
  RichContentEvent: (u) => isObject(u) && u['type'] === 'RichContentEvent' && isObject(u['content']),
  AcceptStatusEvent: (u) =>
    isObject(u) &&
    u['type'] === 'AcceptStatusEvent' &&
    typeof u['status'] === 'string' &&
    Array.isArray(u['sequenceList']) &&
    u['sequenceList'].every((n) => typeof n === 'number'),
  ChatStateEvent: (u) => isObject(u) && u['type'] === 'ChatStateEvent' && typeof u['chatState'] === 'string',
};

/** The history answer: an array of event records. */
export const EventRecordListCodec = t.array(t.unknown, 'QueryMessagesBody');

/**
 * The live path's {@link decodeWireEvent}, without a result object: the event itself when its type
 * is known and it is valid, `undefined` for a type chatshift does not know, and the codec's errors
 * (an array) for an invalid event of a known type. Same verdicts: the guards answer as the codecs
 * do, and the codec reports what is wrong.
 */
export function validWireEvent(event: { type: string }): WireEvent | undefined | t.Errors {
  // A switch with each guard named, not `guards[event.type]`: reading a key with a string fresh
  // from JSON.parse costs a string-table lookup per event (~30 ns here, more than the guard), and
  // a wire type such as "constructor" must be unknown, not Object's own property. Each case calls
  // its guard by name: a variable key set to a literal per case measured slower still (~230 ns).
  let type: keyof typeof KnownEventCodecs;
  switch (event.type) {
    case 'ContentEvent':
      if (knownEventGuards.ContentEvent(event)) return event as WireEvent;
      type = 'ContentEvent';
      break;
    case 'RichContentEvent':
      if (knownEventGuards.RichContentEvent(event)) return event as WireEvent;
      type = 'RichContentEvent';
      break;
    case 'AcceptStatusEvent':
      if (knownEventGuards.AcceptStatusEvent(event)) return event as WireEvent;
      type = 'AcceptStatusEvent';
      break;
    case 'ChatStateEvent':
      if (knownEventGuards.ChatStateEvent(event)) return event as WireEvent;
      type = 'ChatStateEvent';
      break;
    default:
      return undefined;
  }
  const r = (KnownEventCodecs[type] as t.Type<WireEvent, unknown, unknown>).decode(event);
  return r._tag === 'Left' ? r.left : r.right;
}

/** Validates the `event` of a record against its known type; `undefined` type means unknown. */
export function decodeWireEvent(event: {
  type: string;
}): { known: false } | { known: true; result: t.Validation<WireEvent> } {
  // hasOwn: a wire type such as "constructor" must be unknown, not Object's own property.
  if (!Object.hasOwn(KnownEventCodecs, event.type)) return { known: false };
  const type = event.type as keyof typeof KnownEventCodecs;
  const codec = KnownEventCodecs[type] as t.Type<WireEvent, unknown, unknown>;
  return { known: true, result: check(codec, event, knownEventGuards[type]) };
}

const RoleMapCodec = t.record(t.string, t.array(t.string));

/** `conversationDetails` of an ExConversation change; only the fields chatshift reads are checked. */
export const ConversationDetailsCodec = t.partial({
  participants: RoleMapCodec,
  participantsPId: RoleMapCodec,
  state: t.string,
  startTs: t.number,
  endTs: t.number,
  metaDataLastUpdateTs: t.number,
  dialogs: t.array(t.partial({ dialogId: t.string, dialogType: t.string, state: t.string })),
});
export type ConversationDetails = t.TypeOf<typeof ConversationDetailsCodec>;

/** One `changes[]` entry of `.ams.aam.ExConversationChangeNotification`. */
export const ConversationChangeCodec = t.type(
  {
    type: t.keyof({ UPSERT: null, DELETE: null }),
    result: t.intersection([
      // An empty id names no conversation: the change is reported and skipped (fuzz seed -501902098).
      t.type({ convId: refined(t.string, (s) => s.length > 0, 'ConversationId') }),
      t.partial({ conversationDetails: ConversationDetailsCodec }),
    ]),
  },
  'ConversationChange',
);
export type ConversationChange = t.TypeOf<typeof ConversationChangeCodec>;

/** The body of an ExConversation change notification: changes are decoded one by one. */
export const ConversationChangesBodyCodec = t.type(
  { changes: t.array(t.unknown) },
  'ExConversationChangeNotification',
);

/** Notification types, in both the `.ams.*` dialect and the public spelling. */
export const notificationTypes = {
  conversationChange: new Set([
    '.ams.aam.ExConversationChangeNotification',
    'cqm.ExConversationChangeNotification',
  ]),
  onlineEvent: new Set(['.ams.ms.OnlineEventDistribution', 'ms.OnlineEventDistribution']),
} as const;

/**
 * Whether `type` is an online event notification ({@link notificationTypes}`.onlineEvent`), by
 * comparison: `Set#has` hashes the type string, fresh from JSON.parse for every frame (~60 ns
 * here against ~10 for two comparisons).
 */
export const isOnlineEventType = (type: string): boolean =>
  type === '.ams.ms.OnlineEventDistribution' || type === 'ms.OnlineEventDistribution';

/** Request types chatshift sends (the agent `.ams.*` dialect, as node-agent-sdk 1.2.0 does). */
export const requestTypes = {
  subscribeConversations: '.ams.aam.SubscribeExConversations',
  queryMessages: '.ams.ms.QueryMessages',
  getClock: '.GetClock',
} as const;
