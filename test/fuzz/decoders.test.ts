import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { decodeMultiChat } from '../../adapters/legacy-chat/decode.js';
import { mapChat, type ChatMemory } from '../../adapters/legacy-chat/mapping.js';
import {
  converterOf,
  INVALID,
  WireChat,
  WireEventHead,
  WireInt,
  WireInfo,
  WireLineEvent,
  WireMultiChat,
  WireStateEvent,
} from '../../adapters/legacy-chat/wire.js';
import { ConversationTracker } from '../../adapters/messaging/conversation-tracker.js';
import {
  ConversationChangeCodec,
  ConversationChangesBodyCodec,
  EventRecordCodec,
  isEventRecord,
  KnownEventCodecs,
  knownEventGuards,
} from '../../adapters/messaging/wire.js';
import { ConversationEventCodec, type ConversationEvent } from '../../src/model/event.js';
import type { IsoTime } from '../../src/model/time.js';
import { silentLogger } from '../../src/runtime/logger.js';
import { noopMetrics } from '../../src/runtime/metrics.js';

// The protocol fixtures (copies of ../shared/protocol/fixtures kept in the repository, so a clean
// clone has them); a missing one fails the suite rather than silently fuzzing less.
const fixture = (path: string): string =>
  readFileSync(new URL(`../adapters/${path}`, import.meta.url), 'utf8');
const legacyFixtures = [
  'legacy-multichat-seed.json',
  'legacy-multichat-wire-one-chat.json',
  'legacy-multichat-wire-quirks.json',
].map((f) => JSON.parse(fixture(`legacy-chat/fixtures/${f}`)) as unknown);
const messagingFrames = fixture('messaging/fixtures/messaging-frames.ndjson')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as unknown);

const NUM_RUNS = Number(process.env['FUZZ_RUNS'] ?? 2000);

/** Replaces a random leaf (or subtree) of `value` with `replacement`, following `path` choices. */
function mutate(value: unknown, choices: number[], replacement: unknown): unknown {
  if (choices.length === 0 || value === null || typeof value !== 'object') return replacement;
  const [c, ...rest] = choices as [number, ...number[]];
  if (Array.isArray(value)) {
    if (value.length === 0) return replacement;
    const i = c % value.length;
    return value.map((v, j) => (j === i ? mutate(v, rest, replacement) : v));
  }
  const keys = Object.keys(value);
  if (keys.length === 0) return replacement;
  const k = keys[c % keys.length] as string;
  return {
    ...(value as Record<string, unknown>),
    [k]: mutate((value as Record<string, unknown>)[k], rest, replacement),
  };
}

/** Objects whose own keys include `__proto__` / `constructor` (built with JSON.parse, as a wire body is). */
const hostile = fc.constantFrom(
  JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}') as unknown,
  JSON.parse('{"chats":{"chat":{"__proto__":{"polluted":true},"info":{"__proto__":{"x":1}}}}}') as unknown,
  JSON.parse(
    '{"kind":"notification","type":".ams.ms.OnlineEventDistribution","body":{"__proto__":{"polluted":true},"dialogId":"c1","sequence":1,"event":{"type":"ContentEvent","message":"x","__proto__":{"polluted":true}}}}',
  ) as unknown,
);
const anyJson = fc.oneof(fc.jsonValue(), hostile);
const mutatedLegacy = fc
  .tuple(fc.constantFrom(...legacyFixtures), fc.array(fc.nat(), { maxLength: 8 }), anyJson)
  .map(([f, path, rep]) => mutate(f, path, rep));
const mutatedFrame = fc
  .tuple(fc.constantFrom(...messagingFrames), fc.array(fc.nat(), { maxLength: 8 }), anyJson)
  .map(([f, path, rep]) => mutate(f, path, rep));

const valid = (e: ConversationEvent) => {
  const r = ConversationEventCodec.decode(e);
  assert.equal(r._tag, 'Right', `rejected by the codec: ${JSON.stringify(e)}`);
};

afterEach(() => {
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined, 'Object.prototype was polluted');
});

