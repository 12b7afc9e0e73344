import type { SchedulerLike, Subscription } from 'rxjs';
import type { ChatshiftError } from '../../src/errors.js';
import type { Logger } from '../../src/runtime/logger.js';
import type { RequestCorrelator } from './protocol.js';
import { requestTypes } from './wire.js';

export interface KeepAliveSettings {
  scheduler: SchedulerLike;
  logger: Logger;
  intervalMs: number;
  /** Deadline of each `.GetClock`; no answer and no other frame by then = dead socket. */
  timeoutMs: number;
}

/**
 * The dead-socket watchdog of one open socket: a `.GetClock` every interval; when it goes
 * unanswered and no other frame arrived meanwhile, `dead()` is called (the connection replaces the
 * socket). Skipped while reading is paused, since answers cannot be read then.
 */
export class KeepAlive {
  /** Frames read on this socket; the connection bumps it for every frame. */
  frames = 0;
  private timer: Subscription | undefined;
  private stopped = false;

  constructor(
    private readonly s: KeepAliveSettings,
    private readonly correlator: RequestCorrelator,
    private readonly paused: () => boolean,
    private readonly dead: () => void,
  ) {}

  start(): void {
    this.timer = this.s.scheduler.schedule(() => {
      if (this.stopped) return;
      this.beat();
      this.start();
    }, this.s.intervalMs);
  }

  stop(): void {
    this.stopped = true;
    this.timer?.unsubscribe();
  }

  private beat(): void {
    if (this.paused()) return;
    const seen = this.frames;
    this.correlator.request(requestTypes.getClock, {}, this.s.timeoutMs).then(
      () => undefined,
      (e: ChatshiftError) => {
        if (this.stopped || e.code !== 'ERR_TIMEOUT') return;
        // Frames still flowing prove the socket alive even if the answer is queued behind them.
        if (this.frames !== seen) return;
        this.s.logger.warn('messaging: keep-alive unanswered; replacing the socket', {
          code: 'ERR_TIMEOUT',
          timeoutMs: this.s.timeoutMs,
        });
        this.dead();
      },
    );
  }
}
