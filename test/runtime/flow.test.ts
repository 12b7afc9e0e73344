import assert from 'node:assert/strict';
import { Subject } from 'rxjs';
import { isChatshiftError } from '../../src/errors.js';
import { flowControl } from '../../src/runtime/flow.js';
import { recordingStore, type RecordingStore } from '../support/stores.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** The conversations of each save written to `inner`, in order. */
const written = (inner: RecordingStore): string[] => inner.saves.map((s) => Object.keys(s.changes).join());

describe('flowControl', () => {
  it('pauses at the high-water mark and resumes at the low-water mark, handling in order', async () => {
    const flow = flowControl({ highWaterMark: 4, lowWaterMark: 1 });
    const states: boolean[] = [];
    flow.paused$.subscribe((p) => states.push(p));
    const gates: Array<() => void> = [];
    /** Lets the handler in progress finish, and the next one start. */
    const releaseOne = async (): Promise<void> => {
      await tick();
      gates.shift()?.();
      await tick();
      await tick();
    };
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
    for (let i = 0; i < 3; i++) await releaseOne();
    assert.equal(flow.pending, 2);
    assert.equal(flow.paused, true, 'still paused above the low-water mark');
    await releaseOne();
    assert.equal(flow.pending, 1);
    assert.equal(flow.paused, false, 'resumed at the low-water mark');
    await releaseOne();
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

  it('checkpoints(): a save is written only once every event received before it was handled', async () => {
    const flow = flowControl({ highWaterMark: 10 });
    const inner = recordingStore();
    const store = flow.checkpoints(inner);
    await store.save('messaging', { caughtUp: { seq: 0 } });
    assert.deepEqual(written(inner), ['caughtUp'], 'nothing pending: written at once');
    const input = new Subject<number>();
    const gates: Array<() => void> = [];
    input.pipe(flow.process(() => new Promise<void>((r) => gates.push(r)))).subscribe();
    input.next(1);
    input.next(2);
    let firstDone = false;
    const first = store.save('messaging', { a: { seq: 2 } }).then(() => (firstDone = true));
    input.next(3);
    const second = store.save('messaging', { b: { seq: 3 } });
    await tick();
    gates.shift()?.();
    await tick();
    await tick();
    assert.deepEqual(written(inner), ['caughtUp'], 'event 2 not handled yet');
    assert.equal(firstDone, false);
    gates.shift()?.();
    await first;
    assert.deepEqual(written(inner), ['caughtUp', 'a'], 'events 1 and 2 handled: the first save is written');
    gates.shift()?.();
    await second;
    assert.deepEqual(written(inner), ['caughtUp', 'a', 'b']);
  });

  it('checkpoints(): a save covering events never handled is dropped when the consumer goes', async () => {
    const flow = flowControl({ highWaterMark: 10 });
    const inner = recordingStore();
    const store = flow.checkpoints(inner);
    const input = new Subject<number>();
    const sub = input.pipe(flow.process(() => new Promise<void>(() => undefined))).subscribe();
    input.next(1);
    const saved = store.save('legacy-chat', { a: { seq: 1 } });
    sub.unsubscribe();
    await saved;
    assert.deepEqual(written(inner), []);
  });

  /** Whether `p` settles within a few turns of the event loop. */
  const settles = async (p: Promise<unknown>): Promise<boolean> => {
    let done = false;
    void p.then(() => (done = true));
    for (let i = 0; i < 5; i++) await tick();
    return done;
  };

  it('reused after a handler threw (a retry()): later saves are written (#15)', async () => {
    const flow = flowControl({ highWaterMark: 10 });
    const inner = recordingStore();
    const store = flow.checkpoints(inner);
    const first = new Subject<number>();
    first
      .pipe(
        flow.process((n: number) => {
          if (n === 2) throw new Error('handler failed');
        }),
      )
      .subscribe({ error: () => undefined });
    first.next(1);
    first.next(2);
    first.next(3);
    await tick();
    const again = new Subject<number>();
    again.pipe(flow.process(() => undefined)).subscribe();
    again.next(4);
    await tick();
    assert.equal(await settles(store.save('legacy-chat', { a: { seq: 4 } })), true, 'the save waits forever');
    assert.deepEqual(written(inner), ['a']);
    assert.equal(flow.pending, 0);
  });

  it('reused after an unsubscribe with events pending: later saves are written (#15)', async () => {
    const flow = flowControl({ highWaterMark: 10 });
    const inner = recordingStore();
    const store = flow.checkpoints(inner);
    const first = new Subject<number>();
    const sub = first.pipe(flow.process(() => new Promise<void>(() => undefined))).subscribe();
    first.next(1);
    first.next(2);
    sub.unsubscribe();
    const again = new Subject<number>();
    again.pipe(flow.process(() => undefined)).subscribe();
    again.next(3);
    await tick();
    assert.equal(await settles(store.save('messaging', { b: { seq: 3 } })), true, 'the save waits forever');
    assert.deepEqual(written(inner), ['b']);
  });

  it('checkpoints(): at teardown, a dropped save still writes the conversations whose events were all handled (#15)', async () => {
    const flow = flowControl({ highWaterMark: 10 });
    const inner = recordingStore();
    const store = flow.checkpoints(inner);
    const ev = (conversationId: string, seq: number) => ({ backend: 'messaging', conversationId, seq });
    const input = new Subject<ReturnType<typeof ev>>();
    const gates: Array<() => void> = [];
    const sub = input
      .pipe(
        flow.process((e: ReturnType<typeof ev>) =>
          e.conversationId === 'slow' ? new Promise<void>((r) => gates.push(r)) : undefined,
        ),
      )
      .subscribe();
    input.next(ev('done', 1));
    input.next(ev('slow', 1));
    input.next(ev('queued', 1)); // behind 'slow' in the queue: never handled
    const saved = store.save('messaging', { done: { seq: 1 }, slow: { seq: 1 }, queued: { seq: 1 } });
    sub.unsubscribe();
    await saved;
    assert.deepEqual(written(inner), ['done'], 'only the fully handled conversation is written');
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
