/**
 * Runs tasks with at most `concurrency` running at once, one at a time per key, each key's tasks
 * in arrival order: conversations are handled side by side, the events of one in sequence.
 */
export class KeyedQueue<T> {
  /** Per key, its tasks not finished yet; the head is running when the key is not in `ready`. */
  private readonly queues = new Map<string, T[]>();
  /** Keys with a task waiting for a free slot, in the order they became runnable. */
  private readonly ready: string[] = [];
  /** Keys whose task did not succeed: their later tasks are dropped, never run out of order. */
  private readonly blocked = new Set<string>();
  private running = 0;
  private closed = false;
  private idle: Array<() => void> = [];

  /**
   * @param concurrency Tasks running at once, at most.
   * @param run Runs one task; resolves once it finished, `false` if it did not succeed (it must
   *   not reject): the key's queued and later tasks are then dropped.
   * @param dropped Called for each queued task {@link close} drops (never started).
   */
  constructor(
    private readonly concurrency: number,
    private readonly run: (task: T) => Promise<boolean>,
    private readonly dropped: (task: T) => void,
  ) {}

  /** Tasks queued or running. */
  get size(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.length;
    return n;
  }

  /** Queues a task behind the others of its key (ignored once closed: reported as dropped). */
  push(key: string, task: T): void {
    if (this.closed || this.blocked.has(key)) return this.dropped(task);
    const q = this.queues.get(key);
    if (q !== undefined) {
      q.push(task);
      return;
    }
    this.queues.set(key, [task]);
    this.ready.push(key);
    this.pump();
  }

  /** Resolves once every task queued (now or later) has run and none is left. */
  drained(): Promise<void> {
    if (this.running === 0 && this.ready.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** Starts nothing more, drops the queued tasks; resolves once the running ones finished. */
  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      for (const [key, q] of this.queues) {
        // The head of a key not waiting in `ready` is running: it stays until it finishes.
        const runningHead = !this.ready.includes(key);
        const drop = runningHead ? q.splice(1) : q.splice(0);
        for (const t of drop) this.dropped(t);
        if (q.length === 0) this.queues.delete(key);
      }
      this.ready.length = 0;
    }
    return this.drained();
  }

  private pump(): void {
    while (!this.closed && this.running < this.concurrency && this.ready.length > 0) {
      const key = this.ready.shift() as string;
      this.start(key);
    }
  }

  private start(key: string): void {
    const q = this.queues.get(key) as T[];
    this.running++;
    void this.run(q[0] as T).then((ok) => {
      this.running--;
      q.shift();
      if (!ok) {
        this.blocked.add(key);
        for (const t of q.splice(0)) this.dropped(t);
      }
      if (q.length === 0) this.queues.delete(key);
      else if (!this.closed) this.ready.push(key);
      this.pump();
      if (this.running === 0 && this.ready.length === 0) {
        const waiters = this.idle;
        this.idle = [];
        for (const w of waiters) w();
      }
    });
  }
}
