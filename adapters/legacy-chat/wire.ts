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

/** An integer sent as a JSON number or as a numeric string. */
export const WireInt = new t.Type<number, number, unknown>(
  'WireInt',
  (u): u is number => typeof u === 'number' && Number.isSafeInteger(u),
  (u, c) => {
    const v = unText(u);
    const n =
      typeof v === 'number' ? v : typeof v === 'string' && /^-?\d{1,16}$/.test(v.trim()) ? Number(v) : NaN;
    return Number.isSafeInteger(n)
      ? t.success(n)
      : t.failure(u, c, 'expected an integer or a numeric string');
  },
  (n) => n,
);

/**
 * Highest legacy event id accepted. Ids count one chat's events from 0; one far out of range
 * (2^53−1, say) would put the cursor where no later event can pass it, so such an event is
 * rejected (reported and skipped) instead.
 */
export const MAX_EVENT_ID = 2 ** 31 - 1;

/** An event id: an integer in [0, {@link MAX_EVENT_ID}]. */
export const WireEventId = new t.Type<number, number, unknown>(
  'WireEventId',
  (u): u is number => typeof u === 'number' && Number.isInteger(u) && u >= 0 && u <= MAX_EVENT_ID,
  (u, c) => {
    const r = WireInt.validate(u, c);
    if (r._tag === 'Left') return r;
    return r.right >= 0 && r.right <= MAX_EVENT_ID
      ? r
      : t.failure(u, c, `expected an event id from 0 to ${MAX_EVENT_ID}`);
  },
  (n) => n,
);

/** A string leaf; numbers are accepted and stringified (ids and `systemMessageId` come both ways). */
export const WireString = new t.Type<string, string, unknown>(
  'WireString',
  (u): u is string => typeof u === 'string',
  (u, c) => {
    const v = unText(u);
    if (typeof v === 'string') return t.success(v);
    if (typeof v === 'number' && Number.isFinite(v)) return t.success(String(v));
    return t.failure(u, c, 'expected a string or a number');
  },
  (s) => s,
);

/** An ISO-8601 time with offset, converted to canonical UTC in the same step. */
export const WireTime = new t.Type<IsoTime, string, unknown>(
  'WireTime',
  (u): u is IsoTime => typeof u === 'string' && toIsoUtc(u) === u,
  (u, c) => {
    const v = unText(u);
    const iso = typeof v === 'string' ? toIsoUtc(v) : undefined;
    return iso === undefined ? t.failure(u, c, 'expected an ISO-8601 time with offset') : t.success(iso);
  },
  (s) => s,
);

/** A string from a closed set (after `$` unwrapping). */
function wireEnum<K extends string>(name: string, values: readonly K[]): t.Type<K, string, unknown> {
  return new t.Type<K, string, unknown>(
    name,
    (u): u is K => typeof u === 'string' && (values as readonly string[]).includes(u),
    (u, c) => {
      const v = unText(u);
      return typeof v === 'string' && (values as readonly string[]).includes(v)
        ? t.success(v as K)
        : t.failure(u, c, `expected one of ${values.join(', ')}`);
    },
    (k) => k,
  );
}

/**
 * A collection that may be an array, a bare object (one element) or absent (none). Elements stay
 * `unknown`: callers decode them one by one so one bad element is reported with its own index.
 */
export const WireList = new t.Type<unknown[], unknown[], unknown>(
  'WireList',
  (u): u is unknown[] => Array.isArray(u),
  (u, c) => {
    if (u === undefined || u === null || u === '') return t.success([]);
    if (Array.isArray(u)) return t.success(u);
    if (typeof u === 'object') return t.success([u]);
    return t.failure(u, c, 'expected an array, an object or nothing');
  },
  (a) => a,
);

type Props = Record<string, t.Mixed>;
type Out<R extends Props, O extends Props> = { [K in keyof R]: t.TypeOf<R[K]> } & {
  [K in keyof O]?: t.TypeOf<O[K]>;
};

/**
 * An object codec that reads each field from `@name` first, then `name` (attribute or element),
 * ignores unknown fields (the wire has many), and treats a `null` optional field as absent.
 */
export function wireObject<R extends Props, O extends Props = Record<never, never>>(
  name: string,
  required: R,
  optional?: O,
): t.Type<Out<R, O>, unknown, unknown> {
  // Field table built once; the per-object loop allocates no closures and builds a field's error
  // context only when the field fails (codecs are pure, so validating again for the path is safe).
  const fields = [
    ...Object.entries(required).map(([key, codec]) => ({ key, at: `@${key}`, codec, isRequired: true })),
    ...Object.entries(optional ?? {}).map(([key, codec]) => ({
      key,
      at: `@${key}`,
      codec,
      isRequired: false,
    })),
  ];
  const validate: t.Validate<unknown, Out<R, O>> = (u, c) => {
    if (typeof u !== 'object' || u === null || Array.isArray(u))
      return t.failure(u, c, `${name}: expected an object`);
    const input = u as Record<string, unknown>;
    let errors: t.Errors | undefined;
    const out: Record<string, unknown> = {};
    for (const f of fields) {
      const wireKey = hasOwn(input, f.at) ? f.at : f.key;
      const present = hasOwn(input, wireKey) && input[wireKey] !== null;
      if (!present && !f.isRequired) continue;
      const value = present ? input[wireKey] : undefined;
      const r = f.codec.validate(value, c);
      if (r._tag === 'Right') {
        out[f.key] = r.right;
        continue;
      }
      const e = f.codec.validate(value, t.appendContext(c, wireKey, f.codec, value));
      errors ??= [];
      if (e._tag === 'Left') errors.push(...e.left);
    }
    return errors !== undefined ? t.failures(errors) : t.success(out as Out<R, O>);
  };
  return new t.Type<Out<R, O>, unknown, unknown>(
    name,
    (u): u is Out<R, O> => validate(u, [{ key: '', type: t.unknown, actual: u }])._tag === 'Right',
    validate,
    (a) => a,
  );
}

/** Every event carries an id and a type; the rest depends on the type. */
export const WireEventHead = wireObject('WireEventHead', { id: WireEventId, type: WireString });

export const WireLineEvent = wireObject(
  'WireLineEvent',
  {
    id: WireEventId,
    time: WireTime,
    source: wireEnum('LineSource', ['visitor', 'agent', 'system'] as const),
  },
  {
    text: WireString,
    // `rich-content` and `json` (structured content in `json`) occur in production (L4); others
    // (e.g. `url`) make the line invalid: reported and skipped by the decoder.
    textType: wireEnum('TextType', ['plain', 'html', 'rich-content', 'json'] as const),
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
  state: wireEnum('ChatState', ['waiting', 'chatting', 'ended'] as const),
});
export type WireStateEvent = t.TypeOf<typeof WireStateEvent>;

const TypingFlag = wireEnum('TypingFlag', ['typing', 'not-typing'] as const);

/** A chat session key: a non-empty string (an empty one cannot name a conversation; found by the fuzzer). */
const WireChatKey = new t.Type<string, string, unknown>(
  'ChatSessionKey',
  (u): u is string => typeof u === 'string' && u.length > 0,
  (u, c) => {
    const r = WireString.validate(u, c);
    return r._tag === 'Right' && r.right.length === 0 ? t.failure(u, c, 'expected a non-empty key') : r;
  },
  (s) => s,
);

export const WireInfo = wireObject(
  'WireInfo',
  { chatSessionKey: WireChatKey },
  {
    state: wireEnum('ChatState', ['waiting', 'chatting', 'ended'] as const),
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
