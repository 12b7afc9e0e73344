import assert from 'node:assert/strict';
import type { ConversationEvent } from '../../src/model/event.js';
import { judge } from './support/truth.js';

const msg = (conv: string, seq: number): ConversationEvent =>
  ({
    id: `messaging:${conv}:${seq}`,
    backend: 'messaging',
    conversationId: conv,
    seq,
    time: '2023-11-14T22:13:29.000Z',
    type: 'message',
    from: { role: 'consumer' },
    text: 'x',
    format: 'plain',
  }) as ConversationEvent;

describe('reliability: the ground-truth comparison', () => {
  it('counts lost, duplicated, out-of-order and invalid events', () => {
    const emitted = [msg('a', 1), msg('a', 3), msg('a', 2), msg('a', 3), { ...msg('b', 1), time: 'noon' }];
    const v = judge(
      emitted as ConversationEvent[],
      new Map([
        ['messaging:a', [1, 2, 3, 4]],
        ['messaging:b', [1]],
      ]),
    );
    assert.deepEqual(
      { lost: v.lost, duplicated: v.duplicated, outOfOrder: v.outOfOrder, invalid: v.invalid },
      { lost: 1, duplicated: 1, outOfOrder: 2, invalid: 1 },
    );
  });

  it('a re-delivery after a handler failure counts apart only in the failed conversation, for events handled before it', () => {
    // Handled a1, a2, b1; the handler throws on a3 (failure at 3); retry() re-delivers a1, a2, b1.
    const emitted = [
      msg('a', 1),
      msg('a', 2),
      msg('b', 1),
      msg('a', 1),
      msg('a', 2),
      msg('a', 3),
      msg('b', 1),
    ];
    const v = judge(emitted, new Map([['messaging:a', [1, 2, 3]]]), [{ conversation: 'messaging:a', at: 3 }]);
    assert.deepEqual(
      { duplicated: v.duplicated, redelivered: v.redelivered, outOfOrder: v.outOfOrder },
      { duplicated: 1, redelivered: 2, outOfOrder: 1 },
    );
    assert.deepEqual(v.examples, ['duplicate messaging:b:1', 'out of order messaging:b 1 after 1']);
  });
});
