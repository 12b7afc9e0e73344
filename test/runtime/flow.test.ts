import assert from 'node:assert/strict';
import { Subject } from 'rxjs';
import { isChatshiftError } from '../../src/errors.js';
import { flowControl } from '../../src/runtime/flow.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('flowControl', () => {
  it('pauses at the high-water mark and resumes at the low-water mark, handling in order', async () => {
    const flow = flowControl({ highWaterMark: 4, lowWaterMark: 1 });
    const states: boolean[] = [];
    flow.paused$.subscribe((p) => states.push(p));
    const gates: Array<() => void> = [];
    const handled: number[] = [];
    const out: number[] = [];
    const input = new Subject<number>();
    input
      .pipe(
        flow.process(async (n: number) => {
          await new Promise<void>((r) => gates.push(r));
          handled.push(n);
        }),
      )
      .subscribe((n) => out.push(n));
    for (let i = 0; i < 3; i++) input.next(i);
    assert.equal(flow.pending, 3);
    assert.equal(flow.paused, false);
    input.next(3);
    assert.equal(flow.paused, true, 'paused at 4 pending');
    input.next(4);
    assert.equal(flow.pending, 5, 'a source may still push a little after the pause');
    for (let i = 0; i < 3; i++) {
      await tick();
      gates.shift()?.();
      await tick();
    }
    assert.equal(flow.pending, 2);
    assert.equal(flow.paused, true, 'still paused above the low-water mark');
    await tick();
    gates.shift()?.();
    await tick();
    await tick();
    assert.equal(flow.pending, 1);
    assert.equal(flow.paused, false, 'resumed at the low-water mark');
    await tick();
    gates.shift()?.();
    await tick();
    await tick();
    assert.deepEqual(handled, [0, 1, 2, 3, 4]);
    assert.deepEqual(out, [0, 1, 2, 3, 4]);
    assert.deepEqual(states, [false, true, false]);
  });

  it('whenFlowing waits for the resume, or for an abort', async () => {
    const flow = flowControl({ highWaterMark: 1 });
    await flow.whenFlowing(); // not paused: at once
    const input = new Subject<number>();
    let release = (): void => undefined;
    input.pipe(flow.process(() => new Promise<void>((r) => (release = r)))).subscribe();
    input.next(1);
    assert.equal(flow.paused, true);
    let resumed = false;
    const waiting = flow.whenFlowing().then(() => (resumed = true));
    const abort = new AbortController();
    const aborted = flow.whenFlowing(abort.signal);
    abort.abort();
    await aborted;
    await tick();
    assert.equal(resumed, false);
    release();
    await waiting;
    assert.equal(resumed, true);
  });

  it('unsubscribing gives back the events it never handled', async () => {
    const flow = flowControl({ highWaterMark: 2 });
    const input = new Subject<number>();
    const sub = input.pipe(flow.process(() => new Promise<void>(() => undefined))).subscribe();
    input.next(1);
    input.next(2);
    input.next(3);
    assert.equal(flow.paused, true);
    sub.unsubscribe();
    assert.equal(flow.pending, 0);
    assert.equal(flow.paused, false);
  });

  it('a failing handler errors the stream and releases its count', async () => {
    const flow = flowControl({ highWaterMark: 10 });
    const input = new Subject<number>();
    const error = await new Promise<unknown>((resolve) => {
      input
        .pipe(
          flow.process((n: number) => {
            if (n === 2) throw new Error('db down');
          }),
        )
        .subscribe({ error: resolve });
      input.next(1);
      input.next(2);
      input.next(3);
    });
    assert.match(String(error), /db down/);
    assert.equal(flow.pending, 0);
  });

  it('rejects bad water marks with ERR_INVALID_OPTIONS', () => {
    for (const o of [{ highWaterMark: 0 }, { highWaterMark: 1.5 }, { highWaterMark: 4, lowWaterMark: 4 }]) {
      assert.throws(
        () => flowControl(o),
        (e: unknown) => isChatshiftError(e, 'ERR_INVALID_OPTIONS'),
      );
    }
  });
});
