import * as t from 'io-ts';
import { toIsoUtc, type IsoTime } from '../../src/model/time.js';

// Wire codecs of the legacy Chat Agent API. They read both renderings the API has (protocol page
// §4.1): the hand-written doc examples (plain keys, numbers, arrays) and the real XML->JSON wire
// (`@id`/`@type`, numbers as strings, one-element collections collapsed to a bare object, missing
// collections). Output objects are built from known fields only, so a `__proto__` key on the wire
// can never reach a prototype.

const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** Unwraps the defensive `{"$": v}` text-node form (never observed, cheap to accept). */
function unText(u: unknown): unknown {
  if (typeof u === 'object' && u !== null && !Array.isArray(u) && hasOwn(u, '$')) {
    return (u as Record<string, unknown>)['$'];
  }
  return u;
}

/** What a converter returns for an input its codec rejects. */
export const INVALID: unique symbol = Symbol('invalid');
/**
 * A codec's `validate` without the result object: the decoded value, or {@link INVALID}. Every
 * codec here is built on its converter (`validate` wraps it and only adds the error message), so
 * the two answer alike by construction; the live path calls converters, error reports call
 * `validate`.
 */
export type Converter<A> = (u: unknown) => A | typeof INVALID;

const converters = new WeakMap<t.Mixed, Converter<unknown>>();
const ROOT: t.Context = [{ key: '', type: t.unknown, actual: undefined }];

/** The converter of `codec`: its own, or one over its `validate` (for io-ts combinators). */
export function converterOf<A>(codec: t.Type<A, unknown, unknown>): Converter<A> {
  const own = converters.get(codec as t.Mixed);
  if (own !== undefined) return own as Converter<A>;
  return (u) => {
    const r = codec.validate(u, ROOT);
    return r._tag === 'Right' ? r.right : INVALID;
  };
}

/**
 * Replaces the converter of a codec built here with an equivalent written out by hand (the codec's
 * `validate` keeps the one it was built with; the fuzz suite checks that the two answer alike).
 */
function registerConverter<A>(codec: t.Type<A, unknown, unknown>, convert: Converter<A>): void {
  converters.set(codec as t.Mixed, convert as Converter<unknown>);
}

/** A codec from its guard, its converter and the message of a failure. */
function converted<A, O>(
  name: string,
  is: (u: unknown) => u is A,
  convert: Converter<A>,
  message: (u: unknown) => string,
  encode: (a: A) => O,
): t.Type<A, O, unknown> {
  const codec = new t.Type<A, O, unknown>(
    name,
    is,
    (u, c) => {
      const v = convert(u);
      return v === INVALID ? t.failure(u, c, message(u)) : t.success(v);
    },
    encode,
  );
  converters.set(codec as t.Mixed, convert as Converter<unknown>);
  return codec;
}

const INT_TEXT = /^-?\d{1,16}$/;
const intOf: Converter<number> = (u) => {
  const v = unText(u);
  if (typeof v === 'string') {
    // The wire's ids are short digit strings ("@id":"12"): read those without the expression.
    const small = smallDigits(v);
    if (small >= 0) return small;
  }
  const n = typeof v === 'number' ? v : typeof v === 'string' && INT_TEXT.test(v.trim()) ? Number(v) : NaN;
  return Number.isSafeInteger(n) ? n : INVALID;
};

