import { ChatshiftError, isChatshiftError } from '../errors.js';
import type { Logger } from '../runtime/logger.js';
import { errorType, type Metrics } from '../runtime/metrics.js';

/** Timing of the at-most-once policy. */
export interface AtMostOnceTiming {
  /** Longest total wait for 429s on one action before it fails with `ERR_RATE_LIMITED`. */
  maxRateLimitWaitMs: number;
  /** Waits (a Promise-based timer, so tests can compress time). */
  sleep(ms: number): Promise<void>;
  logger: Logger;
  metrics: Metrics;
}

/**
 * True when a failure leaves it open whether the write took effect: no answer (timeout), the
 * connection lost after the request went out, or a server error (5xx) on a write.
 */
export function isUnclear(e: unknown): boolean {
  if (!isChatshiftError(e)) return true;
  if (e.code === 'ERR_TIMEOUT') return true;
  if (e.code === 'ERR_CONNECTION') return e.details['sent'] !== false;
  const status = e.details['status'] ?? e.details['code'];
  return (
    (e.code === 'ERR_HTTP_STATUS' || e.code === 'ERR_PROTOCOL') && typeof status === 'number' && status >= 500
  );
}

/**
 * Runs one attempt, waiting out 429s (`ERR_RATE_LIMITED` with `details.retryAfterMs`) and trying
 * again, until their total wait would pass `maxRateLimitWaitMs`: then the refusal is the answer.
 * A 429 is a clear refusal (nothing was applied), so trying again cannot double anything.
 */
export async function withRateLimit<T>(attempt: () => Promise<T>, timing: AtMostOnceTiming): Promise<T> {
  let waited = 0;
  for (;;) {
    try {
      return await attempt();
    } catch (e) {
      if (!isChatshiftError(e, 'ERR_RATE_LIMITED')) throw e;
      const after = Number(e.details['retryAfterMs'] ?? 1000);
      const wait = Number.isFinite(after) && after >= 1000 ? after : 1000;
      if (waited + wait > timing.maxRateLimitWaitMs) throw e;
      timing.metrics.increment('actions.rate_limited');
      timing.logger.warn('chatshift: action rate-limited (429); retrying after the wait', { waitMs: wait });
      await timing.sleep(wait);
      waited += wait;
    }
  }
}

/**
 * How a send ended, as the `sends` counter's `chatshift.outcome`: posted once (`sent`), found in the
 * conversation before posting, with `skipIfSent` (`already_sent`: nothing posted), unclear and
 * then found in the conversation (`found_on_read_back`), unclear, not found and posted once more
 * (`resent`), refused by the server (`refused`), still rate-limited after `maxRateLimitWaitMs`
 * (`rate_limited`), unsettled (`unknown`: `ERR_OUTCOME_UNKNOWN`), or not sent at all (`failed`: no
 * connection in time, bearer refused). Each send counts once.
 */
export type SendOutcome =
  | 'sent'
  | 'already_sent'
  | 'found_on_read_back'
  | 'resent'
  | 'refused'
  | 'rate_limited'
  | 'unknown'
  | 'failed';

/** The outcome of a send that failed with `e`. */
export function failedSendOutcome(e: unknown): SendOutcome {
  if (!isChatshiftError(e)) return 'failed';
  if (e.code === 'ERR_OUTCOME_UNKNOWN') return 'unknown';
  if (e.code === 'ERR_RATE_LIMITED') return 'rate_limited';
  if (
    [
      'ERR_CONNECTION',
      'ERR_TIMEOUT',
      'ERR_AUTH_REJECTED',
      'ERR_BEARER_PROVIDER',
      'ERR_SESSION_CLOSED',
    ].includes(e.code)
  )
    return 'failed';
  return 'refused';
}

/** A send's two primitives: one attempt, and the read-back that finds it by its client id. */
export interface SendPrimitives {
  publish(): Promise<{ seq?: number }>;
  /** `beforeSend`: the `checkFirst` read, before any attempt of this send. */
  findSent(beforeSend?: boolean): Promise<{ seq?: number } | undefined>;
  /** How long a write may take to land before a miss is trusted. */
  readBackDelayMs: number;
  /** Read the conversation first, and post nothing if the message is already there. */
  checkFirst?: boolean;
}

/**
 * Sends at most once. A clear answer (success, or a coded refusal) is final. An unclear one is
 * resolved by reading the conversation back after a poll interval: found — done; not found — sent
 * once more; if that is unclear too and the read-back still does not find it, or a read-back
 * fails, `ERR_OUTCOME_UNKNOWN`. Never a blind resend: every resend follows a read-back that did not
 * find the message after the write had time to land.
 */
export async function sendAtMostOnce(
  p: SendPrimitives,
  timing: AtMostOnceTiming,
): Promise<{ seq?: number; alreadySent?: true }> {
  try {
    const { seq, outcome } = await settleSend(p, timing);
    timing.metrics.increment('sends', 1, { 'chatshift.outcome': outcome });
    return {
      ...(seq === undefined ? {} : { seq }),
      ...(outcome === 'already_sent' ? { alreadySent: true as const } : {}),
    };
  } catch (e) {
    timing.metrics.increment('sends', 1, {
      'chatshift.outcome': failedSendOutcome(e),
      'error.type': errorType(e),
    });
    throw e;
  }
}

async function settleSend(
  p: SendPrimitives,
  timing: AtMostOnceTiming,
): Promise<{ seq?: number | undefined; outcome: SendOutcome }> {
  if (p.checkFirst === true) {
    // A read that fails fails the send, unsent: posting without knowing could post it twice.
    const found = await withRateLimit(() => p.findSent(true), timing);
    if (found !== undefined) return { seq: found.seq, outcome: 'already_sent' };
  }
  let last: unknown;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const r = await withRateLimit(() => p.publish(), timing);
      return { seq: r.seq, outcome: attempt === 0 ? 'sent' : 'resent' };
    } catch (e) {
      if (!isUnclear(e)) throw e;
      last = e;
    }
    timing.metrics.increment('actions.unclear');
    timing.logger.warn('chatshift: a send had an unclear outcome; reading the conversation back', {
      code: isChatshiftError(last) ? last.code : 'unknown',
      attempt: attempt + 1,
    });
    await timing.sleep(p.readBackDelayMs);
    let found: { seq?: number } | undefined;
    try {
      found = await withRateLimit(() => p.findSent(), timing);
    } catch (cause) {
      throw outcomeUnknown('the read-back failed', cause);
    }
    if (found !== undefined) return { seq: found.seq, outcome: 'found_on_read_back' };
  }
  throw outcomeUnknown('the resend was unclear too and the message is not there', last);
}

/**
 * An idempotent action (typing, read, availability) or one whose repeat recognises its own
 * success (close, transfer): an unclear outcome is tried once more with `retry: true`.
 */
export async function idempotent(
  run: (retry: boolean) => Promise<void>,
  timing: AtMostOnceTiming,
): Promise<void> {
  try {
    return await withRateLimit(() => run(false), timing);
  } catch (e) {
    if (!isUnclear(e)) throw e;
    timing.metrics.increment('actions.unclear');
  }
  try {
    return await withRateLimit(() => run(true), timing);
  } catch (e) {
    if (isUnclear(e)) throw outcomeUnknown('the repeat was unclear too', e);
    throw e;
  }
}

export function outcomeUnknown(why: string, cause: unknown): ChatshiftError {
  return new ChatshiftError('ERR_OUTCOME_UNKNOWN', `chatshift: outcome unknown (${why}); not resent`, {
    cause,
    details: { cause: isChatshiftError(cause) ? cause.code : 'unknown' },
  });
}