describe('fuzz: legacy-chat decode + mapping', () => {
  it('never throws, only emits codec-valid events and never moves a cursor backwards', () => {
    let produced = 0;
    fc.assert(
      fc.property(fc.oneof(anyJson, mutatedLegacy), fc.integer({ min: -1, max: 50 }), (body, cursor) => {
        const { chats } = decodeMultiChat(body);
        for (const chat of chats) {
          const before: ChatMemory = { seq: cursor };
          const mapped = mapChat(chat, before, '2015-08-30T15:06:02.000Z' as IsoTime);
          mapped.events.forEach(valid);
          produced += mapped.events.length;
          assert.ok(mapped.memory.seq >= before.seq, 'cursor moved backwards');
          for (const e of mapped.events)
            if (e.seq !== undefined) assert.ok(e.seq > cursor, 'event at or below the cursor');
        }
      }),
      { numRuns: NUM_RUNS },
    );
    assert.ok(produced > 0, 'the inputs reached the mapping');
  });
});

describe('fuzz: messaging frame decode + tracker', () => {
  it('arbitrary frames never throw, only emit codec-valid events, and cursors only move forward', () => {
    let produced = 0;
    fc.assert(
      fc.property(fc.array(fc.oneof(anyJson, mutatedFrame), { maxLength: 30 }), (frames) => {
        const emitted: ConversationEvent[] = [];
        const queried: string[] = [];
        const tracker = new ConversationTracker(
          {
            emit: (e) => emitted.push(e),
            query: (id) => queried.push(id),
            changed: () => {},
            now: () => 1_700_000_000_000,
            logger: silentLogger,
            metrics: noopMetrics,
          },
          true,
        );
        const cursors = new Map<string, number>();
        const check = () => {
          for (const id of new Set(emitted.map((e) => e.conversationId))) {
            const seq = tracker.checkpointOf(id)?.seq;
            if (seq === undefined) continue;
            assert.ok(seq >= (cursors.get(id) ?? -1), 'cursor moved backwards');
            cursors.set(id, seq);
          }
        };
        // The same dispatch as the source's frame handler: decode, then hand to the tracker.
        for (const frame of frames) {
          const f = frame as { kind?: unknown; type?: unknown; body?: unknown } | null;
          if (f === null || typeof f !== 'object') continue;
          if (f.type === '.ams.ms.OnlineEventDistribution') {
            const r = EventRecordCodec.decode(f.body);
            if (r._tag === 'Right') tracker.onLive(r.right);
          } else if (f.type === '.ams.aam.ExConversationChangeNotification') {
            const body = ConversationChangesBodyCodec.decode(f.body);
            if (body._tag === 'Right')
              for (const raw of body.right.changes) {
                const c = ConversationChangeCodec.decode(raw);
                if (c._tag === 'Right') tracker.onChange(c.right);
              }
          } else if (f.kind === 'resp' && Array.isArray(f.body) && queried.length > 0) {
            tracker.onHistory(queried.shift() as string, f.body);
          }
          check();
        }
        emitted.forEach(valid);
        produced += emitted.length;
        const ids = emitted.map((e) => e.id);
        assert.equal(new Set(ids).size, ids.length, 'an id emitted twice');
      }),
      { numRuns: NUM_RUNS },
    );
    assert.ok(produced > 0, 'the frames reached the tracker');
  });
});

/** A field that is valid, absent, or any JSON value. */
const fieldOr = <T>(ok: fc.Arbitrary<T>) => fc.oneof(ok, fc.constant(undefined), fc.jsonValue());
const withoutUndefined = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
const nearEvent = fc
  .record({
    type: fc.oneof(fc.constantFrom(...Object.keys(KnownEventCodecs)), fc.string()),
    message: fieldOr(fc.oneof(fc.string(), fc.dictionary(fc.string(), fc.jsonValue()))),
    contentType: fieldOr(fc.string()),
    content: fieldOr(fc.dictionary(fc.string(), fc.jsonValue())),
    status: fieldOr(fc.constantFrom('ACCEPT', 'READ')),
    sequenceList: fieldOr(fc.array(fc.oneof(fc.integer(), fc.jsonValue()), { maxLength: 3 })),
    chatState: fieldOr(fc.string()),
  })
  .map(withoutUndefined);
