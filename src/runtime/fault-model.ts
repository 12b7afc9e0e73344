import type { PendingFault, QueueFaultOptions, SimulatorFaultQueue } from '../model/conversation-script.js';

/**
 * The fault model of a loopback simulator, written once for both: queued one-shot faults that the
 * simulator takes as matching requests arrive, and persistent switches over a starting set.
 */
export class FaultModel<F, S extends object> {
  /** The narrow view a simulator exposes as its `faults`. */
  readonly queue: SimulatorFaultQueue<F>;
  private readonly queued: PendingFault<F>[] = [];
  private readonly live: S;

  constructor(
    private readonly simulator: string,
    private readonly initial: Readonly<S>,
  ) {
    this.live = { ...initial };
    this.queue = {
      queue: (fault, options) => this.add(fault, options),
      pending: () => this.queued.map((p) => structuredClone(p)),
    };
  }

  /** The switches in force; the simulator reads them, callers get {@link snapshot}. */
  get switches(): Readonly<S> {
    return this.live;
  }

  snapshot(): Readonly<S> {
    return Object.freeze({ ...this.live });
  }

  configure(switches: Partial<S>): void {
    Object.assign(this.live, switches);
  }

  /** Drops the queue and restores the starting switches. */
  clear(): void {
    this.queued.length = 0;
    for (const k of Object.keys(this.live)) delete (this.live as Record<string, unknown>)[k];
    Object.assign(this.live, this.initial);
  }

  /** Takes one firing of the first queued fault that `matches`, if any. */
  take(matches: (fault: F) => boolean): F | undefined {
    const i = this.queued.findIndex((p) => matches(p.fault));
    const entry = this.queued[i];
    if (entry === undefined) return undefined;
    entry.times -= 1;
    if (entry.times <= 0) this.queued.splice(i, 1);
    return entry.fault;
  }

  assertNoPending(): void {
    if (this.queued.length === 0) return;
    const list = this.queued.map((p) => `${JSON.stringify(p.fault)} (${p.times} left)`).join(', ');
    throw new Error(`${this.simulator}: queued faults never fired: ${list}`);
  }

  private add(fault: F, options: QueueFaultOptions = {}): void {
    const times = options.times ?? 1;
    if (!Number.isInteger(times) || times < 1)
      throw new RangeError(`${this.simulator}: times must be a positive integer, got ${times}`);
    this.queued.push({ fault: structuredClone(fault), times });
  }
}
