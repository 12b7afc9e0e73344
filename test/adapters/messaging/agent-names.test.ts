import assert from 'node:assert/strict';
import { MessagingSimulator } from '../../../adapters/messaging/index.js';
import { profileName } from '../../../adapters/messaging/profiles.js';
import type { ConversationEvent } from '../../../src/model/event.js';
import { counterMetrics } from '../../../src/runtime/metrics.js';
import { recordingLogger } from '../../support/logger.js';
import { waitFor } from '../../support/wait.js';
import { collect, simulatorPerTest, sourceFor, type Collected } from './support.js';

const PROFILE = '.ams.userprofile.GetUserProfile';

/** The agent participant of an event (message sender, or typing/participant/receipt subject). */
const agentOf = (e: ConversationEvent) =>
  e.type === 'message' ? e.from : e.type === 'state' ? undefined : e.participant;

/** Each conversation's sequenced events in strictly increasing order. */
function assertInOrder(events: readonly ConversationEvent[]): void {
  const last = new Map<string, number>();
  for (const e of events) {
    if (e.seq === undefined) continue;
    assert.ok(e.seq > (last.get(e.conversationId) ?? 0), `out of order: ${e.id}`);
    last.set(e.conversationId, e.seq);
  }
}

describe('messaging: agents shown by name (GetUserProfile)', function () {
  this.timeout(60_000);
  let sim: MessagingSimulator;
  let c: Collected | undefined;
  simulatorPerTest((s) => (sim = s));

  it('reads the name from a profile: nickname, else first and last name', () => {
    assert.equal(profileName({ firstName: 'Agent', lastName: 'Mia' }), 'Agent Mia');
    assert.equal(profileName({ firstName: ' Sam ', lastName: '' }), 'Sam');
    assert.equal(profileName({ nickname: 'Mia', firstName: 'Maria', lastName: 'Ortiz' }), 'Mia');
    for (const none of [{}, { userId: '123.77' }, { firstName: 7 }, [], 'Agent Mia', null])
      assert.equal(profileName(none), undefined, JSON.stringify(none));
  });

  it("fills the agent's name into its events, asking the simulator once per agent", async () => {
    sim.setProfile('123.88', { firstName: 'Sam', lastName: 'Lee' });
    const conv = sim.openConversation();
    sim.consumerSays(conv, 'hello');
    sim.agentSays(conv, 'hi, Mia here');
    const metrics = counterMetrics();
    c = collect(sourceFor(sim, { metrics }));
    await waitFor(() => c!.events.filter((e) => e.type === 'message').length === 2, 'history');
    // The subscriber's own agent is asked when the socket opens: its messages (history comes a
    // round trip after the conversation notification) carry the name. The `joined` events in the
    // same read as the answer may not: a name is never waited for.
    const history = c.events.find((e) => e.type === 'message' && e.from.role === 'agent');
    assert.deepEqual(history?.type === 'message' ? history.from : undefined, {
      role: 'agent',
      id: '123.77',
      name: 'Agent Mia',
    });
    sim.typing(conv, { who: 'agent', on: true });
    sim.agentSays(conv, 'one moment');
    // A second agent: asked at its first event (joined), named from then on.
    sim.join(conv, 'MANAGER', '123.88');
    await waitFor(() => sim.requests(PROFILE).length === 2, 'second lookup');
    // A frame sent after the answer has been read: the answer has been handled too.
    sim.consumerSays(conv, 'ping');
    await waitFor(() => c!.events.some((e) => e.type === 'message' && e.text === 'ping'), 'ping');
    sim.agentSays(conv, 'manager here', { agentId: '123.88' });
    await waitFor(() => c!.events.some((e) => e.type === 'message' && e.text === 'manager here'), 'manager');
    for (const e of c.events.filter((e) => e.type !== 'participant')) {
      const p = agentOf(e);
      if (p?.id === '123.77') assert.equal(p.name, 'Agent Mia', JSON.stringify(e));
    }
    const byManager = c.events.find((e) => e.type === 'message' && e.text === 'manager here');
    assert.ok(byManager?.type === 'message');
    assert.deepEqual(byManager.from, { role: 'agent', id: '123.88', name: 'Sam Lee' });
    const typing = c.events.find((e) => e.type === 'typing' && e.participant.role === 'agent');
    assert.equal(typing?.type === 'typing' ? typing.participant.name : undefined, 'Agent Mia');
    assert.equal(metrics.snapshot()['profiles.lookups'], 2);
    const consumer = c.events.find((e) => e.type === 'message' && e.from.role === 'consumer');
    assert.ok(
      consumer?.type === 'message' && consumer.from.name === undefined,
      'consumers are not looked up',
    );
    assert.deepEqual(
      sim.requests(PROFILE).map((r) => r.body),
      [{ userId: '123.77' }, { userId: '123.88' }],
      'once per agent id, however many events',
    );
    assertInOrder(c.events);
    sim.assertNoUnexpectedRequests();
  });

  it('a lookup that is never answered holds nothing back: every event goes out, in order, unnamed', async () => {
    // The answer is held for 60 s and the client waits as long: the lookup stays in flight throughout.
    sim.faults.queue({ request: 'userprofile.GetUserProfile', commitThenDrop: 'delay' });
    const convs = [sim.openConversation(), sim.openConversation({ consumerId: 'cons-2' })];
    const metrics = counterMetrics();
    c = collect(sourceFor(sim, { metrics, requestTimeoutMs: 60_000 }));
    await waitFor(() => sim.requests(PROFILE).length === 1, 'lookup sent');
    for (let i = 0; i < 10; i++) {
      for (const conv of convs) {
        sim.consumerSays(conv, `q${i}`);
        sim.agentSays(conv, `a${i}`);
      }
    }
    await waitFor(() => c!.events.filter((e) => e.type === 'message').length === 40, 'all messages');
    assert.equal(metrics.snapshot()['profiles.failed'] ?? 0, 0, 'the lookup is still in flight');
    assert.equal(metrics.snapshot()['profiles.lookups'], 1, 'not asked again while in flight');
    assertInOrder(c.events);
    for (const conv of convs) {
      const texts: string[] = c.events
        .filter((e) => e.conversationId === conv && e.type === 'message')
        .map((e) => (e.type === 'message' ? e.text : ''));
      assert.deepEqual(texts, Array.from({ length: 10 }, (_, i) => [`q${i}`, `a${i}`]).flat());
    }
    for (const e of c.events) assert.equal(agentOf(e)?.name, undefined, JSON.stringify(e));
  });

  it('a failed lookup: events go out without the name, one warning, counted, not asked again on reconnect', async () => {
    await sim.close();
    sim = await MessagingSimulator.start({ profiles: {} }); // no profile: GetUserProfile answers 404
    try {
      const conv = sim.openConversation();
      const log = recordingLogger();
      const metrics = counterMetrics();
      c = collect(sourceFor(sim, { metrics, logger: log }));
      await waitFor(() => metrics.snapshot()['profiles.failed'] === 1, 'lookup failed');
      for (let i = 0; i < 5; i++) sim.agentSays(conv, `a${i}`);
      await waitFor(() => c!.events.filter((e) => e.type === 'message').length === 5, 'messages');
      sim.dropConnections();
      await waitFor(() => sim.connectionsOpened === 2 && sim.connectionCount === 1, 'reconnected');
      sim.agentSays(conv, 'after the reconnect');
      await waitFor(
        () => c!.events.some((e) => e.type === 'message' && e.text === 'after the reconnect'),
        'live',
      );
      for (const e of c.events) assert.equal(agentOf(e)?.name, undefined, JSON.stringify(e));
      assertInOrder(c.events);
      const warnings = log.records.filter((l) => /agent profile lookup failed/.test(l.message));
      assert.equal(warnings.length, 1, log.text());
      assert.equal(warnings[0]?.fields?.['agentId'], '123.77');
      assert.equal(metrics.snapshot()['profiles.failed'], 1);
      assert.equal(sim.requests(PROFILE).length, 1, 'a failed id is not asked again at once');
    } finally {
      c?.sub.unsubscribe();
      await sim.close();
    }
  });

  it('agentNames: false sends no lookup', async () => {
    const conv = sim.openConversation();
    sim.agentSays(conv, 'hi');
    c = collect(sourceFor(sim, { agentNames: false }));
    await waitFor(() => c!.events.some((e) => e.type === 'message'), 'message');
    assert.equal(sim.requests(PROFILE).length, 0);
    const m = c.events.find((e) => e.type === 'message');
    assert.ok(m?.type === 'message' && m.from.name === undefined);
  });

  it('the simulator answers GetUserProfile as the platform does; a malformed one is unexpected', async () => {
    sim.setProfile('123.88', { firstName: 'Sam', lastName: 'Lee' });
    const { WebSocket } = await import('ws');
    const ws = new WebSocket(`ws://${sim.domain}/ws_api/account/123/messaging/brand/${sim.token}?v=2.1`);
    try {
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      const answers: Array<Record<string, unknown>> = [];
      ws.on('message', (d: Buffer) => {
        const m = JSON.parse(d.toString()) as Record<string, unknown>;
        if (m['kind'] === 'resp') answers.push(m);
      });
      const ask = (id: string, body: object) =>
        ws.send(JSON.stringify({ kind: 'req', id, type: PROFILE, body }));
      ask('own', {});
      ask('other', { userId: '123.88' });
      ask('unknown', { userId: '123.99' });
      await waitFor(() => answers.length === 3, 'answers');
      const by = (id: string) => answers.find((a) => a['reqId'] === id);
      assert.equal(by('own')?.['code'], 200);
      assert.deepEqual(
        [
          (by('own')?.['body'] as Record<string, unknown>)['userId'],
          (by('own')?.['body'] as Record<string, unknown>)['firstName'],
        ],
        ['123.77', 'Agent'],
      );
      assert.equal(by('own')?.['type'], `${PROFILE}$Response`);
      assert.equal(profileName(by('other')?.['body']), 'Sam Lee');
      assert.equal(by('unknown')?.['code'], 404);
      sim.assertNoUnexpectedRequests();
      ask('bad', { userId: 42 });
      await waitFor(() => answers.length === 4, 'bad answered');
      assert.equal(by('bad')?.['code'], 400);
      assert.throws(() => sim.assertNoUnexpectedRequests(), /GetUserProfile/);
    } finally {
      ws.terminate();
    }
  });
});
