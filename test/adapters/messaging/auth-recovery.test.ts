import assert from 'node:assert/strict';
import type { MessagingSimulator } from '../../../adapters/messaging/index.js';
import { collect, simulatorPerTest, sourceFor, type Collected } from './support.js';
import { waitFor } from '../../support/wait.js';

// Found by the seeded fault runs (test/reliability): a refusal of a *reused* token right after a
// fresh one had been accepted was counted as the second refusal and ended the stream.
describe('messagingSource auth recovery', () => {
  let sim: MessagingSimulator;
  let c: Collected | undefined;
  simulatorPerTest((s) => (sim = s));

  it('asks for a fresh bearer again when a token that was accepted expires before the socket proved healthy', async () => {
    const conv = sim.openConversation();
    let current = sim.token;
    const expire = () => {
      const old = current;
      current = sim.issueToken();
      sim.revokeToken(old, { closeCode: 1000 }); // a plain close: the client learns of the expiry at the next handshake
    };
    c = collect(sourceFor(sim, { bearer: () => current }));
    await waitFor(() => c!.events.length > 0, 'connected');
    sim.configure({ silent: true }); // the next socket opens but its subscribe is never answered
    expire(); // reconnect with the old token -> 401 -> fresh token -> socket opens
    await waitFor(() => sim.connectionsOpened === 2 && sim.connectionCount === 1, 'second socket');
    expire(); // that token expires too before the subscribe answered -> 401 on the reused token
    sim.configure({ silent: false });
    await waitFor(
      () => c!.error !== undefined || (sim.connectionsOpened === 3 && sim.connectionCount === 1),
      'third socket',
    );
    assert.equal(c.error, undefined, String(c.error));
    sim.consumerSays(conv, 'after two expiries');
    await waitFor(() => c!.events.some((e) => e.type === 'message'), 'message');
  });
});