/** The value of 1–9 ASCII digits and nothing else; -1 for any other text. */
function smallDigits(s: string): number {
  const n = s.length;
  if (n === 0 || n > 9) return -1;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const d = s.charCodeAt(i) - 48;
    if (!(d >= 0 && d <= 9)) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** An integer sent as a JSON number or as a numeric string. */
export const WireInt = converted<number, number>(
  'WireInt',
  (u): u is number => typeof u === 'number' && Number.isSafeInteger(u),
  intOf,
  () => 'expected an integer or a numeric string',
  (n) => n,
);

/**
 * Highest legacy event id accepted. Ids count one chat's events from 0; one far out of range
 * (2^53−1, say) would put the cursor where no later event can pass it, so such an event is
 * rejected (reported and skipped) instead.
 */
export const MAX_EVENT_ID = 2 ** 31 - 1;

/** An event id: an integer in [0, {@link MAX_EVENT_ID}]. */
export const WireEventId = converted<number, number>(
  'WireEventId',
  (u): u is number => typeof u === 'number' && Number.isInteger(u) && u >= 0 && u <= MAX_EVENT_ID,
  (u) => {
    const n = intOf(u);
    return n !== INVALID && n >= 0 && n <= MAX_EVENT_ID ? n : INVALID;
  },
  (u) =>
    intOf(u) === INVALID
      ? 'expected an integer or a numeric string'
      : `expected an event id from 0 to ${MAX_EVENT_ID}`,
  (n) => n,
);

const stringOf: Converter<string> = (u) => {
  const v = unText(u);
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return INVALID;
};

/** A string leaf; numbers are accepted and stringified (ids and `systemMessageId` come both ways). */
export const WireString = converted<string, string>(
  'WireString',
  (u): u is string => typeof u === 'string',
  stringOf,
  () => 'expected a string or a number',
  (s) => s,
);

/** An ISO-8601 time with offset, converted to canonical UTC in the same step. */
export const WireTime = converted<IsoTime, string>(
  'WireTime',
  (u): u is IsoTime => typeof u === 'string' && toIsoUtc(u) === u,
  (u) => {
    const v = unText(u);
    return (typeof v === 'string' ? toIsoUtc(v) : undefined) ?? INVALID;
  },
  () => 'expected an ISO-8601 time with offset',
  (s) => s,
);

/** A string from a closed set (after `$` unwrapping). */
function wireEnum<K extends string>(name: string, values: readonly K[]): t.Type<K, string, unknown> {
  const known = new Set<string>(values);
  return converted<K, string>(
    name,
    (u): u is K => typeof u === 'string' && known.has(u),
    (u) => {
      const v = unText(u);
      return typeof v === 'string' && known.has(v) ? (v as K) : INVALID;
    },
    () => `expected one of ${values.join(', ')}`,
    (k) => k,
  );
}

/**
 * A collection that may be an array, a bare object (one element) or absent (none). Elements stay
 * `unknown`: callers decode them one by one so one bad element is reported with its own index.
 */
export const WireList = converted<unknown[], unknown[]>(
  'WireList',
  (u): u is unknown[] => Array.isArray(u),
  (u) => {
    if (u === undefined || u === null || u === '') return [];
    if (Array.isArray(u)) return u;
    if (typeof u === 'object') return [u];
    return INVALID;
  },
  () => 'expected an array, an object or nothing',
  (a) => a,
);

type Props = Record<string, t.Mixed>;
type Out<R extends Props, O extends Props> = { [K in keyof R]: t.TypeOf<R[K]> } & {
  [K in keyof O]?: t.TypeOf<O[K]>;
};

interface Field {
  key: string;
  at: string;
  codec: t.Mixed;
  convert: Converter<unknown>;
  isRequired: boolean;
}

/**
 * An object codec that reads each field from `@name` first, then `name` (attribute or element),
 * ignores unknown fields (the wire has many), and treats a `null` optional field as absent.
 */
export function wireObject<R extends Props, O extends Props = Record<never, never>>(
  name: string,
  required: R,
  optional?: O,
): t.Type<Out<R, O>, unknown, unknown> {
  // Field table built once. The valid case runs each field's converter (no result object, no
  // closure, no context); only a failing object is walked again with `validate` for the errors
  // and their paths (codecs are pure, and validate answers as the converter does).
  const field = (key: string, codec: t.Mixed, isRequired: boolean): Field => ({
    key,
    at: `@${key}`,
    codec,
    convert: converterOf(codec as t.Type<unknown, unknown, unknown>),
    isRequired,
  });
  const fields = [
    ...Object.entries(required).map(([key, codec]) => field(key, codec, true)),
    ...Object.entries(optional ?? {}).map(([key, codec]) => field(key, codec, false)),
  ];
  const convert: Converter<Out<R, O>> = (u) => {
    if (typeof u !== 'object' || u === null || Array.isArray(u)) return INVALID;
    const input = u as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i] as Field;
      const wireKey = hasOwn(input, f.at) ? f.at : f.key;
      const present = hasOwn(input, wireKey) && input[wireKey] !== null;
      if (!present && !f.isRequired) continue;
      const v = f.convert(present ? input[wireKey] : undefined);
      if (v === INVALID) return INVALID;
      out[f.key] = v;
    }
    return out as Out<R, O>;
  };
  const errorsOf = (u: unknown, c: t.Context): t.Errors => {
    if (typeof u !== 'object' || u === null || Array.isArray(u))
      return [{ value: u, context: c, message: `${name}: expected an object` }];
    const input = u as Record<string, unknown>;
    const errors: t.ValidationError[] = [];
    for (const f of fields) {
      const wireKey = hasOwn(input, f.at) ? f.at : f.key;
      const present = hasOwn(input, wireKey) && input[wireKey] !== null;
      if (!present && !f.isRequired) continue;
      const value = present ? input[wireKey] : undefined;
      if (f.convert(value) !== INVALID) continue;
      const e = f.codec.validate(value, t.appendContext(c, wireKey, f.codec, value));
      if (e._tag === 'Left') errors.push(...e.left);
    }
    return errors;
  };
  const codec = new t.Type<Out<R, O>, unknown, unknown>(
    name,
    (u): u is Out<R, O> => convert(u) !== INVALID,
    (u, c) => {
      const v = convert(u);
      return v !== INVALID ? t.success(v) : t.failures(errorsOf(u, c));
    },
    (a) => a,
  );
  converters.set(codec as t.Mixed, convert as Converter<unknown>);
  return codec;
}

