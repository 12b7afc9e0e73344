import assert from 'node:assert/strict';
import fc from 'fast-check';
import { from, lastValueFrom, toArray } from 'rxjs';
import { dedupe } from '../../src/operators/dedupe.js';
import type { ConversationEvent } from '../../src/model/event.js';

const msg = (conv: string, seq: number): ConversationEvent =>
  ({
    id: `messaging:${conv}:${seq}`,
    backend: 'messaging',
    conversationId: conv,
    seq,
    time: '2020-01-01T00:00:00.000Z',
    type: 'message',
    from: { role: 'consumer' },
    text: `m${seq}`,
    format: 'plain',
  }) as ConversationEvent;
const closed = (conv: string, seq: number): ConversationEvent =>
  ({
    ...msg(conv, seq),
    type: 'state',
    state: 'closed',
    id: `messaging:${conv}:${seq}`,
  }) as unknown as ConversationEvent;
const typing = (conv: string): ConversationEvent =>
  ({
    id: `messaging:${conv}:t`,
    backend: 'messaging',
    conversationId: conv,
    time: '2020-01-01T00:00:00.000Z',
    type: 'typing',
    participant: { role: 'consumer' },
    typing: true,
  }) as ConversationEvent;

const run = (events: ConversationEvent[], opts = {}) =>
  lastValueFrom(from(events).pipe(dedupe(opts), toArray()));

describe('dedupe', () => {
  it('drops re-delivered and older sequences per conversation, keeping unsequenced events', async () => {
    const dropped: string[] = [];
    const out = await run(
      [
        msg('a', 1),
        msg('b', 1),
        msg('a', 1),
        typing('a'),
        msg('a', 2),
        msg('a', 0),
        typing('a'),
        msg('b', 1),
      ],
      {
        onDuplicate: (e: ConversationEvent) => dropped.push(e.id),
      },
    );
    assert.deepEqual(
      out.map((e) => e.id),
      ['messaging:a:1', 'messaging:b:1', 'messaging:a:t', 'messaging:a:2', 'messaging:a:t'],
    );
    assert.deepEqual(dropped, ['messaging:a:1', 'messaging:a:0', 'messaging:b:1']);
  });

  it('starts from checkpointed cursors', async () => {
    const out = await run([msg('a', 3), msg('a', 4)], { initial: new Map([['messaging:a', 3]]) });
    assert.deepEqual(
      out.map((e) => e.seq),
      [4],
    );
  });

  it('still drops a late re-delivery after the conversation closed, within a bounded memory', async () => {
    const out = await run([msg('a', 1), closed('a', 2), msg('a', 1), closed('b', 5), msg('a', 2)], {
      closedMemory: 2,
    });
    assert.deepEqual(
      out.map((e) => `${e.conversationId}${e.seq}`),
      ['a1', 'a2', 'b5'],
    );
    const forgotten = await run([closed('a', 2), closed('b', 5), closed('c', 5), msg('a', 2)], {
      closedMemory: 2,
    });
    assert.equal(forgotten.length, 4, 'the oldest closed cursor is evicted beyond closedMemory');
  });

  it('frees a conversation on any closed event, also one without a seq (#15)', async () => {
    const unsequencedClose = (conv: string): ConversationEvent => {
      const { seq: _seq, ...rest } = closed(conv, 0) as ConversationEvent & { seq?: number };
      return { ...rest, id: `messaging:${conv}:closed` } as ConversationEvent;
    };
    // With room for one closed conversation, 'a' must be forgotten once 'b' closes: its open
    // cursor may not outlive its close (about 290 B per closed conversation, for ever).
    const out = await run(
      [msg('a', 1), unsequencedClose('a'), msg('b', 1), unsequencedClose('b'), msg('a', 1)],
      { closedMemory: 1 },
    );
    assert.deepEqual(
      out.map((e) => e.id),
      ['messaging:a:1', 'messaging:a:closed', 'messaging:b:1', 'messaging:b:closed', 'messaging:a:1'],
    );
    const kept = await run([msg('a', 1), unsequencedClose('a'), msg('a', 1)], { closedMemory: 1 });
    assert.equal(kept.length, 2, 'within closedMemory a late re-delivery is still dropped');
  });

  it('lets through exactly what a reference model of its cursors lets through (any events, any initial cursors)', async () => {
    // The model: one map of open cursors and one of closed ones, both keyed `${backend}:${id}`.
    const model = (
      events: ConversationEvent[],
      initial: Map<string, number>,
      closedMemory: number,
    ): ConversationEvent[] => {
      const open = new Map(initial);
      const shut = new Map<string, number>();
      const out: ConversationEvent[] = [];
      for (const e of events) {
        const key = `${e.backend}:${e.conversationId}`;
        const isClose = e.type === 'state' && e.state === 'closed';
        if (e.seq !== undefined) {
          const last = open.get(key) ?? shut.get(key);
          if (last !== undefined && e.seq <= last) continue;
          if (!isClose) {
            shut.delete(key);
            open.set(key, e.seq);
          }
        }
        if (isClose) {
          const last = e.seq ?? open.get(key) ?? shut.get(key);
          open.delete(key);
          shut.delete(key);
          if (last !== undefined) {
            shut.set(key, last);
            if (shut.size > closedMemory) shut.delete(shut.keys().next().value as string);
          }
        }
        out.push(e);
      }
      return out;
    };
    const conv = fc.constantFrom('a', 'b', 'c:d', 'c');
    const backendOf = fc.constantFrom('messaging', 'legacy-chat');
    const event = fc.oneof(
      fc.record({ b: backendOf, c: conv, seq: fc.nat(6) }).map((x) => ({ ...msg(x.c, x.seq), backend: x.b })),
      fc.record({ b: backendOf, c: conv, seq: fc.option(fc.nat(6), { nil: undefined }) }).map((x) => {
        const e = { ...closed(x.c, x.seq ?? 0), backend: x.b } as Record<string, unknown>;
        if (x.seq === undefined) delete e['seq'];
        return e as unknown as ConversationEvent;
      }),
      conv.map((c) => typing(c)),
    ) as fc.Arbitrary<ConversationEvent>;
    const initialKey = fc.oneof(
      fc.tuple(backendOf, conv).map(([b, c]) => `${b}:${c}`),
      fc.constantFrom('nocolon', 'other:a'),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(event, { maxLength: 40 }),
        fc.array(fc.tuple(initialKey, fc.nat(6)), { maxLength: 4 }),
        fc.integer({ min: 1, max: 3 }),
        async (events, init, closedMemory) => {
          const initial = new Map(init);
          const got = await run(events, { initial, closedMemory });
          assert.deepEqual(got, model(events, initial, closedMemory));
        },
      ),
      { numRuns: 500 },
    );
  });
});
