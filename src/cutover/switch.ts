import { BehaviorSubject, Observable, type Subscription } from 'rxjs';
import { ChatshiftError } from '../errors.js';
import type { BackendId, ConversationEvent } from '../model/event.js';
import type { Logger } from '../runtime/logger.js';
import { isBackendChoice, type BackendChoice } from './backend-flag.js';

/** Starts one backend's source; `draining` tells it to take no new conversations and finish. */
export type SourceFactory = (control: { draining: Observable<boolean> }) => Observable<ConversationEvent>;

/** One logged cutover decision. */
export interface CutoverDecision {
  backend: BackendId;
  action: 'start' | 'drain' | 'resume' | 'stopped' | 'ignored';
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
  options: { logger: Logger; onDecision?: (d: CutoverDecision) => void },
): Observable<ConversationEvent> {
  return new Observable<ConversationEvent>((subscriber) => {
    const phases = new Map<BackendId, Phase>();
    let flagDone = false;
    let current: BackendChoice | undefined;

    const decide = (d: CutoverDecision) => {
      options.onDecision?.(d);
      const fields = { backend: d.backend, action: d.action, flag: d.flag, reason: d.reason };
      if (d.action === 'ignored') options.logger.warn(`cutover: ${d.reason}`, fields);
      else options.logger.info?.(`cutover: ${d.action} ${d.backend}: ${d.reason}`, fields);
    };

    const maybeComplete = () => {
      if (flagDone && phases.size === 0) subscriber.complete();
    };

    const start = (b: BackendId, factory: SourceFactory, flag: BackendChoice, why: string) => {
      const phase: Phase = {
        kind: 'running',
        draining: new BehaviorSubject(false),
        sub: undefined,
        resumed: false,
      };
      phases.set(b, phase);
      decide({ backend: b, action: 'start', flag, reason: why });
      phase.sub = factory({ draining: phase.draining.asObservable() }).subscribe({
        next: (e) => subscriber.next(e),
        error: (e: unknown) => subscriber.error(e),
        complete: () => {
          if (phases.get(b) !== phase) return;
          phases.delete(b);
          decide({
            backend: b,
            action: 'stopped',
            flag: current ?? '',
            reason:
              phase.kind === 'draining'
                ? 'drained: its last open conversation closed'
                : 'its source completed',
          });
          // A rollback can race the source's own decision that draining is over: start it again.
          if (phase.resumed && current !== undefined && wants(current, b)) {
            start(b, factory, current, `flag is '${current}' (rolled back as it finished draining)`);
          }
          maybeComplete();
        },
      });
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
        if (on && phase === undefined && factory !== undefined) start(b, factory, raw, why);
        else if (on && phase?.kind === 'draining') {
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

    return () => {
      flagSub.unsubscribe();
      for (const p of phases.values()) p.sub?.unsubscribe();
      phases.clear();
    };
  });
}
