import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ConversationEventCodec, type ConversationEvent } from '../../../src/model/event.js';
import type { IsoTime } from '../../../src/model/time.js';
import { decodeMultiChat, type DecodedChat } from '../../../adapters/legacy-chat/decode.js';
import fc from 'fast-check';
import {
  deliveredMemory,
  mapChat,
  sameMemory,
  type ChatMemory,
  type MappedChat,
} from '../../../adapters/legacy-chat/mapping.js';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as unknown;

const KEY = 'H4709474615328845423-2767456311409308813K8414056';
const FALLBACK = '2000-01-01T00:00:00.000Z' as IsoTime;
const fresh: ChatMemory = { seq: -1 };

function onlyChat(body: unknown, index = 0): DecodedChat {
  const { chats, problems } = decodeMultiChat(body);
  assert.deepEqual(problems, []);
  const chat = chats[index];
  assert.ok(chat);
  return chat;
}

const seedExpected: ConversationEvent[] = [
  {
    id: `legacy-chat:${KEY}:0`,
    backend: 'legacy-chat',
    conversationId: KEY,
    time: '2015-08-30T15:06:02.000Z',
    seq: 0,
    type: 'state',
    state: 'waiting',
  },
  {
    id: `legacy-chat:${KEY}:1`,
    backend: 'legacy-chat',
    conversationId: KEY,
    time: '2015-08-30T15:06:02.001Z',
    seq: 1,
    type: 'message',
    from: { role: 'system' },
    text: 'Thank you for choosing to chat with us. An agent will be with you shortly.',
    format: 'plain',
    systemCode: '4',
  },
  {
    id: `legacy-chat:${KEY}:2`,
    backend: 'legacy-chat',
    conversationId: KEY,
    time: '2015-08-30T15:07:26.902Z',
    seq: 2,
    type: 'state',
    state: 'open',
  },
  {
    id: `legacy-chat:${KEY}:3`,
    backend: 'legacy-chat',
    conversationId: KEY,
    time: '2015-08-30T15:07:26.903Z',
    seq: 3,
    type: 'message',
    from: { role: 'system' },
    text: 'You are now chatting with Agent Nick.',
    format: 'plain',
    systemCode: '3',
  },
  {
    id: `legacy-chat:${KEY}:4`,
    backend: 'legacy-chat',
    conversationId: KEY,
    time: '2015-08-30T15:07:26.904Z',
    seq: 4,
    type: 'message',
    from: { role: 'system' },
    text: '',
    format: 'plain',
    systemCode: '4',
  },
  {
    id: `legacy-chat:${KEY}:participant-joined-2-1440947246904`,
    backend: 'legacy-chat',
    conversationId: KEY,
    time: '2015-08-30T15:07:26.904Z',
    type: 'participant',
    action: 'joined',
    participant: { role: 'agent', id: '2', name: 'Agent Nick' },
  } as ConversationEvent,
] as ConversationEvent[];

