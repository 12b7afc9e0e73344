import assert from 'node:assert/strict';
import { Observable, Subject, type Subscriber } from 'rxjs';
import { relay } from '../../src/runtime/relay.js';

/** An outer Observable that subscribes `source` through a relay with `hooks`, as health/switch/dedupe do. */
const through = <T>(source: Observable<T>, hooks: Parameters<typeof relay<T>>[1] = {}): Observable<T> =>
  new Observable<T>((subscriber) => source.subscribe(relay<T>(subscriber, hooks)));

describe('relay (one subscriber per hop on the event path)', () => {
  it('passes values, the error and the completion on; hooks run in place of each', () => {
    const seen: string[] = [];
    const src = new Subject<number>();
    through(src).subscribe({
      next: (v) => seen.push(`next ${v}`),
      complete: () => seen.push('complete'),
    });
    src.next(1);
    src.next(2);
    src.complete();
    assert.deepEqual(seen, ['next 1', 'next 2', 'complete']);

    const order: string[] = [];
    const failing = new Subject<number>();
    through(failing, {
      next: (v, out) => out.next(v * 10),
      error: (e, out) => {
        order.push('hook');
        out.error(e);
      },
    }).subscribe({ next: (v) => order.push(`next ${v}`), error: () => order.push('error') });
    failing.next(3);
    failing.error(new Error('x'));
    assert.deepEqual(order, ['next 30', 'hook', 'error'], 'the hook runs before the error travels on');
  });

  it('unsubscribing outside tears the source down, and an ended source leaves nothing behind', () => {
    let tornDown = 0;
    const source = new Observable<number>(() => () => void tornDown++);
    const sub = through(source).subscribe();
    sub.unsubscribe();
    assert.equal(tornDown, 1);

    // Many sources that complete under one long-lived outer subscriber: each relay is removed
    // from it when it ends (no growth per phase, as switchBackends starts one per flag change).
    let outer!: Subscriber<number>;
    const host = new Observable<number>((s) => {
      outer = s;
    }).subscribe();
    for (let i = 0; i < 1000; i++) {
      const inner = new Subject<number>();
      inner.subscribe(relay<number>(outer, { complete: () => undefined }));
      inner.complete();
    }
    const finalizers = (outer as unknown as { _finalizers: unknown[] | null })._finalizers;
    assert.ok((finalizers?.length ?? 0) < 5, `finalizers kept: ${finalizers?.length}`);
    host.unsubscribe();
  });

  it('stops passing values once the outer subscriber is closed', () => {
    const src = new Subject<number>();
    const seen: number[] = [];
    const sub = through(src).subscribe((v) => seen.push(v));
    src.next(1);
    sub.unsubscribe();
    src.next(2);
    assert.deepEqual(seen, [1]);
    assert.equal(src.observed, false, 'the source lost its subscriber');
  });
});
