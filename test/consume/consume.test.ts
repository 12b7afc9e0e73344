import assert from 'node:assert/strict';
import { LegacyChatSimulator, legacyChat } from '../../adapters/legacy-chat/index.js';
import { consume, type ConsumeOptions, type EventHandler } from '../../src/consume/consume.js';
import type { ChatshiftError } from '../../src/errors.js';
import { isChatshiftError } from '../../src/errors.js';
import type { ConversationEvent } from '../../src/model/event.js';
import { recordingStore, type RecordingStore } from '../support/stores.js';
import { sleep, waitFor } from '../support/wait.js';

// Issue #14: the safe path in one call — flow control, per-conversation order, bounded
// concurrency, retries, and a checkpoint saved as events are handled.
describe('consume()', function () {
  this.timeout(30_000);
  let sim: LegacyChatSimulator;
  beforeEach(async () => {
    sim = await LegacyChatSimulator.start();
  });
  afterEach(() => sim.close());

  const options = (store: RecordingStore, extra: Partial<ConsumeOptions> = {}): ConsumeOptions => ({
    backend: 'legacy-chat',
    checkpoint: store,
    legacy: legacyChat({
      ...sim.clientOptions(),
      acceptIncoming: true,
      pollIntervalMs: 20,
      backoff: { initialMs: 10, maxMs: 50 },
    }),
    ...extra,
  });
  const lineIds = (key: string): string[] =>
    sim
      .chat(key)
      .events.filter((e) => e.type === 'line')
      .map((e) => `legacy-chat:${key}:${e.id}`);
  const savedSeq = (store: RecordingStore, key: string): number =>
    store.checkpoint('legacy-chat', key)?.seq ?? -1;

  it('handles each event once, a conversation in order and one at a time, at most `concurrency` at once', async () => {
    const store = recordingStore();
    const keys = Array.from({ length: 6 }, () => sim.openConversation({ waiting: true }));
    for (let i = 0; i < 5; i++) for (const k of keys) sim.consumerSays(k, `line ${i}`);
    const handled: ConversationEvent[] = [];
    const busy = new Set<string>();
    let active = 0;
    let maxActive = 0;
    const consumer = consume(options(store, { concurrency: 2 }), async (e) => {
      assert.ok(!busy.has(e.conversationId), `two handlers at once for ${e.conversationId}`);
      busy.add(e.conversationId);
      maxActive = Math.max(maxActive, ++active);
      await sleep(2);
      active--;
      busy.delete(e.conversationId);
      handled.push(e);
    });
    const expected = keys.flatMap(lineIds);
    await waitFor(
      () => expected.every((id) => handled.some((e) => e.id === id)),
      () => `every line handled; ${handled.length} events so far`,
    );
    await consumer.stop();
    const ids = handled.map((e) => e.id);
    assert.equal(new Set(ids).size, ids.length, 'an event handled twice');
    assert.equal(maxActive, 2, 'handlers ran side by side, no more than 2');
    for (const k of keys) {
      const seqs = handled.filter((e) => e.conversationId === k && e.seq !== undefined).map((e) => e.seq);
      assert.deepEqual(
        seqs,
        [...seqs].sort((a, b) => (a ?? 0) - (b ?? 0)),
        `${k} handled in seq order`,
      );
    }
  });

  it("saves a conversation's cursor once its events are handled, while another conversation's handler is still running", async () => {
    const store = recordingStore();
    const slow = sim.openConversation({ waiting: true });
    const fast = sim.openConversation({ waiting: true });
    let release!: () => void;
    const blocked = new Promise<void>((r) => (release = r));
    const slowLine = sim.consumerSays(slow, 'slow');
    const fastLine = sim.consumerSays(fast, 'fast');
    const handled = new Set<string>();
    const consumer = consume(options(store), async (e) => {
      if (e.id === `legacy-chat:${slow}:${slowLine}`) await blocked;
      handled.add(e.id);
    });
    await waitFor(() => savedSeq(store, fast) >= fastLine, 'the fast conversation saved');
    assert.ok(!handled.has(`legacy-chat:${slow}:${slowLine}`));
    assert.ok(
      savedSeq(store, slow) < slowLine,
      `the slow conversation was saved past an event not handled (${savedSeq(store, slow)})`,
    );
    release();
    await waitFor(() => savedSeq(store, slow) >= slowLine, 'the slow conversation saved once handled');
    await consumer.stop();
  });

  it('retries a failing handler with backoff and goes on once it succeeds', async () => {
    const store = recordingStore();
    const key = sim.openConversation({ waiting: true });
    const flaky = sim.consumerSays(key, 'flaky');
    const after = sim.consumerSays(key, 'after');
    const attempts: number[] = [];
    const handled: string[] = [];
    const consumer = consume(options(store, { retry: { initialMs: 1, maxMs: 5 } }), (e, { attempt }) => {
      if (e.id === `legacy-chat:${key}:${flaky}`) {
        attempts.push(attempt);
        if (attempt < 3) throw new Error('database busy');
      }
      handled.push(e.id);
    });
    await waitFor(() => savedSeq(store, key) >= after, 'saved past the flaky event');
    await consumer.stop();
    assert.deepEqual(attempts, [1, 2, 3]);
    assert.ok(
      handled.indexOf(`legacy-chat:${key}:${flaky}`) < handled.indexOf(`legacy-chat:${key}:${after}`),
      'the next event waited for the retried one',
    );
  });

  it('stops with ERR_HANDLER_FAILED once the attempts run out; what was handled is saved, the failed event comes again', async () => {
    const store = recordingStore();
    const good = sim.openConversation({ waiting: true });
    const bad = sim.openConversation({ waiting: true });
    const goodLine = sim.consumerSays(good, 'fine');
    const before = sim.consumerSays(bad, 'before');
    const handled: string[] = [];
    let poison = -1;
    const handler: EventHandler = (e) => {
      if (e.id === `legacy-chat:${bad}:${poison}`) throw new Error('cannot store this one');
      handled.push(e.id);
    };
    const first = consume(options(store, { retry: { initialMs: 1, maxMs: 2, maxAttempts: 3 } }), handler);
    await waitFor(
      () => savedSeq(store, good) >= goodLine && savedSeq(store, bad) >= before,
      'the first lines saved',
    );
    poison = sim.consumerSays(bad, 'poison');
    const error = await first.done.then(
      () => assert.fail('done resolved'),
      (e: unknown) => e,
    );
    assert.ok(isChatshiftError(error, 'ERR_HANDLER_FAILED'), String(error));
    assert.equal((error as ChatshiftError).details['eventId'], `legacy-chat:${bad}:${poison}`);
    assert.equal((error as ChatshiftError).details['attempts'], 3);
    assert.equal(((error as ChatshiftError).cause as Error).message, 'cannot store this one');
    assert.ok(savedSeq(store, bad) < poison, 'the failed event was not saved as handled');

    // A restart on the same checkpoint: the failed event first, nothing handled before again.
    const again: string[] = [];
    const second = consume(options(store), (e) => {
      again.push(e.id);
    });
    await waitFor(() => again.includes(`legacy-chat:${bad}:${poison}`), 'the failed event delivered again');
    await second.stop();
    assert.deepEqual(
      again.filter((id) => handled.includes(id)),
      [],
      'events handled by the first run came again',
    );
  });

  it('a graceful stop saves what was handled: a restart delivers only what is new', async () => {
    const store = recordingStore();
    const keys = Array.from({ length: 3 }, () => sim.openConversation({ waiting: true }));
    for (const k of keys) for (let i = 0; i < 4; i++) sim.consumerSays(k, `a${i}`);
    const first: string[] = [];
    const one = consume(options(store, { concurrency: 4 }), async (e) => {
      await sleep(1);
      first.push(e.id);
    });
    const expected = keys.flatMap(lineIds);
    await waitFor(() => expected.every((id) => first.includes(id)), 'the first lines handled');
    await one.stop();
    await one.done;
    const newer = keys.map((k) => sim.consumerSays(k, 'later'));
    const second: string[] = [];
    const two = consume(options(store), (e) => {
      second.push(e.id);
    });
    await waitFor(
      () => keys.every((k, i) => second.includes(`legacy-chat:${k}:${newer[i]}`)),
      'the new lines delivered',
    );
    await two.stop();
    assert.deepEqual(
      second.filter((id) => first.includes(id)),
      [],
      'delivered again after a graceful stop',
    );
  });

  it('refuses bad options at the call with ERR_INVALID_OPTIONS', () => {
    const store = recordingStore();
    const base = options(store);
    const { checkpoint: _omitted, ...noCheckpoint } = base;
    const cases: Array<[string, () => unknown, RegExp]> = [
      ['no checkpoint', () => consume(noCheckpoint as ConsumeOptions, () => {}), /checkpoint must be/],
      ['no handler', () => consume(base, undefined as unknown as EventHandler), /handler must be/],
      ['concurrency 0', () => consume({ ...base, concurrency: 0 }, () => {}), /concurrency must be/],
      [
        'a flow of its own',
        () => consume({ ...base, flow: {} } as unknown as ConsumeOptions, () => {}),
        /flow must be unset/,
      ],
      [
        'retry.maxAttempts 0',
        () => consume({ ...base, retry: { maxAttempts: 0 } }, () => {}),
        /retry.maxAttempts/,
      ],
    ];
    for (const [name, call, message] of cases)
      assert.throws(
        call,
        (e: unknown) => isChatshiftError(e, 'ERR_INVALID_OPTIONS') && message.test((e as Error).message),
        name,
      );
  });
});