const LineSource = wireEnum('LineSource', ['visitor', 'agent', 'system'] as const);
// `rich-content` and `json` (structured content in `json`) occur in production (L4); others
// (e.g. `url`) make the line invalid: reported and skipped by the decoder.
const TextType = wireEnum('TextType', ['plain', 'html', 'rich-content', 'json'] as const);
const ChatState = wireEnum('ChatState', ['waiting', 'chatting', 'ended'] as const);

/** Every event carries an id and a type; the rest depends on the type. */
export const WireEventHead = wireObject('WireEventHead', { id: WireEventId, type: WireString });

export const WireLineEvent = wireObject(
  'WireLineEvent',
  {
    id: WireEventId,
    time: WireTime,
    source: LineSource,
  },
  {
    text: WireString,
    textType: TextType,
    by: WireString,
    systemMessageId: WireString,
    subType: WireString,
    json: t.unknown,
  },
);
export type WireLineEvent = t.TypeOf<typeof WireLineEvent>;

export const WireStateEvent = wireObject('WireStateEvent', {
  id: WireEventId,
  time: WireTime,
  state: ChatState,
});
export type WireStateEvent = t.TypeOf<typeof WireStateEvent>;

// The per-event converters, written out: the same fields, order, readings and verdicts as the
// `wireObject` converters above (the fuzz suite compares them, key order included), with each
// field read by its literal names instead of from a field table. On the poll path the table's
// variable keys and per-field calls cost about 1 µs per line event (bench/profile.ts --what legacy).

/** What {@link read} returns for a field that is missing or null. */
const ABSENT: unique symbol = Symbol('absent');
/** A field as `wireObject` reads it: `@key` if the object has it, else `key`; absent if missing or null. */
function read(input: Record<string, unknown>, at: string, key: string): unknown {
  // Two branches, each reading one literal name: one key chosen at run time would be a keyed read.
  let v: unknown;
  if (hasOwn(input, at)) v = input[at];
  else if (hasOwn(input, key)) v = input[key];
  else return ABSENT;
  return v === null ? ABSENT : v;
}

const eventIdOf = converterOf(WireEventId);
const stringOfField = converterOf(WireString);
const timeOf = converterOf(WireTime);
const sourceOf = converterOf(LineSource);
const textTypeOf = converterOf(TextType);
const stateOfField = converterOf(ChatState);
const isRecord = (u: unknown): u is Record<string, unknown> =>
  typeof u === 'object' && u !== null && !Array.isArray(u);

/** A required field converted; {@link INVALID} when missing or rejected. */
function required<A>(
  input: Record<string, unknown>,
  at: string,
  key: string,
  convert: Converter<A>,
): A | typeof INVALID {
  const v = read(input, at, key);
  return convert(v === ABSENT ? undefined : v);
}

/** An optional field converted; {@link ABSENT} when missing or null, {@link INVALID} when rejected. */
function optional<A>(
  input: Record<string, unknown>,
  at: string,
  key: string,
  convert: Converter<A>,
): A | typeof ABSENT | typeof INVALID {
  const v = read(input, at, key);
  return v === ABSENT ? ABSENT : convert(v);
}

registerConverter(WireEventHead, (u) => {
  if (!isRecord(u)) return INVALID;
  const id = required(u, '@id', 'id', eventIdOf);
  if (id === INVALID) return INVALID;
  const type = required(u, '@type', 'type', stringOfField);
  if (type === INVALID) return INVALID;
  return { id, type };
});

