import assert from 'node:assert/strict';
import { BehaviorSubject, type Observable } from 'rxjs';
import { messaging, type MessagingSimulator } from '../../../adapters/messaging/index.js';
import type { BackendHealth } from '../../../src/runtime/health.js';
import { waitFor } from '../../support/wait.js';
import { collect, fast, simulatorPerTest } from './support.js';

const label = (h: BackendHealth) => (h.code === undefined ? h.state : `${h.state}:${h.code}`);

describe('messaging health$', () => {
  let sim: MessagingSimulator;
  simulatorPerTest((s) => (sim = s));
  const watch = (backend: { health$: Observable<BackendHealth> }) => {
    const seen: string[] = [];
    const sub = backend.health$.subscribe((h) => seen.push(label(h)));
    return { seen, last: () => seen[seen.length - 1], sub };
  };

  it('connecting, connected, then backing-off and back across a dropped socket; stopped on unsubscribe', async () => {
    const backend = messaging({ ...sim.clientOptions(), agentId: sim.agentId, ...fast });
    const h = watch(backend);
    const c = collect(backend.events());
    await waitFor(
      () => h.last() === 'connected',
      () => `connected (saw ${h.seen.join(', ')})`,
    );
    sim.dropConnections();
    await waitFor(
      () => sim.connectionsOpened === 2 && h.last() === 'connected',
      () => `reconnected (saw ${h.seen.join(', ')})`,
    );
    sim.dropConnections();
    await waitFor(
      () => sim.connectionsOpened === 3 && h.last() === 'connected',
      () => `reconnected again (saw ${h.seen.join(', ')})`,
    );
    c.sub.unsubscribe();
    const cycle = ['backing-off', 'connecting', 'connected'];
    assert.deepEqual(h.seen, ['stopped', 'connecting', 'connected', ...cycle, ...cycle, 'stopped']);
    h.sub.unsubscribe();
  });

  it('auth-refused when even a fresh bearer is refused, and connected again on a new subscription with a good one', async () => {
    let bearer = 'WRONG';
    const backend = messaging({
      ...sim.clientOptions(),
      agentId: sim.agentId,
      ...fast,
      bearer: () => bearer,
    });
    const h = watch(backend);
    const failed = collect(backend.events());
    await waitFor(() => failed.error !== undefined, 'the stream fails');
    assert.equal(h.last(), 'auth-refused:ERR_AUTH_REJECTED');
    assert.deepEqual(h.seen, [
      'stopped',
      'connecting',
      'backing-off',
      'connecting',
      'auth-refused:ERR_AUTH_REJECTED',
    ]);
    bearer = sim.token;
    const ok = collect(backend.events());
    await waitFor(
      () => h.last() === 'connected',
      () => `connected (saw ${h.seen.join(', ')})`,
    );
    ok.sub.unsubscribe();
    assert.equal(h.last(), 'stopped');
    assert.ok(!h.seen.join().includes('WRONG'));
    h.sub.unsubscribe();
  });

  it('draining while told to drain with a conversation open, stopped once it closes and the stream completes', async () => {
    const conv = sim.openConversation({ agentId: sim.agentId });
    sim.consumerSays(conv, 'hello');
    const backend = messaging({ ...sim.clientOptions(), agentId: sim.agentId, ...fast });
    const h = watch(backend);
    const draining = new BehaviorSubject(false);
    const c = collect(backend.events({ draining }));
    await waitFor(() => c.events.some((e) => e.type === 'message'), 'the first message');
    assert.equal(h.last(), 'connected');
    draining.next(true);
    assert.equal(h.last(), 'draining');
    sim.closeConversation(conv);
    await waitFor(() => c.completed, 'the drained stream completes');
    assert.deepEqual(h.seen, ['stopped', 'connecting', 'connected', 'draining', 'stopped']);
    h.sub.unsubscribe();
  });
});
