import type { SchedulerAction, SchedulerLike, Subscription } from 'rxjs';

/** What the guarded scheduler asks of a lease. */
export interface LeaseCheck {
  /** Inside the confirmed window (no side effects). */
  held(): boolean;
  /** Inside the window; past it, fences the shard (synchronously) and answers false. */
  valid(): boolean;
}

/**
 * A scheduler whose work runs only while the lease is valid. A shard's backends are given one
 * bound to its lease: after a process was stopped (SIGSTOP, a long GC pause) past its lease, the
 * poll timers that fall due check the lease first, so a fenced owner sends no request.
 *
 * Work that falls due past the window is judged once the event loop has read its sockets (in
 * `setImmediate`): after a stall Node runs due timers before the replies that arrived meanwhile,
 * and the renewal confirming the lease may be one of them. Then it runs if the lease is valid, and
 * is dropped otherwise (`valid()` has fenced the shard by then).
 */
export function guardedScheduler(inner: SchedulerLike, lease: LeaseCheck): SchedulerLike {
  return {
    now: () => inner.now(),
    schedule<T>(
      work: (this: SchedulerAction<T>, state?: T) => void,
      delay?: number,
      state?: T,
    ): Subscription {
      return inner.schedule<T>(
        function (this: SchedulerAction<T>, s?: T) {
          if (lease.held()) return void work.call(this, s);
          setImmediate(() => {
            if (!this.closed && lease.valid()) work.call(this, s);
          });
        },
        delay,
        state,
      );
    },
  };
}
