import assert from 'node:assert/strict';
import { BehaviorSubject, type Observable } from 'rxjs';
import { LegacyChatSimulator, legacyChat } from '../../../adapters/legacy-chat/index.js';
import type { BackendHealth } from '../../../src/runtime/health.js';
import { waitFor } from '../../support/wait.js';
import { collect, fast } from './helpers.js';

const label = (h: BackendHealth) => (h.code === undefined ? h.state : `${h.state}:${h.code}`);
const watch = (backend: { health$: Observable<BackendHealth> }) => {
  const seen: string[] = [];
  const sub = backend.health$.subscribe((h) => seen.push(label(h)));
  return { seen, last: () => seen[seen.length - 1], sub };
};

describe('legacy-chat health$', () => {
  let sim: LegacyChatSimulator;
  let key: string;
  beforeEach(async () => {
    sim = await LegacyChatSimulator.start({ bearer: 'SECRET-bearer-1' });
    key = sim.openConversation();
  });
  afterEach(() => sim.close());
  const options = () => ({
    agentSessionUrl: sim.agentSessionUrl,
    bearer: 'SECRET-bearer-1',
    chats: [key],
    ...fast,
  });

  it('connecting, connected, backing-off (with the code) across failed polls and connected again; stopped on unsubscribe', async () => {
    const backend = legacyChat(options());
    const h = watch(backend);
    const c = collect(backend.events());
    await waitFor(
      () => h.last() === 'connected',
      () => `connected (saw ${h.seen.join(', ')})`,
    );
    sim.faults.queue({ status: 503 }, { times: 2 });
    await waitFor(
      () => h.seen.includes('backing-off:ERR_HTTP_STATUS'),
      () => `backing off (saw ${h.seen.join(', ')})`,
    );
    await waitFor(
      () => h.last() === 'connected',
      () => `recovered (saw ${h.seen.join(', ')})`,
    );
    sim.faults.queue({ reset: true });
    await waitFor(
      () => h.seen.includes('backing-off:ERR_CONNECTION'),
      () => `backing off (saw ${h.seen.join(', ')})`,
    );
    await waitFor(
      () => h.last() === 'connected',
      () => `recovered again (saw ${h.seen.join(', ')})`,
    );
    c.sub.unsubscribe();
    assert.deepEqual(h.seen, [
      'stopped',
      'connecting',
      'connected',
      'backing-off:ERR_HTTP_STATUS',
      'connected',
      'backing-off:ERR_CONNECTION',
      'connected',
      'stopped',
    ]);
    sim.assertNoPendingFaults();
    h.sub.unsubscribe();
  });

  it('auth-refused when a fresh bearer is refused too, and connected again on a new subscription once the bearer is good', async () => {
    let bearer = 'WRONG';
    const backend = legacyChat({ ...options(), bearer: () => bearer });
    const h = watch(backend);
    const failed = collect(backend.events());
    await waitFor(() => failed.error !== undefined, 'the stream fails');
    assert.deepEqual(h.seen, ['stopped', 'connecting', 'auth-refused:ERR_AUTH_REJECTED']);
    bearer = 'SECRET-bearer-1';
    const ok = collect(backend.events());
    await waitFor(
      () => h.last() === 'connected',
      () => `connected (saw ${h.seen.join(', ')})`,
    );
    ok.sub.unsubscribe();
    assert.equal(h.last(), 'stopped');
    h.sub.unsubscribe();
  });

  it('draining while told to drain with a chat open, stopped once it ends and the stream completes', async () => {
    sim.consumerSays(key, 'hello');
    const backend = legacyChat(options());
    const h = watch(backend);
    const draining = new BehaviorSubject(false);
    const c = collect(backend.events({ draining }));
    await waitFor(() => c.events.some((e) => e.type === 'message'), 'the first line');
    assert.equal(h.last(), 'connected');
    draining.next(true);
    assert.equal(h.last(), 'draining');
    sim.closeConversation(key);
    await waitFor(() => c.completed, 'the drained stream completes');
    assert.deepEqual(h.seen, ['stopped', 'connecting', 'connected', 'draining', 'stopped']);
    h.sub.unsubscribe();
  });
});
