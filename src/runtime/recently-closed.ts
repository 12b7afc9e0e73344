/**
 * The conversations that closed recently, so that a late re-delivery of one does not follow it
 * again. Bounded: past `capacity` the oldest is forgotten (memory stays O(capacity) however long
 * the process runs; a conversation that old is also past the server's re-delivery window).
 */
export class RecentlyClosed<V = true> {
  private readonly entries = new Map<string, V>();

  constructor(readonly capacity = 10_000) {}

  /** Remembers `id` (moving it to the newest end) with an optional value, e.g. its checkpoint. */
  remember(id: string, value: V): void {
    this.entries.delete(id);
    this.entries.set(id, value);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  get(id: string): V | undefined {
    return this.entries.get(id);
  }

  forget(id: string): void {
    this.entries.delete(id);
  }

  get size(): number {
    return this.entries.size;
  }
}
