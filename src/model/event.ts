import * as t from 'io-ts';
import { ParticipantCodec } from './participant.js';
import { refined } from './refine.js';
import { strictObject } from './strict.js';
import { IsoTimeCodec } from './time.js';
import type { ChatMessageEvent, ConversationEvent, ConversationEventType } from './event-types.js';

export type {
  ChatMessageEvent,
  ConversationEvent,
  ConversationEventBase,
  ConversationEventType,
  EventOfType,
  ParticipantEvent,
  ReceiptEvent,
  StateEvent,
  TypingEvent,
} from './event-types.js';

/** @deprecated Renamed {@link ChatMessageEvent}: `MessageEvent` collides with the DOM/Node global. */
export type MessageEvent = ChatMessageEvent;

const NonEmptyString = refined(t.string, (s) => s.length > 0, 'NonEmptyString');

/** A backend sequence number: a non-negative safe integer. */
export const SeqCodec = refined(t.number, (n) => Number.isSafeInteger(n) && n >= 0, 'Seq');

export const BackendIdCodec = t.keyof({ 'legacy-chat': null, messaging: null }, 'BackendId');
/** The backend an event came from. */
export type BackendId = t.TypeOf<typeof BackendIdCodec>;

// Fields every event carries; each event codec adds its own and its `type` literal.
const common = {
  id: NonEmptyString,
  backend: BackendIdCodec,
  conversationId: NonEmptyString,
  time: IsoTimeCodec,
} as const;
// `dialogId`: messaging only, set on events of a non-main dialog (a survey, a bot dialog).
const commonOptional = { seq: SeqCodec, dialogId: NonEmptyString } as const;

export const MessageEventCodec = strictObject(
  'MessageEvent',
  {
    ...common,
    type: t.literal('message'),
    from: ParticipantCodec,
    text: t.string,
    format: t.keyof({ plain: null, html: null, rich: null }),
  },
  {
    ...commonOptional,
    content: t.unknown,
    systemCode: t.string,
    // 'agents': private content the consumer never sees (legacy ONLY_TO_REP, messaging AGENTS_AND_MANAGERS).
    audience: t.keyof({ all: null, agents: null }),
    // The sender's idempotency key, read back from the wire (messaging ExternalId metadata).
    clientMessageId: NonEmptyString,
  },
);

export const StateEventCodec = strictObject(
  'StateEvent',
  { ...common, type: t.literal('state'), state: t.keyof({ waiting: null, open: null, closed: null }) },
  commonOptional,
);

export const TypingEventCodec = strictObject(
  'TypingEvent',
  { ...common, type: t.literal('typing'), participant: ParticipantCodec, typing: t.boolean },
  commonOptional,
);

export const ParticipantEventCodec = strictObject(
  'ParticipantEvent',
  {
    ...common,
    type: t.literal('participant'),
    action: t.keyof({ joined: null, left: null }),
    participant: ParticipantCodec,
  },
  commonOptional,
);

export const ReceiptEventCodec = strictObject(
  'ReceiptEvent',
  {
    ...common,
    type: t.literal('receipt'),
    status: t.keyof({ accepted: null, read: null }),
    seqs: t.readonlyArray(SeqCodec),
    participant: ParticipantCodec,
  },
  commonOptional,
);

const byType = {
  message: MessageEventCodec,
  state: StateEventCodec,
  typing: TypingEventCodec,
  participant: ParticipantEventCodec,
  receipt: ReceiptEventCodec,
} as const;

/** The discriminant values of {@link ConversationEvent}, in a stable order. */
export const conversationEventTypes = Object.keys(byType) as Array<keyof typeof byType>;

const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/**
 * The io-ts codec of {@link ConversationEvent}. It dispatches on `type` before validating, so an
 * invalid event is reported against the one codec it claims to be (`message/from/role`), not
 * against all five members of the union.
 */
export const ConversationEventCodec = new t.Type<ConversationEvent, ConversationEvent, unknown>(
  'ConversationEvent',
  (u): u is ConversationEvent => {
    const codec = codecFor(u);
    return codec !== undefined && codec.is(u);
  },
  (u, c) => {
    if (typeof u !== 'object' || u === null || Array.isArray(u)) return t.failure(u, c, 'expected an object');
    const tag = (u as Record<string, unknown>)['type'];
    const codec = codecFor(u);
    if (codec === undefined) {
      return t.failure(tag, t.appendContext(c, 'type', t.keyof(byType), tag), `unknown event type`);
    }
    return codec.validate(u, t.appendContext(c, String(tag), codec, u)) as t.Validation<ConversationEvent>;
  },
  (e) => (codecFor(e) as t.Type<ConversationEvent, ConversationEvent, unknown>).encode(e),
);

function codecFor(u: unknown): t.Type<ConversationEvent, unknown, unknown> | undefined {
  if (typeof u !== 'object' || u === null) return undefined;
  const tag = (u as Record<string, unknown>)['type'];
  if (typeof tag !== 'string' || !hasOwn(byType, tag)) return undefined;
  return byType[tag as ConversationEventType] as unknown as t.Type<ConversationEvent, unknown, unknown>;
}
