import assert from 'node:assert/strict';
import type { MessagingSimulator } from '../../../adapters/messaging/index.js';
import { counterMetrics } from '../../../src/runtime/metrics.js';
import { collect, simulatorPerTest, sourceFor, seqsByConversation, type Collected } from './support.js';
import { recordingLogger } from '../../support/logger.js';
import { waitFor } from '../../support/wait.js';

const messages = (c: Collected) => c.events.filter((e) => e.type === 'message');

describe('messagingSource gaps, ordering and bad input', () => {
  let sim: MessagingSimulator;
  let c: Collected | undefined;
  let conv: string;
  simulatorPerTest((s) => (sim = s));
  beforeEach(() => {
    conv = sim.openConversation();
    sim.consumerSays(conv, 'first');
  });
  const start = async (extra: Parameters<typeof sourceFor>[1] = {}): Promise<Collected> => {
    c = collect(sourceFor(sim, extra));
    await waitFor(() => messages(c!).length === 1, 'history');
    return c;
  };

  it('backfills a lost live event with QueryMessages, then continues in order', async () => {
    const metrics = counterMetrics();
    await start({ metrics });
    sim.faults.queue({ notification: 'drop' });
    sim.consumerSays(conv, 'lost live');
    sim.consumerSays(conv, 'after the hole');
    await waitFor(() => messages(c!).length === 3, 'backfilled');
    assert.deepEqual(seqsByConversation(c!.events).get(conv), [1, 2, 3]);
    assert.equal(metrics.snapshot()['gaps'], 1);
    assert.equal(sim.requests('.ams.ms.QueryMessages').at(-1)?.body['newerThanSequence'], 1);
  });

  it('does not drop a reordered notification as already seen', async () => {
    await start();
    sim.configure({ reorderNotifications: true });
    for (let i = 0; i < 6; i++) sim.consumerSays(conv, `r${i}`);
    await waitFor(() => messages(c!).length === 7, 'all');
    assert.deepEqual(seqsByConversation(c!.events).get(conv), [1, 2, 3, 4, 5, 6, 7]);
  });

  it('accepts a hole the server confirms empty', async () => {
    await start();
    sim.skipSequences(conv, 2);
    sim.consumerSays(conv, 'after private ones');
    sim.consumerSays(conv, 'next');
    await waitFor(() => messages(c!).length === 3, 'accepted');
    assert.deepEqual(seqsByConversation(c!.events).get(conv), [1, 4, 5]);
  });

  it('works with an inclusive QueryMessages bound (boundary event returned again)', async () => {
    sim.configure({ queryMessagesBound: 'inclusive' });
    await start();
    sim.dropConnections();
    sim.consumerSays(conv, 'two');
    await waitFor(() => messages(c!).length === 2, 'resumed');
    assert.deepEqual(seqsByConversation(c!.events).get(conv), [1, 2]);
  });

  it('ignores stale out-of-order UPSERTs by metaDataLastUpdateTs', async () => {
    await start();
    sim.configure({ staleConversationChanges: true });
    sim.join(conv, 'MANAGER', '123.88');
    await waitFor(
      () => c!.events.some((e) => e.type === 'participant' && e.participant.role === 'manager'),
      'joined',
    );
    sim.consumerSays(conv, 'marker');
    await waitFor(() => messages(c!).length === 2, 'marker');
    const participants = c!.events.filter((e) => e.type === 'participant');
    assert.ok(
      !participants.some((e) => e.type === 'participant' && e.action === 'left'),
      'stale UPSERT caused left events',
    );
    assert.deepEqual(
      c!.events.filter((e) => e.type === 'state').map((e) => e.type === 'state' && e.state),
      ['open'],
    );
  });

  it('logs and skips non-JSON frames, unknown types and schema-invalid bodies with the bad path', async () => {
    const logger = recordingLogger();
    const metrics = counterMetrics();
    await start({ logger, metrics });
    sim.sendRawToAll('{not json');
    sim.sendRawToAll(JSON.stringify({ kind: 'notification', type: '.ams.some.Unknown', body: {} }));
    sim.sendRawToAll(
      JSON.stringify({
        kind: 'notification',
        type: '.ams.ms.OnlineEventDistribution',
        body: { dialogId: conv, sequence: 'x', event: { type: 'ContentEvent' } },
      }),
    );
    sim.sendRawToAll(
      JSON.stringify({
        kind: 'notification',
        type: '.ams.ms.OnlineEventDistribution',
        body: { dialogId: conv, sequence: 2, event: { type: 'ContentEvent', message: 42 } },
      }),
    );
    sim.sendRawToAll(JSON.stringify({ kind: 'banana' }));
    sim.sendRawToAll('null');
    sim.consumerSays(conv, 'still works');
    await waitFor(() => messages(c!).length === 2, 'valid message after junk');
    const warns = logger.lines().filter((l) => l.startsWith('warn'));
    assert.ok(warns.some((l) => l.includes('ERR_MALFORMED_JSON')));
    assert.ok(
      warns.some((l) => l.includes('sequence')),
      warns.join('\n'),
    );
    assert.ok(
      warns.some((l) => l.includes('message')),
      warns.join('\n'),
    );
    assert.ok((metrics.snapshot()['items.invalid'] ?? 0) >= 4);
    // The forged invalid seq 2 did not consume the cursor: the real seq 2 is delivered.
    assert.deepEqual(seqsByConversation(c!.events).get(conv), [1, 2]);
    assert.equal(c!.error, undefined);
  });

  it('skips responses to no pending request and bad envelopes; the source sees only notifications', async () => {
    const logger = recordingLogger();
    const metrics = counterMetrics();
    await start({ logger, metrics });
    // cs-1 (the subscribe) was answered already: an answer again, and one to an id never sent.
    sim.sendRawToAll(JSON.stringify({ kind: 'resp', reqId: 'cs-1', code: 200, body: {} }));
    sim.sendRawToAll(JSON.stringify({ kind: 'resp', reqId: 'nobody', code: 500, body: 'x' }));
    sim.sendRawToAll(JSON.stringify({ kind: 'resp', code: 200, body: {} }));
    sim.sendRawToAll(JSON.stringify({ kind: 'notification', body: {} }));
    sim.consumerSays(conv, 'still works');
    await waitFor(() => messages(c!).length === 2, 'valid message after junk');
    assert.equal(metrics.snapshot()['items.invalid'], 2);
    const lines = logger.lines().join('\n');
    for (const reqId of ['cs-1', 'nobody'])
      assert.ok(
        logger.lines().some((l) => l.includes('response to no pending request') && l.includes(`"${reqId}"`)),
        lines,
      );
    assert.equal(logger.lines().filter((l) => l.includes('ERR_SCHEMA_INVALID')).length, 2, lines);
    assert.equal(c!.error, undefined);
  });

  it('treats a frame above the size cap as a connection error and reconnects', async () => {
    const logger = recordingLogger();
    await start({ logger, maxFrameBytes: 2048 });
    sim.sendRawToAll(JSON.stringify({ kind: 'notification', type: 'x', body: 'y'.repeat(5000) }));
    await waitFor(() => sim.connectionsOpened === 2 && sim.connectionCount === 1, 'reconnected');
    assert.ok(logger.lines().some((l) => l.includes('ERR_PAYLOAD_TOO_LARGE')));
    sim.consumerSays(conv, 'after');
    await waitFor(() => messages(c!).length === 2, 'continues');
  });
});
