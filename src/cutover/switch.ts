import { BehaviorSubject, Observable, of, Subject, type Subscription } from 'rxjs';
import { relay } from '../runtime/relay.js';
import { ChatshiftError } from '../errors.js';
import type { BackendId, ConversationEvent } from '../model/event.js';
import type { Logger } from '../runtime/logger.js';
import { isBackendChoice, type BackendChoice } from './backend-flag.js';

/**
 * Starts one backend's source; `draining` tells it to take no new conversations and finish, `stop`
 * to stop gracefully (save its checkpoint and complete).
 */
export type SourceFactory = (control: {
  draining: Observable<boolean>;
  stop: Observable<unknown>;
}) => Observable<ConversationEvent>;

/** One logged cutover decision. */
export interface CutoverDecision {
  backend: BackendId;
  action: 'start' | 'drain' | 'resume' | 'stop' | 'stopped' | 'ignored';
  flag: string;
  reason: string;
}

type Phase = {
  kind: 'running' | 'draining';
  draining: BehaviorSubject<boolean>;
  sub: Subscription | undefined;
  /** Set by a rollback while draining: the source may have finished draining just before it. */
  resumed: boolean;
};

const order: readonly BackendId[] = ['legacy-chat', 'messaging'];
const wants = (flag: BackendChoice, b: BackendId) => flag === 'both' || flag === b;

/**
 * The runtime switch: follows the flag stream and starts, drains, resumes and stops the backend
 * sources accordingly, merging their events. A backend switched off drains (its source is told
 * through `draining` and completes once its open conversations close); switched back on before
 * that, it simply resumes; switched on after it stopped, it starts again (from its checkpoint).
 * Every decision goes to `onDecision` and the logger with its reason.
 */
export function switchBackends(
  flag$: Observable<unknown>,
  factories: Partial<Record<BackendId, SourceFactory>>,
  options: {
    logger: Logger;
    onDecision?: (d: CutoverDecision) => void;
    stop?: Observable<unknown>;
    /**
     * Drain-on-start: backends whose checkpoint still holds open conversations (how many). One the
     * first flag value does not want is started draining anyway, so those conversations' tails are
     * delivered (a restart in the middle of a drain).
     */
    openAtStart?: Partial<Record<BackendId, number>>;
    /** Called for each backend started draining that way (for a metric). */
    onDrainOnStart?: (backend: BackendId) => void;
  },
): Observable<ConversationEvent> {
  return new Observable<ConversationEvent>((subscriber) => {
    const phases = new Map<BackendId, Phase>();
    let flagDone = false;
    let current: BackendChoice | undefined;
    // A graceful stop: no flag value is followed after it, every running backend is told to save
    // and complete, and the stream completes once they all have.
    const stopping = new Subject<void>();
    let stopped = false;

    const decide = (d: CutoverDecision) => {
      options.onDecision?.(d);
      const fields = { backend: d.backend, action: d.action, flag: d.flag, reason: d.reason };
      if (d.action === 'ignored') options.logger.warn(`cutover: ${d.reason}`, fields);
      else options.logger.info?.(`cutover: ${d.action} ${d.backend}: ${d.reason}`, fields);
    };

    const maybeComplete = () => {
      if (flagDone && phases.size === 0) subscriber.complete();
    };

    const start = (b: BackendId, factory: SourceFactory, flag: BackendChoice, why: string, drain = false) => {
      const phase: Phase = {
        kind: drain ? 'draining' : 'running',
        draining: new BehaviorSubject(drain),
        sub: undefined,
        resumed: false,
      };
      phases.set(b, phase);
      decide({ backend: b, action: drain ? 'drain' : 'start', flag, reason: why });
      phase.sub = factory({
        draining: phase.draining.asObservable(),
        stop: stopped ? of(undefined) : stopping.asObservable(),
      }).subscribe(
        relay<ConversationEvent>(subscriber, {
          complete: () => {
            if (phases.get(b) !== phase) return;
            phases.delete(b);
            decide({
              backend: b,
              action: 'stopped',
              flag: current ?? '',
              reason: stopped
                ? 'stopped gracefully: its checkpoint is saved'
                : phase.kind === 'draining'
                  ? 'drained: its last open conversation closed'
                  : 'its source completed',
            });
            // A rollback can race the source's own decision that draining is over: start it again.
            if (!stopped && phase.resumed && current !== undefined && wants(current, b)) {
              start(b, factory, current, `flag is '${current}' (rolled back as it finished draining)`);
            }
            maybeComplete();
          },
        }),
      );
    };

    const apply = (raw: unknown) => {
      const shown = typeof raw === 'string' ? raw : (JSON.stringify(raw) ?? String(raw));
      const missing = isBackendChoice(raw)
        ? order.filter((b) => wants(raw, b) && factories[b] === undefined)
        : [];
      if (!isBackendChoice(raw) || missing.length > 0) {
        const reason = !isBackendChoice(raw)
          ? `unknown backend flag value ${shown} (expected 'legacy-chat', 'messaging' or 'both')`
          : `flag '${shown}' needs options for ${missing.join(' and ')}, which were not given`;
        if (current === undefined) {
          subscriber.error(
            new ChatshiftError('ERR_BACKEND_UNAVAILABLE', reason, { details: { flag: shown } }),
          );
          return;
        }
        decide({
          backend: missing[0] ?? 'legacy-chat',
          action: 'ignored',
          flag: shown,
          reason: `${reason}; keeping '${current}'`,
        });
        return;
      }
      const previous = current;
      current = raw;
      for (const b of order) {
        const phase = phases.get(b);
        const factory = factories[b];
        const on = wants(raw, b);
        const why =
          previous === undefined ? `flag is '${raw}'` : `flag changed from '${previous}' to '${raw}'`;
        const open = previous === undefined ? (options.openAtStart?.[b] ?? 0) : 0;
        if (on && phase === undefined && factory !== undefined) start(b, factory, raw, why);
        else if (!on && phase === undefined && factory !== undefined && open > 0) {
          start(
            b,
            factory,
            raw,
            `${why}, but its checkpoint holds ${open} open conversation${open === 1 ? '' : 's'} ` +
              '(a restart while it drained): draining them, no new conversations',
            true,
          );
          options.onDrainOnStart?.(b);
        } else if (on && phase?.kind === 'draining') {
          phase.kind = 'running';
          phase.resumed = true;
          decide({ backend: b, action: 'resume', flag: raw, reason: `${why} (rollback while draining)` });
          phase.draining.next(false);
        } else if (!on && phase?.kind === 'running') {
          phase.kind = 'draining';
          decide({
            backend: b,
            action: 'drain',
            flag: raw,
            reason: `${why}; no new conversations, open ones continue until they close`,
          });
          phase.draining.next(true);
        }
      }
    };

    const flagSub = flag$.subscribe({
      next: apply,
      error: (e: unknown) => subscriber.error(e),
      complete: () => {
        flagDone = true;
        maybeComplete();
      },
    });

    const stop = (): void => {
      if (stopped || subscriber.closed) return;
      stopped = true;
      flagSub.unsubscribe();
      flagDone = true;
      for (const b of phases.keys())
        decide({
          backend: b,
          action: 'stop',
          flag: current ?? '',
          reason: 'graceful stop: saving its checkpoint',
        });
      stopping.next();
      stopping.complete();
      maybeComplete();
    };
    const stopSub = options.stop?.subscribe({ next: stop, complete: stop, error: stop });

    return () => {
      stopSub?.unsubscribe();
      flagSub.unsubscribe();
      for (const p of phases.values()) p.sub?.unsubscribe();
      phases.clear();
    };
  });
}
