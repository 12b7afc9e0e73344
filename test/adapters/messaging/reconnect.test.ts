import assert from 'node:assert/strict';
import type { MessagingSimulator } from '../../../adapters/messaging/index.js';
import { isChatshiftError } from '../../../src/errors.js';
import { counterMetrics } from '../../../src/runtime/metrics.js';
import { collect, simulatorPerTest, sourceFor, seqsByConversation, type Collected } from './support.js';
import { recordingLogger } from '../../support/logger.js';
import { waitFor } from '../../support/wait.js';

const messages = (c: Collected) => c.events.filter((e) => e.type === 'message');

describe('messagingSource reconnect, keep-alive and resume', () => {
  let sim: MessagingSimulator;
  let c: Collected | undefined;
  simulatorPerTest((s) => (sim = s));
  const source = (extra: Parameters<typeof sourceFor>[1] = {}) => sourceFor(sim, extra);

  it('after a socket drop, resubscribes and resumes every conversation from its last sequence', async () => {
    const a = sim.openConversation();
    const b = sim.openConversation();
    sim.consumerSays(a, 'a1');
    const metrics = counterMetrics();
    c = collect(source({ metrics }));
    await waitFor(() => messages(c!).length === 1, 'first');
    sim.dropConnections();
    sim.consumerSays(a, 'a2');
    sim.consumerSays(b, 'b1');
    sim.consumerSays(b, 'b2');
    await waitFor(() => messages(c!).length === 4, 'resumed');
    sim.consumerSays(a, 'a3');
    await waitFor(() => messages(c!).length === 5, 'live after resume');
    const seqs = seqsByConversation(c.events);
    assert.deepEqual(seqs.get(a), [1, 2, 3]);
    assert.deepEqual(seqs.get(b), [1, 2]);
    assert.equal(sim.requests('.ams.aam.SubscribeExConversations').length, 2);
    const resumeQuery = sim.requests('.ams.ms.QueryMessages').filter((q) => q.body['dialogId'] === a);
    assert.equal(resumeQuery.at(-1)?.body['newerThanSequence'], 1);
    assert.equal(
      c.events.filter((e) => e.type === 'state').length,
      2,
      'no state re-emitted on re-delivered UPSERTs',
    );
    assert.ok((metrics.snapshot()['reconnects'] ?? 0) >= 1);
    assert.equal(metrics.snapshot()['ws.connects'], 2);
  });

  it('on close 4401 calls bearer() for a fresh token before reconnecting', async () => {
    sim.openConversation();
    const issued: string[] = [];
    let calls = 0;
    const bearer = () => {
      calls++;
      const t = calls === 1 ? sim.token : sim.issueToken();
      issued.push(t);
      return Promise.resolve(t);
    };
    c = collect(source({ bearer }));
    await waitFor(() => c!.events.length > 0, 'connected');
    sim.revokeToken(sim.token, { closeCode: 4401 });
    await waitFor(() => sim.connectionCount === 1 && sim.connectionsOpened === 2, 'reconnected');
    assert.equal(calls, 2);
    const conv = sim.conversationIds[0]!;
    sim.consumerSays(conv, 'after re-auth');
    await waitFor(() => messages(c!).length === 1, 'message after re-auth');
    assert.equal(c.error, undefined);
  });

  for (const code of [4407, 1011]) {
    it(`treats close ${code} as an auth failure too`, async () => {
      sim.openConversation();
      let calls = 0;
      c = collect(source({ bearer: () => (calls++, sim.token) }));
      await waitFor(() => c!.events.length > 0, 'connected');
      sim.closeConnections(code);
      await waitFor(() => sim.connectionsOpened === 2 && sim.connectionCount === 1, 'reconnected');
      assert.equal(calls, 2);
    });
  }

  it('a plain drop (1006) reuses the token', async () => {
    sim.openConversation();
    let calls = 0;
    c = collect(source({ bearer: () => (calls++, sim.token) }));
    await waitFor(() => c!.events.length > 0, 'connected');
    sim.dropConnections();
    await waitFor(() => sim.connectionsOpened === 2 && sim.connectionCount === 1, 'reconnected');
    assert.equal(calls, 1);
  });

  it('fails with ERR_AUTH_REJECTED when even a fresh bearer is refused', async () => {
    c = collect(source({ bearer: () => 'WRONG' }));
    await waitFor(() => c!.error !== undefined, 'error');
    assert.ok(isChatshiftError(c.error, 'ERR_AUTH_REJECTED'));
    assert.ok(!String((c.error as Error).message).includes('WRONG'));
  });

  it('fails with ERR_AUTH_REJECTED when the server accepts the handshake but closes 4401 each time', async () => {
    sim.configure({ unknownBearer: 'close-4401' });
    c = collect(source({ bearer: () => 'WRONG' }));
    await waitFor(() => c!.error !== undefined, 'error');
    assert.ok(isChatshiftError(c.error, 'ERR_AUTH_REJECTED'));
    assert.equal(sim.connectionsOpened, 2, 'gave up after the fresh bearer was refused too');
  });

  it('after close 1011, one refusal of the fresh bearer is not fatal: the next bearer is used', async () => {
    const conv = sim.openConversation();
    // The first fresh bearer is revoked before its handshake (it expired in transit, as it were).
    let calls = 0;
    const bearer = () => {
      calls++;
      if (calls !== 2) return sim.issueToken();
      const t = sim.issueToken();
      sim.revokeToken(t);
      return t;
    };
    c = collect(source({ bearer }));
    await waitFor(() => c!.events.length > 0, 'connected');
    sim.closeConnections(1011);
    await waitFor(() => calls === 3 && sim.connectionCount === 1, 'reconnected with a third bearer');
    sim.consumerSays(conv, 'after 1011');
    await waitFor(() => messages(c!).length === 1, 'message after recovery');
    assert.equal(c.error, undefined);
  });

  it('fails with ERR_BEARER_PROVIDER when the bearer function throws', async () => {
    c = collect(
      source({
        bearer: () => {
          throw new Error('vault down');
        },
      }),
    );
    await waitFor(() => c!.error !== undefined, 'error');
    assert.ok(isChatshiftError(c.error, 'ERR_BEARER_PROVIDER'));
  });

  it('replaces a silent (half-open) socket after the keep-alive deadline, losing nothing', async () => {
    const conv = sim.openConversation();
    const logger = recordingLogger();
    c = collect(source({ logger }));
    await waitFor(() => c!.events.length > 0, 'connected');
    sim.configure({ silent: true });
    sim.consumerSays(conv, 'sent into the void');
    await waitFor(() => logger.lines().some((l) => l.includes('keep-alive unanswered')), 'watchdog');
    sim.configure({ silent: false });
    await waitFor(() => messages(c!).length === 1, 'message after replacement');
    assert.ok(sim.connectionsOpened >= 2);
    assert.deepEqual(seqsByConversation(c.events).get(conv), [1]);
  });

  it('retries a handshake that never completes', async () => {
    sim.openConversation();
    sim.configure({ handshake: 'stall' });
    const logger = recordingLogger();
    c = collect(source({ logger }));
    await waitFor(() => logger.lines().some((l) => l.includes('handshake timed out')), 'handshake timeout');
    sim.configure({ handshake: 'ok' });
    await waitFor(() => c!.events.length > 0, 'connected after retry');
  });

  it('keeps retrying through 502 handshakes with backoff', async () => {
    sim.openConversation();
    sim.configure({ handshake: 502 });
    const metrics = counterMetrics();
    c = collect(source({ metrics }));
    await waitFor(() => (metrics.snapshot()['reconnects'] ?? 0) >= 3, 'retries');
    sim.configure({ handshake: 'ok' });
    await waitFor(() => c!.events.length > 0, 'connected');
    assert.equal(c.error, undefined);
  });

  it('gets through handshakes refused by queued one-shot faults, which are then used up', async () => {
    sim.openConversation();
    sim.faults.queue({ handshake: 502 }, { times: 2 });
    sim.faults.queue({ handshake: 401 });
    const metrics = counterMetrics();
    c = collect(source({ metrics }));
    await waitFor(() => c!.events.length > 0, 'connected');
    sim.assertNoPendingFaults();
    assert.equal(sim.connectionsOpened, 1, 'only the fourth handshake opened a socket');
    assert.ok((metrics.snapshot()['reconnects'] ?? 0) >= 3);
    assert.equal(c.error, undefined);
  });

  it('a conversation that closed while the socket was down yields its remaining messages and its closed event', async () => {
    const conv = sim.openConversation();
    sim.consumerSays(conv, 'one');
    c = collect(source());
    await waitFor(() => messages(c!).length === 1, 'first');
    sim.configure({ handshake: 502 });
    sim.dropConnections();
    sim.consumerSays(conv, 'two');
    sim.agentSays(conv, 'three');
    sim.closeConversation(conv);
    sim.configure({ handshake: 'ok' });
    await waitFor(() => c!.events.some((e) => e.type === 'state' && e.state === 'closed'), 'closed');
    const tail = c.events.slice(-3).map((e) => (e.type === 'message' ? e.text : e.type));
    assert.deepEqual(tail, ['two', 'three', 'state']);
    const resub = sim.requests('.ams.aam.SubscribeExConversations').at(-1)!;
    assert.deepEqual(resub.body['convState'], ['OPEN', 'CLOSE']);
    assert.equal(typeof resub.body['minLastUpdatedTime'], 'number');
  });

  it('a conversation that opened and closed entirely while the socket was down is still delivered', async () => {
    const known = sim.openConversation();
    sim.consumerSays(known, 'known');
    c = collect(source());
    await waitFor(() => messages(c!).length === 1, 'first');
    sim.configure({ handshake: 502 });
    sim.dropConnections();
    await waitFor(() => sim.connectionCount === 0, 'the drop');
    const unseen = sim.openConversation();
    sim.consumerSays(unseen, 'hello while you were away');
    sim.agentSays(unseen, 'and goodbye');
    sim.closeConversation(unseen);
    sim.configure({ handshake: 'ok' });
    await waitFor(
      () => c!.events.some((e) => e.conversationId === unseen && e.type === 'state' && e.state === 'closed'),
      'the unseen conversation closed',
    );
    const texts = c.events
      .filter((e) => e.conversationId === unseen && e.type === 'message')
      .map((e) => (e.type === 'message' ? e.text : ''));
    assert.deepEqual(texts, ['hello while you were away', 'and goodbye']);
    assert.equal(c.events.at(-1)?.conversationId, unseen, 'its closed event comes last');
  });

  it('stops following a closed conversation: a re-delivered CLOSE emits nothing', async () => {
    const conv = sim.openConversation();
    c = collect(source({ convState: ['OPEN', 'CLOSE'] }));
    await waitFor(() => c!.events.length > 0, 'open');
    sim.closeConversation(conv);
    await waitFor(() => c!.events.some((e) => e.type === 'state' && e.state === 'closed'), 'closed');
    const n = c.events.length;
    sim.dropConnections();
    await waitFor(() => sim.requests('.ams.aam.SubscribeExConversations').length === 2, 'resubscribed');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(c.events.length, n);
  });

  it('unsubscribing closes the socket and stops reconnecting', async () => {
    sim.openConversation();
    c = collect(source());
    await waitFor(() => c!.events.length > 0, 'connected');
    c.sub.unsubscribe();
    await waitFor(() => sim.connectionCount === 0, 'closed');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(sim.connectionsOpened, 1);
  });
});
