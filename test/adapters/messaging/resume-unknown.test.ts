import assert from 'node:assert/strict';
import type { MessagingSimulator } from '../../../adapters/messaging/index.js';
import { mapTyping } from '../../../adapters/messaging/mapping.js';
import { collect, simulatorPerTest, sourceFor, type Collected } from './support.js';
import { waitFor } from '../../support/wait.js';

// Both found by the seeded fault runs (test/reliability).
describe('messagingSource: findings of the fault runs', () => {
  let sim: MessagingSimulator;
  let c: Collected | undefined;
  simulatorPerTest((s) => (sim = s));

  it('after a reconnect, still finds a conversation whose opening UPSERT was lost, though a followed one changed later', async () => {
    const a = sim.openConversation();
    c = collect(sourceFor(sim));
    await waitFor(() => c!.events.some((e) => e.conversationId === a), 'first conversation');
    sim.configure({ silent: true });
    const b = sim.openConversation(); // its UPSERT never arrives
    sim.configure({ silent: false });
    sim.join(a, 'MANAGER', '123.99'); // a newer change of the followed conversation does arrive
    await waitFor(() => c!.events.some((e) => e.type === 'participant' && e.conversationId === a), 'join');
    sim.dropConnections();
    sim.consumerSays(b, 'hello from b');
    await waitFor(() => sim.connectionsOpened === 2 && sim.connectionCount === 1, 'reconnected');
    await waitFor(() => c!.events.some((e) => e.conversationId === b), 'b found after the reconnect');
    sim.closeConversation(b);
    await waitFor(
      () => c!.events.some((e) => e.conversationId === b && e.type === 'state' && e.state === 'closed'),
      'b closed',
    );
    assert.ok(c.events.some((e) => e.conversationId === b && e.type === 'message' && e.seq === 1));
  });

  it('a typing start and stop in the same millisecond get different ids', () => {
    const record = { dialogId: 'c1', originatorId: 'cons-1', event: { type: 'ChatStateEvent' } } as never;
    const on = mapTyping('c1', record, 'COMPOSING', false, 1_700_000_000_000);
    const off = mapTyping('c1', record, 'ACTIVE', true, 1_700_000_000_000);
    assert.ok(on.event !== undefined && off.event !== undefined);
    assert.notEqual(on.event.id, off.event.id);
  });
});
