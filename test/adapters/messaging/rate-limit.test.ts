import assert from 'node:assert/strict';
import type { MessagingSimulator } from '../../../adapters/messaging/index.js';
import { recordingLogger } from '../../support/logger.js';
import { collect, simulatorPerTest, sourceFor } from './support.js';
import { waitFor } from '../../support/wait.js';

/** Responses the simulator answered with `code`. */
const answered = (sim: MessagingSimulator, code: number): number =>
  sim.frames.filter((f) => f.direction === 'out' && f.text.includes(`"code":${code},`)).length;

// production-behaviour.md M4: a 429 means wait ≥ 1 s; avoid bursts of QueryMessages.
describe('messagingSource under request-level 429s (M4)', function () {
  this.timeout(15_000);
  let sim: MessagingSimulator;
  simulatorPerTest((s) => (sim = s));

  for (const retryAfter of [undefined, 2] as const)
    it(`a 429 on subscribe${retryAfter === undefined ? '' : ` with retryAfter ${retryAfter}`} waits ≥ ${retryAfter ?? 1} s and subscribes again on the same socket`, async () => {
      const conv = sim.openConversation();
      sim.consumerSays(conv, 'hello');
      sim.faults.queue(
        retryAfter === undefined
          ? { request: 'SubscribeExConversations', code: 429 }
          : { request: 'SubscribeExConversations', code: 429, retryAfter },
      );
      const logger = recordingLogger();
      const started = Date.now();
      const c = collect(sourceFor(sim, { logger }));
      await waitFor(() => c.events.some((e) => e.type === 'message'), 'the message', 5_000);
      assert.ok(Date.now() - started >= (retryAfter ?? 1) * 1000, `${Date.now() - started} ms`);
      assert.equal(c.error, undefined);
      assert.equal(sim.connectionsOpened, 1, 'the socket was not replaced');
      assert.equal(sim.requests('.ams.aam.SubscribeExConversations').length, 2);
      assert.ok(!logger.lines().some((l) => l.includes('replacing the socket')), logger.lines().join('\n'));
      sim.assertNoPendingFaults();
    });

  it('a 429 on QueryMessages waits ≥ 1 s, then asks again on the same socket from the same cursor', async () => {
    const conv = sim.openConversation();
    sim.consumerSays(conv, 'one');
    sim.faults.queue({ request: 'QueryMessages', code: 429 });
    const started = Date.now();
    const c = collect(sourceFor(sim));
    await waitFor(() => c.events.some((e) => e.type === 'message'), 'the message', 5_000);
    assert.ok(Date.now() - started >= 1000, `${Date.now() - started} ms`);
    assert.equal(sim.connectionsOpened, 1);
    const queries = sim.requests('.ams.ms.QueryMessages');
    assert.equal(queries.length, 2);
    assert.deepEqual(queries[0]?.body, queries[1]?.body);
  });

  it('paces history queries globally: many conversations after a connect and a reconnect, no 429 from a server allowing 15/s', async () => {
    sim.configure({ queryMessagesPerSecond: 15 });
    const convs = Array.from({ length: 25 }, () => sim.openConversation());
    for (const conv of convs) sim.consumerSays(conv, `to ${conv}`);
    const c = collect(sourceFor(sim, { historyQueriesPerSecond: 10, requestTimeoutMs: 5_000 }));
    const messages = () => c.events.filter((e) => e.type === 'message').length;
    await waitFor(() => messages() === 25, 'every history', 8_000);
    sim.dropConnections();
    for (const conv of convs) sim.agentSays(conv, 'while away');
    await waitFor(() => messages() === 50, 'every history after the reconnect', 8_000);
    assert.equal(answered(sim, 429), 0, 'no request was rate-limited');
    assert.equal(c.error, undefined);
  });

  it('without pacing the same server answers 429s (the test can fail)', async () => {
    sim.configure({ queryMessagesPerSecond: 15 });
    const convs = Array.from({ length: 25 }, () => sim.openConversation());
    for (const conv of convs) sim.consumerSays(conv, `to ${conv}`);
    const c = collect(sourceFor(sim, { historyQueriesPerSecond: 1000, requestTimeoutMs: 5_000 }));
    await waitFor(() => answered(sim, 429) > 0, 'a 429', 5_000);
    // …and it still delivers everything, waiting ≥ 1 s after each 429.
    await waitFor(() => c.events.filter((e) => e.type === 'message').length === 25, 'every history', 8_000);
  });
});
