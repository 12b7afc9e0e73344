import assert from 'node:assert/strict';
import { firstValueFrom, lastValueFrom, filter, Subject, takeUntil, tap, toArray } from 'rxjs';
import { legacyChat } from '../../adapters/legacy-chat/index.js';
import { messaging } from '../../adapters/messaging/index.js';
import { memoryCheckpointStore } from '../../src/checkpoint/memory.js';
import type { BackendChoice } from '../../src/cutover/backend-flag.js';
import { conversationEvents } from '../../src/cutover/conversation-events.js';
import type { CutoverDecision } from '../../src/cutover/switch.js';
import type { ConversationEvent } from '../../src/model/event.js';
import { isChatshiftError } from '../../src/errors.js';
import { counterMetrics } from '../../src/runtime/metrics.js';
import { bothSimulatorsPerSuite } from '../support/simulators.js';

// Issue #11: a restart while the flag says `messaging` but legacy was still draining open chats.
describe('conversationEvents: drain-on-start (#11)', function () {
  this.timeout(60_000);
  const sims = bothSimulatorsPerSuite();

  it('starts a backend whose checkpoint holds open conversations draining, although the flag does not want it', async () => {
    const checkpoint = memoryCheckpointStore();
    const legacy = legacyChat({
      ...sims.legacy.clientOptions(),
      acceptIncoming: true,
      pollIntervalMs: 20,
      backoff: { initialMs: 10, maxMs: 50 },
    });
    const msg = messaging({
      ...sims.messaging.clientOptions(),
      backoff: { initialMs: 10, maxMs: 50 },
    });
    const run = (
      flag: BackendChoice,
      stop: Subject<void>,
      decisions: CutoverDecision[],
      metrics = counterMetrics(),
    ) =>
      conversationEvents({
        backend: flag,
        legacy,
        messaging: msg,
        checkpoint,
        metrics,
        stop,
        onDecision: (d) => decisions.push(d),
      });

    // Run 1 on legacy: a chat is accepted and followed, then the process stops gracefully while
    // the chat is still open (as it would in the middle of a drain).
    const key = sims.legacy.openConversation({ waiting: true });
    sims.legacy.consumerSays(key, 'before the restart');
    const stop1 = new Subject<void>();
    const first = lastValueFrom(
      run('legacy-chat', stop1, []).pipe(
        tap((e) => {
          if (e.type === 'message' && e.text === 'before the restart') stop1.next();
        }),
        toArray(),
      ),
    );
    assert.ok((await first).some((e) => e.type === 'message' && e.text === 'before the restart'));

    // Run 2 starts with the flag on messaging only: legacy must still deliver the chat's tail.
    sims.legacy.consumerSays(key, 'after the restart');
    const decisions: CutoverDecision[] = [];
    const metrics = counterMetrics();
    const stop2 = new Subject<void>();
    const seen: ConversationEvent[] = [];
    const events$ = run('messaging', stop2, decisions, metrics).pipe(
      tap((e) => seen.push(e)),
      takeUntil(new Promise((r) => setTimeout(r, 15_000))),
    );
    const closed = firstValueFrom(
      events$.pipe(filter((e) => e.conversationId === key && e.type === 'state' && e.state === 'closed')),
      { defaultValue: undefined },
    );
    await new Promise((r) => setTimeout(r, 300));
    sims.legacy.closeConversation(key);
    assert.ok(await closed, `the chat's close was never delivered; decisions: ${JSON.stringify(decisions)}`);
    stop2.next();
    assert.ok(
      seen.some((e) => e.type === 'message' && e.text === 'after the restart'),
      'the tail was lost',
    );
    const legacyDecisions = decisions.filter((d) => d.backend === 'legacy-chat').map((d) => d.action);
    assert.equal(legacyDecisions[0], 'drain', JSON.stringify(decisions));
    assert.match(decisions[0]?.reason ?? '', /checkpoint holds 1 open conversation/);
    assert.equal(metrics.snapshot()['cutover.drainOnStart'], 1);
  });

  describe('the checkpoint read before any backend starts', () => {
    const stores = (load: () => Promise<never> | Promise<Record<string, never>>) => ({
      ...memoryCheckpointStore(),
      load,
    });

    it("fails the stream with the store's coded error and starts no backend when the read fails", async () => {
      const opened = sims.messaging.connectionsOpened;
      const decisions: CutoverDecision[] = [];
      const error = await lastValueFrom(
        conversationEvents({
          backend: 'messaging',
          messaging: messaging(sims.messaging.clientOptions()),
          checkpoint: stores(() => Promise.reject(new Error('disk gone'))),
          onDecision: (d) => decisions.push(d),
        }),
      ).then(
        () => assert.fail('the stream completed'),
        (e: unknown) => e,
      );
      assert.ok(isChatshiftError(error, 'ERR_CHECKPOINT_IO'), String(error));
      assert.deepEqual(decisions, []);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(sims.messaging.connectionsOpened, opened, 'no socket was opened');
    });

    it('starts no backend when unsubscribed while the read is pending', async () => {
      const opened = sims.messaging.connectionsOpened;
      let release!: (v: Record<string, never>) => void;
      const decisions: CutoverDecision[] = [];
      const sub = conversationEvents({
        backend: 'messaging',
        messaging: messaging(sims.messaging.clientOptions()),
        checkpoint: stores(() => new Promise((r) => (release = r))),
        onDecision: (d) => decisions.push(d),
      }).subscribe({ error: (e: unknown) => assert.fail(String(e)) });
      await new Promise((r) => setTimeout(r, 20));
      sub.unsubscribe();
      release({});
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(decisions, [], 'no backend decision after the unsubscribe');
      assert.equal(sims.messaging.connectionsOpened, opened, 'no socket was opened');
    });
  });
});