describe('legacy-chat mapping (wire -> ConversationEvent)', () => {
  it('maps the documented seed response to exactly the expected events', () => {
    const out = mapChat(onlyChat(fixture('legacy-multichat-seed.json')), fresh, FALLBACK);
    assert.deepEqual(out.events, seedExpected);
    for (const e of out.events) assert.ok(ConversationEventCodec.is(e), JSON.stringify(e));
    assert.deepEqual(out.memory, {
      seq: 4,
      state: 'open',
      agentId: '2',
      agentName: 'Agent Nick',
      visitorTyping: false,
      agentTyping: false,
    });
  });

  it('reads the real XML->JSON rendering of the seed chat identically to the doc rendering', () => {
    const wire = mapChat(onlyChat(fixture('legacy-multichat-wire-quirks.json')), fresh, FALLBACK);
    assert.deepEqual(wire.events, seedExpected);
    const one = mapChat(onlyChat(fixture('legacy-multichat-wire-one-chat.json')), fresh, FALLBACK);
    assert.deepEqual(one.events, seedExpected);
  });

  it('reads a bare-object event, and a chat whose events block has links but no event', () => {
    const { chats } = decodeMultiChat(fixture('legacy-multichat-wire-quirks.json'));
    assert.equal(chats.length, 3);
    const second = chats[1];
    const third = chats[2];
    assert.ok(second && third);
    const mem: ChatMemory = { seq: 4, state: 'open', agentId: '2', agentName: 'Agent Nick' };
    const out = mapChat(second, mem, FALLBACK);
    assert.deepEqual(
      out.events.map((e) => [e.type, e.seq, e.type === 'message' ? e.from : undefined]),
      [
        ['message', 5, { role: 'agent', name: 'Agent Nick' }],
        ['typing', undefined, undefined],
      ],
    );
    const msg = out.events[0];
    assert.ok(msg?.type === 'message' && msg.format === 'html' && msg.text.startsWith('<div dir="ltr"'));
    const typing = out.events[1];
    assert.ok(typing?.type === 'typing' && typing.typing && typing.participant.role === 'consumer');
    const none = mapChat(third, { seq: 11, state: 'open', agentId: '2', agentName: 'Agent Nick' }, FALLBACK);
    assert.deepEqual(none.events, []);
    assert.equal(none.memory.seq, 11);
  });

  it('drops events at or below the cursor, so inclusive and exclusive servers both work', () => {
    const chat = onlyChat(fixture('legacy-multichat-seed.json'));
    const out = mapChat(chat, { seq: 2, state: 'open', agentId: '2', agentName: 'Agent Nick' }, FALLBACK);
    assert.deepEqual(
      out.events.map((e) => e.seq),
      [3, 4],
    );
    assert.equal(out.duplicates, 3);
  });

  it('emits a state event only when the state changes', () => {
    const body = {
      chats: {
        chat: {
          events: {
            event: [
              { '@id': '7', '@type': 'state', time: '2015-08-30T18:06:02+03:00', state: 'chatting' },
              { '@id': '8', '@type': 'state', time: '2015-08-30T18:06:03+03:00', state: 'waiting' },
            ],
          },
          info: { chatSessionKey: 'K1', state: 'waiting' },
        },
      },
    };
    const out = mapChat(onlyChat(body), { seq: 6, state: 'open' }, FALLBACK);
    assert.deepEqual(
      out.events.map((e) => (e.type === 'state' ? `${e.seq}:${e.state}` : e.type)),
      ['8:waiting'],
    );
  });

  it('skips unknown event types but moves the cursor past them', () => {
    const body = {
      chats: {
        chat: {
          events: {
            event: [
              { '@id': '1', '@type': 'url', time: '2015-08-30T18:06:02+03:00', url: 'https://x' },
              {
                '@id': '2',
                '@type': 'line',
                time: '2015-08-30T18:06:03+03:00',
                source: 'visitor',
                by: 'visitor',
                text: 'hi',
              },
            ],
          },
          info: { chatSessionKey: 'K1' },
        },
      },
    };
    const out = mapChat(onlyChat(body), { seq: 0 }, FALLBACK);
    assert.deepEqual(out.unknown, [{ id: 1, type: 'url' }]);
    assert.deepEqual(
      out.events.map((e) => e.seq),
      [2],
    );
    assert.equal(out.memory.seq, 2);
  });

  it('turns typing and agent changes in info into typing and participant events, on change only', () => {
    const info = (extra: Record<string, unknown>) => ({
      chats: {
        chat: { info: { chatSessionKey: 'K1', lastUpdate: '2015-08-30T18:10:57.237+03:00', ...extra } },
      },
    });
    let mem: ChatMemory = { seq: 3, state: 'open' };
    const step = (extra: Record<string, unknown>) => {
      const out = mapChat(onlyChat(info(extra)), mem, FALLBACK);
      mem = out.memory;
      return out.events.map((e) =>
        e.type === 'typing'
          ? `typing ${e.participant.role} ${e.typing}`
          : e.type === 'participant'
            ? `${e.action} ${e.participant.id ?? ''}`
            : e.type,
      );
    };
    assert.deepEqual(step({ agentId: 2, agentName: 'Nick', visitorTyping: 'not-typing' }), ['joined 2']);
    assert.deepEqual(step({ agentId: 2, agentName: 'Nick', visitorTyping: 'not-typing' }), []);
    assert.deepEqual(
      step({ agentId: 2, agentName: 'Nick', visitorTyping: 'typing', agentTyping: 'typing' }),
      ['typing consumer true', 'typing agent true'],
    );
    assert.deepEqual(
      step({ agentId: 2, agentName: 'Nick', visitorTyping: 'typing', agentTyping: 'typing' }),
      [],
    );
    assert.deepEqual(
      step({ agentId: '6', agentName: 'Ann', visitorTyping: 'not-typing', agentTyping: 'typing' }),
      ['left 2', 'joined 6', 'typing consumer false'],
    );
  });

  it('gives derived events deterministic ids: the same poll maps to the same ids', () => {
    const body = fixture('legacy-multichat-wire-quirks.json');
    const a = mapChat(onlyChat(body, 1), { seq: 4 }, FALLBACK).events.map((e) => e.id);
    const b = mapChat(onlyChat(body, 1), { seq: 4 }, '2030-01-01T00:00:00.000Z' as IsoTime).events.map(
      (e) => e.id,
    );
    assert.deepEqual(a, b);
    assert.equal(new Set(a).size, a.length);
  });

  it('closes a chat whose info says ended even without an ended event, and puts closed last', () => {
    const body = {
      chats: {
        chat: {
          events: {
            event: [
              { id: 9, type: 'state', time: '2015-08-30T18:20:00.000+03:00', state: 'ended' },
              { id: 10, type: 'line', time: '2015-08-30T18:20:00.001+03:00', source: 'system', text: 'bye' },
            ],
          },
          info: { chatSessionKey: 'K1', state: 'ended', visitorTyping: 'typing' },
        },
      },
    };
    const out = mapChat(onlyChat(body), { seq: 8, state: 'open' }, FALLBACK);
    assert.deepEqual(
      out.events.map((e) => `${e.type}${e.seq ?? ''}`),
      ['message10', 'typing', 'state9'],
    );
    const noEvent = mapChat(
      onlyChat({ chats: { chat: { info: { chatSessionKey: 'K1', state: 'ended' } } } }),
      {
        seq: 8,
        state: 'open',
      },
      FALLBACK,
    );
    assert.deepEqual(
      noEvent.events.map((e) => (e.type === 'state' ? e.state : e.type)),
      ['closed'],
    );
    assert.equal(noEvent.memory.state, 'closed');
  });

  it('maps rich-content lines to format rich with their content', () => {
    const body = {
      chats: {
        chat: {
          events: {
            event: {
              '@id': '3',
              '@type': 'line',
              time: '2015-08-30T18:06:02+03:00',
              source: 'agent',
              by: 'Nick',
              textType: 'rich-content',
              text: '',
              json: { type: 'vertical', elements: [] },
            },
          },
          info: { chatSessionKey: 'K1' },
        },
      },
    };
    const [e] = mapChat(onlyChat(body), { seq: 2 }, FALLBACK).events;
    assert.ok(e?.type === 'message');
    assert.equal(e.format, 'rich');
    assert.deepEqual(e.content, { type: 'vertical', elements: [] });
  });
});

