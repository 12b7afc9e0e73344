import assert from 'node:assert/strict';
import { BehaviorSubject } from 'rxjs';
import type { MessagingSimulator } from '../../../adapters/messaging/index.js';
import { collect, simulatorPerTest, sourceFor, type Collected } from './support.js';
import { sleep, waitFor } from '../../support/wait.js';

// Found by the seeded cutover fault runs (test/reliability): a conversation that opened while the
// source was draining was never followed after the drain was cancelled, so its events were lost.
describe('messagingSource drain cancelled', () => {
  let sim: MessagingSimulator;
  let c: Collected | undefined;
  simulatorPerTest((s) => (sim = s));

  it('follows the conversations that opened while it was draining', async () => {
    const a = sim.openConversation();
    const draining = new BehaviorSubject(false);
    c = collect(sourceFor(sim, { draining }));
    await waitFor(() => c!.events.some((e) => e.conversationId === a), 'first conversation');
    draining.next(true);
    const b = sim.openConversation();
    sim.consumerSays(b, 'while draining');
    // Let the UPSERT of b reach the draining source (which ignores it).
    await sleep(150);
    draining.next(false);
    await waitFor(() => c!.events.some((e) => e.conversationId === b && e.type === 'message'), 'b followed');
    assert.deepEqual(
      c.events.filter((e) => e.conversationId === b && e.seq !== undefined).map((e) => e.seq),
      [1],
    );
  });
});
