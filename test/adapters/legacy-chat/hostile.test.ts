import assert from 'node:assert/strict';
import { take } from 'rxjs';
import { isChatshiftError } from '../../../src/errors.js';
import { memoryCheckpointStore } from '../../../src/checkpoint/memory.js';
import type { ConversationEvent } from '../../../src/model/event.js';
import { LegacyChatSimulator, legacyChatSource } from '../../../adapters/legacy-chat/index.js';
import { collect, fast, seqsOf } from './helpers.js';
import { recordingLogger } from '../../support/logger.js';
import { sleep, waitFor } from '../../support/wait.js';

// Issue #15: the guarantees hold whatever the wire says and whatever the consumer does.
describe('legacyChatSource against a hostile server and a careless consumer', () => {
  let sim: LegacyChatSimulator;
  let key: string;
  beforeEach(async () => {
    sim = await LegacyChatSimulator.start();
    key = sim.openConversation();
  });
  afterEach(async () => {
    await sim.close();
  });
  const base = () => ({ ...sim.clientOptions(), ...fast, chats: [key] });
  const retried = (logs: ReturnType<typeof recordingLogger>) =>
    logs.records.filter((r) => /poll failed, retrying/.test(r.message)).map((r) => r.fields?.['code']);

  it('bounds a server-given wait: Retry-After 3000000 waits about a second, not a month, and does not hot-loop', async () => {
    sim.faults.queue({ status: 429, retryAfter: '3000000' });
    const run = collect(legacyChatSource(base()));
    const t0 = Date.now();
    await waitFor(() => seqsOf(run.events, key).length === 4, 'events after the 429', 4000);
    const waited = Date.now() - t0;
    run.sub.unsubscribe();
    assert.ok(waited >= 900 && waited < 3000, `waited ${waited} ms`);
    assert.equal(sim.multiChatRequests().filter((r) => r.status === 429).length, 1);
  });

  it('ends a request whose body is trickled a few bytes at a time at the total deadline (ERR_TIMEOUT), then retries', async () => {
    sim.faults.queue({ trickleBytesPer100Ms: 5 });
    const logs = recordingLogger();
    const run = collect(legacyChatSource({ ...base(), requestTimeoutMs: 400, logger: logs }));
    const t0 = Date.now();
    await waitFor(() => seqsOf(run.events, key).length === 4, 'events after the trickle', 5000);
    run.sub.unsubscribe();
    assert.ok(Date.now() - t0 < 2500);
    assert.deepEqual(retried(logs), ['ERR_TIMEOUT']);
  });

  it('reports a legacy 302 as a coded status error with its location, not as malformed JSON', async () => {
    sim.faults.queue({ status: 302, headers: { location: 'https://login.example/sso' } });
    const logs = recordingLogger();
    const run = collect(legacyChatSource({ ...base(), logger: logs }));
    await waitFor(() => run.error !== undefined, 'error');
    assert.ok(isChatshiftError(run.error, 'ERR_HTTP_STATUS'));
    assert.equal(run.error.details['status'], 302);
    assert.equal(run.error.details['location'], 'https://login.example/sso');
    assert.ok(logs.records.every((r) => r.fields?.['code'] !== 'ERR_MALFORMED_JSON'));
  });

  it('refuses a 10 MB body of nested arrays before parsing it (no hundreds of MB), then recovers', async function () {
    this.timeout(30_000);
    const n = 5 * 1024 * 1024;
    sim.faults.queue({
      status: 200,
      contentType: 'application/json',
      body: `${'['.repeat(n)}${']'.repeat(n)}`,
    });
    const logs = recordingLogger();
    const before = process.resourceUsage().maxRSS;
    const run = collect(legacyChatSource({ ...base(), maxResponseBytes: 11 * 1024 * 1024, logger: logs }));
    await waitFor(() => seqsOf(run.events, key).length === 4, 'events after the deep body', 20_000);
    run.sub.unsubscribe();
    const grownMb = (process.resourceUsage().maxRSS - before) / 1024;
    assert.deepEqual(retried(logs), ['ERR_PAYLOAD_TOO_LARGE']);
    assert.ok(grownMb < 150, `max RSS grew ${grownMb.toFixed(0)} MB`);
  });

  it('does not count brackets inside strings (escaped quotes and backslashes too) as nesting', async () => {
    const text = `\\"${'['.repeat(200)}\\${'{'.repeat(200)}"${'x'.repeat(70_000)}`;
    sim.consumerSays(key, text);
    const run = collect(legacyChatSource(base()));
    await waitFor(() => seqsOf(run.events, key).length === 5, 'the long line');
    run.sub.unsubscribe();
    assert.equal(run.events.find((e) => e.seq === 4 && e.type === 'message')?.type, 'message');
    assert.equal((run.events.find((e) => e.seq === 4) as { text?: string }).text, text);
  });

  it('rejects a wire event id of 2^53-1 with a report, and every later event still arrives', async () => {
    const logs = recordingLogger();
    const run = collect(legacyChatSource({ ...base(), logger: logs }));
    await waitFor(() => seqsOf(run.events, key).length === 4, 'opening');
    sim.addEvent(key, 'line', {
      source: 'visitor',
      textType: 'plain',
      text: 'huge',
      wireId: String(2 ** 53 - 1),
    });
    sim.consumerSays(key, 'after');
    sim.consumerSays(key, 'and after');
    await waitFor(() => seqsOf(run.events, key).length === 6, 'the later lines');
    run.sub.unsubscribe();
    assert.deepEqual(seqsOf(run.events, key), [0, 1, 2, 3, 5, 6]);
    assert.ok(logs.records.some((r) => r.fields?.['code'] === 'ERR_SCHEMA_INVALID'));
  });

  it('rejects a checkpoint cursor out of range with a warning and follows the chat from its start', async () => {
    const store = memoryCheckpointStore();
    await store.save('legacy-chat', { [key]: { seq: 2 ** 53 - 1 } });
    const logs = recordingLogger();
    const run = collect(legacyChatSource({ ...base(), checkpoint: store, logger: logs }));
    await waitFor(() => seqsOf(run.events, key).length === 4, 'the chat from its start');
    run.sub.unsubscribe();
    assert.ok(logs.records.some((r) => r.level === 'warn' && /cursor out of range/.test(r.message)));
  });

  it('ends with ERR_BEARER_PROVIDER when bearer() never answers (within requestTimeoutMs), sending nothing', async () => {
    const run = collect(
      legacyChatSource({ ...base(), bearer: () => new Promise<string>(() => {}), requestTimeoutMs: 200 }),
    );
    await waitFor(() => run.error !== undefined, 'error', 3000);
    assert.ok(isChatshiftError(run.error, 'ERR_BEARER_PROVIDER'));
    assert.equal(sim.requests.length, 0);
  });

  it('keeps the agent session cookie and sends it back (cookies required)', async () => {
    sim.configure({ cookies: 'required' });
    const run = collect(legacyChatSource(base()));
    await waitFor(() => seqsOf(run.events, key).length === 4, 'opening');
    sim.consumerSays(key, 'more');
    await waitFor(() => seqsOf(run.events, key).length === 5, 'line');
    run.sub.unsubscribe();
    assert.equal(run.error, undefined);
    const later = sim.requests.slice(1);
    assert.ok(later.length > 1 && later.every((r) => r.cookie?.startsWith('LPAgentSession=')));
  });

  it('backs off no longer than half the chats’ chatTimeout during an outage (L6)', async () => {
    sim.configure({ chatTimeoutSeconds: 1 });
    const run = collect(
      legacyChatSource({ ...base(), backoff: { initialMs: 4000, maxMs: 4000, jitter: 0 } }),
    );
    await waitFor(() => seqsOf(run.events, key).length === 4, 'opening');
    sim.faults.queue({ status: 503 }, { times: 2 });
    sim.consumerSays(key, 'through the outage');
    const t0 = Date.now();
    await waitFor(() => seqsOf(run.events, key).length === 5, 'line after the outage', 3000);
    run.sub.unsubscribe();
    assert.ok(Date.now() - t0 < 2000, `took ${Date.now() - t0} ms`);
    sim.assertNoPendingFaults();
  });

  it('does not re-deliver after the consumer unsubscribes inside next() and resumes (take(n))', async () => {
    for (let i = 0; i < 5; i++) sim.consumerSays(key, `line ${i}`);
    const store = memoryCheckpointStore();
    const first: ConversationEvent[] = [];
    for (const n of [2, 3, 1]) {
      const got: ConversationEvent[] = [];
      await new Promise<void>((resolve) => {
        legacyChatSource({ ...base(), checkpoint: store })
          .pipe(take(n))
          .subscribe({ next: (e) => got.push(e), complete: resolve });
      });
      await sleep(30);
      first.push(...got);
    }
    const rest = collect(legacyChatSource({ ...base(), checkpoint: store }));
    await waitFor(() => first.length + rest.events.length >= 9, 'the rest', 3000).catch(() => {});
    await sleep(60);
    rest.sub.unsubscribe();
    const ids = [...first, ...rest.events].filter((e) => e.seq !== undefined).map((e) => e.seq);
    assert.deepEqual(ids, [0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('take(1) at a time through a poll with derived events (agent left and joined, typing): each event once, none skipped', async () => {
    // One poll: lines, then the derived participant and typing events of the same chat. A consumer
    // that stops after each event must get every one of them exactly once across its resumptions
    // (the derived state a stop keeps is what it delivered, not only the cursor).
    sim.setAgent(key, { id: 1, name: 'Ann' });
    const whole = collect(legacyChatSource({ ...base(), checkpoint: memoryCheckpointStore() }));
    await waitFor(() => whole.events.some((e) => e.type === 'participant'), 'the agent joined');
    whole.sub.unsubscribe();
    const store = memoryCheckpointStore();
    const got: ConversationEvent[] = [];
    const takeOne = () =>
      new Promise<void>((resolve) => {
        const sub = legacyChatSource({ ...base(), checkpoint: store })
          .pipe(take(1))
          .subscribe({ next: (e) => got.push(e), complete: resolve });
        // A resumption with nothing left to deliver ends after a few polls.
        setTimeout(() => {
          sub.unsubscribe();
          resolve();
        }, 400);
      });
    for (let i = 0; i < 8; i++) await takeOne();
    sim.setAgent(key, { id: 2, name: 'Bo' });
    sim.typing(key, { who: 'consumer', on: true });
    sim.typing(key, { who: 'agent', on: true });
    sim.consumerSays(key, 'after the transfer');
    for (let i = 0; i < 8; i++) await takeOne();
    await sleep(30);
    const ids = got.map((e) => e.id);
    assert.deepEqual(
      ids.filter((id, i) => ids.indexOf(id) !== i),
      [],
      'delivered twice',
    );
    const kinds = got.map((e) =>
      e.type === 'participant'
        ? `${e.action}:${e.participant.name ?? ''}`
        : e.type === 'typing'
          ? `typing:${e.participant.role}:${e.typing}`
          : e.type,
    );
    for (const k of ['joined:Ann', 'left:Ann', 'joined:Bo', 'typing:consumer:true', 'typing:agent:true'])
      assert.ok(kinds.includes(k), `${k} in ${kinds.join(', ')}`);
    const lines = whole.events.filter((e) => e.type === 'message').length + 1;
    assert.equal(got.filter((e) => e.type === 'message').length, lines, kinds.join(', '));
  });
});
