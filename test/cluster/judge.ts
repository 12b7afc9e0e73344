// The duplicate judge of a chaos run: a crash (kill -9, SIGSTOP past the lease, a fence) may
// repeat at most the unsaved batch of the ownership it interrupted — the events that ownership
// delivered after the send of its last checkpoint save Redis accepted — and only as the same ids,
// delivered again by a later owner. A graceful move (released: handoff) repeats nothing.
import type { Delivery, Ownership } from './cluster.js';

export interface DuplicateVerdict {
  /** Deliveries that may come again: every interrupted ownership's unsaved tail, summed. */
  bound: number;
  /** Every repeat is of such a delivery, by a later owner of the same shard, and their count is within the bound. */
  withinBound: boolean;
  /** The first repeats that broke the rule, described. */
  violations: string[];
}

/**
 * Judges `deliveries` (event id → its deliveries) against the ownership log and `lastSave`
 * (`shard|epoch|backend` → when that ownership sent its last accepted save, its own clock, as the
 * deliveries' `at`).
 */
export function judgeDuplicates(
  deliveries: ReadonlyMap<string, readonly Delivery[]>,
  ownership: readonly Ownership[],
  lastSave: ReadonlyMap<string, number>,
): DuplicateVerdict {
  const graceful = new Set(
    ownership
      .filter((c) => c.change === 'released' && c.reason === 'handoff')
      .map((c) => `${c.shard}|${c.epoch}`),
  );
  const backendOf = (id: string): string => id.slice(0, id.indexOf(':'));
  /** Delivered by an interrupted ownership after the send of its last accepted save (for that backend). */
  const unsaved = (id: string, d: Delivery): boolean =>
    !graceful.has(`${d.shard}|${d.epoch}`) &&
    d.at >= (lastSave.get(`${d.shard}|${d.epoch}|${backendOf(id)}`) ?? Number.NEGATIVE_INFINITY);
  let bound = 0;
  let repeats = 0;
  const violations: string[] = [];
  for (const [id, ds] of deliveries) {
    for (const d of ds) if (unsaved(id, d)) bound++;
    if (ds.length < 2) continue;
    const ordered = [...ds].sort((a, b) => a.epoch - b.epoch || a.at - b.at);
    for (let i = 0; i + 1 < ordered.length; i++) {
      repeats++;
      const [d, next] = [ordered[i]!, ordered[i + 1]!];
      const why = !unsaved(id, d)
        ? graceful.has(`${d.shard}|${d.epoch}`)
          ? 'after a graceful handoff'
          : 'from before the last accepted save'
        : next.shard !== d.shard || next.epoch <= d.epoch
          ? 'not by a later owner of the shard'
          : undefined;
      if (why !== undefined && violations.length < 5)
        violations.push(`${id} (${d.shard} epoch ${d.epoch} then ${next.epoch}): ${why}`);
    }
  }
  return { bound, withinBound: violations.length === 0 && repeats <= bound, violations };
}
