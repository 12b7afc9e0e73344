import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  ConversationEventCodec,
  conversationEventTypes,
  type ConversationEvent,
} from '../../src/model/event.js';
import { decodeConversationEvent, errorPaths, formatValidationErrors } from '../../src/model/decode.js';
import { examples } from '../support/events.js';

function decodeErrors(u: unknown): string[] {
  const r = decodeConversationEvent(u);
  assert.equal(r._tag, 'Left', `expected ${JSON.stringify(u)} to be rejected`);
  return r._tag === 'Left' ? formatValidationErrors(r.left) : [];
}

function paths(u: unknown): string[] {
  const r = decodeConversationEvent(u);
  return r._tag === 'Left' ? errorPaths(r.left) : [];
}

describe('ConversationEventCodec', () => {
  for (const type of conversationEventTypes) {
    it(`decodes a valid ${type} event and round-trips it through encode and JSON`, () => {
      const r = decodeConversationEvent(examples[type]);
      assert.equal(r._tag, 'Right', r._tag === 'Left' ? formatValidationErrors(r.left).join('\n') : '');
      if (r._tag !== 'Right') return;
      assert.deepEqual(r.right, examples[type]);
      const again = decodeConversationEvent(
        JSON.parse(JSON.stringify(ConversationEventCodec.encode(r.right))),
      );
      assert.deepEqual(again, r);
      assert.ok(ConversationEventCodec.is(r.right));
    });
  }

  it('rejects a missing required field and names it', () => {
    const { text: _text, ...noText } = examples.message as Record<string, unknown>;
    assert.deepEqual(paths(noText), ['message/text']);
    assert.match(
      decodeErrors(noText)[0] ?? '',
      /Invalid value undefined at message\/text \(expected string\)/,
    );
  });

  it('rejects a wrong literal in a nested participant and names the path', () => {
    const bad = { ...(examples.message as object), from: { role: 'bot' } };
    assert.deepEqual(paths(bad), ['message/from/role']);
    assert.match(decodeErrors(bad)[0] ?? '', /"bot" at message\/from\/role/);
  });

  it('rejects an unknown event type at the discriminant', () => {
    const bad = { ...(examples.state as object), type: 'presence' };
    assert.deepEqual(paths(bad), ['type']);
    assert.match(decodeErrors(bad)[0] ?? '', /"presence" at type: unknown event type/);
  });

  it('rejects times that are not UTC ISO with milliseconds', () => {
    for (const time of [
      '2015-08-30T18:06:02+03:00',
      '2015-08-30T15:06:02Z',
      '2015-02-30T15:06:02.000Z',
      'yesterday',
      1440947162001,
    ]) {
      const bad = { ...(examples.state as object), time };
      assert.deepEqual(paths(bad), ['state/time'], `time ${String(time)}`);
    }
  });

  it('rejects extra properties instead of stripping them', () => {
    const bad = { ...(examples.typing as object), junk: 1 };
    assert.deepEqual(paths(bad), ['typing/junk']);
    assert.match(decodeErrors(bad)[0] ?? '', /unexpected property "junk"/);
    const nested = { ...(examples.typing as object), participant: { role: 'agent', email: 'x@y' } };
    assert.deepEqual(paths(nested), ['typing/participant/email']);
  });

  it('rejects an optional field given as undefined, a negative seq and a fractional seq', () => {
    assert.deepEqual(paths({ ...(examples.state as object), seq: undefined }), ['state/seq']);
    assert.deepEqual(paths({ ...(examples.state as object), seq: -1 }), ['state/seq']);
    assert.deepEqual(paths({ ...(examples.receipt as object), seqs: [1, 2.5] }), ['receipt/seqs/1']);
  });

  it('rejects empty ids, unknown backends and non-objects', () => {
    assert.deepEqual(paths({ ...(examples.state as object), id: '' }), ['state/id']);
    assert.deepEqual(paths({ ...(examples.state as object), backend: 'sms' }), ['state/backend']);
    for (const u of [null, 'x', 3, [], undefined]) assert.equal(decodeConversationEvent(u)._tag, 'Left');
  });

  describe('properties', () => {
    const participant = fc.record(
      {
        role: fc.constantFrom('consumer', 'agent', 'manager', 'system'),
        id: fc.string(),
        name: fc.string(),
      },
      { requiredKeys: ['role'], noNullPrototype: true },
    );
    const common = {
      id: fc.string({ minLength: 1 }),
      backend: fc.constantFrom('legacy-chat', 'messaging'),
      conversationId: fc.string({ minLength: 1 }),
      time: fc
        .integer({ min: Date.UTC(1970, 0, 1), max: Date.UTC(9999, 11, 31) })
        .map((ms) => new Date(ms).toISOString()),
      seq: fc.nat(),
    };
    const req = ['id', 'backend', 'conversationId', 'time', 'type'] as const;
    const validEvent = fc.oneof(
      fc.record(
        {
          ...common,
          type: fc.constant('message'),
          from: participant,
          text: fc.string(),
          format: fc.constantFrom('plain', 'html', 'rich'),
          content: fc.jsonValue(),
          systemCode: fc.string(),
        },
        { requiredKeys: [...req, 'from', 'text', 'format'], noNullPrototype: true },
      ),
      fc.record(
        { ...common, type: fc.constant('state'), state: fc.constantFrom('waiting', 'open', 'closed') },
        { requiredKeys: [...req, 'state'], noNullPrototype: true },
      ),
      fc.record(
        { ...common, type: fc.constant('typing'), participant, typing: fc.boolean() },
        { requiredKeys: [...req, 'participant', 'typing'], noNullPrototype: true },
      ),
      fc.record(
        {
          ...common,
          type: fc.constant('participant'),
          action: fc.constantFrom('joined', 'left'),
          participant,
        },
        { requiredKeys: [...req, 'action', 'participant'], noNullPrototype: true },
      ),
      fc.record(
        {
          ...common,
          type: fc.constant('receipt'),
          status: fc.constantFrom('accepted', 'read'),
          seqs: fc.array(fc.nat()),
          participant,
        },
        { requiredKeys: [...req, 'status', 'seqs', 'participant'], noNullPrototype: true },
      ),
    );

    it('every generated valid event decodes to itself', () => {
      fc.assert(
        fc.property(validEvent, (e) => {
          const r = decodeConversationEvent(e);
          assert.equal(r._tag, 'Right', r._tag === 'Left' ? formatValidationErrors(r.left).join('\n') : '');
          assert.deepEqual((r as { right: ConversationEvent }).right, e);
        }),
      );
    });

    it('arbitrary JSON never throws, and whatever decodes is a valid event', () => {
      fc.assert(
        fc.property(
          fc.oneof(
            fc.jsonValue(),
            validEvent.chain((e) => fc.constant({ ...e, seq: -3 })),
          ),
          (u) => {
            const r = decodeConversationEvent(u);
            if (r._tag === 'Right') assert.ok(ConversationEventCodec.is(r.right));
            else assert.ok(formatValidationErrors(r.left).every((line) => line.startsWith('Invalid value ')));
          },
        ),
        { numRuns: 500 },
      );
    });

    it('a single corrupted field is always reported at its own path', () => {
      fc.assert(
        fc.property(validEvent, fc.constantFrom('id', 'backend', 'conversationId', 'time'), (e, field) => {
          const bad = { ...e, [field]: 42 };
          assert.deepEqual(paths(bad), [`${e.type}/${field}`]);
        }),
      );
    });
  });
});

