import type { SchedulerLike, Subscription } from 'rxjs';
import type { ChatshiftError } from '../../src/errors.js';

/** The shortest wait after a request answered 429 (production-behaviour.md M4: "wait ≥ 1 s"). */
export const MIN_RATE_LIMIT_WAIT_MS = 1_000;
/** The longest wait a server may ask for after a 429 (its `retryAfter` is clamped to this). */
export const MAX_RATE_LIMIT_WAIT_MS = 60_000;

/**
 * The wait a request failure asks for when it is a 429 (`retryAfter` seconds in the body, if any,
 * clamped to [{@link MIN_RATE_LIMIT_WAIT_MS}, {@link MAX_RATE_LIMIT_WAIT_MS}]); `undefined` for
 * any other failure.
 */
export function rateLimitWait(error: ChatshiftError): number | undefined {
  const details = error.details as { code?: unknown; retryAfterMs?: unknown } | undefined;
  if (details?.code !== 429) return undefined;
  const asked = typeof details.retryAfterMs === 'number' ? details.retryAfterMs : 0;
  return Math.min(MAX_RATE_LIMIT_WAIT_MS, Math.max(MIN_RATE_LIMIT_WAIT_MS, asked));
}

/**
 * One global budget for history queries: one start every `1000 / perSecond` ms (evenly spread, no
 * burst: a server counting in its own 1 s windows, with network jitter, sees at most `perSecond + 1`),
 * and none while a 429 hold is in force. Work waits in a FIFO queue and is started by one timer,
 * so a reconnect with 1,000 followed conversations sends them over 1,000 / `perSecond` seconds
 * instead of at once.
 */
export class RequestPacer {
  private readonly intervalMs: number;
  private nextAt = Number.NEGATIVE_INFINITY;
  private readonly queue: Array<() => void> = [];
  private blockedUntil = 0;
  private timer: Subscription | undefined;

  constructor(
    private readonly scheduler: SchedulerLike,
    perSecond: number,
  ) {
    this.intervalMs = 1000 / perSecond;
  }

  /** Runs `work` now if the budget allows, else as soon as it does (in submission order). */
  submit(work: () => void): void {
    this.queue.push(work);
    this.pump();
  }

  /** A 429 was answered: nothing starts for `waitMs`. */
  holdFor(waitMs: number): void {
    this.blockedUntil = Math.max(this.blockedUntil, this.scheduler.now() + waitMs);
    this.timer?.unsubscribe();
    this.timer = undefined;
    this.pump();
  }

  /** Number of queued pieces of work. */
  get waiting(): number {
    return this.queue.length;
  }

  /** Drops every queued piece of work and the timer. */
  clear(): void {
    this.queue.length = 0;
    this.timer?.unsubscribe();
    this.timer = undefined;
  }

  private pump(): void {
    if (this.timer !== undefined) return;
    while (this.queue.length > 0) {
      const now = this.scheduler.now();
      const wait = Math.max(this.blockedUntil, this.nextAt) - now;
      if (wait > 0) {
        this.timer = this.scheduler.schedule(() => {
          this.timer = undefined;
          this.pump();
        }, wait);
        return;
      }
      this.nextAt = now + this.intervalMs;
      (this.queue.shift() as () => void)();
    }
  }
}
