import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LegacyChatSimulator } from '../../adapters/legacy-chat/index.js';
import { MessagingSimulator } from '../../adapters/messaging/index.js';
import type { ConversationEvent } from '../../src/model/event.js';
import { legacyExpected, messagingExpected, waitAllClosed } from './support/common.js';
import { rng, runSeed, type Rng } from './support/prng.js';
import { judge, summary } from './support/truth.js';
import { EventChild } from '../support/event-child.js';
import { sleep, waitFor } from '../support/wait.js';

/** The consumer process of test/support/follow.ts: NDJSON events on stdout, file checkpoint store. */
class Follower extends EventChild {
  constructor(config: unknown) {
    super('test/support/follow.ts', config);
  }
}

/**
 * Waits until the followers between them have seen every conversation. The runs close only what
 * was seen, so that a close never races the restarted process's first subscription.
 */
function waitAllSeen(followers: Follower[], ids: string[]): Promise<void> {
  const unseen = () =>
    ids.filter((id) => !followers.some((f) => f.events.some((e) => e.conversationId === id)));
  return waitFor(
    () => unseen().length === 0,
    () =>
      `every conversation seen after the restart; never seen: ${unseen().join(', ')}; ` +
      `last process stderr: ${followers.at(-1)?.stderr.slice(-1500) ?? ''}`,
    20_000,
  );
}

