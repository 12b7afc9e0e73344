import type { Observable } from 'rxjs';
import {
  defer,
  distinctUntilChanged,
  from,
  isObservable,
  of,
  switchMap,
  timer,
  catchError,
  EMPTY,
  type SchedulerLike,
  asyncScheduler,
} from 'rxjs';
import type { Logger } from '../runtime/logger.js';

/** Which sources run: one backend, or both during the migration window. */
export type BackendChoice = 'legacy-chat' | 'messaging' | 'both';
export const backendChoices: readonly BackendChoice[] = ['legacy-chat', 'messaging', 'both'];

export const isBackendChoice = (v: unknown): v is BackendChoice =>
  typeof v === 'string' && (backendChoices as readonly string[]).includes(v);

const isPromiseLike = (v: unknown): v is PromiseLike<unknown> =>
  typeof (v as { then?: unknown } | null | undefined)?.then === 'function';

/** The `backend` option: a fixed value, a stream of values, or a function evaluated on an interval. */
export type BackendFlag =
  BackendChoice | Observable<BackendChoice> | (() => BackendChoice | Promise<BackendChoice>);

/**
 * Turns any {@link BackendFlag} into a stream of raw flag values (validation happens at the one
 * policy point, in the switch). A function is evaluated at once and then every `everyMs`; a
 * throwing or rejecting function is logged and the previous value kept.
 */
export function backendFlag$(
  flag: BackendFlag,
  options: { everyMs: number; scheduler?: SchedulerLike; logger: Logger },
): Observable<unknown> {
  if (isObservable(flag)) return flag;
  if (typeof flag !== 'function') return of(flag);
  const fn = flag;
  return timer(0, options.everyMs, options.scheduler ?? asyncScheduler).pipe(
    switchMap(() =>
      // A synchronous answer is used on the tick itself, so a plain function stays on the
      // scheduler (and a TestScheduler); only a Promise waits for its resolution. A throw is an error.
      defer(() => {
        const answer = fn();
        return isPromiseLike(answer) ? from(answer) : of(answer);
      }).pipe(
        catchError((e: unknown) => {
          options.logger.warn('backend flag function failed; keeping the current backend', {
            error: e instanceof Error ? e.message : String(e),
          });
          return EMPTY;
        }),
      ),
    ),
    distinctUntilChanged(),
  );
}