registerConverter(WireLineEvent, (u) => {
  if (!isRecord(u)) return INVALID;
  const id = required(u, '@id', 'id', eventIdOf);
  if (id === INVALID) return INVALID;
  const time = required(u, '@time', 'time', timeOf);
  if (time === INVALID) return INVALID;
  const source = required(u, '@source', 'source', sourceOf);
  if (source === INVALID) return INVALID;
  const out: WireLineEvent = { id, time, source };
  const text = optional(u, '@text', 'text', stringOfField);
  if (text === INVALID) return INVALID;
  if (text !== ABSENT) out.text = text;
  const textType = optional(u, '@textType', 'textType', textTypeOf);
  if (textType === INVALID) return INVALID;
  if (textType !== ABSENT) out.textType = textType;
  const by = optional(u, '@by', 'by', stringOfField);
  if (by === INVALID) return INVALID;
  if (by !== ABSENT) out.by = by;
  const systemMessageId = optional(u, '@systemMessageId', 'systemMessageId', stringOfField);
  if (systemMessageId === INVALID) return INVALID;
  if (systemMessageId !== ABSENT) out.systemMessageId = systemMessageId;
  const subType = optional(u, '@subType', 'subType', stringOfField);
  if (subType === INVALID) return INVALID;
  if (subType !== ABSENT) out.subType = subType;
  const json = read(u, '@json', 'json');
  if (json !== ABSENT) out.json = json;
  return out;
});

registerConverter(WireStateEvent, (u) => {
  if (!isRecord(u)) return INVALID;
  const id = required(u, '@id', 'id', eventIdOf);
  if (id === INVALID) return INVALID;
  const time = required(u, '@time', 'time', timeOf);
  if (time === INVALID) return INVALID;
  const state = required(u, '@state', 'state', stateOfField);
  if (state === INVALID) return INVALID;
  return { id, time, state };
});

const TypingFlag = wireEnum('TypingFlag', ['typing', 'not-typing'] as const);

/** A chat session key: a non-empty string (an empty one cannot name a conversation; found by the fuzzer). */
const WireChatKey = converted<string, string>(
  'ChatSessionKey',
  (u): u is string => typeof u === 'string' && u.length > 0,
  (u) => {
    const v = stringOf(u);
    return v === INVALID || v.length === 0 ? INVALID : v;
  },
  (u) => (stringOf(u) === INVALID ? 'expected a string or a number' : 'expected a non-empty key'),
  (s) => s,
);

export const WireInfo = wireObject(
  'WireInfo',
  { chatSessionKey: WireChatKey },
  {
    state: ChatState,
    agentName: WireString,
    agentId: WireString,
    visitorTyping: TypingFlag,
    agentTyping: TypingFlag,
    lastUpdate: WireTime,
    /** Seconds within which the chat must be touched or it times out (L6). */
    chatTimeout: WireInt,
  },
);
export type WireInfo = t.TypeOf<typeof WireInfo>;

/** Only the key of an info, to name a chat whose info is otherwise invalid. */
export const WireInfoKey = wireObject('WireInfoKey', { chatSessionKey: WireChatKey });

/** One element of `chats.chat`: its info, its raw events, or an error inside a 2xx. */
export const WireChat = wireObject(
  'WireChat',
  {},
  {
    info: WireInfo,
    events: wireObject('WireEvents', {}, { event: WireList }),
    error: t.unknown,
  },
);

/** The multi-chat response: `chats.chat` as a list (an empty `chats` is no chats). */
export const WireMultiChat = wireObject(
  'WireMultiChat',
  {},
  {
    chats: t.union([wireObject('WireChats', {}, { chat: WireList }), t.literal('')]),
    error: t.unknown,
  },
);

const WireLink = wireObject('WireLink', { href: WireString }, { rel: WireString });

export const WireIncoming = wireObject('WireIncoming', {
  incomingRequests: wireObject(
    'WireIncomingRequests',
    { ringingCount: WireInt },
    { link: t.union([WireLink, t.array(WireLink)]) },
  ),
});

export const WireChatLocation = wireObject('WireChatLocation', {
  chatLocation: wireObject('WireLocation', { link: t.union([WireLink, t.array(WireLink)]) }),
});

/** The answer of `POST /api/account/{a}/agentSession` (legacy-chat-api.md §3.1). */
export const WireAgentSessionLocation = wireObject('WireAgentSessionLocation', {
  agentSessionLocation: wireObject('WireLocation', { link: t.union([WireLink, t.array(WireLink)]) }),
});

/** `GET {agent-session}/chatSessions` (§3.11): `chatSession` one object, an array, or absent. */
export const WireChatSessions = wireObject('WireChatSessions', {
  chatSessions: wireObject('WireChatSessionList', {}, { chatSession: WireList }),
});

/** One element of `chatSessions.chatSession`. */
export const WireChatSessionEntry = wireObject('WireChatSessionEntry', { chatSessionKey: WireChatKey });
