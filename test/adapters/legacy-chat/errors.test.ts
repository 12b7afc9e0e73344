import assert from 'node:assert/strict';
import { isChatshiftError } from '../../../src/errors.js';
import { counterMetrics } from '../../../src/runtime/metrics.js';
import { LegacyChatSimulator, legacyChatSource } from '../../../adapters/legacy-chat/index.js';
import { collect, fast, seqsOf } from './helpers.js';
import { recordingLogger } from '../../support/logger.js';
import { recordingStore } from '../../support/stores.js';
import { sleep, waitFor } from '../../support/wait.js';

const codeOf = (e: unknown): string | undefined => (isChatshiftError(e) ? e.code : undefined);

describe('legacyChatSource error paths', () => {
  let sim: LegacyChatSimulator;
  let key: string;
  beforeEach(async () => {
    sim = await LegacyChatSimulator.start({ bearer: 'SECRET-bearer-1' });
    key = sim.openConversation();
  });
  afterEach(async () => {
    await sim.close();
  });
  const base = () => ({ agentSessionUrl: sim.agentSessionUrl, chats: [key], ...fast });

  it('on a plain-text 401 asks bearer() again, retries once and goes on', async () => {
    const tokens = ['SECRET-bearer-1', 'SECRET-bearer-2'];
    let calls = 0;
    const logs = recordingLogger();
    const run = collect(
      legacyChatSource({
        ...base(),
        logger: logs,
        bearer: () => tokens[Math.min(calls++, 1)] as string,
      }),
    );
    await waitFor(() => seqsOf(run.events, key).length === 4, 'opening');
    sim.rotateBearer('SECRET-bearer-2');
    sim.consumerSays(key, 'after rotation');
    await waitFor(() => seqsOf(run.events, key).length === 5, 'line after 401');
    run.sub.unsubscribe();
    assert.equal(calls, 2);
    assert.equal(run.error, undefined);
    assert.ok(sim.requests.some((r) => r.status === 401));
    assert.match(logs.text(), /token_rejected/);
    assert.doesNotMatch(logs.text(), /SECRET-bearer/);
  });

  it('ends with ERR_AUTH_REJECTED when the fresh bearer is rejected too (JSON 401 as well)', async () => {
    for (const expiredAgentSession of ['oauth-text', 'json'] as const) {
      sim.configure({ expiredAgentSession });
      let calls = 0;
      const run = collect(legacyChatSource({ ...base(), bearer: () => (calls++, 'SECRET-stale') }));
      await waitFor(() => run.error !== undefined, 'error');
      assert.equal(codeOf(run.error), 'ERR_AUTH_REJECTED');
      assert.equal(calls, 2);
      assert.doesNotMatch(JSON.stringify([String(run.error), (run.error as Error).cause ?? '']), /SECRET/);
    }
  });

  it('ends with ERR_BEARER_PROVIDER when bearer() fails', async () => {
    const run = collect(
      legacyChatSource({
        ...base(),
        bearer: () => {
          throw new Error('vault down');
        },
      }),
    );
    await waitFor(() => run.error !== undefined, 'error');
    assert.equal(codeOf(run.error), 'ERR_BEARER_PROVIDER');
    assert.equal(sim.requests.length, 0);
  });

  it('waits on 429: Retry-After when given, at least 1 s when not', async () => {
    const logs = recordingLogger();
    const metrics = counterMetrics();
    sim.faults.queue({ status: 429, retryAfter: '0' });
    sim.faults.queue({ status: 429 });
    const run = collect(legacyChatSource({ ...base(), bearer: 'SECRET-bearer-1', logger: logs, metrics }));
    await waitFor(() => seqsOf(run.events, key).length === 4, 'events after 429s');
    run.sub.unsubscribe();
    const delays = logs.records.filter((l) => l.fields?.['status'] === 429).map((l) => l.fields?.['delayMs']);
    assert.equal(delays.length, 2);
    assert.ok((delays[0] as number) < 1000);
    assert.ok((delays[1] as number) >= 1000);
    assert.equal(metrics.snapshot()['retries'], 2);
  });

  it('retries 5xx, connection resets, timeouts and oversize bodies with growing backoff, then recovers', async () => {
    const logs = recordingLogger();
    const metrics = counterMetrics();
    sim.faults.queue({ status: 503 });
    sim.faults.queue({ status: 500, body: 'oops' });
    sim.faults.queue({ reset: true });
    sim.faults.queue({ hang: true });
    sim.faults.queue({ oversizeBytes: 5000 });
    const run = collect(
      legacyChatSource({
        ...base(),
        bearer: 'SECRET-bearer-1',
        logger: logs,
        metrics,
        requestTimeoutMs: 150,
        maxResponseBytes: 4000,
        backoff: { initialMs: 5, maxMs: 1000, factor: 2, jitter: 0 },
      }),
    );
    await waitFor(() => seqsOf(run.events, key).length === 4, 'events after faults');
    run.sub.unsubscribe();
    const retries = logs.records.filter((l) => l.message.includes('retrying')).map((l) => l.fields ?? {});
    assert.deepEqual(
      retries.map((f) => f['code']),
      ['ERR_HTTP_STATUS', 'ERR_HTTP_STATUS', 'ERR_CONNECTION', 'ERR_TIMEOUT', 'ERR_PAYLOAD_TOO_LARGE'],
    );
    assert.deepEqual(
      retries.map((f) => f['delayMs']),
      [5, 10, 20, 40, 80],
    );
    assert.equal(metrics.snapshot()['retries'], 5);
    assert.equal(run.error, undefined);
  });

  it('gives up with ERR_RETRIES_EXHAUSTED after backoff.maxAttempts failures in a row', async () => {
    sim.faults.queue({ status: 502 }, { times: 10 });
    const run = collect(
      legacyChatSource({ ...base(), bearer: 'SECRET-bearer-1', backoff: { initialMs: 2, maxAttempts: 3 } }),
    );
    await waitFor(() => run.error !== undefined, 'error');
    assert.equal(codeOf(run.error), 'ERR_RETRIES_EXHAUSTED');
    assert.equal(sim.multiChatRequests().length, 3);
  });

  it('ends with ERR_HTTP_STATUS on a 4xx that names no key (403), without retrying', async () => {
    sim.faults.queue({ status: 403 });
    const run = collect(legacyChatSource({ ...base(), bearer: 'SECRET-bearer-1' }));
    await waitFor(() => run.error !== undefined, 'error');
    await sleep(60);
    assert.equal(codeOf(run.error), 'ERR_HTTP_STATUS');
    assert.equal((run.error as { details: Record<string, unknown> }).details['status'], 403);
    assert.equal(sim.multiChatRequests().length, 1);
  });

  it('logs malformed JSON, emits nothing from it and keeps polling', async () => {
    const logs = recordingLogger();
    const metrics = counterMetrics();
    sim.faults.queue({ malformed: true }, { times: 2 });
    const run = collect(legacyChatSource({ ...base(), bearer: 'SECRET-bearer-1', logger: logs, metrics }));
    await waitFor(() => seqsOf(run.events, key).length === 4, 'events after malformed bodies');
    run.sub.unsubscribe();
    assert.equal(logs.records.filter((l) => l.fields?.['code'] === 'ERR_MALFORMED_JSON').length, 2);
    assert.equal(metrics.snapshot()['items.invalid'], 2);
    assert.deepEqual(seqsOf(run.events, key), [0, 1, 2, 3]);
  });

  it('skips a schema-invalid chat with the path logged, keeps its cursor, and delivers it later', async () => {
    const other = sim.openConversation();
    const logs = recordingLogger();
    const run = collect(
      legacyChatSource({ ...base(), chats: [key, other], bearer: 'SECRET-bearer-1', logger: logs }),
    );
    await waitFor(() => seqsOf(run.events, other).length === 4, 'opening');
    sim.faults.queue({ schemaInvalid: key }, { times: 2 });
    sim.consumerSays(key, 'hidden behind a bad field');
    sim.consumerSays(other, 'fine');
    await waitFor(() => seqsOf(run.events, other).length === 5, 'other chat goes on');
    await waitFor(() => seqsOf(run.events, key).length === 5, 'bad chat delivered after the fault');
    run.sub.unsubscribe();
    const bad = logs.records.filter((l) => l.fields?.['code'] === 'ERR_SCHEMA_INVALID');
    assert.equal(bad.length, 2);
    assert.equal(bad[0]?.fields?.['chatSessionKey'], key);
    assert.deepEqual(bad[0]?.fields?.['paths'], ['chats/chat/0/info/state']);
    assert.deepEqual(seqsOf(run.events, key), [0, 1, 2, 3, 4]);
  });

  it('ends with ERR_CHECKPOINT_IO when a checkpoint save fails', async () => {
    const store = recordingStore();
    store.failSaves();
    const run = collect(legacyChatSource({ ...base(), bearer: 'SECRET-bearer-1', checkpoint: store }));
    await waitFor(() => run.error !== undefined, 'error');
    assert.equal(codeOf(run.error), 'ERR_CHECKPOINT_IO');
    assert.deepEqual(seqsOf(run.events, key), [0, 1, 2, 3]);
  });

  it('validates options synchronously', () => {
    const ok = { agentSessionUrl: sim.agentSessionUrl, bearer: 'x' };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...ok, agentSessionUrl: 'not a url' }, 'ERR_INVALID_OPTIONS'],
      [{ ...ok, agentSessionUrl: 'ftp://127.0.0.1/x' }, 'ERR_INVALID_OPTIONS'],
      [{ ...ok, bearer: '' }, 'ERR_INVALID_OPTIONS'],
      [{ agentSessionUrl: ok.agentSessionUrl }, 'ERR_INVALID_OPTIONS'],
      [{ ...ok, pollIntervalMs: 0 }, 'ERR_INVALID_OPTIONS'],
      [{ ...ok, maxChatsPerRequest: -1 }, 'ERR_INVALID_OPTIONS'],
      [{ ...ok, chats: 'abc' }, 'ERR_INVALID_OPTIONS'],
      [{ ...ok, agentSessionUrl: 'http://chat.example.com/api' }, 'ERR_INSECURE_TRANSPORT'],
    ];
    for (const [opts, code] of cases) {
      assert.throws(
        () => legacyChatSource(opts as never),
        (e: unknown) => codeOf(e) === code,
        JSON.stringify(opts),
      );
    }
    assert.doesNotThrow(() =>
      legacyChatSource({
        ...ok,
        agentSessionUrl: 'http://chat.example.com/api',
        allowInsecureTransport: true,
      }),
    );
  });
});
