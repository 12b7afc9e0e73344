import type { SchedulerLike } from 'rxjs';
import { ChatshiftError, isChatshiftError } from '../../src/errors.js';
import { backoffDelay, type ResolvedBackoff } from '../../src/runtime/backoff.js';
import type { Logger } from '../../src/runtime/logger.js';
import type { Metrics } from '../../src/runtime/metrics.js';
import type { LoginHttpResponse } from './http.js';

/** What a retried call needs: timing, where to wait, where to report. */
export interface RetryContext {
  backoff: ResolvedBackoff;
  rateLimitWaitMs: number;
  scheduler: SchedulerLike;
  logger: Logger;
  metrics: Metrics;
  signal: AbortSignal;
}

/**
 * Runs `attempt` until it answers something other than a 5xx or 429, or a transport failure:
 * 5xx and failures wait `backoff` (LivePerson: 5, 10, 15 s), 429 waits at least `rateLimitWaitMs`
 * (or its `Retry-After`, if longer, up to `backoff.maxMs`). After `backoff.maxAttempts` attempts
 * the last failure is thrown as `ERR_RETRIES_EXHAUSTED`. Other statuses are returned to judge.
 */
export async function withRetries(
  what: string,
  ctx: RetryContext,
  attempt: () => Promise<LoginHttpResponse>,
): Promise<LoginHttpResponse> {
  for (let i = 0; ; i++) {
    let failure: ChatshiftError;
    let waitMs: number;
    try {
      const res = await attempt();
      if (res.status !== 429 && res.status < 500) return res;
      failure = new ChatshiftError('ERR_HTTP_STATUS', `${what} answered ${res.status}`, {
        details: { status: res.status },
      });
      waitMs =
        res.status === 429
          ? Math.max(ctx.rateLimitWaitMs, Math.min(retryAfterMs(res.retryAfter), ctx.backoff.maxMs))
          : backoffDelay(i, ctx.backoff);
    } catch (e) {
      if (ctx.signal.aborted || !isChatshiftError(e)) throw e;
      if (!['ERR_CONNECTION', 'ERR_TIMEOUT', 'ERR_PAYLOAD_TOO_LARGE'].includes(e.code)) throw e;
      failure = e;
      waitMs = backoffDelay(i, ctx.backoff);
    }
    if (i + 1 >= ctx.backoff.maxAttempts) {
      throw new ChatshiftError('ERR_RETRIES_EXHAUSTED', `${what} failed ${i + 1} times`, {
        cause: failure,
        details: { attempts: i + 1, lastCode: failure.code, status: failure.details['status'] },
      });
    }
    ctx.metrics.increment('login.retries');
    ctx.logger.warn(`login: ${what} failed, retrying`, {
      code: failure.code,
      status: failure.details['status'],
      attempt: i + 1,
      delayMs: waitMs,
    });
    await wait(ctx.scheduler, waitMs, ctx.signal);
  }
}

/** Resolves after `ms` on `scheduler`; rejects with the abort reason when `signal` aborts first. */
export function wait(scheduler: SchedulerLike, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const onAbort = (): void => {
      sub.unsubscribe();
      reject(signal.reason as Error);
    };
    const sub = scheduler.schedule(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function retryAfterMs(v: string | undefined): number {
  const s = Number(v);
  return v !== undefined && v.trim() !== '' && Number.isFinite(s) && s >= 0 ? s * 1000 : 0;
}
