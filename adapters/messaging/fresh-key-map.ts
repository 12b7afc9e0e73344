// A string-keyed map whose lookups are cheap for keys fresh from JSON.parse.

/**
 * A `Map<string, V>` (the operations the conversation tracker uses) whose `get` does not hash the
 * whole key. Every frame's `dialogId` is a new string from JSON.parse, and `Map#get` computes its
 * hash over all of it first: ~80 ns for a 36-character id here, against ~25 ns for this lookup
 * (bench/stages.ts, docs/benchmarks.md). Entries are also filed under a number made of the key's
 * length and its last four characters — conversation and dialog ids are server-made UUIDs, whose
 * tails are random — and `get` compares the few keys filed under that number with `===`. Keys
 * sharing a tail only make their bucket longer (at most the open conversations of one agent), never
 * a wrong answer. Iteration keeps insertion order, as a `Map` does.
 */
export class FreshKeyMap<V> {
  private readonly entries = new Map<string, V>();
  private readonly buckets = new Map<number, Array<{ key: string; value: V }>>();

  get size(): number {
    return this.entries.size;
  }

  get(key: string): V | undefined {
    const bucket = this.buckets.get(tailNumber(key));
    if (bucket === undefined) return undefined;
    for (let i = 0; i < bucket.length; i++) {
      const e = bucket[i]!;
      if (e.key === key) return e.value;
    }
    return undefined;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  set(key: string, value: V): this {
    this.entries.set(key, value);
    const n = tailNumber(key);
    const bucket = this.buckets.get(n);
    if (bucket === undefined) this.buckets.set(n, [{ key, value }]);
    else {
      const e = bucket.find((x) => x.key === key);
      if (e === undefined) bucket.push({ key, value });
      else e.value = value;
    }
    return this;
  }

  delete(key: string): boolean {
    if (!this.entries.delete(key)) return false;
    const n = tailNumber(key);
    const bucket = this.buckets.get(n)!;
    if (bucket.length === 1) this.buckets.delete(n);
    else
      bucket.splice(
        bucket.findIndex((x) => x.key === key),
        1,
      );
    return true;
  }

  values(): IterableIterator<V> {
    return this.entries.values();
  }
}

/** The key's length and last four UTF-16 code units, as one 32-bit number. */
function tailNumber(key: string): number {
  const n = key.length;
  let h = n;
  h = (Math.imul(h, 31) + (key.charCodeAt(n - 1) | 0)) | 0;
  h = (Math.imul(h, 31) + (key.charCodeAt(n - 2) | 0)) | 0;
  h = (Math.imul(h, 31) + (key.charCodeAt(n - 3) | 0)) | 0;
  return (Math.imul(h, 31) + (key.charCodeAt(n - 4) | 0)) | 0;
}
