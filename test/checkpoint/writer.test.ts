import assert from 'node:assert/strict';
import { VirtualTimeScheduler } from 'rxjs';
import type { CheckpointStore, ConversationCheckpoint } from '../../src/checkpoint/store.js';
import { CheckpointWriter, type CheckpointWriterOptions } from '../../src/checkpoint/writer.js';
import { isChatshiftError, type ChatshiftError } from '../../src/errors.js';

type Changes = Record<string, ConversationCheckpoint | null>;

/** A store that records each save and lets the test decide when (and how) each one settles. */
function gatedStore(): CheckpointStore & { saves: Changes[]; settle(error?: Error): void } {
  const saves: Changes[] = [];
  const gates: Array<(error?: Error) => void> = [];
  return {
    saves,
    load: () => Promise.resolve({}),
    save(_backend, changes) {
      saves.push(changes);
      return new Promise<void>((resolve, reject) =>
        gates.push((error) => (error === undefined ? resolve() : reject(error))),
      );
    },
    settle(error) {
      const gate = gates.shift();
      assert.ok(gate !== undefined, 'no save in flight');
      gate(error);
    },
  };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** A writer over `store` that fails the test on any reported error, unless options say otherwise. */
const writerOver = (
  store: CheckpointStore | undefined,
  options: Partial<CheckpointWriterOptions> = {},
): CheckpointWriter =>
  new CheckpointWriter({
    backend: 'legacy-chat',
    store,
    scheduler: new VirtualTimeScheduler(),
    onError: (e) => assert.fail(e),
    logger: { warn() {}, error() {} },
    ...options,
  });

describe('CheckpointWriter', () => {
  it('moves its generation each time the marks are taken for a save, so a caller that skips re-marking within one loses nothing', async () => {
    const store = gatedStore();
    const seqs: Record<string, number> = { a: 0 };
    const w = writerOver(store, { entryOf: (id) => ({ seq: seqs[id] as number }) });
    // The tracker's per-event use: mark only when the generation moved since the last mark.
    let markedIn = -1;
    const change = (seq: number): void => {
      seqs['a'] = seq;
      if (markedIn === w.generation) return;
      markedIn = w.generation;
      w.mark('a');
    };
    change(1);
    change(2);
    assert.equal(w.pending, 1);
    const first = w.flush();
    await tick();
    change(3); // after the marks were taken: must be marked again
    assert.equal(w.pending, 1, 'a change after the take is marked anew');
    store.settle();
    assert.equal(await first, true);
    const second = w.flush();
    await tick();
    store.settle();
    assert.equal(await second, true);
    assert.deepEqual(store.saves, [{ a: { seq: 2 } }, { a: { seq: 3 } }]);
  });

  it('saves only marked conversations, once each, with the latest entry', async () => {
    const store = gatedStore();
    const w = writerOver(store);
    w.mark('a', { seq: 1 });
    w.mark('a', { seq: 2 });
    w.mark('b', null);
    assert.equal(w.pending, 2);
    const flushed = w.flush();
    await tick();
    store.settle();
    assert.equal(await flushed, true);
    assert.deepEqual(store.saves, [{ a: { seq: 2 }, b: null }]);
    assert.equal(await w.flush(), true, 'nothing left: resolves without a save');
    assert.equal(store.saves.length, 1);
  });

  it('reads entries marked without one at save time, so marking stays cheap', async () => {
    const store = gatedStore();
    let seq = 1;
    const w = writerOver(store, {
      backend: 'messaging',
      entryOf: (id) => (id === 'gone' ? undefined : { seq }),
    });
    w.mark('a');
    w.mark('gone');
    seq = 7;
    const flushed = w.flush();
    store.settle();
    await flushed;
    assert.deepEqual(store.saves, [{ a: { seq: 7 }, gone: null }]);
  });

  it('never overlaps saves: a flush during a save waits for it, then writes what changed since', async () => {
    const store = gatedStore();
    const w = writerOver(store);
    w.mark('a', { seq: 1 });
    const first = w.flush();
    w.mark('a', { seq: 2 });
    const second = w.flush();
    await tick();
    assert.equal(store.saves.length, 1, 'the second save waits for the first');
    store.settle();
    await first;
    await tick();
    assert.equal(store.saves.length, 2);
    store.settle();
    assert.equal(await second, true);
    assert.deepEqual(store.saves, [{ a: { seq: 1 } }, { a: { seq: 2 } }]);
  });

  it('with throttleMs saves the first change at once, then at most every throttleMs', async () => {
    const store = gatedStore();
    const scheduler = new VirtualTimeScheduler();
    const w = writerOver(store, { backend: 'messaging', scheduler, throttleMs: 250 });
    w.mark('a', { seq: 1 });
    scheduler.flush(); // the leading edge: due at once
    assert.equal(store.saves.length, 1);
    w.mark('a', { seq: 2 });
    w.mark('b', { seq: 1 });
    store.settle();
    await tick();
    await tick();
    // The follow-up save is scheduled 250 ms after the first, not sooner.
    assert.equal(store.saves.length, 1);
    scheduler.flush();
    assert.equal(store.saves.length, 2);
    assert.ok(scheduler.now() >= 250, `second save at ${scheduler.now()} ms`);
    assert.deepEqual(store.saves[1], { a: { seq: 2 }, b: { seq: 1 } });
    store.settle();
  });

  it('reports a failed save as ERR_CHECKPOINT_IO while running, and only logs it once closed', async () => {
    const store = gatedStore();
    const errors: ChatshiftError[] = [];
    const logged: string[] = [];
    const w = writerOver(store, {
      onError: (e) => errors.push(e),
      logger: { warn() {}, error: (m) => logged.push(m) },
    });
    w.mark('a', { seq: 1 });
    const flushed = w.flush();
    store.settle(new Error('disk full'));
    assert.equal(await flushed, false);
    assert.equal(errors.length, 1);
    assert.ok(isChatshiftError(errors[0], 'ERR_CHECKPOINT_IO'));

    w.mark('b', { seq: 1 });
    const closed = w.close();
    await tick();
    store.settle(new Error('still full'));
    await closed;
    assert.equal(errors.length, 1, 'nobody to tell after close: logged instead');
    assert.deepEqual(logged, ['legacy-chat: final checkpoint save failed']);
  });

  it('close() waits for the save in flight and writes the last changes; a late mark is still saved', async () => {
    const store = gatedStore();
    const w = writerOver(store);
    w.mark('a', { seq: 1 });
    void w.flush();
    w.mark('b', { seq: 4 });
    let closed = false;
    const closing = w.close().then(() => (closed = true));
    await tick();
    assert.equal(closed, false);
    store.settle();
    await tick();
    assert.equal(closed, false, 'still writing b');
    store.settle();
    await closing;
    assert.deepEqual(store.saves, [{ a: { seq: 1 } }, { b: { seq: 4 } }]);

    // An accept answered after the stop: the chat must not be lost.
    w.mark('c', { seq: -1 });
    await tick();
    store.settle();
    assert.deepEqual(store.saves[2], { c: { seq: -1 } });
  });

  it('without a store drops marks and every flush succeeds', async () => {
    const w = writerOver(undefined, { backend: 'messaging', throttleMs: 250 });
    w.mark('a', { seq: 1 });
    assert.equal(w.pending, 0);
    assert.equal(await w.flush(), true);
    await w.close();
  });
});