describe('reliability: process restart with the file checkpoint store', function () {
  this.timeout(60_000);
  const seed = runSeed('restart');
  let legacy: LegacyChatSimulator;
  let messaging: MessagingSimulator;
  let dir: string;
  beforeEach(async () => {
    legacy = await LegacyChatSimulator.start();
    messaging = await MessagingSimulator.start({ frameLog: false });
    dir = mkdtempSync(join(tmpdir(), 'chatshift-restart-'));
  });
  afterEach(async () => {
    EventChild.killAll();
    await legacy.close();
    await messaging.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const config = (handlerDelayMs?: number) => ({
    ...(handlerDelayMs === undefined ? {} : { handlerDelayMs }),
    checkpoint: join(dir, 'checkpoint.json'),
    backend: 'both',
    legacy: { ...legacy.clientOptions() },
    messaging: { ...messaging.clientOptions() },
  });

  /** Traffic on both simulators; returns the ids of everything opened. */
  function traffic(r: Rng, chats: string[], convs: string[], steps: number, newChats = true): void {
    for (let i = 0; i < steps; i++) {
      if (newChats && chats.length < 4 && r.chance(0.15))
        chats.push(legacy.openConversation({ waiting: true }));
      if (convs.length < 4 && r.chance(0.15)) convs.push(messaging.openConversation({ waiting: true }));
      if (chats.length > 0) legacy.consumerSays(r.pick(chats), `v${i}`);
      if (convs.length > 0) messaging.consumerSays(r.pick(convs), `c${i}`);
    }
  }

  const truth = (chats: string[], convs: string[]) =>
    new Map<string, number[]>([
      ...chats.map((k) => [`legacy-chat:${k}`, legacyExpected(legacy.chat(k).events)] as [string, number[]]),
      ...convs.map((c) => [`messaging:${c}`, messagingExpected(messaging.history(c))] as [string, number[]]),
    ]);

  const closeAll = (chats: string[], convs: string[]) => {
    for (const k of chats) legacy.closeConversation(k);
    for (const c of convs) messaging.closeConversation(c);
  };
  const allClosed = (events: ConversationEvent[], ids: string[]) =>
    ids.every((id) =>
      events.some((e) => e.conversationId === id && e.type === 'state' && e.state === 'closed'),
    );

  it('after SIGTERM and a restart, nothing is lost and nothing is delivered twice', async () => {
    const r = rng(seed);
    const chats: string[] = [];
    const convs: string[] = [];
    const first = new Follower(config());
    traffic(r, chats, convs, 30);
    await waitFor(() => first.events.length > 20, 'first process streaming');
    traffic(r, chats, convs, 20);
    await sleep(r.int(0, 100));
    assert.equal(await first.stop('SIGTERM'), 0);
    traffic(r, chats, convs, 20); // while nobody listens
    const second = new Follower(config());
    traffic(r, chats, convs, 20);
    await waitAllSeen([first, second], [...chats, ...convs]);
    closeAll(chats, convs);
    await waitFor(
      () => allClosed([...first.events, ...second.events], [...chats, ...convs]),
      'all closed',
      20_000,
    );
    await second.stop('SIGTERM');
    const v = judge([...first.events, ...second.events], truth(chats, convs));
    console.log(
      summary('restart SIGTERM', seed, v, { first: first.events.length, second: second.events.length }),
    );
    assert.deepEqual(
      { lost: v.lost, duplicated: v.duplicated, outOfOrder: v.outOfOrder, invalid: v.invalid },
      { lost: 0, duplicated: 0, outOfOrder: 0, invalid: 0 },
      v.examples.join('\n'),
    );
  });

  // #11: a restart after the flag moved on must still deliver the tails of the chats the old
  // backend was draining (its checkpoint holds them open): drain-on-start, across processes.
  it('a restart after the flag moved to messaging drains the legacy chats the checkpoint holds open: nothing lost, nothing twice', async () => {
    const r = rng(seed + 3);
    const chats: string[] = [legacy.openConversation({ waiting: true })];
    const convs: string[] = [];
    const first = new Follower(config());
    traffic(r, chats, convs, 30);
    await waitFor(() => first.events.length > 20, 'first process streaming');
    traffic(r, chats, convs, 20);
    await waitFor(
      () => chats.every((k) => !legacy.chat(k).ringing && first.events.some((e) => e.conversationId === k)),
      'every chat accepted and polled before the stop',
    );
    assert.equal(await first.stop('SIGTERM'), 0);
    // Lines on the open chats while nobody listens; no new chat: a draining backend takes none.
    traffic(r, chats, convs, 20, false);
    const second = new Follower({ ...config(), backend: 'messaging' });
    traffic(r, chats, convs, 20, false);
    await waitAllSeen([first, second], [...chats, ...convs]);
    closeAll(chats, convs);
    await waitFor(
      () => allClosed(second.events, [...chats, ...convs]),
      () => `all closed in the restarted process; stderr: ${second.stderr.slice(-1500)}`,
      20_000,
    );
    await second.stop('SIGTERM');
    assert.ok(
      second.events.some((e) => e.backend === 'legacy-chat' && e.type === 'message'),
      'the restarted process delivered legacy lines although its flag says messaging',
    );
    const v = judge([...first.events, ...second.events], truth(chats, convs));
    console.log(
      summary('restart into messaging, legacy draining', seed + 3, v, {
        first: first.events.length,
        second: second.events.length,
      }),
    );
    assert.deepEqual(
      { lost: v.lost, duplicated: v.duplicated, outOfOrder: v.outOfOrder, invalid: v.invalid },
      { lost: 0, duplicated: 0, outOfOrder: 0, invalid: 0 },
      v.examples.join('\n'),
    );
  });

  const crashes = [
    { what: 'a synchronous consumer', handlerDelayMs: undefined, seedOffset: 1 },
    // Its checkpoint must not run ahead of its handler: flow.checkpoints() over the file store.
    {
      what: 'an asynchronous consumer (2 ms per event, flowControl checkpoints)',
      handlerDelayMs: 2,
      seedOffset: 2,
    },
  ];
  for (const crash of crashes)
    it(`after SIGKILL and a restart, ${crash.what} loses nothing; re-delivered events carry identical ids`, async () => {
      const r = rng(seed + crash.seedOffset);
      const chats: string[] = [];
      const convs: string[] = [];
      const first = new Follower(config(crash.handlerDelayMs));
      traffic(r, chats, convs, 30);
      await waitFor(() => first.events.length > 20, 'first process streaming');
      traffic(r, chats, convs, 20);
      // The one window no client can close: a legacy chat the server handed over (accept answered)
      // but not yet in the checkpoint is gone after a crash, as the API cannot list accepted chats.
      // So the crash comes once every chat is accepted and polled (and so saved), and no new chat
      // rings before it: an accept answered in the last milliseconds would fall into the window.
      await waitFor(
        () => chats.every((k) => !legacy.chat(k).ringing && first.events.some((e) => e.conversationId === k)),
        'every chat accepted and polled before the crash',
      );
      if (crash.handlerDelayMs === undefined) await sleep(r.int(0, 300));
      else {
        // Crash while the handler is behind: a burst it has started on but not finished.
        const n = first.events.length;
        traffic(r, chats, convs, 40, false);
        await waitFor(() => first.events.length >= n + 5, 'the handler working through a burst');
      }
      await first.stop('SIGKILL');
      traffic(r, chats, convs, 20);
      const second = new Follower(config(crash.handlerDelayMs));
      traffic(r, chats, convs, 20);
      await waitAllSeen([first, second], [...chats, ...convs]);
      closeAll(chats, convs);
      // Every close happens after the restart, so the live list of the second process is watched.
      await waitAllClosed(
        second.events,
        [...chats, ...convs],
        () => false,
        (id) =>
          chats.includes(id)
            ? legacyExpected(legacy.chat(id).events)
            : messagingExpected(messaging.history(id)),
      ).catch((e: Error) => {
        throw new Error(
          `${e.message.slice(0, 3000)}\nrestarted process stderr: ${second.stderr.slice(-2000)} events ${JSON.stringify(second.events.map((e) => e.conversationId.slice(-6) + ':' + (e.seq ?? e.type)))} checkpoint ${readFileSync(join(dir, 'checkpoint.json'), 'utf8').slice(0, 1500)}`,
        );
      });
      await second.stop('SIGTERM');
      // Each process alone: no duplicates, in order. Across the crash: re-deliveries, same id and content.
      for (const p of [first, second]) {
        const own = judge(p.events, new Map());
        assert.deepEqual([own.duplicated, own.outOfOrder, own.invalid], [0, 0, 0], own.examples.join('\n'));
      }
      const before = new Map(first.events.map((e) => [e.id, JSON.stringify(e)]));
      const again = second.events.filter((e) => before.has(e.id));
      for (const e of again)
        assert.equal(JSON.stringify(e), before.get(e.id), 'a re-delivered event is identical');
      const deduped = [...first.events, ...second.events.filter((e) => !before.has(e.id))];
      const v = judge(deduped, truth(chats, convs));
      console.log(
        summary(`restart SIGKILL, ${crash.what}`, seed + crash.seedOffset, v, {
          first: first.events.length,
          second: second.events.length,
          redeliveredAfterCrash: again.length,
        }),
      );
      assert.deepEqual([v.lost, v.outOfOrder, v.invalid], [0, 0, 0], v.examples.join('\n'));
    });
});
