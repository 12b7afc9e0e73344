import assert from 'node:assert/strict';
import { retryAfterMs, retryDecision } from '../../../adapters/legacy-chat/retry-policy.js';
import { ChatshiftError } from '../../../src/errors.js';
import { resolveBackoff } from '../../../src/runtime/backoff.js';

const backoff = resolveBackoff({ initialMs: 100, maxMs: 1000, jitter: 0, maxAttempts: 3 });
const status = (s: number, retryAfter?: string) =>
  new ChatshiftError('ERR_HTTP_STATUS', `answered ${s}`, { details: { status: s, retryAfter } });

describe('legacy retry policy', () => {
  it('retries connection errors, 5xx and 429 with backoff, and ends on other statuses', () => {
    assert.deepEqual(
      [new Error('reset'), status(503), status(429), status(403)].map(
        (e) => retryDecision(e, 1, backoff, Infinity).kind,
      ),
      ['retry', 'retry', 'retry', 'fail'],
    );
    const d = retryDecision(status(500), 2, backoff, Infinity);
    assert.equal(d.kind === 'retry' && d.delayMs, 200);
  });

  it('ends with ERR_RETRIES_EXHAUSTED at maxAttempts failures in a row', () => {
    const d = retryDecision(status(500), 3, backoff, Infinity);
    assert.ok(d.kind === 'fail' && d.error.code === 'ERR_RETRIES_EXHAUSTED');
  });

  it('never waits past half the smallest chatTimeout, and bounds a server-given Retry-After', () => {
    const capped = retryDecision(status(500), 2, backoff, 150);
    assert.equal(capped.kind === 'retry' && capped.delayMs, 150);
    const month = retryDecision(status(429, '3000000'), 1, backoff, Infinity);
    assert.equal(
      month.kind === 'retry' && month.delayMs,
      1000,
      'Retry-After clamped to max(backoff.maxMs, 1 s)',
    );
    const honoured = retryDecision(status(429, '0.5'), 1, backoff, Infinity);
    assert.equal(honoured.kind === 'retry' && honoured.delayMs, 500);
  });

  it('reads Retry-After as seconds or an HTTP date, 1 s when unreadable', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(retryAfterMs('2', now), 2000);
    assert.equal(retryAfterMs('Thu, 01 Jan 2026 00:00:05 GMT', now), 5000);
    assert.equal(retryAfterMs('soon', now), 1000);
    assert.equal(retryAfterMs(undefined, now), 1000);
  });
});
