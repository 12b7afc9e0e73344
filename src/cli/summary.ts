import type { ConversationEvent } from '../model/event.js';
import { cursorKey } from '../operators/dedupe.js';

/** Running totals the CLI prints as it goes and at the end. */
export class Tally {
  readonly perBackend: Record<string, number> = {};
  readonly perType: Record<string, number> = {};
  /** Sequenced events that arrived out of order or twice (must stay 0). */
  outOfOrder = 0;
  private readonly lastSeq = new Map<string, number>();
  private readonly seqs = new Map<string, Set<number>>();
  private readonly open = new Set<string>();

  add(e: ConversationEvent): void {
    this.perBackend[e.backend] = (this.perBackend[e.backend] ?? 0) + 1;
    this.perType[e.type] = (this.perType[e.type] ?? 0) + 1;
    const key = cursorKey(e);
    if (e.type === 'state') {
      if (e.state === 'closed') this.open.delete(key);
      else this.open.add(key);
    }
    if (e.seq === undefined) return;
    const last = this.lastSeq.get(key);
    if (last !== undefined && e.seq <= last) this.outOfOrder++;
    this.lastSeq.set(key, e.seq);
    let s = this.seqs.get(key);
    if (s === undefined) this.seqs.set(key, (s = new Set()));
    s.add(e.seq);
  }

  get openConversations(): number {
    return this.open.size;
  }

  /** Sequences seen for one conversation (for comparing with a simulator's ground truth). */
  seen(key: string): ReadonlySet<number> {
    return this.seqs.get(key) ?? new Set();
  }
}
