import type { SchedulerAction, SchedulerLike, Subscription } from 'rxjs';

/**
 * A scheduler whose work runs only while `allowed()` holds. A shard's backends are given one
 * bound to its lease: after a process was stopped (SIGSTOP, a long GC pause) past its lease, the
 * poll timers that fall due on waking check the lease first, so a fenced owner sends no request.
 * `allowed()` itself fences the shard when the lease window has passed.
 */
export function guardedScheduler(inner: SchedulerLike, allowed: () => boolean): SchedulerLike {
  return {
    now: () => inner.now(),
    schedule<T>(
      work: (this: SchedulerAction<T>, state?: T) => void,
      delay?: number,
      state?: T,
    ): Subscription {
      return inner.schedule<T>(
        function (this: SchedulerAction<T>, s?: T) {
          if (allowed()) work.call(this, s);
        },
        delay,
        state,
      );
    },
  };
}