describe('legacy-chat decoding', () => {
  it('reports a schema-invalid chat info with its path and key, leaves that chat out and keeps the others', () => {
    const body = {
      chats: {
        chat: [{ info: { chatSessionKey: 'BAD', state: 'bogus' } }, { info: { chatSessionKey: 'GOOD' } }],
      },
    };
    const { chats, problems } = decodeMultiChat(body);
    assert.deepEqual(
      chats.map((c) => c.key),
      ['GOOD'],
    );
    assert.equal(problems.length, 1);
    assert.equal(problems[0]?.chatSessionKey, 'BAD');
    assert.deepEqual(problems[0]?.paths, ['chats/chat/0/info/state']);
  });

  it('shrinks the unit of failure to the event: a bad event is reported, kept as invalid by id, the chat goes on', () => {
    const t = '2015-08-30T18:06:02+03:00';
    const body = {
      chats: {
        chat: {
          info: { chatSessionKey: 'K' },
          events: {
            event: [
              { '@id': '4', '@type': 'line', time: t, source: 'visitor', text: 'ok' },
              { '@id': '5', '@type': 'line', time: t, source: 'visitor', textType: 'url', text: 'x' },
              { '@id': '6', '@type': 'line', time: t, text: 'no source' },
              { '@type': 'line', time: t, source: 'visitor' },
              { '@id': '7', '@type': 'state', time: t, state: 'chatting' },
            ],
          },
        },
      },
    };
    const { chats, problems } = decodeMultiChat(body);
    assert.deepEqual(
      chats[0]?.events.map((e) => [e.kind, e.id]),
      [
        ['line', 4],
        ['invalid', 5],
        ['invalid', 6],
        ['state', 7],
      ],
    );
    assert.deepEqual(
      problems.map((p) => [p.chatSessionKey, p.paths]),
      [
        ['K', ['chats/chat/0/events/event/1/textType']],
        ['K', ['chats/chat/0/events/event/2/source']],
        ['K', ['chats/chat/0/events/event/3/id']],
      ],
    );
    const mapped = mapChat(chats[0] as DecodedChat, { seq: 3 }, t as IsoTime);
    assert.equal(mapped.memory.seq, 7);
    assert.deepEqual(
      mapped.events.map((e) => e.seq),
      [4, 7],
    );
  });

  it('rejects a chat whose chatSessionKey is empty (it cannot name a conversation)', () => {
    const { chats, problems } = decodeMultiChat({
      chats: { chat: [{ info: { chatSessionKey: '' } }, { info: { chatSessionKey: 'GOOD' } }] },
    });
    assert.deepEqual(
      chats.map((c) => c.key),
      ['GOOD'],
    );
    assert.equal(problems.length, 1);
    assert.deepEqual(problems[0]?.paths, ['chats/chat/0/info/chatSessionKey']);
  });

  it('reports an error element inside a 2xx as a protocol problem', () => {
    const { chats, problems } = decodeMultiChat({ chats: { chat: { error: { message: 'gone' } } } });
    assert.deepEqual(chats, []);
    assert.equal(problems[0]?.code, 'ERR_PROTOCOL');
  });

  it('treats an empty chats element as no chats', () => {
    assert.deepEqual(decodeMultiChat({ chats: '' }), { chats: [], problems: [] });
    assert.deepEqual(decodeMultiChat({ chats: {} }), { chats: [], problems: [] });
  });

  it('cannot be made to pollute Object.prototype by __proto__ keys on the wire', () => {
    const text =
      '{"chats":{"chat":{"__proto__":{"polluted":1},"info":{"__proto__":{"polluted":2},"chatSessionKey":"K1"},' +
      '"events":{"event":{"__proto__":{"polluted":3},"@id":"0","@type":"state","time":"2015-08-30T18:06:02+03:00","state":"waiting"}}}}}';
    const { chats } = decodeMultiChat(JSON.parse(text));
    const out = mapChat(chats[0] as DecodedChat, fresh, FALLBACK);
    assert.equal(out.events.length, 1);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    for (const e of out.events) assert.equal(Object.getPrototypeOf(e), Object.prototype);
    assert.equal((chats[0]?.info as unknown as Record<string, unknown>)['polluted'], undefined);
  });
});

