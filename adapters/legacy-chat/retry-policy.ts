import { ChatshiftError, isChatshiftError } from '../../src/errors.js';
import { backoffDelay, type ResolvedBackoff } from '../../src/runtime/backoff.js';

/** What to do after a failed poll cycle: wait and retry, or end the stream. */
export type RetryDecision =
  | { kind: 'retry'; delayMs: number; error: ChatshiftError; status: unknown }
  | { kind: 'fail'; error: ChatshiftError };

/**
 * The legacy retry policy, a pure function. Connection errors, timeouts, oversize bodies, protocol
 * errors, 5xx and 429 are retried with backoff; anything else ends the stream, as does the
 * `maxAttempts`-th failure in a row. The wait is bounded twice: by half the smallest `chatTimeout`
 * of the followed chats (each chat must be touched within it, L6), and a server-given
 * `Retry-After` is honoured only up to `max(backoff.maxMs, 1 s)` — `Retry-After: 3000000` must not
 * stall for a month, nor overflow a timer into a hot loop.
 */
export function retryDecision(
  e: unknown,
  failures: number,
  backoff: ResolvedBackoff,
  chatTimeoutCapMs: number,
  nowMs: number = Date.now(),
): RetryDecision {
  const error = isChatshiftError(e)
    ? e
    : new ChatshiftError('ERR_CONNECTION', 'legacy-chat: poll failed', { cause: e });
  const status = error.details['status'];
  const retryable =
    ['ERR_CONNECTION', 'ERR_TIMEOUT', 'ERR_PAYLOAD_TOO_LARGE', 'ERR_PROTOCOL'].includes(error.code) ||
    (error.code === 'ERR_HTTP_STATUS' && typeof status === 'number' && (status >= 500 || status === 429));
  if (!retryable) return { kind: 'fail', error };
  if (failures >= backoff.maxAttempts) {
    return {
      kind: 'fail',
      error: new ChatshiftError('ERR_RETRIES_EXHAUSTED', `legacy-chat: ${failures} polls failed in a row`, {
        cause: error,
        details: { attempts: failures },
      }),
    };
  }
  let delayMs = Math.min(backoffDelay(failures - 1, backoff), chatTimeoutCapMs);
  if (status === 429) {
    const serverCap = Math.max(backoff.maxMs, 1000);
    delayMs = Math.max(delayMs, Math.min(retryAfterMs(error.details['retryAfter'], nowMs), serverCap));
  }
  return { kind: 'retry', delayMs, error, status };
}

/** A `Retry-After` value (seconds or an HTTP date) in ms; 1 s when absent or unreadable. */
export function retryAfterMs(v: unknown, nowMs: number): number {
  if (typeof v !== 'string' || v.trim() === '') return 1000;
  const seconds = Number(v);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(v);
  return Number.isNaN(date) ? 1000 : Math.max(0, date - nowMs);
}
