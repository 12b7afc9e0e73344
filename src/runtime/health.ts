import { BehaviorSubject, Observable } from 'rxjs';
import { isChatshiftError, type ErrorCode } from '../errors.js';
import type { BackendContext } from './backend.js';
import { relay } from './relay.js';

/**
 * Where a backend stands:
 * - `connecting`: subscribed, not yet answered (legacy: the first poll cycle; messaging: a socket
 *   is opening, also after each backoff);
 * - `connected`: the last poll cycle succeeded / the socket is open;
 * - `backing-off`: a poll cycle failed or the socket closed, and a retry is scheduled;
 * - `auth-refused`: the stream ended because the credentials were refused (`ERR_AUTH_REJECTED`,
 *   `ERR_BEARER_PROVIDER`);
 * - `draining`: connected, taking no new conversations, following the open ones until they close;
 * - `stopped`: no subscription runs (never started, unsubscribed, completed, or failed — `code`).
 */
export type HealthState =
  'connecting' | 'connected' | 'backing-off' | 'auth-refused' | 'draining' | 'stopped';

/** One value of a backend's `health$`. */
export interface BackendHealth {
  readonly state: HealthState;
  /** The error behind `backing-off`, `auth-refused` or a `stopped` that ended in a failure. */
  readonly code?: ErrorCode;
}

/** How one running subscription of a backend reports its state (adapters call it). */
export interface HealthReporter {
  connecting(): void;
  connected(): void;
  backingOff(code?: ErrorCode): void;
}

const AUTH_CODES: ReadonlySet<string> = new Set(['ERR_AUTH_REJECTED', 'ERR_BEARER_PROVIDER']);

interface Run {
  state: 'connecting' | 'connected' | 'backing-off';
  code: ErrorCode | undefined;
  draining: boolean;
}

/**
 * The health of one backend object, across all its `events()` subscriptions: it follows the newest
 * running one, and is `stopped` (or `auth-refused`) once none runs. Values change only when the
 * state or code does, so reconnects show as `backing-off` → `connecting` → `connected`.
 */
export class HealthTracker {
  private readonly subject = new BehaviorSubject<BackendHealth>({ state: 'stopped' });
  private readonly runs: Run[] = [];

  /** Current value first, then each change; never completes. */
  readonly health$: Observable<BackendHealth> = this.subject.asObservable();

  /**
   * Runs `make(reporter)` as one tracked subscription: `connecting` at subscribe, `draining` while
   * `context.draining` says so (and the run is connected), and at its end `stopped` — or
   * `auth-refused` for an error refusing the credentials — unless another subscription still runs.
   */
  track<T>(context: BackendContext, make: (health: HealthReporter) => Observable<T>): Observable<T> {
    return new Observable<T>((subscriber) => {
      const run: Run = { state: 'connecting', code: undefined, draining: false };
      this.runs.push(run);
      this.show();
      let ended = false;
      const end = (error?: unknown): void => {
        if (ended) return;
        ended = true;
        this.runs.splice(this.runs.indexOf(run), 1);
        if (this.runs.length > 0) return this.show();
        const code = isChatshiftError(error) ? error.code : undefined;
        this.emit({
          state: code !== undefined && AUTH_CODES.has(code) ? 'auth-refused' : 'stopped',
          ...(code === undefined ? {} : { code }),
        });
      };
      const set = (state: Run['state'], code?: ErrorCode): void => {
        if (ended) return;
        run.state = state;
        run.code = code;
        this.show();
      };
      const drainSub = context.draining?.subscribe({
        next: (d) => {
          run.draining = d;
          if (!ended) this.show();
        },
        error: () => {},
      });
      const sub = make({
        connecting: () => set('connecting'),
        connected: () => set('connected'),
        backingOff: (code) => set('backing-off', code),
      }).subscribe(
        relay<T>(subscriber, {
          // Health first, so a watcher sees why before the error travels on.
          error: (e, out) => {
            end(e);
            out.error(e);
          },
          complete: (out) => {
            end();
            out.complete();
          },
        }),
      );
      return () => {
        drainSub?.unsubscribe();
        sub.unsubscribe();
        end();
      };
    });
  }

  private show(): void {
    const run = this.runs[this.runs.length - 1];
    if (run === undefined) return;
    const state = run.state === 'connected' && run.draining ? 'draining' : run.state;
    this.emit({ state, ...(run.code === undefined ? {} : { code: run.code }) });
  }

  private emit(h: BackendHealth): void {
    const now = this.subject.value;
    if (now.state !== h.state || now.code !== h.code) this.subject.next(h);
  }
}
