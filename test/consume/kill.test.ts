import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LegacyChatSimulator } from '../../adapters/legacy-chat/index.js';
import { MessagingSimulator } from '../../adapters/messaging/index.js';
import { legacyExpected, messagingExpected } from '../reliability/support/common.js';
import { judge, summary } from '../reliability/support/truth.js';
import { EventChild } from '../support/event-child.js';
import { waitFor } from '../support/wait.js';

/** One consumer process (test/consume/support/consume-child.ts): the events its handler finished. */
class Child extends EventChild {
  constructor(config: unknown) {
    super('test/consume/support/consume-child.ts', config);
  }
  /** The checkpoint writes the process reported as completed, in order. */
  saves(): Array<{ backend: string; seqs: Record<string, number | null> }> {
    return this.stderr
      .split('\n')
      .filter((l) => l.startsWith('saved '))
      .map(
        (l) =>
          JSON.parse(l.slice('saved '.length)) as { backend: string; seqs: Record<string, number | null> },
      );
  }
}

// Issue #14: with consume(), a crash re-delivers only what was in flight, not the whole burst.
describe('consume(): kill -9 mid-burst and restart', function () {
  this.timeout(90_000);
  let legacy: LegacyChatSimulator;
  let messaging: MessagingSimulator;
  let dir: string;
  beforeEach(async () => {
    legacy = await LegacyChatSimulator.start();
    messaging = await MessagingSimulator.start({ frameLog: false });
    dir = mkdtempSync(join(tmpdir(), 'chatshift-consume-kill-'));
  });
  afterEach(async () => {
    EventChild.killAll();
    await legacy.close();
    await messaging.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const concurrency = 4;
  const config = () => ({
    checkpoint: join(dir, 'checkpoint.json'),
    legacy: { ...legacy.clientOptions() },
    messaging: { ...messaging.clientOptions() },
    handlerDelayMs: 25,
    concurrency,
  });

  it('loses nothing, handles nothing twice within one process, and re-delivers only events in flight at the kill', async () => {
    const chats = Array.from({ length: 3 }, () => legacy.openConversation({ waiting: true }));
    const convs = Array.from({ length: 3 }, (_, i) =>
      messaging.openConversation({ consumerId: `c${i}`, agentId: messaging.agentId }),
    );
    const ids = [...chats, ...convs];
    const first = new Child(config());
    const seen = (c: Child, id: string) => c.events.some((e) => e.conversationId === id);
    // As in test/reliability/restart.test.ts: an accepted legacy chat not yet saved is the one
    // window no client closes, so the kill comes once every chat was accepted and handled.
    await waitFor(
      () => chats.every((k) => !legacy.chat(k).ringing) && ids.every((id) => seen(first, id)),
      () => `every conversation handled before the burst; stderr: ${first.stderr.slice(-500)}`,
      20_000,
    );
    const before = first.events.length;
    const writesBefore = first.saves().length;
    for (let i = 0; i < 25; i++) {
      for (const k of chats) legacy.consumerSays(k, `burst ${i}`);
      for (const c of convs) messaging.consumerSays(c, `burst ${i}`);
    }
    await waitFor(
      () => first.events.length >= before + 90,
      () =>
        `the handler working through the burst: ${first.events.length - before} so far; ${first.stderr.slice(-800)}`,
      20_000,
    );
    await first.stop('SIGKILL');
    const handledByFirst = first.events.length;
    const writes = first.saves();
    const writesInBurst = writes.length - writesBefore;
    /** The cursor of each conversation (or dialog) in the last write the first process completed. */
    const savedAtKill = new Map<string, number>();
    for (const w of writes)
      for (const [id, seq] of Object.entries(w.seqs))
        if (seq !== null) savedAtKill.set(`${w.backend}:${id}`, seq);

    const second = new Child(config());
    for (const k of chats) legacy.consumerSays(k, 'after the restart');
    for (const c of convs) messaging.consumerSays(c, 'after the restart');
    await waitFor(
      () =>
        chats.every((k) =>
          legacyExpected(legacy.chat(k).events).every((s) =>
            [...first.events, ...second.events].some((e) => e.id === `legacy-chat:${k}:${s}`),
          ),
        ),
      () => `the restarted process caught up; stderr: ${second.stderr.slice(-1500)}`,
      20_000,
    );
    for (const k of chats) legacy.closeConversation(k);
    for (const c of convs) messaging.closeConversation(c);
    await waitFor(
      () =>
        ids.every((id) =>
          second.events.some((e) => e.conversationId === id && e.type === 'state' && e.state === 'closed'),
        ),
      () => `every conversation closed; stderr: ${second.stderr.slice(-1500)}`,
      20_000,
    );
    assert.equal(await second.stop('SIGTERM'), 0, second.stderr);

    for (const p of [first, second]) {
      const own = judge(p.events, new Map());
      assert.deepEqual([own.duplicated, own.outOfOrder, own.invalid], [0, 0, 0], own.examples.join('\n'));
    }
    const truth = new Map<string, number[]>([
      ...chats.map((k) => [`legacy-chat:${k}`, legacyExpected(legacy.chat(k).events)] as [string, number[]]),
      ...convs.map((c) => [`messaging:${c}`, messagingExpected(messaging.history(c))] as [string, number[]]),
    ]);
    const v = judge([...first.events, ...second.events], truth);
    const firstIds = new Map(first.events.map((e) => [e.id, JSON.stringify(e)]));
    const again = second.events.filter((e) => firstIds.has(e.id));
    for (const e of again)
      assert.equal(JSON.stringify(e), firstIds.get(e.id), 'a re-delivered event is identical');
    const unsaved = first.events.filter(
      (e) =>
        e.seq !== undefined &&
        e.seq > (savedAtKill.get(`${e.backend}:${e.dialogId ?? e.conversationId}`) ?? -1),
    );
    console.log(
      summary('consume kill -9', 0, v, {
        burst: 150,
        handledInBurst: handledByFirst - before,
        writesInBurst,
        handledNotWrittenAtKill: unsaved.length,
        reDelivered: again.length,
        concurrency,
      }),
    );
    assert.equal(v.lost, 0, v.examples.join('\n'));
    assert.equal(v.invalid, 0);
    // The restart resumed from the last completed write: only events handled after it came again
    // (plus at most those whose write was under way when the process died).
    for (const e of again)
      if (e.seq !== undefined)
        assert.ok(
          e.seq > (savedAtKill.get(`${e.backend}:${e.dialogId ?? e.conversationId}`) ?? -1),
          `${e.id} came again although a completed write covered it`,
        );
    assert.ok(
      again.length <= unsaved.length + concurrency,
      `re-delivered ${again.length}, handled and not written ${unsaved.length}`,
    );
    // Saved as events complete: the cursors moved while the burst was handled, not once at its end.
    assert.ok(
      writesInBurst >= 2,
      `${writesInBurst} checkpoint writes while ${handledByFirst - before} burst events were handled`,
    );
  });
});