describe('legacy deliveredMemory: a stop inside next() among a poll’s events', () => {
  // A poll of a chat whose agent joined and which then ended: wire lines 0–4, the derived
  // `participant joined`, then the wire `ended` (seq 5) that mapChat moves after the derived
  // events. A consumer stopping right after `joined` has not had the close.
  const ev = (id: string, seq?: number, more: object = {}): ConversationEvent =>
    ({
      id: `legacy-chat:K:${id}`,
      ...(seq === undefined ? {} : { seq }),
      ...more,
    }) as unknown as ConversationEvent;
  const mapped = (closing: ConversationEvent): MappedChat => ({
    events: [0, 1, 2, 3, 4]
      .map((n) => ev(String(n), n))
      .concat([ev('participant-joined-1', undefined, { type: 'participant', action: 'joined' }), closing]),
    wireCount: 5,
    memory: { seq: 5, state: 'closed', agentId: '1' },
    duplicates: 0,
    unknown: [],
    gaps: 0,
  });

  it('keeps a wire close that was not delivered ahead of the cursor (legacy fault run, seed 2939110926)', () => {
    const m = deliveredMemory({ seq: -1 }, mapped(ev('5', 5)), 6);
    assert.equal(m.seq, 4, 'the close (5) is read again on resumption');
    assert.equal(m.agentId, '1', 'the delivered join is remembered');
  });

  it('moves the cursor past every wire event when the close is derived (it has no seq)', () => {
    assert.equal(deliveredMemory({ seq: -1 }, mapped(ev('state-closed')), 6).seq, 5);
    assert.equal(deliveredMemory({ seq: -1 }, mapped(ev('5', 5)), 3).seq, 2);
  });
});

describe('legacy sameMemory (does a chat need a checkpoint save)', () => {
  it('says two memories are the same exactly when their checkpoints would hold the same values', () => {
    const memory = fc
      .record(
        {
          seq: fc.integer({ min: -1, max: 3 }),
          state: fc.constantFrom('waiting', 'open', 'closed'),
          visitorTyping: fc.boolean(),
          agentTyping: fc.boolean(),
          agentId: fc.constantFrom('a1', 'a2'),
          agentName: fc.constantFrom('Ann', 'Bo'),
        },
        { requiredKeys: ['seq'] },
      )
      .map((m) => m as ChatMemory);
    // Values compared regardless of key order, as a restored checkpoint may order them differently.
    const canonical = (m: ChatMemory): string =>
      JSON.stringify(Object.fromEntries(Object.entries(m).sort(([a], [b]) => a.localeCompare(b))));
    fc.assert(
      fc.property(memory, memory, (a, b) => sameMemory(a, b) === (canonical(a) === canonical(b))),
      { numRuns: 2000 },
    );
  });
});