const nearRecord = fc
  .record({
    dialogId: fieldOr(fc.string()),
    sequence: fieldOr(fc.oneof(fc.nat(), fc.integer(), fc.double())),
    originatorId: fieldOr(fc.string()),
    originatorPId: fieldOr(fc.string()),
    originatorMetadata: fieldOr(
      fc.record({ id: fieldOr(fc.string()), role: fieldOr(fc.string()) }).map(withoutUndefined),
    ),
    serverTimestamp: fieldOr(fc.double()),
    event: fieldOr(nearEvent),
  })
  .map(withoutUndefined);

describe('fuzz: the legacy-chat converters', () => {
  it('answer exactly as the codecs decode (value or rejection, and a rejection has errors), for every JSON value', () => {
    const codecs = { WireMultiChat, WireChat, WireInfo, WireEventHead, WireLineEvent, WireStateEvent };
    // Whole bodies and the parts each codec reads: chats, infos and events of mutated fixtures.
    const parts = (body: unknown): unknown[] => {
      const out: unknown[] = [body];
      const chat = (body as { chats?: { chat?: unknown } } | null)?.chats?.chat;
      for (const c of Array.isArray(chat) ? chat : [chat]) {
        out.push(c, (c as { info?: unknown } | null)?.info);
        const ev = (c as { events?: { event?: unknown } } | null)?.events?.event;
        out.push(...(Array.isArray(ev) ? ev : [ev]));
      }
      return out;
    };
    let rejected = 0;
    let accepted = 0;
    fc.assert(
      fc.property(fc.oneof(anyJson, mutatedLegacy), (body) => {
        for (const u of parts(body))
          for (const [name, codec] of Object.entries(codecs)) {
            const v = converterOf(codec as typeof WireChat)(u);
            const r = (codec as typeof WireChat).decode(u);
            if (r._tag === 'Left') {
              rejected++;
              assert.equal(v, INVALID, `${name} converted what it rejects: ${JSON.stringify(u)}`);
              assert.ok(r.left.length > 0, `${name} rejected without an error: ${JSON.stringify(u)}`);
            } else {
              accepted++;
              assert.deepEqual(v, r.right, `${name}: ${JSON.stringify(u)}`);
              assert.equal(
                JSON.stringify(v),
                JSON.stringify(r.right),
                `${name} key order: ${JSON.stringify(u)}`,
              );
            }
          }
      }),
      { numRuns: NUM_RUNS },
    );
    assert.ok(rejected > 0 && accepted > 0, 'both verdicts were exercised');
  });
});

describe('fuzz: legacy integers (ids, counts)', () => {
  it('read a digit string as the wire rule says: optional minus, 1–16 digits, blanks around', () => {
    // The rule as written before the digit-string fast path: trim, the expression, Number().
    const reference = (u: unknown): number | undefined => {
      const v =
        u !== null && typeof u === 'object' && !Array.isArray(u) && Object.hasOwn(u, '$')
          ? (u as { $: unknown }).$
          : u;
      const n =
        typeof v === 'number' ? v : typeof v === 'string' && /^-?\d{1,16}$/.test(v.trim()) ? Number(v) : NaN;
      return Number.isSafeInteger(n) ? n : undefined;
    };
    const text = fc.oneof(
      fc.stringMatching(/^[-+ 0-9]{0,12}$/),
      fc.nat().map(String),
      fc.constantFrom('', '0', '007', '123456789', '1234567890', '9007199254740993', ' 5', '5 ', '٣', '1e3'),
    );
    fc.assert(
      fc.property(
        fc.oneof(
          text,
          text.map((t) => ({ $: t })),
          fc.jsonValue(),
        ),
        (u) => {
          const r = WireInt.decode(u);
          assert.equal(r._tag === 'Right' ? r.right : undefined, reference(u), JSON.stringify(u));
        },
      ),
      { numRuns: NUM_RUNS * 4 },
    );
  });
});

