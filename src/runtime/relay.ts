import { Subscriber } from 'rxjs';

/** What a {@link relay} does with each notification; each defaults to passing it on. */
export interface RelayHooks<T, R> {
  next?: (value: T, destination: Subscriber<R>) => void;
  error?: (error: unknown, destination: Subscriber<R>) => void;
  complete?: (destination: Subscriber<R>) => void;
}

/**
 * A subscriber to give `source.subscribe()` inside an Observable's subscribe function, passing what
 * the source emits on to `destination` (the outer subscriber) through `hooks`. A plain observer
 * object costs a safe-subscriber wrapper, its consumer-observer and a closure per value, on the
 * per-event path of every backend; this is one subscriber, as RxJS's own operators do it
 * (`Subscriber` subclasses). It is a child of `destination`: unsubscribing the outer subscription
 * unsubscribes the source, and an error or completion ends it after its hook ran.
 */
export function relay<T, R = T>(destination: Subscriber<R>, hooks: RelayHooks<T, R> = {}): Subscriber<T> {
  return new Relay(destination, hooks);
}

class Relay<T, R> extends Subscriber<T> {
  constructor(
    private readonly out: Subscriber<R>,
    private readonly hooks: RelayHooks<T, R>,
  ) {
    super(out);
  }

  protected override _next(value: T): void {
    const next = this.hooks.next;
    if (next === undefined) this.out.next(value as unknown as R);
    else next(value, this.out);
  }

  protected override _error(error: unknown): void {
    try {
      const hook = this.hooks.error;
      if (hook === undefined) this.out.error(error);
      else hook(error, this.out);
    } finally {
      this.unsubscribe();
    }
  }

  protected override _complete(): void {
    try {
      const hook = this.hooks.complete;
      if (hook === undefined) this.out.complete();
      else hook(this.out);
    } finally {
      this.unsubscribe();
    }
  }
}
