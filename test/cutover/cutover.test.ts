import assert from 'node:assert/strict';
import { BehaviorSubject } from 'rxjs';
import { legacyChat } from '../../adapters/legacy-chat/index.js';
import { messaging } from '../../adapters/messaging/index.js';
import { conversationEvents } from '../../src/cutover/conversation-events.js';
import type { BackendChoice } from '../../src/cutover/backend-flag.js';
import type { CutoverDecision } from '../../src/cutover/switch.js';
import { ConversationEventCodec } from '../../src/model/event.js';
import { counterMetrics } from '../../src/runtime/metrics.js';
import { Recorder } from '../support/recorder.js';
import { bothSimulatorsPerSuite } from '../support/simulators.js';

describe('cutover: legacy-chat -> both -> messaging -> legacy-chat (rollback) -> both -> messaging', function () {
  this.timeout(120_000);
  const sims = bothSimulatorsPerSuite();

  it('streams 1,000 conversations (and a late one after a restart) with every event exactly once, draining and resuming each backend', async () => {
    const flag = new BehaviorSubject<BackendChoice>('legacy-chat');
    const decisions: CutoverDecision[] = [];
    const metrics = counterMetrics();
    // The decision callback nudges the recorder it feeds, so it is declared first.
    const box: { rec?: Recorder } = {};
    const rec = new Recorder(
      conversationEvents({
        backend: flag,
        legacy: legacyChat({
          ...sims.legacy.clientOptions(),
          acceptIncoming: true,
          pollIntervalMs: 15,
          backoff: { initialMs: 10, maxMs: 50 },
        }),
        messaging: messaging({
          ...sims.messaging.clientOptions(),
          backoff: { initialMs: 10, maxMs: 50 },
        }),
        metrics,
        onDecision: (d) => {
          decisions.push(d);
          box.rec?.nudge();
        },
      }),
    );
    box.rec = rec;
    const legacyOpen = new Set<string>();
    const messagingOpen = new Set<string>();
    const all: string[] = [];
    const openLegacy = (n: number) => {
      const keys: string[] = [];
      for (let i = 0; i < n; i++) {
        const key = sims.legacy.openConversation({ waiting: true });
        sims.legacy.consumerSays(key, `hello ${key}`);
        legacyOpen.add(key);
        keys.push(`legacy-chat:${key}`);
      }
      all.push(...keys);
      return keys;
    };
    const openMessaging = (n: number) => {
      const keys: string[] = [];
      for (let i = 0; i < n; i++) {
        const conv = sims.messaging.openConversation({
          consumerId: `cons-${all.length + i}`,
          agentId: sims.messaging.agentId,
        });
        sims.messaging.consumerSays(conv, `hello ${conv}`);
        messagingOpen.add(conv);
        keys.push(`messaging:${conv}`);
      }
      all.push(...keys);
      return keys;
    };
    const traffic = () => {
      for (const k of legacyOpen) sims.legacy.agentSays(k, 'an agent line');
      for (const c of messagingOpen) sims.messaging.agentSays(c, 'an agent line');
    };
    const closeLegacy = (n: number) => {
      for (const k of [...legacyOpen].slice(0, n)) {
        sims.legacy.consumerSays(k, 'bye');
        sims.legacy.closeConversation(k);
        legacyOpen.delete(k);
      }
    };
    const closeMessaging = (n: number) => {
      for (const c of [...messagingOpen].slice(0, n)) {
        sims.messaging.consumerSays(c, 'bye');
        sims.messaging.closeConversation(c);
        messagingOpen.delete(c);
      }
    };
    const actions = (b: string) => decisions.filter((d) => d.backend === b).map((d) => d.action);

    try {
      // 1. legacy only
      await rec.waitSeen(openLegacy(250), 30_000);
      traffic();
      // 2. both: new conversations on both platforms
      flag.next('both');
      await rec.waitSeen([...openMessaging(300), ...openLegacy(100)], 30_000);
      traffic();
      // 3. messaging only: legacy drains, its open chats keep streaming
      flag.next('messaging');
      await rec.waitFor(() => actions('legacy-chat').includes('drain'));
      traffic();
      closeLegacy(150);
      // 4. rollback while legacy is still draining: it resumes; messaging drains
      flag.next('legacy-chat');
      await rec.waitFor(
        () => actions('legacy-chat').includes('resume') && actions('messaging').includes('drain'),
      );
      await rec.waitSeen(openLegacy(100), 30_000);
      traffic();
      closeMessaging(150);
      // 5. both again, then messaging: legacy drains until its last chat closes, then stops
      flag.next('both');
      await rec.waitSeen(openMessaging(250), 30_000);
      traffic();
      flag.next('messaging');
      await rec.waitFor(() => actions('legacy-chat').filter((a) => a === 'drain').length === 2);
      traffic();
      closeLegacy(legacyOpen.size);
      await rec.waitFor(() => actions('legacy-chat').includes('stopped'), 30_000, 'legacy to stop');
      // Once stopped, the legacy source takes no new chats: this one must stay ringing.
      const late = sims.legacy.openConversation({ waiting: true });
      traffic();
      closeMessaging(messagingOpen.size);
      await rec.waitClosed(all, 60_000);
      assert.equal(sims.legacy.chat(late).ringing, true, 'a drained backend accepted no new chat');
      // 6. rollback after legacy stopped: it starts again from its checkpoint, takes the late chat,
      // and re-emits nothing of the 450 chats it already finished.
      flag.next('both');
      await rec.waitSeen([`legacy-chat:${late}`], 30_000);
      sims.legacy.closeConversation(late);
      await rec.waitClosed([`legacy-chat:${late}`], 30_000);
      all.push(`legacy-chat:${late}`);
    } finally {
      rec.subscription.unsubscribe();
    }

    assert.equal(all.length, 1001);
    // Exactly once: ids are unique, and every wire event of the simulators arrived.
    const ids = new Set(rec.events.map((e) => e.id));
    assert.equal(ids.size, rec.events.length, 'no event was emitted twice');
    let lost = 0;
    let outOfOrder = 0;
    const lastSeq = new Map<string, number>();
    const seen = new Map<string, Set<number>>();
    for (const e of rec.events) {
      assert.ok(ConversationEventCodec.is(e));
      if (e.seq === undefined) continue;
      const k = `${e.backend}:${e.conversationId}`;
      if ((lastSeq.get(k) ?? -1) >= e.seq) outOfOrder++;
      lastSeq.set(k, e.seq);
      let s = seen.get(k);
      if (s === undefined) seen.set(k, (s = new Set()));
      s.add(e.seq);
    }
    for (const k of all) {
      const [backend, id] = [k.slice(0, k.indexOf(':')), k.slice(k.indexOf(':') + 1)];
      const expected =
        backend === 'legacy-chat'
          ? sims.legacy.chat(id).events.map((e) => e.id)
          : sims.messaging.history(id).map((r) => r['sequence'] as number);
      lost += expected.filter((s) => !(seen.get(k)?.has(s) ?? false)).length;
    }
    assert.equal(lost, 0, 'no wire event lost');
    assert.equal(outOfOrder, 0, 'per-conversation order held');
    assert.equal(
      metrics.snapshot()['cutover.duplicates'] ?? 0,
      0,
      'the sources themselves never re-emitted (checkpoints held)',
    );
    assert.ok(
      (metrics.snapshot()['http.requests'] ?? 0) > 0 && (metrics.snapshot()['ws.frames.in'] ?? 0) > 0,
    );
    assert.deepEqual(actions('legacy-chat'), ['start', 'drain', 'resume', 'drain', 'stopped', 'start']);
    assert.deepEqual(actions('messaging').slice(0, 3), ['start', 'drain', 'resume']);
  });
});