describe('fuzz: the legacy per-event converters, written out', () => {
  it('answer as the codecs decode for events in either rendering, with nulls, numbers as strings and both key forms', () => {
    // Each field absent, plain, `@`-prefixed, or both; values near-valid or any JSON value.
    const fieldValues: Record<string, fc.Arbitrary<unknown>> = {
      id: fc.oneof(fc.nat(), fc.nat().map(String), fc.constantFrom(' 7 ', '-1', '2147483648', '1e3')),
      type: fc.constantFrom('line', 'state', 'url', 5),
      time: fc.constantFrom(
        '2026-11-30T12:00:00.123+00:00',
        '2026-11-30T12:00:00Z',
        '2026-11-30T24:00:00.5+01:00',
        '2026-13-30T12:00:00Z',
        'yesterday',
      ),
      source: fc.constantFrom('visitor', 'agent', 'system', 'bot'),
      text: fc.oneof(fc.string(), fc.integer(), fc.constant({ $: 'wrapped' })),
      textType: fc.constantFrom('plain', 'html', 'rich-content', 'json', 'url'),
      by: fc.oneof(fc.string(), fc.double()),
      systemMessageId: fc.oneof(fc.string(), fc.nat()),
      subType: fc.string(),
      json: fc.jsonValue(),
      state: fc.constantFrom('waiting', 'chatting', 'ended', 'gone'),
    };
    const field = (key: string) =>
      fc.tuple(
        fc.constantFrom('none', 'plain', 'at', 'both', 'at-null', 'plain-null'),
        fc.oneof(fieldValues[key] as fc.Arbitrary<unknown>, fc.jsonValue()),
        fc.oneof(fieldValues[key] as fc.Arbitrary<unknown>, fc.jsonValue()),
      );
    const event = fc
      .record(Object.fromEntries(Object.keys(fieldValues).map((k) => [k, field(k)])))
      .map((fields) => {
        const o: Record<string, unknown> = {};
        for (const [k, [form, a, b]] of Object.entries(fields) as Array<
          [string, [string, unknown, unknown]]
        >) {
          if (form === 'plain') o[k] = a;
          else if (form === 'at') o[`@${k}`] = a;
          else if (form === 'both') {
            o[`@${k}`] = a;
            o[k] = b;
          } else if (form === 'at-null') {
            o[`@${k}`] = null;
            o[k] = b;
          } else if (form === 'plain-null') o[k] = null;
        }
        return o;
      });
    let accepted = 0;
    fc.assert(
      fc.property(event, (u) => {
        for (const [name, codec] of Object.entries({ WireEventHead, WireLineEvent, WireStateEvent })) {
          const v = converterOf(codec as typeof WireLineEvent)(u);
          const r = (codec as typeof WireLineEvent).decode(u);
          if (r._tag === 'Left')
            assert.equal(v, INVALID, `${name} converted what it rejects: ${JSON.stringify(u)}`);
          else {
            accepted++;
            assert.equal(JSON.stringify(v), JSON.stringify(r.right), `${name}: ${JSON.stringify(u)}`);
            assert.deepEqual(v, r.right);
          }
        }
      }),
      { numRuns: NUM_RUNS * 4 },
    );
    assert.ok(accepted > 0, 'some events were accepted');
  });
});

describe('fuzz: the hand-written messaging guards', () => {
  it('answer exactly as the io-ts codecs do, for every JSON value', () => {
    const bodies = fc.oneof(
      nearRecord,
      anyJson,
      mutatedFrame.map((f) => (f as { body?: unknown } | null)?.body),
    );
    fc.assert(
      fc.property(bodies, (u) => {
        assert.equal(isEventRecord(u), EventRecordCodec.is(u), JSON.stringify(u));
        const event = (u as { event?: unknown } | null)?.event ?? u;
        for (const k of Object.keys(KnownEventCodecs) as Array<keyof typeof KnownEventCodecs>)
          assert.equal(
            knownEventGuards[k](event),
            KnownEventCodecs[k].is(event),
            `${k}: ${JSON.stringify(event)}`,
          );
      }),
      { numRuns: NUM_RUNS * 5 },
    );
  });
});