describe('docs/event-model.md', () => {
  it('every JSON example on the page decodes, and there is one per event type', async () => {
    const { readFile } = await import('node:fs/promises');
    const page = await readFile(new URL('../../docs/event-model.md', import.meta.url), 'utf8');
    const blocks = [...page.matchAll(/```json\n([\s\S]*?)```/g)].map(
      (m) => JSON.parse(m[1] ?? '') as unknown,
    );
    const types = blocks.map((b) => {
      const r = decodeConversationEvent(b);
      assert.equal(r._tag, 'Right', r._tag === 'Left' ? formatValidationErrors(r.left).join('\n') : '');
      return (b as { type: string }).type;
    });
    assert.deepEqual(types.sort(), [...conversationEventTypes].sort());
  });
});

describe('v2 event fields: dialogId, audience, clientMessageId', () => {
  const message = {
    id: 'messaging:c1:survey-1:2',
    backend: 'messaging',
    conversationId: 'c1',
    dialogId: 'survey-1',
    seq: 2,
    time: '2023-11-14T22:13:29.000Z',
    type: 'message',
    from: { role: 'agent', id: '123.77' },
    text: 'note to self',
    format: 'plain',
    audience: 'agents',
    clientMessageId: 'cm-1',
  };

  it('accepts a private message of a non-main dialog carrying the sender key', () => {
    assert.equal(decodeConversationEvent(message)._tag, 'Right');
    assert.equal(decodeConversationEvent({ ...message, audience: 'all' })._tag, 'Right');
  });

  it('rejects an unknown audience, an empty dialogId and an empty clientMessageId, naming the field', () => {
    for (const [field, value] of [
      ['audience', 'managers'],
      ['dialogId', ''],
      ['clientMessageId', ''],
    ] as const) {
      const r = decodeConversationEvent({ ...message, [field]: value });
      assert.equal(r._tag, 'Left', field);
      if (r._tag === 'Left')
        assert.ok(
          errorPaths(r.left).some((p) => p.endsWith(field)),
          field,
        );
    }
  });

  it('allows dialogId on every event type but audience only on messages', () => {
    const state = {
      id: 'messaging:c1:survey-1:state-closed-1',
      backend: 'messaging',
      conversationId: 'c1',
      time: '2023-11-14T22:13:29.000Z',
      type: 'state',
      state: 'closed',
    };
    assert.equal(decodeConversationEvent({ ...state, dialogId: 'survey-1' })._tag, 'Right');
    assert.equal(decodeConversationEvent({ ...state, audience: 'agents' })._tag, 'Left');
  });
});
