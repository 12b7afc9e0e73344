import assert from 'node:assert/strict';
import {
  idempotent,
  isUnclear,
  sendAtMostOnce,
  type AtMostOnceTiming,
} from '../../src/actions/at-most-once.js';
import { KeyedQueue } from '../../src/actions/keyed-queue.js';
import { ChatshiftError, isChatshiftError } from '../../src/errors.js';
import { counterMetrics } from '../../src/runtime/metrics.js';
import { silentLogger } from '../../src/runtime/logger.js';

const timeout = () => new ChatshiftError('ERR_TIMEOUT', 'no answer');
const lost = () => new ChatshiftError('ERR_CONNECTION', 'socket closed');
const limited = (ms: number) =>
  new ChatshiftError('ERR_RATE_LIMITED', '429', { details: { retryAfterMs: ms } });

/** A fake server: each publish plays the next scripted outcome; `landed` is what the history holds. */
function script(
  outcomes: Array<'ok' | 'commit-then-lost' | 'lost' | 'refused' | '429'>,
  readBack: 'works' | 'fails' = 'works',
) {
  const calls = { publish: 0, find: 0, slept: [] as number[] };
  let landed = 0;
  const timing: AtMostOnceTiming = {
    maxRateLimitWaitMs: 5000,
    sleep: (ms) => {
      calls.slept.push(ms);
      return Promise.resolve();
    },
    logger: silentLogger,
    metrics: counterMetrics(),
  };
  const p = {
    readBackDelayMs: 100,
    publish: () => {
      const o = outcomes[calls.publish++] ?? 'ok';
      if (o === 'ok') return Promise.resolve({ seq: ++landed });
      if (o === 'commit-then-lost') {
        landed++;
        return Promise.reject(timeout());
      }
      if (o === 'lost') return Promise.reject(lost());
      if (o === '429') return Promise.reject(limited(1000));
      return Promise.reject(new ChatshiftError('ERR_NOT_PARTICIPANT', 'no'));
    },
    findSent: () => {
      calls.find++;
      if (readBack === 'fails') return Promise.reject(timeout());
      return Promise.resolve(landed > 0 ? { seq: landed } : undefined);
    },
  };
  return { calls, timing, p, landed: () => landed };
}

describe('sendAtMostOnce', () => {
  it('a clear success is final: one publish, no read-back', async () => {
    const s = script(['ok']);
    assert.deepEqual(await sendAtMostOnce(s.p, s.timing), { seq: 1 });
    assert.deepEqual([s.calls.publish, s.calls.find], [1, 0]);
  });

  it('a refusal is final and never resent', async () => {
    const s = script(['refused']);
    await assert.rejects(sendAtMostOnce(s.p, s.timing), (e) => isChatshiftError(e, 'ERR_NOT_PARTICIPANT'));
    assert.equal(s.calls.publish, 1);
  });

  it('an unclear outcome whose write landed is found on read-back after the poll interval, not resent', async () => {
    const s = script(['commit-then-lost']);
    assert.deepEqual(await sendAtMostOnce(s.p, s.timing), { seq: 1 });
    assert.deepEqual([s.calls.publish, s.calls.find, s.landed()], [1, 1, 1]);
    assert.deepEqual(s.calls.slept, [100]);
  });

  it('an unclear outcome whose write did not land is resent once after the read-back', async () => {
    const s = script(['lost', 'ok']);
    await sendAtMostOnce(s.p, s.timing);
    assert.deepEqual([s.calls.publish, s.calls.find, s.landed()], [2, 1, 1]);
  });

  it('unclear twice and still not there: ERR_OUTCOME_UNKNOWN, nothing sent a third time', async () => {
    const s = script(['lost', 'lost', 'ok']);
    await assert.rejects(sendAtMostOnce(s.p, s.timing), (e) => isChatshiftError(e, 'ERR_OUTCOME_UNKNOWN'));
    assert.deepEqual([s.calls.publish, s.calls.find], [2, 2]);
  });

  it('a read-back that fails is ERR_OUTCOME_UNKNOWN, never a blind resend', async () => {
    const s = script(['lost', 'ok'], 'fails');
    await assert.rejects(sendAtMostOnce(s.p, s.timing), (e) => isChatshiftError(e, 'ERR_OUTCOME_UNKNOWN'));
    assert.equal(s.calls.publish, 1);
  });

  it('waits out 429s (at least 1 s each) and fails with ERR_RATE_LIMITED once the waits would pass the cap', async () => {
    const s = script(['429', '429', 'ok']);
    await sendAtMostOnce(s.p, s.timing);
    assert.deepEqual(s.calls.slept, [1000, 1000]);
    const t = script(Array.from({ length: 10 }, () => '429' as const));
    await assert.rejects(sendAtMostOnce(t.p, t.timing), (e) => isChatshiftError(e, 'ERR_RATE_LIMITED'));
    assert.equal(
      t.calls.slept.reduce((a, b) => a + b, 0),
      5000,
    );
  });

  it('classifies timeouts, lost connections and 5xx as unclear; refusals and unsent requests as clear', () => {
    assert.equal(isUnclear(timeout()), true);
    assert.equal(isUnclear(lost()), true);
    assert.equal(isUnclear(new ChatshiftError('ERR_HTTP_STATUS', '', { details: { status: 503 } })), true);
    assert.equal(isUnclear(new ChatshiftError('ERR_HTTP_STATUS', '', { details: { status: 400 } })), false);
    assert.equal(isUnclear(new ChatshiftError('ERR_CONNECTION', '', { details: { sent: false } })), false);
    assert.equal(isUnclear(new ChatshiftError('ERR_CONVERSATION_CLOSED', '')), false);
  });
});

describe('idempotent actions', () => {
  it('repeat once with retry=true after an unclear outcome; unclear twice is ERR_OUTCOME_UNKNOWN', async () => {
    const s = script([]);
    const seen: boolean[] = [];
    await idempotent((retry) => {
      seen.push(retry);
      return seen.length === 1 ? Promise.reject(timeout()) : Promise.resolve();
    }, s.timing);
    assert.deepEqual(seen, [false, true]);
    await assert.rejects(
      idempotent(() => Promise.reject(timeout()), s.timing),
      (e) => isChatshiftError(e, 'ERR_OUTCOME_UNKNOWN'),
    );
  });
});

describe('KeyedQueue', () => {
  it('runs one task at a time per key in order, different keys concurrently up to the limit', async () => {
    const q = new KeyedQueue(2);
    let active = 0;
    let peak = 0;
    const order: string[] = [];
    const task = (name: string) => async () => {
      active++;
      peak = Math.max(peak, active);
      await new Promise((r) => setTimeout(r, 5));
      order.push(name);
      active--;
    };
    await Promise.all([
      q.run('a', task('a1')),
      q.run('a', task('a2')),
      q.run('b', task('b1')),
      q.run('c', task('c1')),
      q.run('a', task('a3')),
    ]);
    assert.equal(peak, 2);
    assert.deepEqual(
      order.filter((n) => n.startsWith('a')),
      ['a1', 'a2', 'a3'],
    );
    assert.equal(q.size, 0);
  });

  it('a failed task does not stop the next one of its key', async () => {
    const q = new KeyedQueue(1);
    await assert.rejects(q.run('k', () => Promise.reject(new Error('x'))));
    assert.equal(await q.run('k', () => Promise.resolve(7)), 7);
  });
});
