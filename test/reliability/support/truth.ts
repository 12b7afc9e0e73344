import { ConversationEventCodec, type ConversationEvent } from '../../../src/model/event.js';

/** What a run emitted compared with the simulators' ground truth. */
export interface Verdict {
  events: number;
  expected: number;
  lost: number;
  duplicated: number;
  /**
   * Ids delivered again after a handler failure, in the failed event's own conversation, first
   * delivered before the failure: the documented bound of a `retry()` with `flow.checkpoints()`
   * (that conversation's handled events since its last save). Not counted in `duplicated`.
   */
  redelivered: number;
  outOfOrder: number;
  invalid: number;
  /** Up to a few examples of each problem, for the assertion message. */
  examples: string[];
}

/**
 * Compares emitted events with the expected sequences per conversation (`backend:conversation`
 * keys, `backend:conversation:dialogId` for a non-main dialog): lost = an expected seq never emitted; duplicated = an id emitted twice; out of order = a
 * seq not above the previous one of its conversation; invalid = rejected by ConversationEventCodec.
 */
export function judge(
  emitted: readonly ConversationEvent[],
  expected: Map<string, number[]>,
  failures: readonly { conversation: string; at: number }[] = [],
): Verdict {
  const examples: string[] = [];
  const note = (s: string) => {
    if (examples.length < 12) examples.push(s);
  };
  const ids = new Map<string, number>();
  let redelivered = 0;
  const afterFailure = (e: ConversationEvent, first: number, again: number): boolean =>
    failures.some(
      (f) => f.conversation === `${e.backend}:${e.conversationId}` && first < f.at && f.at <= again,
    );
  const lastSeq = new Map<string, number>();
  const seen = new Map<string, Set<number>>();
  let duplicated = 0;
  let outOfOrder = 0;
  let invalid = 0;
  for (const [index, e] of emitted.entries()) {
    if (ConversationEventCodec.decode(e)._tag === 'Left') {
      invalid++;
      note(`invalid ${JSON.stringify(e)}`);
    }
    const first = ids.get(e.id);
    if (first !== undefined && afterFailure(e, first, index)) {
      // Judged (order included) when first delivered; the replay restarts from the last save.
      redelivered++;
      continue;
    }
    if (first !== undefined) {
      duplicated++;
      note(`duplicate ${e.id}`);
    }
    ids.set(e.id, first ?? index);
    if (e.seq === undefined) continue;
    // A non-main dialog (messaging M1) has its own sequences: judged as its own stream.
    const conv = `${e.backend}:${e.conversationId}${e.dialogId === undefined ? '' : `:${e.dialogId}`}`;
    const prev = lastSeq.get(conv);
    if (prev !== undefined && e.seq <= prev) {
      outOfOrder++;
      note(`out of order ${conv} ${e.seq} after ${prev}`);
    }
    lastSeq.set(conv, Math.max(prev ?? -1, e.seq));
    const s = seen.get(conv) ?? new Set<number>();
    s.add(e.seq);
    seen.set(conv, s);
  }
  let lost = 0;
  let total = 0;
  for (const [conv, seqs] of expected) {
    total += seqs.length;
    const got = seen.get(conv);
    for (const s of seqs) {
      if (got?.has(s) !== true) {
        lost++;
        note(`lost ${conv} seq ${s}`);
      }
    }
  }
  return {
    events: emitted.length,
    expected: total,
    lost,
    duplicated,
    redelivered,
    outOfOrder,
    invalid,
    examples,
  };
}

/** One line for the test output (and docs/reliability.md). */
export function summary(
  label: string,
  seed: number,
  v: Verdict,
  extra: Record<string, unknown> = {},
): string {
  return `${label} seed=${seed} events=${v.events} expectedSeqs=${v.expected} lost=${v.lost} duplicated=${v.duplicated}${v.redelivered > 0 ? ` redeliveredAfterHandlerFailure=${v.redelivered}` : ''} outOfOrder=${v.outOfOrder} invalid=${v.invalid} ${JSON.stringify(extra)}`;
}
