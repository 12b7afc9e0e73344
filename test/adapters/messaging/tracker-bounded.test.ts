import assert from 'node:assert/strict';
import { ConversationTracker } from '../../../adapters/messaging/conversation-tracker.js';
import {
  ConversationChangeCodec,
  EventRecordCodec,
  type EventRecord,
} from '../../../adapters/messaging/wire.js';
import type { ConversationEvent } from '../../../src/model/event.js';
import { counterMetrics } from '../../../src/runtime/metrics.js';

const upsert = ConversationChangeCodec.decode({
  type: 'UPSERT',
  result: {
    convId: 'conv-1',
    conversationDetails: {
      participants: { CONSUMER: ['cons-1'], ASSIGNED_AGENT: ['123.77'] },
      participantsPId: { CONSUMER: ['cons-1'], ASSIGNED_AGENT: ['pid-77'] },
      dialogs: [{ dialogId: 'conv-1', dialogType: 'MAIN', state: 'OPEN', participantsDetails: [] }],
      state: 'OPEN',
      startTs: 1_700_000_000_000,
      metaDataLastUpdateTs: 1_700_000_000_000,
    },
  },
});

const record = (sequence: number): EventRecord => {
  const r = EventRecordCodec.decode({
    sequence,
    dialogId: 'conv-1',
    originatorId: 'cons-1',
    originatorPId: 'cons-1',
    originatorMetadata: { id: 'cons-1', role: 'CONSUMER' },
    serverTimestamp: 1_700_000_000_000 + sequence,
    event: { type: 'ContentEvent', contentType: 'text/plain', message: `m${sequence}` },
  });
  assert.equal(r._tag, 'Right');
  return (r as { right: EventRecord }).right;
};

// The policy for a slow history answer under a fast conversation (docs/reliability.md, slow consumers).
describe('ConversationTracker: live events held during a history query are bounded', () => {
  it('holds at most maxHeld events, drops the rest, and fetches them with a follow-up query', () => {
    const emitted: ConversationEvent[] = [];
    const queries: number[] = [];
    const metrics = counterMetrics();
    const tracker = new ConversationTracker(
      {
        emit: (e) => emitted.push(e),
        query: (_id, afterSeq) => queries.push(afterSeq),
        changed: () => {},
        now: () => 1_700_000_000_000,
        logger: { warn: () => {}, error: () => {} },
        metrics,
      },
      false,
      10,
    );
    if (upsert._tag !== 'Right') assert.fail('the UPSERT fixture decodes');
    tracker.onChange(upsert.right);
    assert.deepEqual(queries, [-1], 'first sight: history from the start');

    // 50 live events arrive while the history query is out: only 10 are kept.
    for (let s = 3; s <= 52; s++) tracker.onLive(record(s));
    assert.equal(metrics.snapshot()['held.dropped'], 40);

    // History (1..2) arrives: 1..2 and the 10 held (3..12) go out, then a follow-up query.
    tracker.onHistory('conv-1', [record(1), record(2)]);
    assert.deepEqual(queries, [-1, 12]);
    // The follow-up answer brings what was dropped.
    tracker.onHistory(
      'conv-1',
      Array.from({ length: 40 }, (_, i) => record(13 + i)),
    );
    const seqs = emitted.filter((e) => e.type === 'message').map((e) => e.seq);
    assert.deepEqual(
      seqs,
      Array.from({ length: 52 }, (_, i) => i + 1),
      'every message once, in order',
    );
  });
});

// Found by the messaging fault runs (seed 2303995627) once history queries were paced: typing
// flips without a serverTimestamp, held during a query and released in one millisecond, shared ids.
describe('ConversationTracker: typing without a server time', () => {
  it('gives held typing flips released together distinct ids', () => {
    const emitted: ConversationEvent[] = [];
    const tracker = new ConversationTracker(
      {
        emit: (e) => emitted.push(e),
        query: () => {},
        changed: () => {},
        now: () => 1_700_000_000_000,
        logger: { warn: () => {}, error: () => {} },
        metrics: counterMetrics(),
      },
      false,
    );
    if (upsert._tag !== 'Right') assert.fail('the UPSERT fixture decodes');
    tracker.onChange(upsert.right);
    for (const chatState of ['COMPOSING', 'ACTIVE', 'COMPOSING', 'ACTIVE']) {
      const r = EventRecordCodec.decode({
        dialogId: 'conv-1',
        originatorId: '123.77',
        originatorMetadata: { id: 'pid-77', role: 'ASSIGNED_AGENT' },
        event: { type: 'ChatStateEvent', chatState },
      });
      if (r._tag !== 'Right') assert.fail('the typing fixture decodes');
      tracker.onLive(r.right);
    }
    tracker.onHistory('conv-1', []);
    const ids = emitted.filter((e) => e.type === 'typing').map((e) => e.id);
    assert.equal(ids.length, 4);
    assert.equal(new Set(ids).size, 4, ids.join(' '));
  });
});
