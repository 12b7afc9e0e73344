import assert from 'node:assert/strict';
import type { MessagingSimulator } from '../../../adapters/messaging/index.js';
import { collect, simulatorPerTest, sourceFor } from './support.js';
import { sleep, waitFor } from '../../support/wait.js';

// production-behaviour.md M2, against the strict simulator (live events only to participants):
// what an account-wide subscription (no agentId) delivers, and the mode that delivers messages.
describe('messagingSource as an account-wide observer (M2)', () => {
  let sim: MessagingSimulator;
  simulatorPerTest((s) => (sim = s));

  it('without historyPollMs: state and participants live, messages only at first sight and at close', async () => {
    const conv = sim.openConversation({ agentId: '123.99' }); // someone else's conversation
    sim.consumerSays(conv, 'before');
    const c = collect(sourceFor(sim, { agentId: undefined }));
    const texts = () => c.events.flatMap((e) => (e.type === 'message' ? [e.text] : []));
    await waitFor(() => texts().length === 1, 'the history at first sight');
    sim.consumerSays(conv, 'live');
    await sleep(300);
    assert.deepEqual(texts(), ['before'], 'a live message does not reach an observer');
    sim.join(conv, 'MANAGER', '123.55');
    await waitFor(
      () => c.events.some((e) => e.type === 'participant' && e.participant.id === '123.55'),
      'the participant change, live',
    );
    sim.closeConversation(conv);
    await waitFor(() => c.events.some((e) => e.type === 'state' && e.state === 'closed'), 'closed');
    assert.deepEqual(texts(), ['before', 'live'], 'the rest comes from history before the close');
  });

  it('with historyPollMs: messages arrive within about that period, each once and in order', async () => {
    const conv = sim.openConversation({ agentId: '123.99' });
    const c = collect(sourceFor(sim, { agentId: undefined, historyPollMs: 100 }));
    await waitFor(() => c.events.some((e) => e.type === 'state'), 'followed');
    for (let i = 1; i <= 5; i++) {
      sim.consumerSays(conv, `m${i}`);
      await sleep(30);
    }
    await waitFor(() => c.events.filter((e) => e.type === 'message').length === 5, 'every message', 3_000);
    await sleep(250);
    assert.deepEqual(
      c.events.filter((e) => e.type === 'message').map((e) => e.seq),
      [1, 2, 3, 4, 5],
    );
  });

  it('joined as READER, the agent gets live messages without polling', async () => {
    const conv = sim.openConversation({ agentId: '123.99' });
    sim.join(conv, 'READER', sim.agentId);
    const c = collect(sourceFor(sim, { agentId: undefined }));
    await waitFor(() => c.events.some((e) => e.type === 'state'), 'followed');
    await sleep(100);
    sim.consumerSays(conv, 'live');
    await waitFor(() => c.events.some((e) => e.type === 'message'), 'the live message', 1_000);
  });
});
