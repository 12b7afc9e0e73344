// A string-keyed map whose lookups are cheap for keys fresh from JSON.parse.

/** One key: on its tail number's collision chain, and on the insertion-order list. */
interface Entry<V> {
  readonly key: string;
  value: V;
  /** The next entry with the same tail number. */
  same: Entry<V> | undefined;
  before: Entry<V> | undefined;
  after: Entry<V> | undefined;
  /** Deleted: an iteration standing on it goes on from its nearest live predecessor. */
  removed: boolean;
}

/**
 * A `Map<string, V>` (the operations the conversation tracker uses) whose `get` does not hash the
 * whole key. Every frame's `dialogId` is a new string from JSON.parse, and `Map#get` computes its
 * hash over all of it first: ~80 ns for a 36-character id here, against ~25 ns for this lookup
 * (bench/fresh-keys.ts, docs/benchmarks.md). Entries are filed under a number made of the key's
 * length and its last four characters — conversation and dialog ids are server-made UUIDs, whose
 * tails are random — and `get` compares the few keys filed under that number with `===`. Keys
 * sharing a tail only make their chain longer (at most the open conversations of one agent), never
 * a wrong answer. Iteration keeps insertion order, as a `Map` does.
 *
 * One small-integer-keyed `Map` and one entry object per key, nothing else: this is kept per
 * followed conversation, whose heap the memory bench holds under 1 KB.
 */
export class FreshKeyMap<V> {
  private readonly index = new Map<number, Entry<V>>();
  private first: Entry<V> | undefined;
  private last: Entry<V> | undefined;
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(key: string): V | undefined {
    return this.find(key)?.value;
  }

  has(key: string): boolean {
    return this.find(key) !== undefined;
  }

  set(key: string, value: V): this {
    const n = tailNumber(key);
    const head = this.index.get(n);
    for (let e = head; e !== undefined; e = e.same)
      if (e.key === key) {
        e.value = value;
        return this;
      }
    const entry: Entry<V> = { key, value, same: head, before: this.last, after: undefined, removed: false };
    this.index.set(n, entry);
    if (this.last === undefined) this.first = entry;
    else this.last.after = entry;
    this.last = entry;
    this.count++;
    return this;
  }

  delete(key: string): boolean {
    const n = tailNumber(key);
    let prev: Entry<V> | undefined;
    let e = this.index.get(n);
    while (e !== undefined && e.key !== key) {
      prev = e;
      e = e.same;
    }
    if (e === undefined) return false;
    if (prev !== undefined) prev.same = e.same;
    else if (e.same === undefined) this.index.delete(n);
    else this.index.set(n, e.same);
    if (e.before === undefined) this.first = e.after;
    else e.before.after = e.after;
    if (e.after === undefined) this.last = e.before;
    else e.after.before = e.before;
    e.removed = true;
    this.count--;
    return true;
  }

  /**
   * The values in insertion order. As with a `Map`, an entry deleted during the iteration is not
   * visited if not reached yet, and one added is.
   */
  *values(): IterableIterator<V> {
    for (let e = this.first; e !== undefined; e = this.after(e)) yield e.value;
  }

  /** The next live entry after `e`, also when `e` was deleted meanwhile. */
  private after(e: Entry<V>): Entry<V> | undefined {
    if (!e.removed) return e.after;
    // Entries are only appended: the live predecessor's `after` is current, and what lies between
    // it and `e` was deleted.
    let p = e.before;
    while (p !== undefined && p.removed) p = p.before;
    return p === undefined ? this.first : p.after;
  }

  private find(key: string): Entry<V> | undefined {
    for (let e = this.index.get(tailNumber(key)); e !== undefined; e = e.same) if (e.key === key) return e;
    return undefined;
  }
}

/**
 * The key's length and last four UTF-16 code units, as one number in the small-integer range
 * (V8 keeps it unboxed: a larger one would cost a heap number per key).
 */
function tailNumber(key: string): number {
  const n = key.length;
  let h = n;
  h = (Math.imul(h, 31) + (key.charCodeAt(n - 1) | 0)) | 0;
  h = (Math.imul(h, 31) + (key.charCodeAt(n - 2) | 0)) | 0;
  h = (Math.imul(h, 31) + (key.charCodeAt(n - 3) | 0)) | 0;
  return ((Math.imul(h, 31) + (key.charCodeAt(n - 4) | 0)) | 0) & 0x3fffffff;
}
