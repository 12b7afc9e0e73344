import type { SimEvent } from '../../../adapters/legacy-chat/index.js';
import type { ConversationEvent } from '../../../src/model/event.js';
import { waitFor } from '../../support/wait.js';

export function tally(counts: Record<string, number>, key: string, by = 1): void {
  counts[key] = (counts[key] ?? 0) + by;
}

export function addAll(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) tally(into, k, v);
}

/**
 * The event ids a legacy chat must yield: every line, and every state event that changes the
 * state (the mapping emits state on change only). Other types have no normalized form.
 */
export function legacyExpected(events: readonly SimEvent[]): number[] {
  const out: number[] = [];
  let state: string | undefined;
  for (const e of events) {
    if (e.type === 'line') out.push(e.id);
    else if (e.type === 'state' && e.state !== state) {
      state = e.state;
      out.push(e.id);
    }
  }
  return out;
}

/** The sequences a Messaging conversation must yield: every sequenced record of its history. */
export function messagingExpected(history: ReadonlyArray<Record<string, unknown>>): number[] {
  return history.map((h) => h['sequence']).filter((s): s is number => typeof s === 'number');
}

/**
 * Waits until every conversation in `ids` has had its `closed` event (or the stream failed); on
 * timeout the error names the missing ones with what was emitted for them and the ground truth.
 */
export async function waitAllClosed(
  emitted: readonly ConversationEvent[],
  ids: readonly string[],
  failed: () => boolean,
  truth: (id: string) => number[],
  timeoutMs = 20_000,
): Promise<void> {
  const closed = () =>
    new Set(emitted.filter((e) => e.type === 'state' && e.state === 'closed').map((e) => e.conversationId));
  try {
    await waitFor(
      () => failed() || ids.every((c) => closed().has(c)),
      'every conversation closed',
      timeoutMs,
    );
  } catch (e) {
    const done = closed();
    const missing = ids.filter((c) => !done.has(c));
    const detail = missing.map((m) => ({
      id: m,
      emitted: emitted.filter((x) => x.conversationId === m).map((x) => `${x.type}:${x.seq ?? x.id}`),
      truth: truth(m),
    }));
    throw new Error(`${(e as Error).message}; missing ${JSON.stringify(detail)}`, { cause: e });
  }
}
